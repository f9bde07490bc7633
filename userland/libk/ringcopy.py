"""Streaming a file through a completion ring: the ring paths of ``cat`` and ``cp``.

:func:`ring_chunks` reads a descriptor with up to ``qd`` reads in flight and yields its
bytes in order as ``(offset, data)``; :func:`ring_copy` copies one descriptor to another
through one ring, handing each buffer a read filled straight to a write at the same
offset (the bytes never leave the process's memory). Both stop at the first read that
returns nothing, exactly like a loop of read(2), so their output is the plain path's.

How an input is read depends on what it is (``fstat``):

* a block device: positional reads from the current offset up to the device's size,
  ``qd`` at a time. This is what the ring is for: the device serves several requests at
  once on its channels, so many in flight finish several times sooner than one by one;
* a regular file: positional reads up to its size, ``qd`` at a time, then one read at a
  time past it until a read returns nothing (a file that grew is followed to its end);
  a short read drops the reads past it and goes on from where it ended;
* anything else (a pipe, a terminal, a socket): plain reads at the descriptor's offset,
  one request at a time — still through the ring.

A seekable input's offset is left where a loop of read(2) would leave it, so
``(cat; cat) < file`` behaves the same either way. Buffers are owned: while a request
holds one, the process cannot touch it, and the completion gives it back. However the
stream ends (end of file, an error, the consumer stopping early), everything in flight
is cancelled or waited for and every buffer is back before the ring is closed and the
buffers unmapped: nothing leaks and nothing is freed under the device.
"""

from __future__ import annotations

from collections.abc import Callable

from kernel.abi import (
    ENOSPC,
    OP_WRITE,
    S_IFBLK,
    S_IFMT,
    S_ISREG,
    SEEK_CUR,
    SEEK_SET,
    Error,
)
from userland.libk import args, sys
from userland.libk.ring import Buffer, Completion, Ring, alloc_buffers

__all__ = [
    "BUFSIZE",
    "QD",
    "RingChunks",
    "RingReader",
    "is_block",
    "ring_chunks",
    "ring_copy",
    "take_ring_flag",
]

#: Bytes per request: big enough that the device's fixed latency is a small part of
#: each request, small enough that ``QD`` of them keep all its channels busy.
BUFSIZE = 128 * 1024
#: Requests in flight: twice the default device's channels, within its depth.
QD = 16
#: ``--ring=WHEN``.
WHEN: dict[str, bool | None] = {"always": True, "never": False, "auto": None}


#: What a caller's own request (a write) does with its completion.
OnDone = Callable[[Completion], None]


def is_block(mode: int) -> bool:
    """True for a block-device mode (``S_ISBLK``)."""
    return (mode & S_IFMT) == S_IFBLK


def take_ring_flag(argv: list[str]) -> tuple[list[str], bool | None]:
    """Take ``--ring[=WHEN]`` out of ``argv`` (not past ``--``): the rest, and WHEN as
    True (``--ring``, ``always``), False (``never``) or None (``auto``, the default:
    the ring for block devices). The last one given counts.

    Raises:
        args.UsageError: WHEN is none of always, never, auto.
    """
    out, ring = argv[:1], None
    for i, a in enumerate(argv[1:], 1):
        if a == "--":
            out.extend(argv[i:])
            break
        if a == "--ring" or a.startswith("--ring="):
            when = a.partition("=")[2] or "always"
            if when not in WHEN:
                raise args.UsageError(
                    f"invalid argument '{when}' for '--ring'\n"
                    "Valid arguments are: 'always', 'never', 'auto'"
                )
            ring = WHEN[when]
        else:
            out.append(a)
    return out, ring


async def _seek_start(fd: int) -> int | None:
    """The offset of a seekable descriptor, or None for a pipe, terminal or socket."""
    try:
        return await sys.lseek(fd, 0, SEEK_CUR)
    except Error:
        return None


class RingReader:
    """Ordered reads of one descriptor through a ring, with the buffers they use.

    :meth:`next` hands out ``(offset, count, buffer)`` in offset order; the caller owns
    the buffer then and gives it back with :meth:`release`, or moves it into another
    request of the same ring and registers that request in ``others`` (a callback that
    gets its completion, which must release the buffer it carries).

    Args:
        ring: the ring to read through.
        fd: the input.
        bufs: the buffers (all of one size).
        start: the first offset (None: not seekable, read one request at a time).
        end: where the input ends if that is known for sure (a block device's size).
        expect: where a regular file is expected to end (its size when opened).
    """

    def __init__(
        self,
        ring: Ring,
        fd: int,
        bufs: list[Buffer],
        *,
        start: int | None,
        end: int | None = None,
        expect: int = 0,
    ) -> None:
        self.ring = ring
        self.fd = fd
        self.size = bufs[0].length
        self.free = list(bufs)
        self.seekable = start is not None
        self.pos = start or 0  # the next offset to hand out
        self.origin = self.pos
        self.next_off = self.pos  # where the next read goes
        self.end = end
        self.expect = expect
        self.eof = False
        self.reads: dict[int, int] = {}  # user data -> offset
        self.stale: set[int] = set()  # reads past a short read: their data is dropped
        self.arrived: dict[int, Completion] = {}  # offset -> a read's completion
        self.others: dict[int, OnDone] = {}  # user data -> what its completion does

    @property
    def in_flight(self) -> int:
        """Requests of this reader's (and its caller's) still on the ring."""
        return len(self.reads) + len(self.stale) + len(self.others)

    def release(self, buf: Buffer) -> None:
        """Give a buffer back for more reads."""
        self.free.append(buf)

    def _issue(self) -> None:
        ring = self.ring
        while self.free and not self.eof and ring.space:
            if not self.seekable:
                if self.reads or self.arrived:
                    return
                off = -1
            else:
                off = self.next_off
                if self.end is not None and off >= self.end:
                    return
                if off >= self.expect and (self.reads or self.arrived):
                    return  # past the expected end: one read at a time
            ud = ring.read(self.fd, self.free.pop(), off)
            self.reads[ud] = self.pos if off == -1 else off
            self.next_off += self.size

    def _take(self, c: Completion) -> None:
        ud = c.user_data
        off = self.reads.pop(ud, None)
        if off is not None:
            self.arrived[off] = c
        elif ud in self.stale:
            self.stale.discard(ud)
            if c.buffer is not None:
                self.release(c.buffer)
        else:
            callback = self.others.pop(ud, None)
            if callback is not None:
                callback(c)
            # anything else is a cancel's own completion

    async def pump(self) -> None:
        """Submit what is prepared and take at least one completion (if any can come)."""
        wait = 1 if self.in_flight or self.ring.sq_tail != self.ring.sq_published else 0
        await self.ring.submit(wait=wait)
        for c in self.ring.completions():
            self._take(c)

    async def next(self) -> tuple[int, int, Buffer] | None:
        """The next ``(offset, count, buffer)`` in order, or None at the end.

        Raises:
            Error: a read failed (its errno).
        """
        while True:
            if self.eof or (self.end is not None and self.pos >= self.end):
                self.eof = True
                return None
            c = self.arrived.pop(self.pos, None)
            if c is not None:
                assert c.buffer is not None
                if c.res <= 0:
                    self.release(c.buffer)
                    self.eof = True
                    if c.res < 0:
                        raise Error(-c.res)
                    return None
                off = self.pos
                self.pos += c.res
                if self.seekable and c.res < self.size:
                    self._restart()
                return off, c.res, c.buffer
            self._issue()
            if not self.in_flight:
                raise RuntimeError("ring reader: nothing in flight and nothing to read into")
            await self.pump()

    def _restart(self) -> None:
        """A short read: reads issued past it start at the wrong place; drop them."""
        self.next_off = self.pos
        for ud in list(self.reads):
            del self.reads[ud]
            self.stale.add(ud)
        for c in self.arrived.values():
            if c.buffer is not None:
                self.release(c.buffer)
        self.arrived.clear()

    async def drain(self) -> None:
        """Cancel what is still in flight and wait until every buffer is back."""
        if self.in_flight:
            if not self.ring.space:
                await self.ring.submit()
            self.ring.cancel(any_request=True, every=True)
            while self.in_flight:
                await self.pump()
        for c in self.arrived.values():
            if c.buffer is not None:
                self.release(c.buffer)
        self.arrived.clear()

    async def finish(self) -> None:
        """Leave a seekable input's offset where a loop of read(2) would have."""
        if self.seekable and self.eof:
            await sys.lseek(self.fd, self.pos, SEEK_SET)


async def _open_reader(fd: int, size: int, qd: int) -> tuple[Ring, list[Buffer], RingReader]:
    st = await sys.fstat(fd)
    start = await _seek_start(fd) if is_block(st.st_mode) or S_ISREG(st.st_mode) else None
    end = st.st_size if is_block(st.st_mode) else None
    ring = await Ring.setup(qd)
    try:
        bufs = await alloc_buffers(qd, size)
    except Error:
        await ring.close()
        raise
    reader = RingReader(ring, fd, bufs, start=start, end=end, expect=st.st_size)
    return ring, bufs, reader


# _dying: GeneratorExit means the kernel is closing this thread's coroutine (the
# process is killed or exits): a system call now would get nowhere, and the kernel's
# exit closes the ring itself — cancelling what is in flight and giving every buffer
# back — so the clean-up is skipped.


async def _close_reader(ring: Ring, bufs: list[Buffer], reader: RingReader) -> None:
    try:
        await reader.drain()
    finally:
        await ring.close()
        if len(reader.free) == len(bufs):  # every buffer is back (else leave it mapped)
            base = min(b.addr for b in reader.free)
            await sys.munmap(base, bufs[0].length * len(bufs))


class RingChunks:
    """What :func:`ring_chunks` returns: an async iterator of ``(offset, data)`` and an
    async context manager that drains and closes the ring when the block is left.

    It is a class and not an async generator so that a process killed in the middle
    can leave it without a system call (see ``_dying``): a generator's clean-up would
    run again when it is collected, and await where no kernel answers.
    """

    def __init__(self, fd: int, size: int, qd: int) -> None:
        self.fd = fd
        self.size = size
        self.qd = qd
        self.opened: tuple[Ring, list[Buffer], RingReader] | None = None
        self.closed = False

    def __aiter__(self) -> RingChunks:
        return self

    async def __anext__(self) -> tuple[int, bytes]:
        if self.closed:
            raise StopAsyncIteration
        if self.opened is None:
            self.opened = await _open_reader(self.fd, self.size, self.qd)
        ring, _bufs, reader = self.opened
        try:
            item = await reader.next()
            if item is None:
                await reader.finish()
        except GeneratorExit:
            raise
        except BaseException:
            await self.aclose()
            raise
        if item is None:
            await self.aclose()
            raise StopAsyncIteration
        off, n, buf = item
        data = ring.mem.read(buf.addr, n)
        reader.release(buf)
        return off, data

    async def aclose(self) -> None:
        """Cancel what is in flight, wait for every buffer, close the ring, unmap."""
        if self.closed:
            return
        self.closed = True
        if self.opened is not None:
            await _close_reader(*self.opened)

    async def __aenter__(self) -> RingChunks:
        return self

    async def __aexit__(self, exc_type: object, exc: object, tb: object) -> None:
        if exc_type is not GeneratorExit:  # GeneratorExit: the process dies (_dying)
            await self.aclose()


def ring_chunks(fd: int, size: int = BUFSIZE, qd: int = QD) -> RingChunks:
    """Read ``fd`` to its end through a ring, ``qd`` requests in flight, ``size`` bytes
    each; iterate ``(offset, data)`` in order (the offset in the file; for a pipe or a
    terminal, the bytes read before)::

        async with ring_chunks(fd) as chunks:
            async for off, data in chunks:
                ...

    The ring is made at the first step; it is closed at the end of the input, at an
    error, and when the ``async with`` block is left.

    Raises:
        Error: (while iterating) the ring or its buffers could not be made, or a read
            failed.
    """
    return RingChunks(fd, size, qd)


async def _write_rest(dst: int, data: bytes, off: int | None) -> None:
    """Finish a short write with synchronous calls; no progress at all is ENOSPC."""
    while data:
        if off is None:
            n = await sys.write(dst, data)
        else:
            n = await sys.do_io(dst, OP_WRITE, data, off)
            off += n
        if n <= 0:
            raise Error(ENOSPC)
        data = data[n:]


async def ring_copy(src: int, dst: int, qd: int = QD, size: int = BUFSIZE) -> int:
    """Copy ``src`` to its end into ``dst`` through one ring; returns the bytes copied.

    Each read's buffer moves into a write of the same bytes: positional at the same
    offset when ``dst`` is seekable (a regular file or a block device; writes complete
    in any order), else one write at a time in order (a pipe, a terminal). A write past
    the end of a block device fails with ENOSPC, as write(2) does.

    Raises:
        Error: a read or a write failed (the first error; the rest is cancelled).
    """
    dst_st = await sys.fstat(dst)
    dst_start = (
        await _seek_start(dst) if is_block(dst_st.st_mode) or S_ISREG(dst_st.st_mode) else None
    )
    dst_end = dst_st.st_size if is_block(dst_st.st_mode) else None
    ring, bufs, reader = await _open_reader(src, size, qd)
    mem = ring.mem
    failed: list[int] = []
    rests: list[tuple[bytes, int | None]] = []
    copied = 0
    tidy = True

    def written(n: int, woff: int | None) -> OnDone:
        def done(c: Completion) -> None:
            assert c.buffer is not None
            if c.res < 0:
                failed.append(-c.res)
            elif c.res < n:
                rest = mem.read(c.buffer.addr + c.res, n - c.res)
                rests.append((rest, None if woff is None else woff + c.res))
            reader.release(c.buffer)

        return done

    async def settle() -> None:
        while rests:
            data, at = rests.pop(0)
            await _write_rest(dst, data, at)
        if failed:
            raise Error(failed[0])

    try:
        while (item := await reader.next()) is not None:
            off, n, buf = item
            try:
                await settle()
                if dst_start is None:
                    while reader.others:  # one write at a time, in order
                        await reader.pump()
                    await settle()
                    woff = None
                else:
                    woff = dst_start + off - reader.origin
                if dst_end is not None and woff is not None and woff >= dst_end:
                    raise Error(ENOSPC)
            except BaseException:
                reader.release(buf)
                raise
            ud = ring.write(dst, buf, n, -1 if woff is None else woff)
            reader.others[ud] = written(n, woff)
            copied += n
        while reader.others:
            await reader.pump()
        await settle()
        await reader.finish()
        if dst_start is not None:
            await sys.lseek(dst, dst_start + copied, SEEK_SET)
    except GeneratorExit:
        tidy = False  # see _dying
        raise
    finally:
        if tidy:
            await _close_reader(ring, bufs, reader)
    return copied
