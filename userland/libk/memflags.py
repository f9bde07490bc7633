"""Memory calls' arguments by name, as strace shows them: ``PROT_READ|PROT_WRITE``,
``MAP_PRIVATE|MAP_ANONYMOUS``, ``MADV_DONTNEED``, ``FUTEX_WAIT_PRIVATE``,
``RLIMIT_NOFILE``, addresses in hex and ``NULL``.
"""

from __future__ import annotations

from kernel.abi import (
    FUTEX_CLOCK_REALTIME,
    FUTEX_PRIVATE_FLAG,
    MAP_ANONYMOUS,
    MAP_FIXED,
    MAP_FIXED_NOREPLACE,
    MAP_GROWSDOWN,
    MAP_NORESERVE,
    MAP_POPULATE,
    MFD_ALLOW_SEALING,
    MFD_CLOEXEC,
    MREMAP_DONTUNMAP,
    MREMAP_FIXED,
    MREMAP_MAYMOVE,
    MS_ASYNC,
    MS_INVALIDATE,
    MS_SYNC,
    PROT_EXEC,
    PROT_READ,
    PROT_WRITE,
)

PROTS = [(PROT_READ, "PROT_READ"), (PROT_WRITE, "PROT_WRITE"), (PROT_EXEC, "PROT_EXEC")]
MAP_KINDS = {1: "MAP_SHARED", 2: "MAP_PRIVATE", 3: "MAP_SHARED_VALIDATE"}
MAP_FLAGS = [
    (MAP_FIXED, "MAP_FIXED"),
    (MAP_ANONYMOUS, "MAP_ANONYMOUS"),
    (MAP_GROWSDOWN, "MAP_GROWSDOWN"),
    (MAP_NORESERVE, "MAP_NORESERVE"),
    (MAP_POPULATE, "MAP_POPULATE"),
    (MAP_FIXED_NOREPLACE, "MAP_FIXED_NOREPLACE"),
]
MREMAP_FLAGS = [
    (MREMAP_MAYMOVE, "MREMAP_MAYMOVE"),
    (MREMAP_FIXED, "MREMAP_FIXED"),
    (MREMAP_DONTUNMAP, "MREMAP_DONTUNMAP"),
]
MS_FLAGS = [(MS_ASYNC, "MS_ASYNC"), (MS_INVALIDATE, "MS_INVALIDATE"), (MS_SYNC, "MS_SYNC")]
MFD_FLAGS = [(MFD_CLOEXEC, "MFD_CLOEXEC"), (MFD_ALLOW_SEALING, "MFD_ALLOW_SEALING")]
ADVICE = {
    0: "MADV_NORMAL",
    1: "MADV_RANDOM",
    2: "MADV_SEQUENTIAL",
    3: "MADV_WILLNEED",
    4: "MADV_DONTNEED",
    8: "MADV_FREE",
}
FUTEX_OPS = {
    0: "FUTEX_WAIT",
    1: "FUTEX_WAKE",
    3: "FUTEX_REQUEUE",
    4: "FUTEX_CMP_REQUEUE",
    5: "FUTEX_WAKE_OP",
    9: "FUTEX_WAIT_BITSET",
    10: "FUTEX_WAKE_BITSET",
}
RLIMITS = [
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
]
ADDRESS_ARGS = {"addr", "old_addr", "new_addr", "addr2"}
ADDRESS_RESULTS = {"mmap", "mremap", "brk"}
RLIMIT_CALLS = {"getrlimit", "setrlimit", "prlimit"}


def flag_bits(value: int, table: list[tuple[int, str]], base: str = "") -> str:
    """``A|B|0x40``: flags by name, what is left in hex."""
    names = [base] if base else []
    for bit, name in table:
        if value & bit:
            names.append(name)
            value &= ~bit
    if value:
        names.append(hex(value))
    return "|".join(names) or "0"


def prot_text(prot: int) -> str:
    """``PROT_READ|PROT_WRITE`` or ``PROT_NONE``."""
    return flag_bits(prot, PROTS) if prot else "PROT_NONE"


def futex_op_text(op: int) -> str:
    """``FUTEX_WAIT_PRIVATE``, ``FUTEX_WAKE_BITSET|FUTEX_CLOCK_REALTIME``…"""
    name = FUTEX_OPS.get(op & 127, str(op & 127))
    if op & FUTEX_PRIVATE_FLAG:
        name += "_PRIVATE"
    if op & FUTEX_CLOCK_REALTIME:
        name += "|FUTEX_CLOCK_REALTIME"
    return name


def mem_arg(call: str, name: str, value: int) -> str | None:
    """An integer argument of a memory call as strace names it, or None if it is not
    one of theirs."""
    if name in ADDRESS_ARGS and call in ADDRESS_RESULTS | {
        "munmap",
        "mprotect",
        "madvise",
        "mincore",
        "msync",
        "futex",
    }:
        return "NULL" if value == 0 and call in ("mmap", "brk", "mremap") else hex(value)
    if name == "prot":
        return prot_text(value)
    if call == "mmap" and name == "flags":
        return flag_bits(value & ~3, MAP_FLAGS, MAP_KINDS.get(value & 3, ""))
    if call == "mremap" and name == "flags":
        return flag_bits(value, MREMAP_FLAGS)
    if call == "msync" and name == "flags":
        return flag_bits(value, MS_FLAGS)
    if call == "memfd_create" and name == "flags":
        return flag_bits(value, MFD_FLAGS)
    if call == "madvise" and name == "advice":
        return ADVICE.get(value, str(value))
    if call == "futex" and name == "op":
        return futex_op_text(value)
    if call == "getrusage" and name == "who":
        return {0: "RUSAGE_SELF", -1: "RUSAGE_CHILDREN", 1: "RUSAGE_THREAD"}.get(value, str(value))
    if call in RLIMIT_CALLS and name == "resource":
        return RLIMITS[value] if 0 <= value < len(RLIMITS) else str(value)
    return None


def mem_result(call: str, value: object) -> str | None:
    """A memory call's result as strace shows it (addresses in hex), or None."""
    if call in ADDRESS_RESULTS and isinstance(value, int) and not isinstance(value, bool):
        return hex(value)
    return None
