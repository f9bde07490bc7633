"""Walking directory trees for the file utilities (find, chmod -R, chown -R, cp -r, rm -r, du).

A walk visits a path, then (if it is a directory and the caller lets it descend) every
entry below it in directory order, pre-order like fts(3); directories can be visited a
second time after their contents (``post=True``), as ``rm -r`` and ``du`` need.
Unreadable directories are reported through a callback and skipped, never raised.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass

from kernel.abi import ELOOP, ENOENT, ENOTDIR, O_DIRECTORY, O_RDONLY, S_ISDIR, S_ISLNK, Error, Stat
from userland.libk import sys


def join(base: str, name: str) -> str:
    """``base/name`` without doubling a slash that ``base`` already ends with."""
    return base + name if base.endswith("/") else f"{base}/{name}"


async def listdir(path: str) -> list[str]:
    """The names in a directory, in directory order, without ``.`` and ``..``.

    Raises:
        Error: the directory cannot be opened or read.
    """
    fd = await sys.open(path, O_RDONLY | O_DIRECTORY)
    names: list[str] = []
    try:
        while batch := await sys.getdents(fd):
            names.extend(d.d_name for d in batch if d.d_name not in (".", ".."))
    finally:
        await sys.close(fd)
    return names


@dataclass(slots=True)
class Entry:
    """One visited file: its path as built from the top, its status and depth (top: 0).

    ``post`` is True on the second visit of a directory, after its contents.
    """

    path: str
    stat: Stat
    depth: int
    post: bool = False


ErrorHook = Callable[[str, Error], Awaitable[None]]


async def walk(
    top: str,
    *,
    follow: bool = False,
    follow_top: bool = False,
    post: bool = False,
    descend: Callable[[Entry], bool] | None = None,
    on_error: ErrorHook | None = None,
) -> AsyncIterator[Entry]:
    """Visit ``top`` and everything below it.

    Args:
        top: where to start.
        follow: stat through symbolic links everywhere (``-L``).
        follow_top: stat through a symbolic link given as ``top`` (``-H``).
        post: visit each directory a second time after its contents.
        descend: decides whether to enter a directory (default: always).
        on_error: told about a path that cannot be stat'ed or a directory that cannot
            be read; the walk goes on without it.

    Yields:
        Entries, pre-order, children in directory order.
    """
    try:
        st = await (sys.stat(top) if follow or follow_top else sys.lstat(top))
    except Error as err:
        if on_error is not None:
            await on_error(top, err)
        return
    stack: list[tuple[Entry, list[str] | None]] = [(Entry(top, st, 0), None)]
    visited = 0
    while stack:
        entry, pending = stack[-1]
        if pending is None:
            yield entry
            visited += 1
            if visited % 200 == 0:
                await sys.checkpoint()
            if not S_ISDIR(entry.stat.st_mode) or (descend is not None and not descend(entry)):
                stack.pop()
                continue
            try:
                names = await listdir(entry.path)
            except Error as err:
                if on_error is not None:
                    await on_error(entry.path, err)
                names = []
            names.reverse()
            stack[-1] = (entry, names)
            continue
        if not pending:
            stack.pop()
            if post:
                yield Entry(entry.path, entry.stat, entry.depth, post=True)
            continue
        path = join(entry.path, pending.pop())
        try:
            st = await (sys.stat(path) if follow else sys.lstat(path))
        except Error as err:
            if follow:
                try:
                    st = await sys.lstat(path)
                except Error:
                    st = None
            else:
                st = None
            if st is None:
                if on_error is not None:
                    await on_error(path, err)
                continue
        stack.append((Entry(path, st, entry.depth + 1), None))


MAX_SYMLINKS = 40


async def canonicalize(path: str, mode: str = "f") -> str:
    """An absolute path with no ``.``, ``..`` or symbolic links (readlink -f/-e/-m).

    Args:
        path: any path, relative to the working directory or absolute.
        mode: ``"e"`` every component must exist; ``"f"`` all but the last;
            ``"m"`` none need exist (what is missing is taken literally).

    Raises:
        Error: a component is missing (ENOENT), is not a directory (ENOTDIR), or
            links loop (ELOOP).
    """
    if not path:
        raise Error(ENOENT)
    base = "/" if path.startswith("/") else await sys.getcwd()
    done: list[str] = [c for c in base.split("/") if c]
    todo = [c for c in path.split("/") if c]
    todo.reverse()
    links = 0
    missing = False
    while todo:
        comp = todo.pop()
        if comp == ".":
            continue
        if comp == "..":
            if done:
                done.pop()
            continue
        here = "/" + "/".join([*done, comp])
        if missing:
            done.append(comp)
            continue
        try:
            st = await sys.lstat(here)
        except Error as err:
            last = not any(c not in (".",) for c in todo)
            if mode == "m" or (mode == "f" and last and err.errno == ENOENT):
                missing = True
                done.append(comp)
                continue
            raise
        if S_ISLNK(st.st_mode):
            links += 1
            if links > MAX_SYMLINKS:
                raise Error(ELOOP)
            target = await sys.readlink(here)
            if target.startswith("/"):
                done = []
            todo.extend(reversed([c for c in target.split("/") if c]))
            continue
        if todo and not S_ISDIR(st.st_mode):
            if mode == "m":
                missing = True
                done.append(comp)
                continue
            raise Error(ENOTDIR)
        done.append(comp)
    return "/" + "/".join(done)
