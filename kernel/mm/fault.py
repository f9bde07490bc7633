"""The page-fault handler: what happens when a load or store misses the MMU view.

``handle_fault`` is the trap a userland access takes (the MMU view calls it
synchronously): it maps the shared zero page for a read of untouched anonymous memory,
a fresh zeroed frame for a write, the file's frame for a file or shared mapping, a
private copy on the first store to a copy-on-write page, grows the stack, or, when the
access is not allowed, logs ``segfault at ADDR … error N`` as Linux does and raises
:class:`~kernel.abi.MemoryFault` (SIGSEGV, or SIGBUS past the end of a mapped file), which
ends the process. When no frame is free the OOM killer frees some (or chooses the
faulting process itself).

``fault_in`` is the same resolution for the kernel's own accesses to user memory (a
system call that takes an address, /proc/<pid>/mem): there a bad address is EFAULT.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

from kernel.abi import (
    BUS_ADRERR,
    EFAULT,
    PROT_WRITE,
    RLIMIT_AS,
    SEGV_ACCERR,
    SEGV_MAPERR,
    SIGBUS,
    SIGKILL,
    SIGSEGV,
    Error,
    MemoryFault,
)
from kernel.mm.vm import TASK_SIZE, Pte

if TYPE_CHECKING:
    from kernel.mm.frames import Page
    from kernel.mm.vm import AddressSpace, Area

STACK_GUARD_GAP = 256  # pages kept free below a growing stack (Linux's stack_guard_gap)
KERNEL_DIR = __file__.rsplit("/", 2)[0] + "/"


class Unresolved(Exception):  # noqa: N818 - a verdict, turned into a signal or EFAULT
    """The access is not allowed: the signal, its code, and Linux's error-code bits."""

    def __init__(self, sig: int, code: int, error: int) -> None:
        super().__init__(sig, code, error)
        self.sig = sig
        self.code = code
        self.error = error


class OutOfMemory(Exception):  # noqa: N818 - control flow to the OOM killer
    """No free frame for the fault."""


def _new_page(mm: AddressSpace) -> Page:
    page = mm.frames.alloc_page("anon")
    if page is None:
        raise OutOfMemory
    return page


def _grow_stack(mm: AddressSpace, addr: int) -> Area | None:
    """Extend a grows-down area to cover ``addr`` if the stack limit allows it."""
    i = mm.first_at_or_after(addr)
    if i >= len(mm.areas):
        return None
    area = mm.areas[i]
    if not area.growsdown or addr >= area.start:
        return None
    ps = mm.page_size
    new_start = addr & ~(ps - 1)
    limit = mm.stack_limit
    if area.end - new_start > limit:
        return None
    below = mm.areas[i - 1].end if i > 0 else 0
    if new_start - below < STACK_GUARD_GAP * ps:
        return None
    owner = mm.owner
    if owner is not None and mm.size + area.start - new_start > owner.rlimits[RLIMIT_AS][0]:
        return None
    if mm.k is not None and area.acct:
        try:
            mm.k.vm.commit((area.start - new_start) // ps)
        except Error:
            return None
    area.start = new_start
    mm.reindex()
    return area


def resolve(mm: AddressSpace, addr: int, write: bool) -> None:
    """Make the page at ``addr`` present (and writable, for ``write``), or say why not.

    Raises:
        Unresolved: the access is not allowed (SIGSEGV) or past a file's end (SIGBUS).
        OutOfMemory: no frame is free.
    """
    err = 4 | (2 if write else 0)  # user mode, write
    if not 0 <= addr < TASK_SIZE:
        raise Unresolved(SIGSEGV, SEGV_MAPERR, err)
    area = mm.find(addr)
    if area is None:
        area = _grow_stack(mm, addr)
        if area is None:
            raise Unresolved(SIGSEGV, SEGV_MAPERR, err)
    shift = mm.view.shift
    vpn = addr >> shift
    pte = mm.pt.get(vpn)
    prot = area.prot
    if mm.owned and vpn in mm.owned:
        if mm.k is not None:
            mm.k.log(f"io: {_who(mm)} touched {addr:#x}, owned by {mm.owned[vpn].describe()}")
        raise Unresolved(SIGSEGV, SEGV_ACCERR, err | 1)
    if not prot or (write and not prot & PROT_WRITE):
        raise Unresolved(SIGSEGV, SEGV_ACCERR, err | (1 if pte is not None else 0))
    events = mm.frames.events
    if pte is not None:
        if write and not pte.write:
            page = pte.page
            if area.shared:
                pte.write = True
            elif page.kind == "anon" and not page.cached and page.mapcount == 1:
                pte.write = True  # the only mapper of a private page: no copy needed
            else:
                new = _new_page(mm)
                if page is not mm.frames.zero_page:
                    new.data[:] = page.data
                events.cow_fault += 1
                mm.install(vpn, Pte(new, True, True, True), area)
                return
            pte.dirty = True
            page.dirty = True
        pte.accessed = True
        mm.sync(vpn, pte, area)
        return
    cache = area.cache
    if cache is None:  # private anonymous memory
        if write:
            mm.install(vpn, Pte(_new_page(mm), True, True, True), area)
        else:
            events.zero_page_map += 1
            mm.install(vpn, Pte(mm.frames.zero_page, False, True, False), area)
        return
    index = area.pgoff + ((vpn << shift) - area.start >> shift)
    if index >= -(-cache.size >> shift):
        raise Unresolved(SIGBUS, BUS_ADRERR, err)
    page = cache.get_page(index)
    if page is None:
        raise OutOfMemory
    if area.shared or not write:
        if write:
            page.dirty = True
        mm.install(vpn, Pte(page, write, True, write), area)
        return
    new = _new_page(mm)  # a private store to a file page: the process's own copy
    new.data[:] = page.data
    events.cow_fault += 1
    mm.install(vpn, Pte(new, True, True, True), area)


def _who(mm: AddressSpace) -> str:
    proc = mm.owner
    return f"{proc.comm}[{proc.pid}]" if proc is not None else "?"


def _count(mm: AddressSpace) -> None:
    mm.minflt += 1
    mm.frames.events.pgfault += 1


def handle_fault(mm: AddressSpace, addr: int, write: bool) -> None:
    """The trap of a userland access that missed the MMU view.

    Returns once the page is mapped; the view retries the access.

    Raises:
        MemoryFault: the access is not allowed, or the OOM killer chose this process.
    """
    view = mm.view
    k = mm.k
    if mm.mmio and write:
        device = mm.mmio.get(addr >> view.shift)
        if device is not None:  # a device register: the store goes to the device
            if k is not None:
                view.fault_ns += k.cost_transfer
            device.store(mm, addr >> view.shift)
            return
    _count(mm)
    if k is not None:
        view.fault_ns += k.cost_fault
    while True:
        try:
            resolve(mm, addr, write)
            return
        except OutOfMemory:
            victim = k.oom.out_of_memory(mm.owner) if k is not None else None
            if victim is None or victim is mm.owner:
                view.fatal = MemoryFault(SIGKILL, addr, 0, "Killed (out of memory)")
                raise view.fatal from None
        except Unresolved as u:
            fault = MemoryFault(u.sig, addr, u.code, _describe(mm, addr, u))
            view.fatal = fault
            raise fault from None


def _describe(mm: AddressSpace, addr: int, u: Unresolved) -> str:
    """Log the fault as Linux does and return the message of the MemoryFault."""
    proc = mm.owner
    comm, pid = (proc.comm, proc.pid) if proc is not None else ("?", 0)
    where = ""
    frame = sys._getframe(2)
    while frame is not None:
        name = frame.f_code.co_filename
        if not name.startswith(KERNEL_DIR):
            where = f" in {name.rsplit('/', 1)[-1]}:{frame.f_lineno}"
            break
        frame = frame.f_back
    k = mm.k
    if u.sig == SIGBUS:
        line = f"{comm}[{pid}]: bus error at {addr:x} (past the end of a mapped file){where}"
        msg = "Bus error"
    else:
        line = f"{comm}[{pid}]: segfault at {addr:x} error {u.error}{where}"
        msg = "Segmentation fault"
    if k is not None:
        cpu = k.cur_cpu.id if k.cur_cpu is not None else 0
        k.log(f"{line} likely on CPU {cpu}")
    return f"{msg} at {addr:#x}"


def fault_in(mm: AddressSpace, addr: int, write: bool) -> None:
    """Resolve a fault for the kernel's own access to user memory.

    Raises:
        Error: EFAULT for an address the process may not access that way, ENOMEM when
            no frame can be had.
    """
    _count(mm)
    k = mm.k
    while True:
        try:
            resolve(mm, addr, write)
            return
        except Unresolved:
            raise Error(EFAULT) from None
        except OutOfMemory:
            victim = k.oom.out_of_memory(mm.owner) if k is not None else None
            if victim is None:
                from kernel.abi import ENOMEM

                raise Error(ENOMEM) from None
            if victim is mm.owner:
                k.signals.send(victim, SIGKILL)
                raise Error(EFAULT) from None


def copy_from(mm: AddressSpace, addr: int, length: int) -> bytes:
    """Read user memory for the kernel (copy_from_user), faulting pages in.

    Raises:
        Error: EFAULT when part of the range is not readable.
    """
    rd = mm.rd
    shift = mm.view.shift
    ps = mm.page_size
    out = bytearray()
    while length > 0:
        vpn = addr >> shift
        page = rd.get(vpn)
        if page is None:
            fault_in(mm, addr, False)
            page = rd[vpn]
        off = addr & (ps - 1)
        take = min(length, ps - off)
        out += page[off : off + take]
        addr += take
        length -= take
    return bytes(out)


def copy_to(mm: AddressSpace, addr: int, data: bytes) -> None:
    """Write user memory for the kernel (copy_to_user), faulting pages in.

    Raises:
        Error: EFAULT when part of the range is not writable.
    """
    wr = mm.wr
    shift = mm.view.shift
    ps = mm.page_size
    pos = 0
    while pos < len(data):
        vpn = addr >> shift
        page = wr.get(vpn)
        if page is None:
            fault_in(mm, addr, True)
            page = wr[vpn]
        off = addr & (ps - 1)
        take = min(len(data) - pos, ps - off)
        page[off : off + take] = data[pos : pos + take]
        addr += take
        pos += take
