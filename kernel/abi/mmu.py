"""The MMU view: a program's loads, stores and atomic operations on its memory.

A program reaches its memory through an :class:`MMU` (``await sys.mmu()`` returns the
calling process's). A load or store to a page that is present with the right
permission goes straight to the frame's bytes, as a CPU's would: the view looks the
page up in the address space's translation dicts (``rd`` for readable pages, ``wr`` for
writable ones, page number to the frame's ``bytearray``) without entering the kernel.
A miss is a page fault: the view calls the kernel's fault handler synchronously, which
maps a zero page, a file page or a fresh copy (copy-on-write) and returns, or raises
:class:`MemoryFault` (SIGSEGV, SIGBUS, or SIGKILL from the OOM killer), which ends the
process. Every access is counted in ``n`` (one per load or store, one per started
64-byte line of a bulk copy) and the kernel charges ``n`` times the image's
``memory_access`` cost to the running thread when it next enters the kernel.

Atomic operations (``cas32``, ``xchg32``, ``add32`` and their 64-bit forms) are what
locks and lock-free lists are built from. The kernel orders them in virtual time across
CPUs (``kernel.mm.atomic``): one that meets a word another CPU held at the same virtual
time waits for it, and one that takes a cache line from another CPU pays for the move.
"""

from __future__ import annotations

import struct
from collections.abc import Callable
from typing import Any

__all__ = [
    "MemoryFault",
    "MMU",
    "ATOMIC_CAS",
    "ATOMIC_XCHG",
    "ATOMIC_ADD",
    "AtomicOp",
    "atomic_result",
]

_U16 = struct.Struct("<H")
_U32 = struct.Struct("<I")
_U64 = struct.Struct("<Q")


class MemoryFault(BaseException):  # noqa: N818 - a trap, not an error a program handles
    """A page fault the kernel could not resolve: the process dies of ``signal``.

    A ``BaseException``, so a program's ``except Exception`` does not swallow it.

    Attributes:
        signal: SIGSEGV, SIGBUS, or SIGKILL (the OOM killer chose this process).
        addr: the faulting address.
        code: SEGV_MAPERR, SEGV_ACCERR or BUS_ADRERR (0 for SIGKILL).
    """

    def __init__(self, signal: int, addr: int, code: int, message: str) -> None:
        super().__init__(message)
        self.signal = signal
        self.addr = addr
        self.code = code


class MMU:
    """A process's view of its memory: loads and stores at virtual addresses.

    The kernel builds one per address space and shares its translation dicts with it;
    ``fault(addr, write)`` is the kernel's fault handler. Integers are little-endian
    and unsigned; stores keep the low bits of the value, as a C store would.
    """

    __slots__ = (
        "rd",
        "wr",
        "fault",
        "atomic",
        "n",
        "fault_ns",
        "stall",
        "fatal",
        "page_size",
        "shift",
        "mask",
    )

    def __init__(
        self,
        rd: dict[int, bytearray],
        wr: dict[int, bytearray],
        fault: Callable[[int, bool], None],
        page_size: int,
        atomic: AtomicOp | None = None,
    ) -> None:
        self.rd = rd
        self.wr = wr
        self.fault = fault
        self.atomic = atomic  # None: one CPU, host order is the only order
        self.n = 0  # accesses since the kernel last charged them
        self.fault_ns = 0  # fault handling and atomic stalls since then, in ns
        self.stall = 0  # ns the last atomic operation waited for another CPU
        self.fatal: MemoryFault | None = None
        self.page_size = page_size
        self.shift = page_size.bit_length() - 1
        self.mask = page_size - 1

    def __repr__(self) -> str:
        return f"<MMU {len(self.rd)} pages present, page size {self.page_size}>"

    # ------------------------------------------------------------------ scalars
    def load8(self, addr: int) -> int:
        """The byte at ``addr``."""
        self.n += 1
        try:
            return self.rd[addr >> self.shift][addr & self.mask]
        except KeyError:
            return self._read_slow(addr, 1)[0]

    def store8(self, addr: int, value: int) -> None:
        """Store the low 8 bits of ``value`` at ``addr``."""
        self.n += 1
        try:
            self.wr[addr >> self.shift][addr & self.mask] = value & 0xFF
        except KeyError:
            self._write_slow(addr, bytes((value & 0xFF,)))

    def load16(self, addr: int) -> int:
        """The 16-bit little-endian integer at ``addr``."""
        return self._load(addr, _U16, 2)

    def load32(self, addr: int) -> int:
        """The 32-bit little-endian integer at ``addr``."""
        return self._load(addr, _U32, 4)

    def load64(self, addr: int) -> int:
        """The 64-bit little-endian integer at ``addr``."""
        return self._load(addr, _U64, 8)

    def store16(self, addr: int, value: int) -> None:
        """Store the low 16 bits of ``value`` at ``addr``."""
        self._store(addr, _U16, 2, value & 0xFFFF)

    def store32(self, addr: int, value: int) -> None:
        """Store the low 32 bits of ``value`` at ``addr``."""
        self._store(addr, _U32, 4, value & 0xFFFF_FFFF)

    def store64(self, addr: int, value: int) -> None:
        """Store the low 64 bits of ``value`` at ``addr``."""
        self._store(addr, _U64, 8, value & 0xFFFF_FFFF_FFFF_FFFF)

    def _load(self, addr: int, st: struct.Struct, size: int) -> int:
        self.n += 1
        off = addr & self.mask
        if off + size <= self.page_size:
            try:
                return st.unpack_from(self.rd[addr >> self.shift], off)[0]
            except KeyError:
                pass
        return st.unpack(self._read_slow(addr, size))[0]

    def _store(self, addr: int, st: struct.Struct, size: int, value: int) -> None:
        self.n += 1
        off = addr & self.mask
        if off + size <= self.page_size:
            try:
                st.pack_into(self.wr[addr >> self.shift], off, value)
                return
            except KeyError:
                pass
        self._write_slow(addr, st.pack(value))

    # ------------------------------------------------------------------ atomics
    def cas32(self, addr: int, expected: int, new: int, *, wait: bool = True) -> int:
        """Compare-and-swap the 32-bit word at ``addr``: store ``new`` if it holds
        ``expected``. Returns the value it held (``== expected``: the swap happened).

        With ``wait`` (the default) a word another CPU held at this virtual time is
        waited for, as a spinning CPU would (``stall`` says how long); without it, the
        operation fails instead (a trylock).
        """
        if self.atomic is not None:
            return self.atomic(addr, ATOMIC_CAS, expected & _M32, new & _M32, 4, wait)
        old = self.load32(addr)
        if old == expected & _M32:
            self.n -= 1  # a read-modify-write is one access
            self.store32(addr, new)
        return old

    def xchg32(self, addr: int, new: int) -> int:
        """Atomically store ``new`` in the 32-bit word at ``addr``; returns the old value."""
        if self.atomic is not None:
            return self.atomic(addr, ATOMIC_XCHG, new & _M32, 0, 4, True)
        old = self.load32(addr)
        self.n -= 1
        self.store32(addr, new)
        return old

    def add32(self, addr: int, delta: int) -> int:
        """Atomically add ``delta`` to the 32-bit word at ``addr`` (wrapping); returns the
        old value."""
        if self.atomic is not None:
            return self.atomic(addr, ATOMIC_ADD, delta & _M32, 0, 4, True)
        old = self.load32(addr)
        self.n -= 1
        self.store32(addr, old + delta)
        return old

    def cas64(self, addr: int, expected: int, new: int, *, wait: bool = True) -> int:
        """:meth:`cas32` on a 64-bit word."""
        if self.atomic is not None:
            return self.atomic(addr, ATOMIC_CAS, expected & _M64, new & _M64, 8, wait)
        old = self.load64(addr)
        if old == expected & _M64:
            self.n -= 1
            self.store64(addr, new)
        return old

    def xchg64(self, addr: int, new: int) -> int:
        """:meth:`xchg32` on a 64-bit word."""
        if self.atomic is not None:
            return self.atomic(addr, ATOMIC_XCHG, new & _M64, 0, 8, True)
        old = self.load64(addr)
        self.n -= 1
        self.store64(addr, new)
        return old

    def add64(self, addr: int, delta: int) -> int:
        """:meth:`add32` on a 64-bit word."""
        if self.atomic is not None:
            return self.atomic(addr, ATOMIC_ADD, delta & _M64, 0, 8, True)
        old = self.load64(addr)
        self.n -= 1
        self.store64(addr, old + delta)
        return old

    # ------------------------------------------------------------------ structures
    def unpack(self, addr: int, st: struct.Struct) -> tuple[Any, ...]:
        """Read a structure laid out as ``st`` (one of the ABI's layouts) at ``addr``."""
        return st.unpack(self.read(addr, st.size))

    def pack(self, addr: int, st: struct.Struct, *values: Any) -> None:
        """Write ``values`` laid out as ``st`` at ``addr``."""
        self.write(addr, st.pack(*values))

    # ------------------------------------------------------------------ ranges
    def read(self, addr: int, length: int) -> bytes:
        """``length`` bytes from ``addr``."""
        if length <= 0:
            if length < 0:
                raise ValueError("negative length")
            return b""
        self.n += 1 + (length >> 6)
        off = addr & self.mask
        if off + length <= self.page_size:
            page = self.rd.get(addr >> self.shift)
            if page is not None:
                return bytes(page[off : off + length])
        return self._read_slow(addr, length)

    def write(self, addr: int, data: bytes | bytearray | memoryview) -> None:
        """Store ``data`` at ``addr``."""
        length = len(data)
        if not length:
            return
        self.n += 1 + (length >> 6)
        off = addr & self.mask
        if off + length <= self.page_size:
            page = self.wr.get(addr >> self.shift)
            if page is not None:
                page[off : off + length] = data
                return
        self._write_slow(addr, data)

    def fill(self, addr: int, byte: int, length: int) -> None:
        """Set ``length`` bytes from ``addr`` to ``byte`` (memset)."""
        if length < 0:
            raise ValueError("negative length")
        self.write(addr, bytes((byte & 0xFF,)) * length)

    def copy(self, dst: int, src: int, length: int) -> None:
        """Copy ``length`` bytes from ``src`` to ``dst``; the ranges may overlap (memmove)."""
        if length < 0:
            raise ValueError("negative length")
        self.write(dst, self.read(src, length))

    # ------------------------------------------------------------------ the slow paths
    def _read_slow(self, addr: int, length: int) -> bytes:
        """Read across pages, taking a fault for each page not present."""
        rd = self.rd
        shift = self.shift
        mask = self.mask
        ps = self.page_size
        out = bytearray()
        while length > 0:
            vpn = addr >> shift
            page = rd.get(vpn)
            if page is None:
                self.fault(addr, False)
                page = rd[vpn]
            off = addr & mask
            take = min(length, ps - off)
            out += page[off : off + take]
            addr += take
            length -= take
        return bytes(out)

    @staticmethod
    def make(
        rd: dict[int, bytearray],
        wr: dict[int, bytearray],
        fault: Callable[[int, bool], None],
        page_size: int,
        atomic: AtomicOp | None = None,
    ) -> MMU:
        """A view for ``page_size`` pages whose scalar loads and stores have the page
        geometry built in (a few nanoseconds less per access than reading it from the
        instance: this is the hottest code of the machine)."""
        cls = _SPECIALISED.get(page_size)
        if cls is None:
            cls = _SPECIALISED[page_size] = _specialise(page_size)
        return cls(rd, wr, fault, page_size, atomic)

    def _write_slow(self, addr: int, data: bytes | bytearray | memoryview) -> None:
        """Write across pages, taking a fault for each page not writable."""
        wr = self.wr
        shift = self.shift
        mask = self.mask
        ps = self.page_size
        view = memoryview(data).cast("B")
        pos = 0
        length = len(view)
        while pos < length:
            vpn = addr >> shift
            page = wr.get(vpn)
            if page is None:
                self.fault(addr, True)
                page = wr[vpn]
            off = addr & mask
            take = min(length - pos, ps - off)
            page[off : off + take] = view[pos : pos + take]
            addr += take
            pos += take


ATOMIC_CAS = 0
ATOMIC_XCHG = 1
ATOMIC_ADD = 2
_M32 = 0xFFFF_FFFF
_M64 = 0xFFFF_FFFF_FFFF_FFFF

# addr, op (ATOMIC_*), operand, second operand (CAS's new value), size, wait -> old value
AtomicOp = Callable[[int, int, int, int, int, bool], int]


def atomic_result(op: int, old: int, a: int, b: int, mask: int) -> int | None:
    """The value an atomic operation stores over ``old`` (None: a failed CAS stores
    nothing)."""
    if op == ATOMIC_CAS:
        return b if old == a else None
    if op == ATOMIC_XCHG:
        return a
    return (old + a) & mask


_SPECIALISED: dict[int, type[MMU]] = {}


def _specialise(page_size: int) -> type[MMU]:
    """An MMU subclass whose scalar accesses use ``page_size``'s shift and mask as
    constants (closure cells) instead of instance attributes."""
    shift = page_size.bit_length() - 1
    mask = page_size - 1
    last4 = page_size - 4  # the last offsets a 32- and a 64-bit word fit in one page at
    last8 = page_size - 8
    u32_from, u32_into = _U32.unpack_from, _U32.pack_into
    u64_from, u64_into = _U64.unpack_from, _U64.pack_into

    class FixedMMU(MMU):
        __slots__ = ()

        def load8(self, addr: int) -> int:
            self.n += 1
            try:
                return self.rd[addr >> shift][addr & mask]
            except KeyError:
                return self._read_slow(addr, 1)[0]

        def store8(self, addr: int, value: int) -> None:
            self.n += 1
            try:
                self.wr[addr >> shift][addr & mask] = value & 0xFF
            except KeyError:
                self._write_slow(addr, bytes((value & 0xFF,)))

        def _load(self, addr: int, st: struct.Struct, size: int) -> int:
            self.n += 1
            off = addr & mask
            if off + size <= page_size:
                try:
                    return st.unpack_from(self.rd[addr >> shift], off)[0]
                except KeyError:
                    pass
            return st.unpack(self._read_slow(addr, size))[0]

        def _store(self, addr: int, st: struct.Struct, size: int, value: int) -> None:
            self.n += 1
            off = addr & mask
            if off + size <= page_size:
                try:
                    st.pack_into(self.wr[addr >> shift], off, value)
                    return
                except KeyError:
                    pass
            self._write_slow(addr, st.pack(value))

        def load32(self, addr: int) -> int:
            self.n += 1
            off = addr & mask
            if off <= last4:
                try:
                    return u32_from(self.rd[addr >> shift], off)[0]
                except KeyError:
                    pass
            return _U32.unpack(self._read_slow(addr, 4))[0]

        def load64(self, addr: int) -> int:
            self.n += 1
            off = addr & mask
            if off <= last8:
                try:
                    return u64_from(self.rd[addr >> shift], off)[0]
                except KeyError:
                    pass
            return _U64.unpack(self._read_slow(addr, 8))[0]

        def store32(self, addr: int, value: int) -> None:
            self.n += 1
            off = addr & mask
            if off <= last4:
                try:
                    u32_into(self.wr[addr >> shift], off, value & _M32)
                    return
                except KeyError:
                    pass
            self._write_slow(addr, _U32.pack(value & _M32))

        def store64(self, addr: int, value: int) -> None:
            self.n += 1
            off = addr & mask
            if off <= last8:
                try:
                    u64_into(self.wr[addr >> shift], off, value & _M64)
                    return
                except KeyError:
                    pass
            self._write_slow(addr, _U64.pack(value & _M64))

        def cas32(self, addr: int, expected: int, new: int, *, wait: bool = True) -> int:
            if self.atomic is None:  # one CPU: a read-modify-write of the page, inline
                off = addr & mask
                page = self.wr.get(addr >> shift) if off <= last4 else None
                if page is not None:
                    self.n += 1
                    old = u32_from(page, off)[0]
                    if old == expected:
                        u32_into(page, off, new & _M32)
                    return old
            return MMU.cas32(self, addr, expected, new, wait=wait)

        def xchg32(self, addr: int, new: int) -> int:
            if self.atomic is None:
                off = addr & mask
                page = self.wr.get(addr >> shift) if off <= last4 else None
                if page is not None:
                    self.n += 1
                    old = u32_from(page, off)[0]
                    u32_into(page, off, new & _M32)
                    return old
            return MMU.xchg32(self, addr, new)

        def unpack(self, addr: int, st: struct.Struct) -> tuple[Any, ...]:
            off = addr & mask
            if off + st.size <= page_size:
                page = self.rd.get(addr >> shift)
                if page is not None:
                    self.n += 1 + (st.size >> 6)
                    return st.unpack_from(page, off)
            return st.unpack(self.read(addr, st.size))

        def pack(self, addr: int, st: struct.Struct, *values: Any) -> None:
            off = addr & mask
            if off + st.size <= page_size:
                page = self.wr.get(addr >> shift)
                if page is not None:
                    self.n += 1 + (st.size >> 6)
                    st.pack_into(page, off, *values)
                    return
            self.write(addr, st.pack(*values))

    FixedMMU.__name__ = FixedMMU.__qualname__ = "MMU"
    return FixedMMU
