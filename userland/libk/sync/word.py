"""The common ground of libk's sync objects: futex(2) from userland, and the base class
that knows where an object's words are and which kind of futex (shared or private) it
uses; FUTEX_WAKE_OP's operation encoding (``futex_op``), as <linux/futex.h> has it.
"""

from __future__ import annotations

from kernel.abi import (
    CLOCK_MONOTONIC,
    EAGAIN,
    EINVAL,
    ETIMEDOUT,
    FUTEX_BITSET_MATCH_ANY,
    FUTEX_PRIVATE_FLAG,
    FUTEX_WAIT,
    FUTEX_WAIT_BITSET,
    FUTEX_WAKE,
    MMU,
    Error,
)
from userland.libk import sys

# FUTEX_WAKE_OP's encoded operation, as <linux/futex.h> has it.
FUTEX_OP_SET = 0
FUTEX_OP_ADD = 1
FUTEX_OP_OR = 2
FUTEX_OP_ANDN = 3
FUTEX_OP_XOR = 4
FUTEX_OP_OPARG_SHIFT = 8
FUTEX_OP_CMP_EQ = 0
FUTEX_OP_CMP_NE = 1
FUTEX_OP_CMP_LT = 2
FUTEX_OP_CMP_LE = 3
FUTEX_OP_CMP_GT = 4
FUTEX_OP_CMP_GE = 5
INT_MAX = 0x7FFF_FFFF  # "every waiter", for futex's counts
U32 = 0xFFFF_FFFF


def futex_op(op: int, oparg: int, cmp: int, cmparg: int) -> int:
    """FUTEX_WAKE_OP's ``val3``, as C's ``FUTEX_OP()`` macro encodes it."""
    return ((op & 0xF) << 28) | ((cmp & 0xF) << 24) | ((oparg & 0xFFF) << 12) | (cmparg & 0xFFF)


class SyncWord:
    """Base of the primitives: where the state is and how to reach the futex."""

    __slots__ = ("mem", "addr", "shared", "_priv")
    SIZE = 4
    LAYOUT: tuple[tuple[int, str], ...] = ()

    def __init__(self, mem: MMU, addr: int, *, shared: bool = True) -> None:
        if not isinstance(addr, int) or addr <= 0:
            raise Error(EINVAL, f"{type(self).__name__}: {addr!r} is not an address")
        if addr % 4:
            raise Error(EINVAL, f"{type(self).__name__}: address {addr:#x} is not 4-byte aligned")
        self.mem = mem
        self.addr = addr
        self.shared = shared
        self._priv = 0 if shared else FUTEX_PRIVATE_FLAG

    def __repr__(self) -> str:
        return f"<{type(self).__name__} at {self.addr:#x}>"

    async def _wait(self, addr: int, val: int, deadline: int | None = None) -> bool:
        """Sleep while the word at ``addr`` is ``val``: False when the deadline passed.

        EAGAIN (the word already changed) is a normal return; EINTR and the rest raise.
        """
        try:
            if deadline is None:
                await sys.futex(addr, FUTEX_WAIT | self._priv, val)
            else:
                await sys.futex(
                    addr,
                    FUTEX_WAIT_BITSET | self._priv,
                    val,
                    deadline,
                    0,
                    FUTEX_BITSET_MATCH_ANY,
                )
        except Error as err:
            if err.errno == ETIMEDOUT:
                return False
            if err.errno != EAGAIN:
                raise
        return True

    async def _wake(self, addr: int, n: int = 1) -> int:
        return await sys.futex(addr, FUTEX_WAKE | self._priv, n)

    def _add(self, addr: int, delta: int) -> int:
        """Atomically add to a counter word; returns the new value."""
        return (self.mem.add32(addr, delta) + delta) & U32


async def deadline_of(timeout_ns: int | None) -> int | None:
    """The CLOCK_MONOTONIC time a relative timeout ends at (None: no timeout)."""
    if timeout_ns is None:
        return None
    if timeout_ns < 0:
        raise Error(EINVAL, "sync: a timeout cannot be negative")
    return await sys.clock_gettime(CLOCK_MONOTONIC) + timeout_ns
