"""The I/O ABI: operations of ``do_io`` and of completion rings, the ring's layout in
memory, its flags, and the layouts of submission and completion entries.

A ring (``ring_setup``) is one shared mapping of the ring's file at offset 0 (its size
is :func:`ring_bytes`): a header of head and tail counters (the submission side's on
one 64-byte line, the completion side's on the next), the completion entries, then the
submission entries. Userland fills submission entries at ``sq_tail & sq_mask`` and
publishes them by storing the new tail; the kernel consumes them up to the tail when
``ring_enter`` says so (or its polling thread sees them) and stores its head. The kernel
posts completions at ``cq_tail & cq_mask`` and publishes its tail; userland consumes
them and stores ``cq_head``. Numbers and flags are Linux's io_uring's where it has the
same thing, so its documentation applies; libk drops the submission index array (as
Linux's IORING_SETUP_NO_SQARRAY does) and takes a timeout's length in nanoseconds in
``addr`` (there is no timespec).

Buffers handed to a ring are *owned*: from submission until its completion the pages
of a request's buffer belong to the ring and the process cannot touch them (a load or
store is SIGSEGV, and the kernel log names the ring and the request), so buffers are
whole pages: a buffer's address is page-aligned (EINVAL otherwise), and the ring owns
every page its length reaches into; a provided buffer's length is whole pages too.
"""

from __future__ import annotations

import struct

__all__ = [
    "OP_NOP",
    "OP_READ",
    "OP_WRITE",
    "OP_FSYNC",
    "OP_OPEN",
    "OP_CLOSE",
    "OP_TIMEOUT",
    "OP_POLL",
    "OP_CANCEL",
    "OP_PROVIDE_BUFFERS",
    "OP_REMOVE_BUFFERS",
    "OP_NAMES",
    "IOSQE_IO_DRAIN",
    "IOSQE_IO_LINK",
    "IOSQE_BUFFER_SELECT",
    "IOSQE_KNOWN",
    "ASYNC_CANCEL_ALL",
    "ASYNC_CANCEL_FD",
    "ASYNC_CANCEL_ANY",
    "CQE_F_BUFFER",
    "CQE_BUFFER_SHIFT",
    "SETUP_SQPOLL",
    "SETUP_CQSIZE",
    "ENTER_GETEVENTS",
    "ENTER_SQ_WAKEUP",
    "ENTER_SQ_IDLE",
    "SQ_NEED_WAKEUP",
    "SQ_CQ_OVERFLOW",
    "POLLIN",
    "POLLPRI",
    "POLLOUT",
    "POLLERR",
    "POLLHUP",
    "POLLNVAL",
    "RING_MAX_ENTRIES",
    "SQ_HEAD",
    "SQ_TAIL",
    "SQ_MASK",
    "SQ_ENTRIES",
    "SQ_FLAGS",
    "SQ_DROPPED",
    "CQ_HEAD",
    "CQ_TAIL",
    "CQ_MASK",
    "CQ_ENTRIES",
    "CQ_OVERFLOW",
    "CQ_FLAGS",
    "CQES_OFF",
    "SQE",
    "SQE_SIZE",
    "CQE",
    "CQE_SIZE",
    "RingLayout",
    "ring_layout",
    "ring_bytes",
]

# Operations (IORING_OP_*'s meaning; do_io takes the same numbers).
OP_NOP = 0
OP_READ = 1
OP_WRITE = 2
OP_FSYNC = 3
OP_OPEN = 4
OP_CLOSE = 5
OP_TIMEOUT = 6
OP_POLL = 7
OP_CANCEL = 8
OP_PROVIDE_BUFFERS = 9
OP_REMOVE_BUFFERS = 10
OP_NAMES = (
    "nop",
    "read",
    "write",
    "fsync",
    "open",
    "close",
    "timeout",
    "poll",
    "cancel",
    "provide_buffers",
    "remove_buffers",
)

# Submission entry flags (Linux's IOSQE_* values).
IOSQE_IO_DRAIN = 1 << 1  # start only when everything submitted before has completed
IOSQE_IO_LINK = 1 << 2  # the next entry starts when this one succeeds
IOSQE_BUFFER_SELECT = 1 << 5  # a read takes a buffer from group ``buf_group``
IOSQE_KNOWN = IOSQE_IO_DRAIN | IOSQE_IO_LINK | IOSQE_BUFFER_SELECT

# OP_CANCEL's op_flags (IORING_ASYNC_CANCEL_*).
ASYNC_CANCEL_ALL = 1 << 0  # every match, not just the first
ASYNC_CANCEL_FD = 1 << 1  # match on ``fd`` instead of user data
ASYNC_CANCEL_ANY = 1 << 2  # match every request

# Completion flags: the buffer chosen from a group is ``flags >> CQE_BUFFER_SHIFT``.
CQE_F_BUFFER = 1 << 0
CQE_BUFFER_SHIFT = 16

# ring_setup flags, ring_enter flags, and the submission side's flags word.
SETUP_SQPOLL = 1 << 1  # a kernel thread polls the submission queue
SETUP_CQSIZE = 1 << 3  # ring_setup's cq_entries says the completion queue's size
ENTER_GETEVENTS = 1 << 0  # wait for min_complete completions
ENTER_SQ_WAKEUP = 1 << 1  # wake the polling thread
ENTER_SQ_IDLE = 1 << 4  # the polling thread's own: sleep until ENTER_SQ_WAKEUP or close
SQ_NEED_WAKEUP = 1 << 0  # the polling thread sleeps: ring_enter(SQ_WAKEUP) to wake it
SQ_CQ_OVERFLOW = 1 << 1  # completions wait in the overflow list: reap, then enter

# poll(2) events.
POLLIN = 0x001
POLLPRI = 0x002
POLLOUT = 0x004
POLLERR = 0x008
POLLHUP = 0x010
POLLNVAL = 0x020

RING_MAX_ENTRIES = 4096

# The header: offsets of its 32-bit words.
SQ_HEAD = 0  # the kernel's: entries below it are consumed
SQ_TAIL = 4  # userland's: entries below it are submitted
SQ_MASK = 8
SQ_ENTRIES = 12
SQ_FLAGS = 16  # SQ_NEED_WAKEUP, SQ_CQ_OVERFLOW
SQ_DROPPED = 20  # invalid entries skipped
CQ_HEAD = 64  # userland's: completions below it are consumed
CQ_TAIL = 68  # the kernel's: completions below it are posted
CQ_MASK = 72
CQ_ENTRIES = 76
CQ_OVERFLOW = 80  # completions that had to wait in the overflow list, ever
CQ_FLAGS = 84
CQES_OFF = 128

#: A submission entry: opcode, flags, ioprio, fd, off, addr, len, op_flags, user_data,
#: buf_group (buf_index), personality, file_index, addr3, and padding to 64 bytes.
SQE = struct.Struct("<BBHiQQIIQHHIQQ")
SQE_SIZE = 64
#: A completion entry: user_data, res (a count or -errno), flags.
CQE = struct.Struct("<QiI")
CQE_SIZE = 16


class RingLayout:
    """Where the parts of a ring with these sizes lie in its mapping."""

    __slots__ = ("sq_entries", "cq_entries", "cqes", "sqes", "size")

    def __init__(self, sq_entries: int, cq_entries: int) -> None:
        self.sq_entries = sq_entries
        self.cq_entries = cq_entries
        self.cqes = CQES_OFF
        self.sqes = (CQES_OFF + cq_entries * CQE_SIZE + 63) & ~63
        self.size = self.sqes + sq_entries * SQE_SIZE

    def __repr__(self) -> str:
        return f"RingLayout(sq={self.sq_entries}, cq={self.cq_entries}, size={self.size})"


def ring_layout(sq_entries: int, cq_entries: int) -> RingLayout:
    """The layout of a ring of ``sq_entries`` submissions and ``cq_entries`` completions."""
    return RingLayout(sq_entries, cq_entries)


def ring_bytes(sq_entries: int, cq_entries: int, page_size: int) -> int:
    """Bytes to map for a ring: its layout's size rounded up to whole pages."""
    size = ring_layout(sq_entries, cq_entries).size
    return (size + page_size - 1) & ~(page_size - 1)


# ---------------------------------------------------------------------- level 4
# An integrated driver: a privileged process claims a block device (ioctl BLK_CLAIM on
# its node: EPERM unless root, EBUSY while anyone else has it open) and maps the
# device's own queue (mmap of the node at offset 0, the size BLK_CLAIM returned). Page
# 0 holds the doorbells: a store there is seen by the device (an uncached write to it,
# costing a cache transfer), never a system call. Page 1 holds the queue: the device's
# heads and tails, then DQ_ENTRIES submission entries, then as many completion entries.
# Buffers are addresses in the driver's memory; the device moves data through the
# driver's page table (an IOMMU) when a request completes.

BLK_CLAIM = 0x4C01  # ioctl: take the device; returns the bytes to map
BLK_RELEASE = 0x4C02  # ioctl: let it go

DQ_OP_READ = 1
DQ_OP_WRITE = 2
DQ_OP_FLUSH = 3
DQ_ENTRIES = 64

DB_SQ_TAIL = 0  # doorbell page: the driver's new submission tail
DQ_SQ_HEAD = 0  # queue page (page 1), device-written: entries consumed
DQ_CQ_TAIL = 4  # device-written: completions posted
DQ_CQ_HEAD = 8  # driver-written: completions consumed
DQ_SIZE = 16  # u64: the device's size in bytes
DQ_SQES = 64
#: A device submission entry: op, flags, tag, length, position, buffer address.
DQ_SQE = struct.Struct("<BBHIQQ8x")
#: A device completion entry: tag, status (bytes moved, or -errno).
DQ_CQE = struct.Struct("<H2xi8x")
DQ_CQES = DQ_SQES + DQ_ENTRIES * DQ_SQE.size

__all__ += [
    "BLK_CLAIM",
    "BLK_RELEASE",
    "DQ_OP_READ",
    "DQ_OP_WRITE",
    "DQ_OP_FLUSH",
    "DQ_ENTRIES",
    "DB_SQ_TAIL",
    "DQ_SQ_HEAD",
    "DQ_CQ_TAIL",
    "DQ_CQ_HEAD",
    "DQ_SIZE",
    "DQ_SQES",
    "DQ_SQE",
    "DQ_CQE",
    "DQ_CQES",
]
