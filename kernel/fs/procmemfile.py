"""/proc/<pid>/mem: a process's address space as a file, read and written at offsets
that are addresses (ptrace's access rules; FOLL_FORCE for pages the process may not
touch itself; the front end's reads never fault a page in).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from kernel.abi import EACCES, EFAULT, EIO, PROT_WRITE, S_IFREG, Error
from kernel.fs.procmem import may_access
from kernel.fs.vfs import Inode
from kernel.mm.fault import copy_from, copy_to
from kernel.mm.vm import Pte
from kernel.proc import ALIVE

if TYPE_CHECKING:
    from kernel.fs.file import File
    from kernel.mm.vm import AddressSpace
    from kernel.proc import Process


def _forced_read(mm: AddressSpace, addr: int, take: int, *, any_prot: bool = False) -> bytes | None:
    """Read a PROT_NONE page as ptrace's FOLL_FORCE may (any page with ``any_prot``),
    without faulting anything in; None when nothing is there."""
    area = mm.find(addr)
    if area is None or (area.prot and not any_prot):
        return None
    shift = mm.view.shift
    off = addr & (mm.page_size - 1)
    pte = mm.pt.get(addr >> shift)
    if pte is not None:
        return bytes(pte.page.data[off : off + take])
    cache = area.cache
    if cache is None:
        return bytes(take)
    index = area.pgoff + ((addr - area.start) >> shift)
    if index >= -(-cache.size >> shift):
        return None
    page = cache.pages.get(index)
    return bytes(page.data[off : off + take]) if page is not None else bytes(take)


def _forced_write(mm: AddressSpace, addr: int, chunk: bytes) -> bool:
    """Write to a private mapping the process may not write, as ptrace's FOLL_FORCE
    does (a breakpoint in a program's text): the page is copied first, so the file and
    other mappers never see it. Shared read-only mappings stay unwritable."""
    area = mm.find(addr)
    if area is None or area.shared or area.prot & PROT_WRITE:
        return False
    shift = mm.view.shift
    vpn = addr >> shift
    frames = mm.frames
    pte = mm.pt.get(vpn)
    page = pte.page if pte is not None else None
    if pte is None or page is None or page.kind != "anon" or page.cached or page.mapcount != 1:
        src = page.data if page is not None else None
        if page is None and area.cache is not None:
            index = area.pgoff + ((addr - area.start) >> shift)
            if index >= -(-area.cache.size >> shift):
                return False
            cached = area.cache.pages.get(index)
            src = cached.data if cached is not None else None
        new = frames.alloc_page("anon")
        if new is None:
            return False
        if src is not None:
            new.data[:] = src
        if page is not None:
            frames.events.cow_fault += 1
        pte = Pte(new, False, True, True)
        mm.install(vpn, pte, area)
        page = new
    off = addr & (mm.page_size - 1)
    page.data[off : off + len(chunk)] = chunk
    pte.dirty = page.dirty = True
    return True


def mem_read(mm: AddressSpace, addr: int, count: int, *, observe: bool = False) -> bytes:
    """Up to ``count`` bytes of the address space at ``addr``; a read that runs into an
    unmapped page stops before it. With ``observe`` (the front end looking on) pages
    that are not present read as what they would hold, without being faulted in, so
    looking changes nothing in the machine.

    Raises:
        Error: EIO when the first byte cannot be read.
    """
    ps = mm.page_size
    out = bytearray()
    while count > 0:
        take = min(count, ps - (addr & (ps - 1)))
        if observe:
            chunk: bytes | None = _forced_read(mm, addr, take, any_prot=True)
        else:
            try:
                chunk = copy_from(mm, addr, take)
            except Error as err:
                chunk = _forced_read(mm, addr, take) if err.errno == EFAULT else None
        if chunk is None:
            break
        out += chunk
        addr += take
        count -= take
    if count and not out:
        raise Error(EIO)
    return bytes(out)


def mem_write(mm: AddressSpace, addr: int, data: bytes) -> int:
    """Store ``data`` at ``addr``; returns the bytes written (a write that runs into an
    unmapped page stops before it).

    Raises:
        Error: EIO when the first byte cannot be written.
    """
    ps = mm.page_size
    done = 0
    while done < len(data):
        take = min(len(data) - done, ps - (addr & (ps - 1)))
        chunk = bytes(data[done : done + take])
        try:
            copy_to(mm, addr, chunk)
        except Error as err:
            if err.errno != EFAULT or not _forced_write(mm, addr, chunk):
                break
        done += take
        addr += take
    if data and not done:
        raise Error(EIO)
    return done


class ProcMemFile(Inode):
    """/proc/<pid>/mem: the process's memory, at file offsets equal to addresses.

    Opening it takes the ptrace check (the same user, or root); a process that has
    ended reads as empty.
    """

    __slots__ = ("proc",)

    def __init__(self, fs: Any, proc: Process) -> None:
        super().__init__(fs, S_IFREG | 0o600, proc.cred.euid, proc.cred.egid)
        self.proc = proc

    def open(self, t: Any, f: File) -> None:
        if t is not None and not may_access(t.proc.cred, self.proc):
            raise Error(EACCES)
        f.private = self.proc.mm

    def _mm(self, f: File) -> AddressSpace | None:
        return f.private if self.proc.state == ALIVE else None

    def read(self, t: Any, f: File, count: int) -> bytes:
        mm = self._mm(f)
        if mm is None or count <= 0:
            return b""
        data = mem_read(mm, f.pos, count, observe=t is None or getattr(t, "observer", False))
        f.pos += len(data)
        return data

    def write(self, t: Any, f: File, data: bytes) -> int:
        mm = self._mm(f)
        if mm is None:
            return 0
        n = mem_write(mm, f.pos, data)
        f.pos += n
        return n

    def truncate(self, length: int) -> None:
        pass  # O_TRUNC on /proc/<pid>/mem changes nothing, as on Linux


# ---------------------------------------------------------------------- the generators
