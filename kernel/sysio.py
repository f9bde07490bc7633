"""System calls of the I/O levels: ``do_io`` (level 1: one request, one call, the
result) and the completion rings' ``ring_setup`` and ``ring_enter`` (level 2).

The operations themselves run in ``kernel.io.request``; the rings live in
``kernel.io.ring``. A ring is an anonymous file (``anon_inode:[io_uring]``) whose pages
are the queues; the process maps it (``mmap(0, ring_bytes(...), PROT_READ|PROT_WRITE,
MAP_SHARED, fd, 0)``), and its descriptor's /proc fdinfo shows the ring's state.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from kernel.abi import (
    EINTR,
    EINVAL,
    ENOMEM,
    ENTER_GETEVENTS,
    ENTER_SQ_IDLE,
    ENTER_SQ_WAKEUP,
    EOPNOTSUPP,
    EPERM,
    O_RDWR,
    OP_FSYNC,
    OP_NOP,
    OP_POLL,
    OP_READ,
    OP_WRITE,
    POLLIN,
    POLLOUT,
    RING_MAX_ENTRIES,
    SETUP_CQSIZE,
    SETUP_SQPOLL,
    Error,
    ring_bytes,
)
from kernel.fs.file import File
from kernel.fs.vfs import FileInode
from kernel.io.request import DONE, IoRequest, cancel, cancellable, start
from kernel.io.ring import Ring
from kernel.thread import Sleep, WaitQueue

if TYPE_CHECKING:
    from kernel.kernel import Kernel
    from kernel.thread import Thread

DO_IO_OPS = (OP_NOP, OP_READ, OP_WRITE, OP_FSYNC, OP_POLL)


def sys_do_io(k: Kernel, t: Thread, fd: int, op: int, arg: Any, offset: int) -> Any:
    """One request, one call: read (``arg`` = count; returns bytes), write (``arg`` =
    bytes; returns the count), fsync, poll (``arg`` = events; returns the ready ones),
    nop; ``offset`` -1 uses and moves the file position."""
    if op not in DO_IO_OPS:
        raise Error(EINVAL, f"do_io: operation {op} is not one of read, write, fsync, poll, nop")
    req = IoRequest(t, op, fd=fd, off=offset)
    if op == OP_READ:
        if type(arg) is not int or arg < 0:
            raise Error(EINVAL, "do_io: a read's argument is the byte count")
        req.length = arg
    elif op == OP_WRITE:
        if not isinstance(arg, bytes | bytearray | memoryview):
            raise Error(EINVAL, "do_io: a write's argument is the bytes to write")
        req.data = bytes(arg)
        req.length = len(req.data)
    elif op == OP_POLL:
        if type(arg) is not int or arg < 0:
            raise Error(EINVAL, "do_io: a poll's argument is the events to wait for")
        req.op_flags = arg
    proc = t.proc  # /proc/<pid>/io counts do_io's reads and writes like read(2)'s
    if op == OP_READ:
        proc.syscr += 1
    elif op == OP_WRITE:
        proc.syscw += 1
    start(k, req)
    if req.state is not DONE:  # parked on its file or on the device: sleep until done
        wait = WaitQueue("do_io")
        req.on_done = lambda _r: k.wake_all(wait) if wait else None
        while req.state is not DONE:
            try:
                yield Sleep((wait,), None, "do_io")
            except Error as err:
                if err.errno == EINTR and cancellable(req):
                    cancel(k, req)
                raise
    if req.result < 0:
        raise Error(-req.result)
    if op == OP_READ:
        proc.rchar += len(req.data)
    elif op == OP_WRITE:
        proc.wchar += req.result
    return req.data if op == OP_READ else req.result


class RingInode(FileInode):
    """The anonymous file behind a ring: its page cache holds the queues."""

    __slots__ = ("ring",)

    def read(self, t: Thread | None, f: File, count: int) -> bytes:
        raise Error(EINVAL)

    def write(self, t: Thread | None, f: File, data: bytes) -> int:
        raise Error(EINVAL)

    def truncate(self, length: int) -> None:
        raise Error(EINVAL)

    @property
    def seekable(self) -> bool:
        return False

    def poll(self, f: File) -> tuple[int, tuple[Any, ...]]:
        ring = self.ring
        ev = POLLOUT if ring.sq_pending < ring.sq_entries else 0
        if ring.cq_ready or ring.overflow:
            ev |= POLLIN
        return ev, (ring.cq_wait,)

    def fdinfo(self, f: File) -> str:
        return self.ring.fdinfo()

    def release(self, f: File) -> None:
        super().release(f)
        if self.opens == 0:  # the last open description (a reopen via /proc/PID/fd is one)
            self.ring.close()


def _pow2(n: int) -> int:
    return 1 << max(0, n - 1).bit_length()


def sys_ring_setup(k: Kernel, t: Thread, entries: int, flags: int, cq_entries: int) -> int:
    """A ring of ``entries`` submissions (rounded up to a power of two, at most
    4096) and twice as many completions (or ``cq_entries`` with SETUP_CQSIZE)."""
    from kernel.sysmem import shm_fs

    if not 0 < entries <= RING_MAX_ENTRIES or flags & ~(SETUP_CQSIZE | SETUP_SQPOLL):
        raise Error(EINVAL)
    if flags & SETUP_SQPOLL and t.observer:  # (the host: its process runs no threads)
        raise Error(EPERM, "ring_setup: SETUP_SQPOLL needs a process inside the machine")
    sq = _pow2(entries)
    if flags & SETUP_CQSIZE:
        if not sq <= cq_entries <= 2 * RING_MAX_ENTRIES * 8:
            raise Error(EINVAL)
        cq = _pow2(cq_entries)
    else:
        cq = 2 * sq
    proc = t.proc
    ps = proc.mm.page_size
    size = ring_bytes(sq, cq, ps)
    if size // ps > k.frames.free:
        raise Error(ENOMEM)
    inode = RingInode(shm_fs(k), 0o600, proc.cred.euid, proc.cred.egid)
    inode.nlink = 0
    cache = inode.cache
    cache.size = size
    pages = []
    for i in range(size // ps):
        page = cache.get_page(i)
        if page is None:
            cache.release()
            raise Error(ENOMEM)
        pages.append(page.data)
    inode.ring = Ring(k, proc, sq, cq, flags, pages)
    f = File(inode, O_RDWR, "anon_inode:[io_uring]")
    inode.open(t, f)
    try:
        fd = proc.fds.install(f)
    except Error:
        f.refs = 1
        f.put()
        raise
    inode.ring.fd = fd
    if flags & SETUP_SQPOLL:
        from kernel.io.sqpoll import start_sq_thread

        try:
            start_sq_thread(k, inode.ring, t.cpu)
        except Error:
            proc.fds.close(fd)
            raise
    return fd


def sys_ring_enter(
    k: Kernel, t: Thread, fd: int, to_submit: int, min_complete: int, flags: int
) -> Any:
    """Submit up to ``to_submit`` entries; with ENTER_GETEVENTS, then wait until
    ``min_complete`` completions are ready. Returns how many entries were consumed."""
    f = t.proc.fds.get(fd)
    inode = f.inode
    if not isinstance(inode, RingInode):
        raise Error(EOPNOTSUPP)
    if flags & ~(ENTER_GETEVENTS | ENTER_SQ_WAKEUP | ENTER_SQ_IDLE):
        raise Error(EINVAL)
    ring = inode.ring
    if t.proc is not ring.proc:
        raise Error(EOPNOTSUPP, "ring_enter: a ring is entered by the process that set it up")
    if flags & ENTER_SQ_IDLE:  # the polling thread sleeps until it is woken
        if t is not ring.poller:
            raise Error(EINVAL)
        if not ring.closed and not ring.sq_pending:
            yield Sleep((ring.sq_wait,), None, "io_uring_sqpoll")
        return 0
    ring.flush_overflow()
    if ring.poller is not None:  # the polling thread submits; the caller may wake it
        if flags & ENTER_SQ_WAKEUP:
            from kernel.io.sqpoll import wake_sq_thread

            wake_sq_thread(k, ring)
        done = min(to_submit, ring.sq_pending)
    else:
        done = ring.submit(t, to_submit) if to_submit else 0
    if not flags & ENTER_GETEVENTS or not min_complete:
        return done
    want = min(min_complete, ring.cq_entries)
    while True:
        ring.flush_overflow()
        if ring.cq_ready >= want or ring.overflow or ring.closed:
            return done
        ring.wait_for = want if not ring.cq_wait else min(ring.wait_for, want)
        try:
            yield Sleep((ring.cq_wait,), None, "io_uring")
        except Error as err:
            if err.errno == EINTR and done:
                return done
            raise
