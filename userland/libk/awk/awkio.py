"""awk's input and output streams: records split by RS (a newline, another character,
paragraphs when empty, or gawk's regular expression), and the files and pipes that
``print >``, ``print >>``, ``print |``, ``getline <``, ``cmd | getline`` and ``system``
open (commands run as ``/bin/sh -c``)."""

from __future__ import annotations

import re

from kernel.abi import (
    O_APPEND,
    O_CLOEXEC,
    O_CREAT,
    O_RDONLY,
    O_TRUNC,
    O_WRONLY,
    SPAWN_CLOSE,
    SPAWN_DUP2,
    WEXITSTATUS,
    WIFEXITED,
    WTERMSIG,
    Error,
)
from userland.libk import io as kio
from userland.libk import sys

CHUNK = 65536


class Reader:
    """Records from a descriptor, separated as RS says at the time of each read."""

    def __init__(self, fd: int, pid: int = 0) -> None:
        self.fd = fd
        self.pid = pid
        self.buf = ""
        self.eof = False

    async def more(self) -> bool:
        if self.eof:
            return False
        data = await sys.read(self.fd, CHUNK)
        if not data:
            self.eof = True
            return False
        self.buf += data.decode("latin-1")
        return True

    async def record(self, rs: str) -> str | None:
        """The next record without its terminator, or None at the end of input."""
        if rs == "":
            return await self._paragraph()
        if len(rs) == 1:
            while True:
                cut = self.buf.find(rs)
                if cut >= 0:
                    rec, self.buf = self.buf[:cut], self.buf[cut + 1 :]
                    return rec
                if not await self.more():
                    return self._rest()
        rx = re.compile(rs)
        while True:
            m = rx.search(self.buf)
            if m and m.end() > m.start() and (m.end() < len(self.buf) or self.eof):
                rec, self.buf = self.buf[: m.start()], self.buf[m.end() :]
                return rec
            if not await self.more():
                m = rx.search(self.buf)
                if m and m.end() > m.start():
                    rec, self.buf = self.buf[: m.start()], self.buf[m.end() :]
                    return rec
                return self._rest()

    async def _paragraph(self) -> str | None:
        while True:
            stripped = self.buf.lstrip("\n")
            if stripped or self.eof:
                break
            self.buf = ""
            await self.more()
        self.buf = stripped
        while True:
            m = re.search(r"\n\n+", self.buf)
            if m and (m.end() < len(self.buf) or self.eof):
                rec, self.buf = self.buf[: m.start()], self.buf[m.end() :]
                return rec
            if not await self.more():
                rest = self._rest()
                return rest.rstrip("\n") if rest is not None else None

    def _rest(self) -> str | None:
        if self.buf:
            rec, self.buf = self.buf, ""
            return rec
        return None


async def run_sh(command: str, actions: list[tuple[object, ...]]) -> int:
    """Spawn ``/bin/sh -c command`` with descriptor actions; its pid."""
    return await sys.spawn("/bin/sh", ["sh", "-c", command], None, None, actions, None)


def exit_status(status: int) -> int:
    """A wait status as awk reports it: the exit code, or 256 + the signal."""
    if WIFEXITED(status):
        return WEXITSTATUS(status)
    return 256 + WTERMSIG(status)


class Streams:
    """The files and commands a program has open, by the name it used."""

    def __init__(self, out: kio.Output) -> None:
        self.stdout = out
        self.outputs: dict[str, tuple[kio.Output, int]] = {}
        self.inputs: dict[str, Reader] = {}

    async def output(self, kind: str, name: str) -> kio.Output:
        """The stream for ``print > name`` / ``>> name`` / ``| name``.

        Raises:
            Error: the file cannot be opened or the command started.
        """
        got = self.outputs.get(name)
        if got is not None:
            return got[0]
        if name in ("/dev/stdout", "-"):
            return self.stdout
        if name == "/dev/stderr":
            out = kio.Output(2, 1)
            self.outputs[name] = (out, 0)
            return out
        if kind == "|":
            await self.stdout.flush()
            r, w = await sys.pipe(O_CLOEXEC)
            try:
                pid = await run_sh(name, [(SPAWN_DUP2, r, 0), (SPAWN_CLOSE, w)])
            finally:
                await sys.close(r)
            out = kio.Output(w, 65536)
            self.outputs[name] = (out, pid)
            return out
        flags = O_WRONLY | O_CREAT | (O_APPEND if kind == ">>" else O_TRUNC)
        fd = await sys.open(name, flags, 0o666)
        out = kio.Output(fd, 65536)
        self.outputs[name] = (out, 0)
        return out

    async def open_reader(self, kind: str, name: str) -> Reader:
        """The reader for ``getline < name`` or ``name | getline``.

        Raises:
            Error: the file cannot be opened or the command started.
        """
        got = self.inputs.get(name)
        if got is not None:
            return got
        if kind == "|":
            await self.flush_all()
            r, w = await sys.pipe(O_CLOEXEC)
            try:
                pid = await run_sh(name, [(SPAWN_DUP2, w, 1), (SPAWN_CLOSE, r)])
            finally:
                await sys.close(w)
            reader = Reader(r, pid)
        else:
            fd = 0 if name in ("-", "/dev/stdin") else await sys.open(name, O_RDONLY)
            reader = Reader(fd)
        self.inputs[name] = reader
        return reader

    async def close(self, name: str) -> float:
        """``close(name)``: 0, a command's exit status, or -1 if nothing is open so."""
        result = -1.0
        got = self.outputs.pop(name, None)
        if got is not None:
            out, pid = got
            await out.flush()
            if out.fd > 2:
                await sys.close(out.fd)
            result = 0.0
            if pid:
                _, status = await sys.wait4(pid, 0)
                result = float(exit_status(status))
        reader = self.inputs.pop(name, None)
        if reader is not None:
            if reader.fd > 2:
                await sys.close(reader.fd)
            result = 0.0
            if reader.pid:
                _, status = await sys.wait4(reader.pid, 0)
                result = float(exit_status(status))
        return result

    async def flush_all(self) -> None:
        """Flush standard output and every open output."""
        await self.stdout.flush()
        for out, _ in self.outputs.values():
            await out.flush()

    async def close_all(self) -> None:
        """At exit: flush and close everything, waiting for commands."""
        await self.stdout.flush()
        for name in list(self.outputs) + list(self.inputs):
            try:
                await self.close(name)
            except Error:
                pass

    async def system(self, command: str) -> float:
        """``system(cmd)``: run it with awk's descriptors; its exit status."""
        await self.flush_all()
        pid = await run_sh(command, [])
        _, status = await sys.wait4(pid, 0)
        return float(exit_status(status))
