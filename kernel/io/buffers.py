"""Owned buffers: the pages a ring holds while a request uses them.

Handing a buffer to a ring moves it: :func:`take` faults the buffer's pages in, pins
their frames (``Page.pins``: they are not freed even if the process unmaps them) and
takes them out of the process's MMU view (``AddressSpace.owned``), so a load or store
there is SIGSEGV and the kernel log names the owner. The kernel reads and writes the
frames directly, as a device's DMA would. :meth:`OwnedBuffer.give_back` returns the
pages: those the process still maps become accessible again, and every pin is dropped
(a frame nothing maps any more is freed then, not before).

Buffers are whole pages (a page-aligned address and length), so ownership never cuts
through data the process still uses.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from kernel.abi import EFAULT, EINVAL, Error
from kernel.mm.fault import fault_in

if TYPE_CHECKING:
    from kernel.mm.frames import Page
    from kernel.mm.vm import AddressSpace


@dataclass(slots=True, eq=False)
class OwnedBuffer:
    """A buffer a ring owns: its address and length in the process, and its frames.

    Attributes:
        mm: the address space it was taken from.
        addr, length: where it is there.
        pages: its frames, in order (pinned).
        vpns: the virtual pages they are at (mremap moves them: ``moved``).
        owner: what owns it now (a request or a buffer group; ``describe()`` says
            which, for the fault log and /proc).
    """

    mm: AddressSpace
    addr: int
    length: int
    pages: list[Page]
    owner: Any
    vpns: list[int]

    def describe(self) -> str:
        """What owns it, for the kernel log."""
        return self.owner.describe()

    def read(self, length: int) -> bytes:
        """The first ``length`` bytes (a write request's data)."""
        out = bytearray()
        for page in self.pages:
            if len(out) >= length:
                break
            out += page.data
        return bytes(out[:length])

    def fill(self, data: bytes) -> None:
        """Store ``data`` at the start of the buffer (a read request's result)."""
        pos = 0
        n = len(data)
        for page in self.pages:
            if pos >= n:
                break
            take = min(len(page.data), n - pos)
            page.data[:take] = data[pos : pos + take]
            page.dirty = True
            pos += take

    def hand_to(self, owner: Any) -> None:
        """A new owner (a group's buffer picked by a request) for the same pages."""
        self.owner = owner
        owned = self.mm.owned
        for vpn in self.vpns:
            if vpn in owned:
                owned[vpn] = self

    def moved(self, old: int, new: int) -> None:
        """mremap moved the page at ``old`` to ``new`` (it stays owned there)."""
        self.vpns[self.vpns.index(old)] = new

    def give_back(self) -> None:
        """Return the pages to the process and unpin the frames."""
        mm = self.mm
        shift = mm.view.shift
        for vpn, page in zip(self.vpns, self.pages, strict=True):
            if mm.owned.get(vpn) is self:
                del mm.owned[vpn]
                pte = mm.pt.get(vpn)
                area = mm.find(vpn << shift)
                if pte is not None and area is not None:
                    mm.sync(vpn, pte, area)
            page.pins -= 1
            if (
                page.pins == 0
                and page.mapcount == 0
                and not page.cached
                and page is not mm.frames.zero_page
            ):
                mm.frames.free_page(page)
        self.pages = []


def take(mm: AddressSpace, addr: int, length: int, owner: Any, *, write: bool) -> OwnedBuffer:
    """Move [addr, addr+length) from the process to ``owner``.

    Args:
        mm: the process's address space.
        addr, length: the buffer; both page-aligned, length > 0.
        owner: what will own it (has ``describe()``).
        write: the kernel will store into it (a read request): its pages must be
            writable by the process (copy-on-write is broken now).

    Raises:
        Error: EINVAL for a buffer that is not whole pages, EFAULT for one the process
            cannot access that way or that a ring already owns (no page is taken then).
    """
    ps = mm.page_size
    if length <= 0 or addr % ps or length % ps:
        raise Error(EINVAL)
    shift = mm.view.shift
    first = addr >> shift
    count = length >> shift
    owned = mm.owned
    if any(first + i in owned for i in range(count)):
        raise Error(EFAULT)
    pages: list[Page] = []
    for i in range(count):
        vpn = first + i
        if vpn not in (mm.wr if write else mm.rd):
            fault_in(mm, vpn << shift, write)
        pages.append(mm.pt[vpn].page)
    buf = OwnedBuffer(mm, addr, length, pages, owner, list(range(first, first + count)))
    for i, page in enumerate(pages):
        page.pins += 1
        vpn = first + i
        owned[vpn] = buf
        mm.rd.pop(vpn, None)
        mm.wr.pop(vpn, None)
    return buf
