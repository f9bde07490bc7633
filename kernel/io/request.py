"""I/O requests and how each operation runs: the engine under ``do_io`` and the rings.

An :class:`IoRequest` is one operation on one target (a file, a pipe, the console, a
block device). :func:`start` runs it as far as it can go now: a plain file answers at
once; a pipe or terminal that would block parks the request on its wait queues (an
:class:`IoWaiter` stands in the queue where a sleeping thread would) and tries again
when woken; a block device gets a device request and the device's completion
finishes it; a timeout waits for a kernel timer. Whatever way it ends, ``finish``
records the result and calls the request's ``on_done``.

States: PENDING (not started: behind a link or a drain), WAITING (started and parked:
on a wait queue, a timer, or the device's software queue — cancellable), DEVICE (on
the device: it will complete, cancelling it is EALREADY), DONE.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from kernel.abi import (
    EBADF,
    ECANCELED,
    EINVAL,
    ENAMETOOLONG,
    EPIPE,
    ETIME,
    O_ACCMODE,
    O_RDONLY,
    O_WRONLY,
    OP_CLOSE,
    OP_FSYNC,
    OP_NAMES,
    OP_NOP,
    OP_OPEN,
    OP_POLL,
    OP_READ,
    OP_TIMEOUT,
    OP_WRITE,
    POLLERR,
    POLLHUP,
    POLLNVAL,
    SIGPIPE,
    Error,
)
from kernel.dev.block import FLUSH, QUEUED, READ, WRITE, BlkRequest, BlockNode
from kernel.fs.vfs import WouldBlock
from kernel.thread import SLEEPING

if TYPE_CHECKING:
    from kernel.fs.file import File
    from kernel.io.buffers import OwnedBuffer
    from kernel.kernel import Kernel
    from kernel.thread import Thread

PENDING = "pending"
WAITING = "waiting"
DEVICE = "device"
DONE = "done"

MAX_IO = 1 << 20
PATH_MAX = 4096


class IoWaiter:
    """A parked request's place in wait queues: it looks like a sleeping thread to a
    :class:`~kernel.thread.WaitQueue` (``sleep_seq``, ``state``), and the kernel's
    ``wake_all`` calls :meth:`on_wake` for it instead of scheduling it."""

    __slots__ = ("req", "sleep_seq", "state")

    def __init__(self, req: IoRequest) -> None:
        self.req = req
        self.sleep_seq = 0
        self.state = SLEEPING

    def park(self, queues: tuple[Any, ...]) -> None:
        """Wait on ``queues`` (a new wait: earlier entries become stale)."""
        self.sleep_seq += 1
        self.state = SLEEPING
        for q in queues:
            q.add(self)

    def disarm(self) -> None:
        """Leave every queue (the entries go stale)."""
        self.sleep_seq += 1
        self.state = DONE

    def on_wake(self, k: Kernel) -> None:
        """Something the request waits for changed: try it again."""
        self.disarm()
        if self.req.state is WAITING:
            attempt(k, self.req)


@dataclass(slots=True, eq=False)
class IoRequest:
    """One I/O operation (a ring's submission entry, or a do_io call).

    Attributes mirror a submission entry (op, flags, fd, off, addr, length, op_flags,
    user_data, buf_group); the rest is the kernel's: the thread that submitted it, the
    open file it works on (a reference held until it is done), its owned buffer,
    state, result and completion flags, the device request or waiter it is parked on,
    the next request of its link chain, and ``on_done``.
    """

    thread: Thread
    op: int
    flags: int = 0
    fd: int = -1
    off: int = -1
    addr: int = 0
    length: int = 0
    op_flags: int = 0
    user_data: int = 0
    buf_group: int = 0
    ring: Any = None
    file: File | None = None
    state: str = PENDING
    result: int = 0
    cflags: int = 0
    buffer: OwnedBuffer | None = None
    data: bytes = b""  # do_io: a write's bytes, a read's result
    progress: int = 0  # bytes of a write already taken by a pipe
    blk: BlkRequest | None = None
    waiter: IoWaiter | None = None
    link: IoRequest | None = None
    started_at: int = 0
    on_done: Callable[[IoRequest], None] | None = None

    @property
    def name(self) -> str:
        """The operation's name (``read``)."""
        return OP_NAMES[self.op] if 0 <= self.op < len(OP_NAMES) else str(self.op)

    def describe(self) -> str:
        """Who owns a buffer this request holds, for the kernel log."""
        where = self.ring.describe() if self.ring is not None else "do_io"
        return f"{where}, request {self.user_data:#x} ({self.name} fd {self.fd})"


def finish(k: Kernel, req: IoRequest, result: int) -> None:
    """The request is done with ``result`` (a count, or -errno)."""
    if req.state is DONE:
        return
    req.state = DONE
    req.result = result
    if req.waiter is not None:
        req.waiter.disarm()
        req.waiter = None
    if req.file is not None:
        req.file.put()
        req.file = None
    if req.on_done is not None:
        req.on_done(req)


def cancel(k: Kernel, req: IoRequest) -> bool:
    """Cancel a request that has not reached a device: it finishes with ECANCELED.
    False if it is on the device (it will complete normally) or done."""
    if req.state is DONE:
        return False
    if req.state is DEVICE:
        return False
    if req.blk is not None:
        dev = req.file.inode.dev if req.file is not None else None  # type: ignore[union-attr]
        if dev is None or not dev.cancel(req.blk):
            return False
    finish(k, req, -ECANCELED)
    return True


def cancellable(req: IoRequest) -> bool:
    """Would :func:`cancel` take it back (it is not on a device)?"""
    if req.state in (DONE, DEVICE):
        return False
    return req.blk is None or req.blk.state is QUEUED


def start(k: Kernel, req: IoRequest) -> None:
    """Begin ``req``: look up its file and run it as far as it goes now."""
    req.started_at = k.now()
    req.state = WAITING
    op = req.op
    try:
        if op == OP_NOP:
            finish(k, req, 0)
            return
        if op == OP_TIMEOUT:
            _timeout(k, req)
            return
        if op == OP_OPEN:
            finish(k, req, _open(k, req))
            return
        if op == OP_CLOSE:
            req.thread.proc.fds.close(req.fd)
            finish(k, req, 0)
            return
        if op not in (OP_READ, OP_WRITE, OP_FSYNC, OP_POLL):
            raise Error(EINVAL)
        f = req.thread.proc.fds.files.get(req.fd)
        if f is None:
            if op == OP_POLL:
                finish(k, req, POLLNVAL)
                return
            raise Error(EBADF)
        acc = f.flags & O_ACCMODE
        if (op == OP_READ and acc == O_WRONLY) or (op == OP_WRITE and acc == O_RDONLY):
            raise Error(EBADF)
        req.file = f.get()
        if op == OP_READ and req.length > MAX_IO:
            req.length = MAX_IO
        if isinstance(f.inode, BlockNode) and op != OP_POLL:
            _to_device(k, req, f.inode)
            return
    except Error as err:
        finish(k, req, -err.errno)
        return
    attempt(k, req)


def attempt(k: Kernel, req: IoRequest) -> None:
    """Try a request on a file, pipe or terminal; park it if it would block."""
    f = req.file
    assert f is not None
    inode = f.inode
    op = req.op
    try:
        if op == OP_POLL:
            events = req.op_flags | POLLERR | POLLHUP
            ready, queues = inode.poll(f)
            if ready & events:
                finish(k, req, ready & events)
            else:
                _park(req, queues)
            return
        if op == OP_FSYNC:
            finish(k, req, 0)
            return
        positional = req.off != -1 and inode.seekable
        saved = f.pos
        if positional:
            f.pos = req.off
        try:
            if op == OP_READ:
                data = inode.read(req.thread, f, req.length)
            else:
                data = b""
                payload = req.buffer.read(req.length) if req.buffer is not None else req.data
                while req.progress < len(payload):
                    req.progress += inode.write(req.thread, f, payload[req.progress :])
        finally:
            if positional:
                f.pos = saved
    except WouldBlock as wb:
        _park(req, wb.sleep.queues)
        return
    except Error as err:
        if err.errno == EPIPE:
            k.signals.send(req.thread.proc, SIGPIPE)
        finish(k, req, req.progress if req.progress else -err.errno)
        return
    cost = k.io_costs.get(getattr(inode, "io_cost", ""), 0)
    cpu = k.cur_cpu
    if cost and cpu is not None and cpu.current is req.thread:
        # What read(2) and write(2) pay for the same file (a pipe, a tty), when it runs
        # in its submitter's time; a retry another thread's wake-up runs is not charged.
        k.charge(cost)
    if op == OP_READ:
        _deliver(req, data)
        finish(k, req, len(data))
    else:
        finish(k, req, req.progress)


def _park(req: IoRequest, queues: tuple[Any, ...]) -> None:
    if req.waiter is None:
        req.waiter = IoWaiter(req)
    req.waiter.park(queues)


def _deliver(req: IoRequest, data: bytes) -> None:
    if req.buffer is not None:
        req.buffer.fill(data)
    else:
        req.data = data


def _to_device(k: Kernel, req: IoRequest, node: BlockNode) -> None:
    f = req.file
    assert f is not None
    op = {OP_READ: READ, OP_WRITE: WRITE, OP_FSYNC: FLUSH}[req.op]
    pos = req.off
    if pos == -1:
        pos = f.pos
    length = req.length if op != FLUSH else 0
    if op != FLUSH:
        length = max(0, min(length, node.dev.size - pos))
        if req.off == -1:
            f.pos = pos + length
    data = b""
    if op == WRITE:
        data = req.buffer.read(length) if req.buffer is not None else req.data[:length]

    def done(blk: BlkRequest) -> None:
        req.blk = None
        if blk.result >= 0 and op == READ:
            _deliver(req, blk.data)
        finish(k, req, blk.result)

    def issued(_blk: BlkRequest) -> None:
        if req.state is WAITING:
            req.state = DEVICE

    blk = BlkRequest(op, pos, length, data, done, issued, owner=req)
    req.blk = blk
    node.dev.submit(blk)


def _timeout(k: Kernel, req: IoRequest) -> None:
    """A timeout of ``addr`` ns: ETIME when it expires, 0 when ``off`` completions
    came first (counted by the ring)."""
    if req.off > 0 and req.ring is not None:
        req.ring.count_timeout(req)

    def expire(_when: int) -> None:
        if req.state is WAITING:
            finish(k, req, -ETIME)

    k.add_timer(k.now() + req.addr, expire)


def _open(k: Kernel, req: IoRequest) -> int:
    from kernel.mm.fault import copy_from
    from kernel.sysfile import open_nowait

    proc = req.thread.proc
    path = b""
    addr = req.addr
    while b"\0" not in path:
        if len(path) >= PATH_MAX:
            raise Error(ENAMETOOLONG)
        ps = proc.mm.page_size
        path += copy_from(proc.mm, addr, ps - addr % ps)
        addr += ps - addr % ps
    name = path.split(b"\0", 1)[0].decode("utf-8", "surrogateescape")
    if len(name) >= PATH_MAX:
        raise Error(ENAMETOOLONG)
    return open_nowait(k, req.thread, name, req.op_flags, req.length)
