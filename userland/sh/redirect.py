"""Redirections: the io map, opening files for ``<``, ``>``, ``>>``, ``<>``, ``n>&m``,
here-documents, and the spawn file actions that hand an io map to a child process."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from kernel.abi import (
    ENOENT,
    F_DUPFD,
    F_SETFD,
    FD_CLOEXEC,
    O_APPEND,
    O_CLOEXEC,
    O_CREAT,
    O_EXCL,
    O_RDONLY,
    O_RDWR,
    O_TRUNC,
    O_WRONLY,
    S_ISREG,
    SPAWN_CLOSE,
    SPAWN_DUP2,
    Error,
)
from userland.libk import io as kio
from userland.libk import sys
from userland.sh import ast
from userland.sh.errors import CommandError

if TYPE_CHECKING:
    from userland.sh.interp import IO


class RedirectMixin:
    """The redirection half of :class:`userland.sh.interp.Shell`."""

    def spawn_actions(self, io: IO) -> list[tuple[Any, ...]]:
        """File actions that give a child the descriptors of an io map."""
        actions: list[tuple[Any, ...]] = []
        moves = {fd: src for fd, src in io.items() if src is not None and src != fd}
        closes = [fd for fd, src in io.items() if src is None]
        if any(src in moves for src in moves.values()):
            temps = []
            for i, (fd, src) in enumerate(sorted(moves.items())):
                actions.append((SPAWN_DUP2, src, 500 + i))
                temps.append((500 + i, fd))
            for tmp, fd in temps:
                actions.append((SPAWN_DUP2, tmp, fd))
            actions.extend((SPAWN_CLOSE, tmp) for tmp, _ in temps)
        else:
            actions.extend((SPAWN_DUP2, src, fd) for fd, src in sorted(moves.items()))
        actions.extend((SPAWN_CLOSE, fd) for fd in closes)
        return actions

    async def redirect(self, redirs: tuple[ast.Redirection, ...], io: IO) -> tuple[IO, list[int]]:
        """Apply redirections to a copy of ``io``; return it and the fds to close after."""
        if not redirs:
            return io, []
        new = dict(io)
        opened: list[int] = []
        try:
            for r in redirs:
                if type(r) is ast.HereDoc:
                    body = r.body
                    text = (
                        body.parts[0].text
                        if r.quoted and body and body.parts
                        else (await self.expander.word_string(body))
                    )  # type: ignore[union-attr]
                    new[r.fd] = await self.here_document(text, opened)
                    continue
                target = await self.expander.word_string(r.target)
                op = r.op
                if op in ("<&", ">&"):
                    if target == "-":
                        new[r.fd] = None
                    elif target.isdigit():
                        # not in the map: the shell's own descriptor of that number (exec 3>f)
                        src = new.get(int(target), int(target))
                        if src is None:
                            raise CommandError(f"{target}: Bad file descriptor", 2)
                        try:
                            await sys.fcntl(src, 1)
                        except Error:
                            raise CommandError(f"{target}: Bad file descriptor", 2) from None
                        new[r.fd] = src
                    else:
                        raise CommandError(f"{target}: bad number", 2)
                    continue
                flags = {
                    "<": O_RDONLY,
                    ">": O_WRONLY | O_CREAT | O_TRUNC,
                    ">|": O_WRONLY | O_CREAT | O_TRUNC,
                    ">>": O_WRONLY | O_CREAT | O_APPEND,
                    "<>": O_RDWR | O_CREAT,
                }[op]
                if op == ">" and "C" in self.options:
                    flags = await self.noclobber_flags(target, flags)
                try:
                    fd = await sys.open(self.abspath(target), flags | O_CLOEXEC, 0o666)
                except Error as err:
                    verb = "open" if op == "<" else "create"
                    msg = err.message
                    if err.errno == ENOENT and op != "<":
                        msg = "Directory nonexistent"
                    raise CommandError(f"cannot {verb} {target}: {msg}", 2) from None
                fd = await high_fd(fd)
                opened.append(fd)
                new[r.fd] = fd
        except BaseException:
            await self.close_all(opened)
            raise
        return new, opened

    async def noclobber_flags(self, target: str, flags: int) -> int:
        """``set -C``: ``>`` refuses an existing regular file only (a device such as
        /dev/null is opened, not truncated); a new file is made with O_EXCL."""
        try:
            st = await sys.stat(self.abspath(target))
        except Error:
            return flags | O_EXCL
        if S_ISREG(st.st_mode):
            raise CommandError(f"cannot create {target}: File exists", 2)
        return flags & ~(O_CREAT | O_TRUNC)

    async def here_document(self, text: str, opened: list[int]) -> int:
        """A pipe whose read end holds ``text`` (a thread feeds bodies over 64 KiB)."""
        r, w = await sys.pipe(O_CLOEXEC)
        r = await high_fd(r)
        opened.append(r)
        data = text.encode()
        if len(data) <= 60000:
            await kio.write_all(w, data)
            await sys.close(w)
        else:

            async def feed(_arg: Any) -> int:
                try:
                    await kio.write_all(w, data)
                except Error:
                    pass
                await sys.close(w)
                return 0

            await sys.thread_spawn(feed, None)
        return r

    async def close_all(self, fds: list[int]) -> None:
        """Close descriptors the shell opened for a command."""
        for fd in fds:
            try:
                await sys.close(fd)
            except Error:
                pass


SHELL_FD_BASE = 10


async def high_fd(fd: int) -> int:
    """Move a descriptor the shell opened for a redirection to 10 or above (close-on-exec),
    as sh does, so it never sits on a number the command line names (``exec 3>f``)."""
    if fd >= SHELL_FD_BASE:
        return fd
    high = await sys.fcntl(fd, F_DUPFD, SHELL_FD_BASE)
    await sys.fcntl(high, F_SETFD, FD_CLOEXEC)
    await sys.close(fd)
    return high
