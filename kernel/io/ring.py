"""Completion rings (level 2 of the I/O API): submission and completion queues in
memory shared between a process and the kernel.

``ring_setup`` makes a :class:`Ring` behind an anonymous file (``anon_inode:[io_uring]``)
whose pages hold the queues (layout: ``kernel.abi.io``); the process maps them with
mmap. ``ring_enter`` makes the kernel consume submission entries up to the tail the
process stored, and optionally wait for completions. Each entry becomes an
:class:`~kernel.io.request.IoRequest` that runs on its own (``kernel.io.request``);
when it ends the ring posts a completion entry, or — when the completion queue is
full — keeps it in an overflow list and sets SQ_CQ_OVERFLOW, so no completion is ever
lost.

The ring also keeps: link chains (IOSQE_IO_LINK: the next entry starts when this one
succeeds; a failure completes the rest of the chain with ECANCELED), drains
(IOSQE_IO_DRAIN: an entry waits for everything submitted before it, and later ones
wait for it), explicit cancellation (OP_CANCEL by user data, by fd, or everything:
0 when cancelled, ENOENT when nothing matched, EALREADY when the match is already on
the device and will complete normally), timeouts, and buffer groups (OP_PROVIDE_BUFFERS
hands the ring buffers it picks from for a read with IOSQE_BUFFER_SELECT; the
completion says which). Every buffer is owned (``kernel.io.buffers``) from submission
to completion. Closing the ring (or exiting) cancels what can be cancelled; what is on
a device completes first, and then every buffer goes back — nothing leaks.
"""

from __future__ import annotations

import struct
from collections import deque
from typing import TYPE_CHECKING, Any

from kernel.abi import (
    CQ_ENTRIES,
    CQ_HEAD,
    CQ_MASK,
    CQ_OVERFLOW,
    CQ_TAIL,
    CQE,
    CQE_BUFFER_SHIFT,
    CQE_F_BUFFER,
    CQE_SIZE,
    ECANCELED,
    EINVAL,
    ENOBUFS,
    IOSQE_BUFFER_SELECT,
    IOSQE_IO_DRAIN,
    IOSQE_IO_LINK,
    IOSQE_KNOWN,
    OP_CANCEL,
    OP_NAMES,
    OP_NOP,
    OP_PROVIDE_BUFFERS,
    OP_READ,
    OP_REMOVE_BUFFERS,
    OP_TIMEOUT,
    OP_WRITE,
    SQ_CQ_OVERFLOW,
    SQ_ENTRIES,
    SQ_FLAGS,
    SQ_HEAD,
    SQ_MASK,
    SQ_TAIL,
    SQE,
    SQE_SIZE,
    Error,
    ring_layout,
)
from kernel.io import buffers
from kernel.io.request import DONE, PENDING, IoRequest, cancel, cancellable, finish, start
from kernel.io.ringops import BufferGroup, cancel_op, provide_buffers, remove_buffers
from kernel.thread import WaitQueue

if TYPE_CHECKING:
    from kernel.kernel import Kernel
    from kernel.proc import Process
    from kernel.thread import Thread

_U32 = struct.Struct("<I")
U32 = 0xFFFF_FFFF
U64 = (1 << 64) - 1


class Ring:
    """One completion ring; see the module docstring."""

    def __init__(
        self,
        k: Kernel,
        proc: Process,
        sq_entries: int,
        cq_entries: int,
        flags: int,
        pages: list[bytearray],
    ) -> None:
        self.k = k
        self.proc = proc
        self.fd = -1  # the descriptor it was created as (for the log and /proc)
        self.flags = flags
        self.layout = ring_layout(sq_entries, cq_entries)
        self.pages = pages
        self.page_size = len(pages[0])
        self.sq_entries = sq_entries
        self.cq_entries = cq_entries
        self.inflight: dict[IoRequest, None] = {}  # submitted, not completed, in order
        self.defer: deque[IoRequest] = deque()  # held back by a drain
        self.draining: IoRequest | None = None
        self.ready: deque[IoRequest] = deque()  # to start (chain successors, undeferred)
        self.pumping = False
        self.overflow: deque[tuple[int, int, int]] = deque()
        self.groups: dict[int, BufferGroup] = {}
        self.timeouts: list[list[Any]] = []  # [request, completions still to see]
        self.cq_wait = WaitQueue("io_uring")
        self.sq_wait = WaitQueue("io_uring_sqpoll")  # the polling thread, idle
        self.wait_for = 0  # the fewest ready completions a sleeper in ring_enter wants
        self.cq_tail = 0
        self.closed = False
        self.poller: Thread | None = None  # the SQPOLL thread
        self.submitted = 0
        self.completed = 0
        self.cancelled = 0
        self.overflowed = 0
        hdr = pages[0]
        for off, value in (
            (SQ_MASK, sq_entries - 1),
            (SQ_ENTRIES, sq_entries),
            (CQ_MASK, cq_entries - 1),
            (CQ_ENTRIES, cq_entries),
        ):
            _U32.pack_into(hdr, off, value)

    # ------------------------------------------------------------------ memory
    def _u32(self, off: int) -> int:
        return _U32.unpack_from(self.pages[0], off)[0]

    def _set_u32(self, off: int, value: int) -> None:
        _U32.pack_into(self.pages[0], off, value & U32)

    def set_sq_flag(self, flag: int, on: bool) -> None:
        """Raise or clear a flag of the submission side's flags word."""
        flags = self._u32(SQ_FLAGS)
        self._set_u32(SQ_FLAGS, flags | flag if on else flags & ~flag)

    def _at(self, off: int) -> tuple[bytearray, int]:
        ps = self.page_size
        return self.pages[off // ps], off % ps

    def describe(self) -> str:
        """``ring fd 3 of cat[12]``, for the kernel log."""
        return f"ring fd {self.fd} of {self.proc.comm}[{self.proc.pid}]"

    @property
    def sq_pending(self) -> int:
        """Entries the process submitted that the kernel has not consumed."""
        return (self._u32(SQ_TAIL) - self._u32(SQ_HEAD)) & U32

    @property
    def cq_ready(self) -> int:
        """Completions posted and not yet consumed by the process."""
        return (self.cq_tail - self._u32(CQ_HEAD)) & U32

    # ------------------------------------------------------------------ submission
    def submit(self, t: Thread, to_submit: int, *, charge: bool = True) -> int:
        """Consume up to ``to_submit`` submission entries; returns how many. Reading
        each entry and writing its completion is charged to the running CPU (the
        polling thread counts its loads itself: ``charge`` False)."""
        head = self._u32(SQ_HEAD)
        avail = (self._u32(SQ_TAIL) - head) & U32
        if avail > self.sq_entries:  # a tail no ring could have: take what is there
            avail = self.sq_entries
        n = min(to_submit, avail)
        if n <= 0:
            return 0
        mask = self.sq_entries - 1
        base = self.layout.sqes
        pages = self.pages
        ps = self.page_size
        unpack = SQE.unpack_from
        inflight = self.inflight
        ready = self.ready
        complete = self._complete
        chain: IoRequest | None = None  # the last request of a link chain in progress
        if charge:
            self.k.charge(self.k.cost_memory * (SQE_SIZE + CQE_SIZE) // 8 * n)
        for i in range(n):
            pos = base + ((head + i) & mask) * SQE_SIZE
            (op, flags, _prio, fd, sqe_off, addr, length, op_flags, user_data, group, *_rest) = (
                unpack(pages[pos // ps], pos % ps)
            )
            if sqe_off >= 1 << 63:
                sqe_off -= 1 << 64
            req = IoRequest(
                t, op, flags, fd, sqe_off, addr, length, op_flags, user_data, group, self
            )
            req.on_done = complete
            inflight[req] = None
            linked_behind = chain is not None
            if linked_behind:
                chain.link = req  # type: ignore[union-attr]
            if flags or op in (OP_READ, OP_WRITE) or not 0 <= op < len(OP_NAMES):
                chain = req if flags & IOSQE_IO_LINK else None
                err = self._prepare(req)
                if err:
                    req.result = -err  # it fails when it would start (its chain with it)
            else:
                chain = None
            if not linked_behind:
                if self.defer or flags & IOSQE_IO_DRAIN:
                    self._schedule(req)
                else:
                    ready.append(req)
        self.submitted += n
        self._set_u32(SQ_HEAD, head + n)
        self._pump()
        return n

    def _prepare(self, req: IoRequest) -> int:
        """Check an entry and take its buffer; an errno if it cannot run."""
        if req.flags & ~IOSQE_KNOWN or not 0 <= req.op < len(OP_NAMES):
            return EINVAL
        if req.op in (OP_READ, OP_WRITE) and not req.flags & IOSQE_BUFFER_SELECT:
            try:
                ps = self.proc.mm.page_size
                whole = max(ps, -(-req.length // ps) * ps)  # the pages the request covers
                req.buffer = buffers.take(
                    self.proc.mm, req.addr, whole, req, write=req.op == OP_READ
                )
            except Error as err:
                return err.errno
        elif req.flags & IOSQE_BUFFER_SELECT and req.op != OP_READ:
            return EINVAL
        return 0

    def _schedule(self, req: IoRequest) -> None:
        """Start ``req`` now, or after a drain."""
        if self.defer or req.flags & IOSQE_IO_DRAIN:
            self.defer.append(req)
            self._undefer()
        else:
            self.ready.append(req)

    def _undefer(self) -> None:
        while self.defer and self.draining is None:
            req = self.defer[0]
            if req.flags & IOSQE_IO_DRAIN:
                if len(self.inflight) > len(self.defer):  # something before it runs
                    return
                self.draining = req
            self.defer.popleft()
            self.ready.append(req)

    def _pump(self) -> None:
        """Start what is ready, one at a time (a long chain never recurses deeply)."""
        if self.pumping:
            return
        self.pumping = True
        try:
            ready = self.ready
            while ready:
                self._start(ready.popleft())
        finally:
            self.pumping = False

    def _start(self, req: IoRequest) -> None:
        if req.state is DONE:
            return
        op = req.op
        if op == OP_NOP and not req.result:  # nothing to do: done at once
            req.state = DONE
            self._complete(req)
            return
        if req.result < 0:  # a linked entry that failed its checks
            err, req.result = -req.result, 0
            req.state = PENDING
            finish(self.k, req, -err)
            return
        if op == OP_CANCEL:
            req.state = PENDING
            finish(self.k, req, cancel_op(self, req))
            return
        if op == OP_PROVIDE_BUFFERS:
            finish(self.k, req, provide_buffers(self, req))
            return
        if op == OP_REMOVE_BUFFERS:
            finish(self.k, req, remove_buffers(self, req))
            return
        if req.flags & IOSQE_BUFFER_SELECT:
            group = self.groups.get(req.buf_group)
            if group is None or not group.free:
                finish(self.k, req, -ENOBUFS)
                return
            bid, buf = group.free.pop()
            buf.hand_to(req)
            req.buffer = buf
            req.length = min(req.length, buf.length) if req.length else buf.length
            req.cflags = CQE_F_BUFFER | bid << CQE_BUFFER_SHIFT
        start(self.k, req)

    # ------------------------------------------------------------------ completion
    def _complete(self, req: IoRequest) -> None:
        """A request ended: return its buffer, post its completion, go on with its
        chain, the drain, and the timeouts counting completions."""
        self.inflight.pop(req, None)
        if self.defer and req in self.defer:
            self.defer.remove(req)
        buf = req.buffer
        if buf is not None:
            req.buffer = None
            if req.cflags & CQE_F_BUFFER and req.result < 0:  # unused: back to its group
                group = self.groups.get(req.buf_group)
                if group is not None and not self.closed:
                    buf.hand_to(group)
                    group.free.append((req.cflags >> CQE_BUFFER_SHIFT, buf))
                else:
                    buf.give_back()
                req.cflags = 0
            else:
                buf.give_back()
        result = req.result
        if result == -ECANCELED:
            self.cancelled += 1
        self.completed += 1
        self.post(req.user_data, result, req.cflags)
        nxt = req.link
        if nxt is not None:
            req.link = None
            if result < 0 or self.closed:
                self._cancel_chain(nxt)
            else:
                self.ready.append(nxt)
        if self.timeouts:
            if req.op == OP_TIMEOUT:
                self.timeouts = [e for e in self.timeouts if e[0] is not req]
            else:
                for entry in list(self.timeouts):
                    entry[1] -= 1
                    if entry[1] <= 0:
                        self.timeouts.remove(entry)
                        finish(self.k, entry[0], 0)
        if req is self.draining:
            self.draining = None
        if self.defer:
            self._undefer()
        if self.ready and not self.pumping:
            self._pump()

    def _cancel_chain(self, req: IoRequest | None) -> None:
        """Complete the rest of a broken chain with ECANCELED (iteratively)."""
        while req is not None:
            nxt = req.link
            req.link = None
            if req.state is not DONE:
                req.state = PENDING
                finish(self.k, req, -ECANCELED)
            req = nxt

    def post(self, user_data: int, res: int, flags: int) -> None:
        """Post a completion, or keep it in the overflow list if the queue is full
        (after close, nobody reads the queue: the completion is only counted)."""
        if self.closed:
            return
        ready = (self.cq_tail - _U32.unpack_from(self.pages[0], CQ_HEAD)[0]) & U32
        if self.overflow or ready >= self.cq_entries:
            self.overflow.append((user_data, res, flags))
            self.overflowed += 1
            self._set_u32(CQ_OVERFLOW, self._u32(CQ_OVERFLOW) + 1)
            self._set_u32(SQ_FLAGS, self._u32(SQ_FLAGS) | SQ_CQ_OVERFLOW)
        else:
            self._write_cqe(user_data, res, flags)
            ready += 1
        if ready >= self.wait_for and self.cq_wait:
            self.k.wake_all(self.cq_wait)

    def _write_cqe(self, user_data: int, res: int, flags: int) -> None:
        tail = self.cq_tail
        pos = self.layout.cqes + (tail & (self.cq_entries - 1)) * CQE_SIZE
        ps = self.page_size
        CQE.pack_into(self.pages[pos // ps], pos % ps, user_data & U64, res, flags)
        self.cq_tail = tail = (tail + 1) & U32
        _U32.pack_into(self.pages[0], CQ_TAIL, tail)

    def flush_overflow(self) -> None:
        """Move overflowed completions into the queue as far as there is room."""
        overflow = self.overflow
        while overflow and self.cq_ready < self.cq_entries:
            self._write_cqe(*overflow.popleft())
        if not overflow:
            self._set_u32(SQ_FLAGS, self._u32(SQ_FLAGS) & ~SQ_CQ_OVERFLOW)

    def count_timeout(self, req: IoRequest) -> None:
        """A timeout that also ends after ``req.off`` other completions."""
        self.timeouts.append([req, req.off])

    # ------------------------------------------------------------------ the end
    def close(self) -> None:
        """The last descriptor went: cancel everything that can be; what is on a
        device completes, and every buffer is given back as it does."""
        if self.closed:
            return
        self.closed = True
        self.defer.clear()
        self.draining = None
        self.ready.clear()
        for req in list(self.inflight):
            if cancellable(req):
                cancel(self.k, req)
        for group in self.groups.values():
            for _, buf in group.free:
                buf.give_back()
            group.free.clear()
        self.k.wake_all(self.cq_wait)
        if self.poller is not None:
            from kernel.io.sqpoll import wake_sq_thread

            wake_sq_thread(self.k, self)

    # ------------------------------------------------------------------ /proc
    def fdinfo(self) -> str:
        """The lines /proc/<pid>/fdinfo/<fd> shows for the ring: Linux's io_uring
        fields, then libk's (requests in flight, owned buffers, counters)."""
        sq_head, sq_tail = self._u32(SQ_HEAD), self._u32(SQ_TAIL)
        cq_head = self._u32(CQ_HEAD)
        now = self.k.now()
        lines = [
            f"SqMask:\t{self.sq_entries - 1:#x}",
            f"SqHead:\t{sq_head}",
            f"SqTail:\t{sq_tail}",
            f"CachedSqHead:\t{sq_head}",
            f"CqMask:\t{self.cq_entries - 1:#x}",
            f"CqHead:\t{cq_head}",
            f"CqTail:\t{self.cq_tail}",
            f"CachedCqTail:\t{self.cq_tail}",
            f"SQEs:\t{(sq_tail - sq_head) & U32}",
            f"CQEs:\t{(self.cq_tail - cq_head) & U32}",
            f"SqThread:\t{self.poller.tid if self.poller is not None else -1}",
            f"SqThreadCpu:\t{self.poller.cpu if self.poller is not None else -1}",
            "UserFiles:\t0",
            "UserBufs:\t0",
            "PollList:",
            "CqOverflowList:",
        ]
        lines += [f"  user_data={u:#x}, res={r}, flags={f:#x}" for u, r, f in self.overflow]
        lines += [
            f"Entries:\t{self.sq_entries} {self.cq_entries}",
            f"Submitted:\t{self.submitted}",
            f"Completed:\t{self.completed}",
            f"Cancelled:\t{self.cancelled}",
            f"Overflowed:\t{self.overflowed}",
            f"InFlight:\t{len(self.inflight)}",
        ]
        for req in self.inflight:
            age = now - req.started_at if req.state not in (PENDING,) else 0
            buf = req.buffer
            where = f" buf={buf.addr:#x}+{buf.length}" if buf is not None else ""
            lines.append(
                f"  user_data={req.user_data:#x} op={req.name} fd={req.fd} "
                f"state={req.state} age_ns={age}{where}"
            )
        owned = sum(len(r.buffer.pages) for r in self.inflight if r.buffer is not None)
        lines.append(f"OwnedPages:\t{owned}")
        for bgid, group in sorted(self.groups.items()):
            sizes = {b.length for _, b in group.free}
            size = sizes.pop() if len(sizes) == 1 else 0
            lines.append(f"BufGroup:\t{bgid} free={len(group.free)} size={size}")
        return "".join(line + "\n" for line in lines)
