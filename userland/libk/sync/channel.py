"""Channel: a bounded queue of byte messages between threads (or processes), on futexes.

The way to tell a thread to stop besides its exit-request flag: send it a message, or
close its channel.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

from kernel.abi import EINVAL, EPIPE, Error
from userland.libk.sync.word import INT_MAX, U32, SyncWord


class Channel(SyncWord):
    """A bounded queue of byte messages (a FIFO of ``capacity`` slots).

    ``send`` blocks while it is full, ``recv`` while it is empty. ``close`` ends it:
    sends fail with EPIPE, receivers get what is left and then ``None``, so ``async for
    msg in channel`` ends. To tell a thread that serves a channel to stop, send it a
    message meaning "stop" or close its channel: it leaves on its own.

    Layout: a 32-byte header (see ``LAYOUT``; ``head`` counts messages taken and
    ``tail`` messages put, both modulo 2**32), then ``capacity`` slots of a 32-bit
    length and ``msg_size`` bytes (rounded up to 4).
    """

    __slots__ = ()
    HEADER = 32
    LAYOUT = (
        (0, "closed"),
        (4, "head"),
        (8, "tail"),
        (12, "capacity"),
        (16, "msg_size"),
        (20, "receivers_waiting"),
        (24, "senders_waiting"),
    )

    @staticmethod
    def size(capacity: int, msg_size: int = 64) -> int:
        """Bytes a channel of ``capacity`` messages of up to ``msg_size`` bytes takes."""
        return Channel.HEADER + capacity * (4 + (msg_size + 3) // 4 * 4)

    def init(self, capacity: int, msg_size: int = 64) -> Channel:
        """Make it empty and open, with room for ``capacity`` messages.

        Raises:
            Error: EINVAL for a capacity or message size below 1.
        """
        if capacity < 1 or msg_size < 1 or capacity > U32 or msg_size > U32:
            raise Error(EINVAL, "Channel: capacity and message size must be at least 1")
        mem, a = self.mem, self.addr
        for off, _ in self.LAYOUT:
            mem.store32(a + off, 0)
        mem.store32(a + 12, capacity)
        mem.store32(a + 16, msg_size)
        return self

    @property
    def capacity(self) -> int:
        """How many messages it holds at most."""
        return self.mem.load32(self.addr + 12)

    @property
    def closed(self) -> bool:
        """close() was called."""
        return bool(self.mem.load32(self.addr))

    def __len__(self) -> int:
        """Messages waiting to be received."""
        return (self.mem.load32(self.addr + 8) - self.mem.load32(self.addr + 4)) & U32

    def _slot(self, n: int) -> int:
        mem, a = self.mem, self.addr
        stride = 4 + (mem.load32(a + 16) + 3) // 4 * 4
        return a + self.HEADER + (n % mem.load32(a + 12)) * stride

    async def send(self, data: bytes | str) -> None:
        """Put a message (a str is sent as UTF-8) at the end, sleeping while it is full.

        Raises:
            Error: EPIPE if the channel is closed (or closes while this waits); EINVAL
                for a message longer than the channel's message size; EINTR when
                interrupted (nothing was sent).
        """
        mem, a = self.mem, self.addr
        data = data.encode() if isinstance(data, str) else bytes(data)
        if len(data) > mem.load32(a + 16):
            raise Error(
                EINVAL, f"Channel.send: {len(data)} bytes; the most is {mem.load32(a + 16)}"
            )
        while True:
            if mem.load32(a):
                raise Error(EPIPE, "Channel.send: the channel is closed")
            head, tail = mem.load32(a + 4), mem.load32(a + 8)
            if (tail - head) & U32 < mem.load32(a + 12):
                slot = self._slot(tail)  # from the check to the new tail: one atomic run
                mem.store32(slot, len(data))
                mem.write(slot + 4, data)
                mem.store32(a + 8, (tail + 1) & U32)
                if mem.load32(a + 20):
                    await self._wake(a + 8, 1)
                return
            self._add(a + 24, 1)
            try:
                await self._wait(a + 4, head)  # until a receiver moves head (or close)
            finally:
                self._add(a + 24, -1)

    async def recv(self) -> bytes | None:
        """Take the first message, sleeping while the channel is empty and open.

        Returns:
            The message, or None once the channel is closed and empty.

        Raises:
            Error: EINTR when interrupted (nothing was taken).
        """
        mem, a = self.mem, self.addr
        while True:
            head, tail = mem.load32(a + 4), mem.load32(a + 8)
            if head != tail:
                slot = self._slot(head)  # from the check to the new head: one atomic run
                data = mem.read(slot + 4, mem.load32(slot))
                mem.store32(a + 4, (head + 1) & U32)
                if mem.load32(a + 24):
                    await self._wake(a + 4, 1)
                return data
            if mem.load32(a):
                return None
            self._add(a + 20, 1)
            try:
                await self._wait(a + 8, tail)  # until a sender moves tail (or close)
            finally:
                self._add(a + 20, -1)

    async def close(self) -> None:
        """Close it and wake every sender and receiver waiting on it (idempotent)."""
        mem, a = self.mem, self.addr
        if mem.load32(a):
            return
        mem.store32(a, 1)
        if mem.load32(a + 20):
            await self._wake(a + 8, INT_MAX)
        if mem.load32(a + 24):
            await self._wake(a + 4, INT_MAX)

    def __aiter__(self) -> AsyncIterator[bytes]:
        return self._messages()

    async def _messages(self) -> AsyncIterator[bytes]:
        while (msg := await self.recv()) is not None:
            yield msg
