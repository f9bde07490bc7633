"""Buffered I/O for programs: whole-file reads, full writes, lines, formatted output.

Programs share one Python interpreter, so nothing here keeps state in module globals:
every buffer is an object a program makes for itself.
"""

from __future__ import annotations

from kernel.abi import O_RDONLY, Error
from userland.libk import sys

CHUNK = 65536


async def write_all(fd: int, data: bytes | str) -> None:
    """Write every byte (the kernel may take fewer per call)."""
    if isinstance(data, str):
        data = data.encode()
    view = memoryview(data)
    while view:
        n = await sys.write(fd, bytes(view))
        view = view[n:]


async def read_all(fd: int) -> bytes:
    """Read until end of file."""
    out = bytearray()
    while True:
        chunk = await sys.read(fd, CHUNK)
        if not chunk:
            return bytes(out)
        out += chunk


async def read_file(path: str) -> bytes:
    """The whole content of a file."""
    fd = await sys.open(path, O_RDONLY)
    try:
        return await read_all(fd)
    finally:
        await sys.close(fd)


class Output:
    """A write buffer for one descriptor: ``await out.write(text)``, then ``flush()``."""

    __slots__ = ("fd", "_buf", "_size", "limit")

    def __init__(self, fd: int = 1, limit: int = 8192) -> None:
        self.fd = fd
        self._buf: list[bytes] = []
        self._size = 0
        self.limit = limit

    async def write(self, text: str | bytes) -> None:
        """Queue text; flushes when the buffer passes the limit."""
        data = text.encode() if isinstance(text, str) else text
        self._buf.append(data)
        self._size += len(data)
        if self._size >= self.limit:
            await self.flush()

    async def line(self, text: str = "") -> None:
        """Queue ``text`` and a newline."""
        await self.write(text + "\n")

    async def flush(self) -> None:
        """Write what is queued."""
        if self._buf:
            data = b"".join(self._buf)
            self._buf.clear()
            self._size = 0
            await write_all(self.fd, data)


class LineReader:
    """Reads lines from a descriptor, keeping what it read past the last newline."""

    __slots__ = ("fd", "_buf", "eof")

    def __init__(self, fd: int = 0) -> None:
        self.fd = fd
        self._buf = bytearray()
        self.eof = False

    async def readline(self) -> bytes:
        """The next line with its newline; the last one may lack it; b"" at end of file."""
        while True:
            nl = self._buf.find(b"\n")
            if nl >= 0:
                line = bytes(self._buf[: nl + 1])
                del self._buf[: nl + 1]
                return line
            if self.eof:
                line = bytes(self._buf)
                self._buf.clear()
                return line
            chunk = await sys.read(self.fd, CHUNK)
            if not chunk:
                self.eof = True
            self._buf += chunk


async def warn(prog: str, message: str) -> None:
    """Write ``prog: message`` to standard error."""
    try:
        await write_all(2, f"{prog}: {message}\n")
    except Error:
        pass
