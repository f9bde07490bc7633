"""Completion rings from userland: level 2 of libk's I/O (level 1 is ``sys.do_io``).

``ring = await Ring.setup(32)`` makes a ring and maps its queues; ``ring.read(fd, buf)``
and friends fill submission entries with stores into that memory and return the
request's user data; ``await ring.submit()`` publishes the tail and enters the kernel
once for the whole batch; ``ring.completions()`` reads what has completed, with no
system call; ``await ring.wait(n)`` waits for at least ``n``.

Buffers are owned: a :class:`Buffer` handed to ``read`` or ``write`` is *spent* — its
handle refuses use (``BufferSpent``) and the kernel makes its pages inaccessible until
the completion, which carries a fresh handle for the same memory
(``Completion.buffer``). Buffers are whole pages; :func:`alloc_buffers` makes them.
Buffer groups (``provide_buffers``) let the kernel choose a buffer for a read
(``read_select``); the completion says which.
"""

from __future__ import annotations

from dataclasses import dataclass

from kernel.abi import (
    ASYNC_CANCEL_ALL,
    ASYNC_CANCEL_ANY,
    ASYNC_CANCEL_FD,
    CQ_ENTRIES,
    CQ_HEAD,
    CQ_TAIL,
    CQE,
    CQE_BUFFER_SHIFT,
    CQE_F_BUFFER,
    CQE_SIZE,
    ENTER_GETEVENTS,
    ENTER_SQ_WAKEUP,
    IOSQE_BUFFER_SELECT,
    MAP_ANONYMOUS,
    MAP_POPULATE,
    MAP_PRIVATE,
    MAP_SHARED,
    MMU,
    OP_CANCEL,
    OP_CLOSE,
    OP_FSYNC,
    OP_NOP,
    OP_OPEN,
    OP_POLL,
    OP_PROVIDE_BUFFERS,
    OP_READ,
    OP_REMOVE_BUFFERS,
    OP_TIMEOUT,
    OP_WRITE,
    PROT_READ,
    PROT_WRITE,
    SETUP_CQSIZE,
    SETUP_SQPOLL,
    SQ_ENTRIES,
    SQ_FLAGS,
    SQ_NEED_WAKEUP,
    SQ_TAIL,
    SQE,
    SQE_SIZE,
    Error,
    ring_bytes,
    ring_layout,
)
from userland.libk import sys

U32 = 0xFFFF_FFFF
U64 = (1 << 64) - 1
_pack = SQE.pack
PATH_SLOTS = 16


class BufferSpent(RuntimeError):
    """A buffer handle was used after it was handed to a ring."""


class SubmissionQueueFull(RuntimeError):
    """Every submission entry is taken: submit before preparing more."""


class Buffer:
    """A handle on whole pages of the process's memory that can be moved into a ring.

    ``addr`` and ``length`` are readable until the handle is spent; the completion of
    the request it went to hands back a new handle for the same memory.
    """

    __slots__ = ("_addr", "length", "spent")

    def __init__(self, addr: int, length: int) -> None:
        self._addr = addr
        self.length = length
        self.spent = False

    @property
    def addr(self) -> int:
        """Where the buffer is (BufferSpent once it was handed to a ring)."""
        if self.spent:
            raise BufferSpent(f"buffer {self._addr:#x} was moved into a ring")
        return self._addr

    def spend(self) -> tuple[int, int]:
        """Give the memory up (to a ring): its address and length."""
        addr = self.addr
        self.spent = True
        return addr, self.length

    def __repr__(self) -> str:
        state = "spent" if self.spent else "owned"
        return f"<Buffer {self._addr:#x}+{self.length} {state}>"


async def alloc_buffers(count: int, size: int) -> list[Buffer]:
    """``count`` buffers of ``size`` bytes (rounded up to whole pages), contiguous,
    from one fresh anonymous mapping."""
    mem = await sys.mmu()
    ps = mem.page_size
    size = -(-size // ps) * ps
    base = await sys.mmap(0, size * count, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS)
    return [Buffer(base + i * size, size) for i in range(count)]


@dataclass(slots=True)
class Completion:
    """One completion: the request's user data, result (a count or -errno), flags,
    and the buffer it gives back (a new handle), if any."""

    user_data: int
    res: int
    flags: int
    buffer: Buffer | None = None
    bid: int | None = None

    def value(self) -> int:
        """The result, or raise its error."""
        if self.res < 0:
            raise Error(-self.res)
        return self.res


class Ring:
    """A completion ring mapped into this process; see the module docstring."""

    def __init__(
        self, fd: int, mem: MMU, base: int, sq: int, cq: int, size: int, sqpoll: bool = False
    ) -> None:
        self.fd = fd
        self.sqpoll = sqpoll
        self.mem = mem
        self.base = base
        self.size = size
        self.sq_entries = sq
        self.sq_mask = sq - 1
        self.cq_entries = cq
        layout = ring_layout(sq, cq)
        self.sqes = base + layout.sqes
        self.cqes = base + layout.cqes
        self.sq_tail = 0  # the next entry to fill (published by submit)
        self.sq_published = 0
        self.cq_head = 0
        self.next_user_data = 1
        self.lent: dict[int, tuple[int, int]] = {}  # user data -> buffer in the ring
        self.provided: dict[tuple[int, int], tuple[int, int]] = {}  # (group, bid) -> buffer
        self.selecting: dict[int, int] = {}  # user data of a read_select -> its group
        self.removing: dict[int, int] = {}  # user data of a remove_buffers -> its group
        self.reclaimed: dict[int, list[Buffer]] = {}
        self.paths: list[int] = []  # scratch pages for OP_OPEN's path names
        self.path_next = 0

    @classmethod
    async def setup(cls, entries: int = 32, cq_entries: int = 0, *, sqpoll: bool = False) -> Ring:
        """Make a ring of ``entries`` submissions and map it; with ``sqpoll`` a kernel
        thread polls the submission queue, so submitting needs no system call.

        Raises:
            Error: EINVAL for a bad size, ENOMEM, EMFILE.
        """
        flags = (SETUP_CQSIZE if cq_entries else 0) | (SETUP_SQPOLL if sqpoll else 0)
        fd = await sys.ring_setup(entries, flags, cq_entries)
        mem = await sys.mmu()
        sq = 1 << max(0, entries - 1).bit_length()
        cq = (1 << max(0, cq_entries - 1).bit_length()) if cq_entries else 2 * sq
        size = ring_bytes(sq, cq, mem.page_size)
        try:
            base = await sys.mmap(0, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, fd, 0)
        except Error:
            await sys.close(fd)
            raise
        assert mem.load32(base + SQ_ENTRIES) == sq and mem.load32(base + CQ_ENTRIES) == cq
        return cls(fd, mem, base, sq, cq, size, sqpoll)

    # ------------------------------------------------------------------ preparing
    @property
    def space(self) -> int:
        """Submission entries free to prepare."""
        return self.sq_entries - ((self.sq_tail - self.sq_published) & U32)

    def prep(
        self,
        op: int,
        fd: int = -1,
        off: int = -1,
        addr: int = 0,
        length: int = 0,
        op_flags: int = 0,
        user_data: int | None = None,
        flags: int = 0,
        buf_group: int = 0,
    ) -> int:
        """Fill the next submission entry; returns its user data (given, or a fresh
        number). Raises SubmissionQueueFull when there is no free entry."""
        tail = self.sq_tail
        if (tail - self.sq_published) & U32 >= self.sq_entries:
            raise SubmissionQueueFull(f"all {self.sq_entries} submission entries are prepared")
        if user_data is None:
            user_data = self.next_user_data
            self.next_user_data += 1
        entry = _pack(
            op, flags, 0, fd, off & U64, addr, length, op_flags, user_data, buf_group, 0, 0, 0, 0
        )
        self.mem.write(self.sqes + (tail & self.sq_mask) * SQE_SIZE, entry)
        self.sq_tail = (tail + 1) & U32
        return user_data

    def _lend(self, buf: Buffer, user_data: int | None) -> tuple[int, int, int]:
        if user_data is None:
            user_data = self.next_user_data
            self.next_user_data += 1
        addr, length = buf.spend()
        self.lent[user_data] = (addr, length)
        return user_data, addr, length

    def read(
        self,
        fd: int,
        buf: Buffer,
        off: int = -1,
        *,
        length: int = 0,
        user_data: int | None = None,
        flags: int = 0,
    ) -> int:
        """Read into ``buf`` (spent until the completion gives it back); ``length``
        0 reads up to the buffer's size."""
        ud, addr, size = self._lend(buf, user_data)
        return self.prep(OP_READ, fd, off, addr, length or size, 0, ud, flags)

    def write(
        self,
        fd: int,
        buf: Buffer,
        length: int,
        off: int = -1,
        *,
        user_data: int | None = None,
        flags: int = 0,
    ) -> int:
        """Write the first ``length`` bytes of ``buf`` (spent until the completion)."""
        ud, addr, size = self._lend(buf, user_data)
        if length > size:
            raise ValueError(f"length {length} is past the buffer's {size} bytes")
        return self.prep(OP_WRITE, fd, off, addr, length, 0, ud, flags)

    def read_select(
        self,
        fd: int,
        group: int,
        length: int = 0,
        off: int = -1,
        *,
        user_data: int | None = None,
        flags: int = 0,
    ) -> int:
        """Read into a buffer the kernel picks from ``group``."""
        ud = self.prep(
            OP_READ, fd, off, 0, length, 0, user_data, flags | IOSQE_BUFFER_SELECT, group
        )
        self.selecting[ud] = group
        return ud

    def provide_buffers(self, group: int, bufs: list[Buffer], first_bid: int = 0) -> int:
        """Hand ``bufs`` (contiguous, of one size) to the ring as group ``group``."""
        if not bufs:
            raise ValueError("no buffers")
        size = bufs[0].length
        base = bufs[0].addr
        for i, b in enumerate(bufs):
            if b.length != size or b.addr != base + i * size:
                raise ValueError("provided buffers must be contiguous and of one size")
        for i, b in enumerate(bufs):
            b.spend()
            self.provided[(group, first_bid + i)] = (base + i * size, size)
        return self.prep(OP_PROVIDE_BUFFERS, len(bufs), first_bid, base, size, 0, None, 0, group)

    def remove_buffers(self, group: int) -> int:
        """Ask for every unused buffer of ``group`` back; after the completion,
        :meth:`reclaim` hands out their new handles."""
        ud = self.prep(OP_REMOVE_BUFFERS, 1 << 15, 0, 0, 0, 0, None, 0, group)
        self.removing[ud] = group
        return ud

    def reclaim(self, group: int) -> list[Buffer]:
        """The buffers a completed ``remove_buffers`` gave back."""
        return self.reclaimed.pop(group, [])

    def nop(self, *, user_data: int | None = None, flags: int = 0) -> int:
        """A request that does nothing (and completes with 0)."""
        return self.prep(OP_NOP, user_data=user_data, flags=flags)

    def fsync(self, fd: int, *, user_data: int | None = None, flags: int = 0) -> int:
        """Flush ``fd`` (a block device's flush; 0 at once for files in memory)."""
        return self.prep(OP_FSYNC, fd, user_data=user_data, flags=flags)

    def close_fd(self, fd: int, *, user_data: int | None = None, flags: int = 0) -> int:
        """Close a descriptor."""
        return self.prep(OP_CLOSE, fd, user_data=user_data, flags=flags)

    def poll(self, fd: int, events: int, *, user_data: int | None = None, flags: int = 0) -> int:
        """Complete with the POLL* events of ``fd`` once one of ``events`` is ready."""
        return self.prep(OP_POLL, fd, op_flags=events, user_data=user_data, flags=flags)

    def timeout(
        self, ns: int, count: int = 0, *, user_data: int | None = None, flags: int = 0
    ) -> int:
        """Complete with -ETIME after ``ns``, or with 0 once ``count`` other
        requests have completed (0: time only)."""
        return self.prep(OP_TIMEOUT, -1, count, ns, user_data=user_data, flags=flags)

    def cancel(
        self,
        user_data: int | None = None,
        *,
        fd: int | None = None,
        every: bool = False,
        any_request: bool = False,
        tag: int | None = None,
    ) -> int:
        """Cancel by user data, by ``fd``, or ``any_request``; ``every`` for all
        matches. The cancel's own result: 0 (or a count with ``every``), -ENOENT or
        -EALREADY."""
        how = (ASYNC_CANCEL_ALL if every else 0) | (ASYNC_CANCEL_ANY if any_request else 0)
        if fd is not None:
            how |= ASYNC_CANCEL_FD
        return self.prep(OP_CANCEL, -1 if fd is None else fd, 0, user_data or 0, 0, how, tag)

    async def open(
        self, path: str, flags: int = 0, mode: int = 0o666, *, user_data: int | None = None
    ) -> int:
        """Open ``path`` (the name goes through a scratch page of the ring's)."""
        data = path.encode() + b"\0"
        if len(data) > 4096:
            raise Error(36)
        if not self.paths:
            ps = self.mem.page_size
            base = await sys.mmap(
                0, ps * PATH_SLOTS, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS
            )
            self.paths = [base + i * ps for i in range(PATH_SLOTS)]
        slot = self.paths[self.path_next % PATH_SLOTS]
        self.path_next += 1
        self.mem.write(slot, data)
        return self.prep(OP_OPEN, -100, 0, slot, mode, flags, user_data)

    # ------------------------------------------------------------------ the kernel
    async def submit(self, wait: int = 0) -> int:
        """Publish the prepared entries (a store of the tail) and enter the kernel once
        for all of them; with ``wait``, also wait for that many completions."""
        n = (self.sq_tail - self.sq_published) & U32
        if n:
            self.mem.store32(self.base + SQ_TAIL, self.sq_tail)
            self.sq_published = self.sq_tail
        flags = ENTER_GETEVENTS if wait else 0
        if self.sqpoll:  # the kernel's thread takes them: enter only to wake it or wait
            if n and self.mem.load32(self.base + SQ_FLAGS) & SQ_NEED_WAKEUP:
                flags |= ENTER_SQ_WAKEUP
            if not flags:
                return n
        elif not n and not wait:
            return 0
        return await sys.ring_enter(self.fd, n, wait, flags)

    @property
    def ready(self) -> int:
        """Completions waiting to be read (a load, no system call)."""
        return (self.mem.load32(self.base + CQ_TAIL) - self.cq_head) & U32

    @property
    def overflowing(self) -> bool:
        """Completions wait in the kernel's overflow list (read these, then enter)."""
        return bool(self.mem.load32(self.base + SQ_FLAGS) & 2)

    def completions(self) -> list[Completion]:
        """Take every completion posted so far (no system call)."""
        mem = self.mem
        tail = mem.load32(self.base + CQ_TAIL)
        head = self.cq_head
        if head == tail:
            return []
        out = []
        mask = self.cq_entries - 1
        count = (tail - head) & U32
        completion = self._completion
        while count:  # one read per contiguous run of entries (twice at the wrap)
            first = head & mask
            run = min(count, self.cq_entries - first)
            raw = mem.read(self.cqes + first * CQE_SIZE, run * CQE_SIZE)
            out += [completion(*entry) for entry in CQE.iter_unpack(raw)]
            head = (head + run) & U32
            count -= run
        self.cq_head = head
        mem.store32(self.base + CQ_HEAD, head)
        return out

    def _completion(self, ud: int, res: int, flags: int) -> Completion:
        c = Completion(ud, res, flags)
        if self.lent:
            lent = self.lent.pop(ud, None)
            if lent is not None:
                c.buffer = Buffer(*lent)
        if not self.selecting and not self.removing:
            return c
        group = self.selecting.pop(ud, None)
        if flags & CQE_F_BUFFER and group is not None:
            c.bid = flags >> CQE_BUFFER_SHIFT
            where = self.provided.pop((group, c.bid), None)
            if where is not None:
                c.buffer = Buffer(*where)
        group = self.removing.pop(ud, None)
        if group is not None and res >= 0:
            mine = sorted(key for key in self.provided if key[0] == group)
            self.reclaimed.setdefault(group, []).extend(
                Buffer(*self.provided.pop(key)) for key in mine
            )
        return c

    async def wait(self, n: int = 1) -> list[Completion]:
        """At least ``n`` completions (entering the kernel only if fewer are ready)."""
        if self.ready < n:
            await sys.ring_enter(self.fd, 0, n, ENTER_GETEVENTS)
        return self.completions()

    async def close(self) -> None:
        """Unmap and close the ring (requests in flight are cancelled; buffers on a
        device come back when it is done)."""
        await sys.munmap(self.base, self.size)
        await sys.close(self.fd)


__all__ = ["Buffer", "BufferSpent", "Completion", "Ring", "SubmissionQueueFull", "alloc_buffers"]
