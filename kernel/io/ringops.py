"""What a completion ring does besides I/O: cancelling requests (OP_CANCEL) and
holding the buffers a process provides (OP_PROVIDE_BUFFERS, OP_REMOVE_BUFFERS) in
buffer groups a read with IOSQE_BUFFER_SELECT picks from (``kernel.io.ring``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from kernel.abi import (
    ASYNC_CANCEL_ALL,
    ASYNC_CANCEL_ANY,
    ASYNC_CANCEL_FD,
    EALREADY,
    EINVAL,
    ENOENT,
    OP_CANCEL,
    OP_TIMEOUT,
    Error,
)
from kernel.io import buffers
from kernel.io.request import DONE, IoRequest, cancel, cancellable

if TYPE_CHECKING:
    from kernel.io.buffers import OwnedBuffer
    from kernel.io.ring import Ring


class BufferGroup:
    """Buffers provided to a ring (OP_PROVIDE_BUFFERS) under one group id."""

    __slots__ = ("ring", "bgid", "free")

    def __init__(self, ring: Ring, bgid: int) -> None:
        self.ring = ring
        self.bgid = bgid
        self.free: list[tuple[int, OwnedBuffer]] = []  # (bid, buffer); the last goes first

    def describe(self) -> str:
        """For the fault log: whose buffer this is."""
        return f"{self.ring.describe()}, buffer group {self.bgid}"


def cancel_op(ring: Ring, creq: IoRequest) -> int:
    """OP_CANCEL: 0 (or how many, with ALL) if cancelled, else -ENOENT/-EALREADY."""
    how = creq.op_flags
    if how & ~(ASYNC_CANCEL_ALL | ASYNC_CANCEL_FD | ASYNC_CANCEL_ANY):
        return -EINVAL
    every = bool(how & (ASYNC_CANCEL_ALL | ASYNC_CANCEL_ANY))
    found = done = 0
    for req in list(ring.inflight):
        if req is creq or req.state is DONE:
            continue
        if how & ASYNC_CANCEL_ANY:
            pass
        elif how & ASYNC_CANCEL_FD:
            if req.fd != creq.fd or req.op in (OP_CANCEL, OP_TIMEOUT):
                continue
        elif req.user_data != creq.addr:
            continue
        found += 1
        if cancellable(req) and cancel(ring.k, req):
            done += 1
        if not every:
            break
    if done:
        return done if every else 0
    return -EALREADY if found else -ENOENT


def provide_buffers(ring: Ring, req: IoRequest) -> int:
    """OP_PROVIDE_BUFFERS: ``fd`` buffers of ``length`` bytes from ``addr``, ids from
    ``off``, into group ``buf_group``; returns how many."""
    nbufs, size = req.fd, req.length
    if nbufs <= 0 or nbufs > 1 << 15 or size <= 0 or req.off < 0:
        return -EINVAL
    group = ring.groups.get(req.buf_group)
    if group is None:
        group = ring.groups[req.buf_group] = BufferGroup(ring, req.buf_group)
    taken: list[tuple[int, OwnedBuffer]] = []
    try:
        for i in range(nbufs):
            buf = buffers.take(ring.proc.mm, req.addr + i * size, size, group, write=True)
            taken.append((req.off + i, buf))
    except Error as err:
        for _, buf in taken:
            buf.give_back()
        return -err.errno
    group.free.extend(reversed(taken))  # the lowest id is picked first
    return nbufs


def remove_buffers(ring: Ring, req: IoRequest) -> int:
    """OP_REMOVE_BUFFERS: give up to ``fd`` buffers of group ``buf_group`` back."""
    group = ring.groups.get(req.buf_group)
    if group is None or not group.free:
        return -ENOENT
    n = 0
    while group.free and n < req.fd:
        _, buf = group.free.pop()
        buf.give_back()
        n += 1
    return n
