"""A block device's own queue, driven by the process that claimed it (level 4 of the
I/O API: an integrated driver; the layout is ``kernel.abi.io``'s DQ_*).

The queue is two pages the driver maps from the device node: the doorbell page and the
queue page. The doorbell page is mapped readable but never writable in the MMU view
(``AddressSpace.mmio``), so the driver's store to it traps — not into a system call but
into the device, as an uncached write to a device register would: the store lands,
the page becomes writable for the rest of that moment (further stores combine), and the
device looks at the doorbell when virtual time moves on, then re-arms the trap. The
device takes the submission entries up to the tail, runs them on the block device
(same latency model, channels and depth as every other request), moves data through
the driver's page table when each completes, and posts completion entries that the
driver polls with loads. In steady state no system call is made per I/O.
"""

from __future__ import annotations

import struct
from collections import deque
from typing import TYPE_CHECKING, Any

from kernel.abi import (
    DB_SQ_TAIL,
    DQ_CQ_HEAD,
    DQ_CQ_TAIL,
    DQ_CQE,
    DQ_CQES,
    DQ_ENTRIES,
    DQ_OP_FLUSH,
    DQ_OP_READ,
    DQ_OP_WRITE,
    DQ_SIZE,
    DQ_SQ_HEAD,
    DQ_SQE,
    DQ_SQES,
    EINVAL,
    Error,
)
from kernel.dev.block import FLUSH, READ, WRITE, BlkRequest
from kernel.mm.pagecache import PageCache

if TYPE_CHECKING:
    from kernel.dev.block import BlockDevice
    from kernel.mm.vm import AddressSpace

_U32 = struct.Struct("<I")
_U64 = struct.Struct("<Q")
_OPS = {DQ_OP_READ: READ, DQ_OP_WRITE: WRITE, DQ_OP_FLUSH: FLUSH}


class DeviceQueue:
    """The mapped queue of a claimed block device."""

    def __init__(self, dev: BlockDevice, proc: Any) -> None:
        self.dev = dev
        self.proc = proc
        k = dev.k
        self.cache = PageCache(k.frames, "kernel")
        ps = k.frames.page_size
        if DQ_CQES + DQ_ENTRIES * DQ_CQE.size > ps:
            raise Error(EINVAL)  # pages too small for the queue
        self.cache.size = 2 * ps
        pages = [self.cache.get_page(i) for i in range(2)]
        if None in pages:
            self.cache.release()
            from kernel.abi import ENOMEM

            raise Error(ENOMEM)
        self.bell = pages[0].data  # type: ignore[union-attr]
        self.q = pages[1].data  # type: ignore[union-attr]
        _U64.pack_into(self.q, DQ_SIZE, dev.size)
        self.sq_head = 0
        self.cq_tail = 0
        self.backlog: deque[tuple[int, int]] = deque()  # completions the full CQ refused
        self.armed: set[tuple[AddressSpace, int]] = set()  # doorbell pages mapped, by mm
        self.looking = False  # the device will look at the doorbell soon
        self.inflight = 0
        self.rings = 0  # doorbell traps taken
        self.closed = False

    # ------------------------------------------------------------------ mapping
    def mapped(self, mm: AddressSpace, start: int, pgoff: int, pages: int) -> None:
        """The driver mapped ``pages`` pages of the queue at ``start`` (file page
        ``pgoff``): make the doorbell page trap stores."""
        if pgoff == 0 and pages > 0:
            vpn = start >> mm.view.shift
            mm.mmio[vpn] = self
            mm.wr.pop(vpn, None)
            self.armed.add((mm, vpn))

    def store(self, mm: AddressSpace, vpn: int) -> None:
        """A store hit the doorbell page: let it land and look at the doorbell."""
        from kernel.mm.fault import resolve

        self.rings += 1
        resolve(mm, vpn << mm.view.shift, True)
        mm.wr[vpn] = self.bell  # this moment's stores go straight to the register
        if not self.looking:
            self.looking = True
            k = self.dev.k
            k.add_timer(k.now(), self._look)

    def _look(self, now: int) -> None:
        self.looking = False
        for mm, vpn in list(self.armed):  # the next store traps again
            if mm.mmio.get(vpn) is self:
                mm.wr.pop(vpn, None)
            else:
                self.armed.discard((mm, vpn))
        if self.closed:
            return
        tail = _U32.unpack_from(self.bell, DB_SQ_TAIL)[0]
        mask = DQ_ENTRIES - 1
        while self.sq_head != tail:
            op, _flags, tag, length, pos, addr = DQ_SQE.unpack_from(
                self.q, DQ_SQES + (self.sq_head & mask) * DQ_SQE.size
            )
            self.sq_head = (self.sq_head + 1) & 0xFFFF_FFFF
            self._issue(op, tag, length, pos, addr)
        _U32.pack_into(self.q, DQ_SQ_HEAD, self.sq_head)
        if self.backlog:
            self._drain()

    def _issue(self, op: int, tag: int, length: int, pos: int, addr: int) -> None:
        from kernel.mm.fault import copy_from, copy_to

        kind = _OPS.get(op)
        mm = self.proc.mm
        if kind is None or (kind != FLUSH and not 0 <= pos <= self.dev.size):
            self._post(tag, -EINVAL)
            return
        data = b""
        if kind == WRITE:
            try:
                data = copy_from(mm, addr, length)  # the device reads the buffer (DMA)
            except Error as err:
                self._post(tag, -err.errno)
                return

        def done(req: BlkRequest) -> None:
            self.inflight -= 1
            status = req.result
            if kind == READ and status > 0 and not self.closed:
                try:
                    copy_to(mm, addr, req.data)  # the device writes the buffer (DMA)
                except Error as err:
                    status = -err.errno
            self._post(tag, status)

        self.inflight += 1
        self.dev.submit(BlkRequest(kind, pos, length, data, done, owner=self))

    def _post(self, tag: int, status: int) -> None:
        if self.closed:
            return
        self.backlog.append((tag, status))
        self._drain()

    def _drain(self) -> None:
        """Post the completions waiting for room in the completion queue."""
        q = self.q
        head = _U32.unpack_from(q, DQ_CQ_HEAD)[0]
        while self.backlog and (self.cq_tail - head) & 0xFFFF_FFFF < DQ_ENTRIES:
            tag, status = self.backlog.popleft()
            DQ_CQE.pack_into(
                q, DQ_CQES + (self.cq_tail & (DQ_ENTRIES - 1)) * DQ_CQE.size, tag, status
            )
            self.cq_tail = (self.cq_tail + 1) & 0xFFFF_FFFF
        _U32.pack_into(q, DQ_CQ_TAIL, self.cq_tail)

    def close(self) -> None:
        """The claim ended: no more completions are posted; the mapping stays valid
        until it is unmapped (requests on the device finish into the void)."""
        self.closed = True
        for mm, vpn in self.armed:
            if mm.mmio.get(vpn) is self:
                del mm.mmio[vpn]
        self.armed.clear()

    def describe(self) -> str:
        """For the fault log."""
        return f"the queue of {self.dev.name}"
