"""Memory in the ABI: mmap's flags, madvise's advice, msync's and memfd's flags, prctl's
names, resource limits, futex operations, and the fault codes. The MMU view a program
reaches its memory through is in ``mmu``.
"""

from __future__ import annotations

__all__ = [
    "PROT_NONE",
    "PROT_READ",
    "PROT_WRITE",
    "PROT_EXEC",
    "MAP_SHARED",
    "MAP_PRIVATE",
    "MAP_SHARED_VALIDATE",
    "MAP_FIXED",
    "MAP_ANONYMOUS",
    "MAP_GROWSDOWN",
    "MAP_NORESERVE",
    "MAP_POPULATE",
    "MAP_FIXED_NOREPLACE",
    "MAP_FAILED",
    "MREMAP_MAYMOVE",
    "MREMAP_FIXED",
    "MREMAP_DONTUNMAP",
    "MADV_NORMAL",
    "MADV_RANDOM",
    "MADV_SEQUENTIAL",
    "MADV_WILLNEED",
    "MADV_DONTNEED",
    "MADV_FREE",
    "MS_ASYNC",
    "MS_INVALIDATE",
    "MS_SYNC",
    "MFD_CLOEXEC",
    "MFD_ALLOW_SEALING",
    "PR_SET_NAME",
    "PR_GET_NAME",
    "PR_SET_VMA",
    "PR_SET_VMA_ANON_NAME",
    "RLIMIT_CPU",
    "RLIMIT_FSIZE",
    "RLIMIT_DATA",
    "RLIMIT_STACK",
    "RLIMIT_CORE",
    "RLIMIT_RSS",
    "RLIMIT_NPROC",
    "RLIMIT_NOFILE",
    "RLIMIT_MEMLOCK",
    "RLIMIT_AS",
    "RLIM_NLIMITS",
    "RLIM_INFINITY",
    "RLIMIT_NAMES",
    "FUTEX_WAIT",
    "FUTEX_WAKE",
    "FUTEX_REQUEUE",
    "FUTEX_CMP_REQUEUE",
    "FUTEX_WAKE_OP",
    "FUTEX_WAIT_BITSET",
    "FUTEX_WAKE_BITSET",
    "FUTEX_PRIVATE_FLAG",
    "FUTEX_CLOCK_REALTIME",
    "FUTEX_BITSET_MATCH_ANY",
    "SEGV_MAPERR",
    "SEGV_ACCERR",
    "BUS_ADRERR",
]

PROT_NONE = 0x0
PROT_READ = 0x1
PROT_WRITE = 0x2
PROT_EXEC = 0x4

MAP_SHARED = 0x01
MAP_PRIVATE = 0x02
MAP_SHARED_VALIDATE = 0x03
MAP_FIXED = 0x10
MAP_ANONYMOUS = 0x20
MAP_GROWSDOWN = 0x0100
MAP_NORESERVE = 0x4000
MAP_POPULATE = 0x8000
MAP_FIXED_NOREPLACE = 0x100000
MAP_FAILED = -1

MREMAP_MAYMOVE = 1
MREMAP_FIXED = 2
MREMAP_DONTUNMAP = 4

MADV_NORMAL = 0
MADV_RANDOM = 1
MADV_SEQUENTIAL = 2
MADV_WILLNEED = 3
MADV_DONTNEED = 4
MADV_FREE = 8

MS_ASYNC = 1
MS_INVALIDATE = 2
MS_SYNC = 4

MFD_CLOEXEC = 1
MFD_ALLOW_SEALING = 2

PR_SET_NAME = 15
PR_GET_NAME = 16
PR_SET_VMA = 0x53564D41
PR_SET_VMA_ANON_NAME = 0

RLIMIT_CPU = 0
RLIMIT_FSIZE = 1
RLIMIT_DATA = 2
RLIMIT_STACK = 3
RLIMIT_CORE = 4
RLIMIT_RSS = 5
RLIMIT_NPROC = 6
RLIMIT_NOFILE = 7
RLIMIT_MEMLOCK = 8
RLIMIT_AS = 9
RLIM_NLIMITS = 10
RLIM_INFINITY = (1 << 64) - 1
#: The names /proc/<pid>/limits shows, by resource number.
RLIMIT_NAMES = (
    ("Max cpu time", "seconds"),
    ("Max file size", "bytes"),
    ("Max data size", "bytes"),
    ("Max stack size", "bytes"),
    ("Max core file size", "bytes"),
    ("Max resident set", "bytes"),
    ("Max processes", "processes"),
    ("Max open files", "files"),
    ("Max locked memory", "bytes"),
    ("Max address space", "bytes"),
)

FUTEX_WAIT = 0
FUTEX_WAKE = 1
FUTEX_REQUEUE = 3
FUTEX_CMP_REQUEUE = 4
FUTEX_WAKE_OP = 5
FUTEX_WAIT_BITSET = 9
FUTEX_WAKE_BITSET = 10
FUTEX_PRIVATE_FLAG = 128
FUTEX_CLOCK_REALTIME = 256
FUTEX_BITSET_MATCH_ANY = 0xFFFFFFFF

SEGV_MAPERR = 1  # address not mapped to an object
SEGV_ACCERR = 2  # invalid permissions for a mapped object
BUS_ADRERR = 2  # nonexistent physical address (past the end of a mapped file)
