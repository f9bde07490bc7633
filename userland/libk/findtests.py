"""find's tests: the primaries that look at a file and answer true or false.

Each function here takes a test's arguments (already taken from the command line) and
returns the :data:`Test` to call on every entry the walk meets: ``-name``, ``-path``,
``-type``, ``-empty``, ``-newer``, ``-links``/``-inum``/``-uid``/``-gid``, ``-size``,
``-perm``, ``-user``/``-group``. A bad argument is a :class:`FindError`. The grammar,
the actions and the state shared with the walk are :mod:`userland.libk.findexpr`'s.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Awaitable, Callable

from kernel.abi import S_IFMT, Error
from userland.libk import io as kio
from userland.libk import sys
from userland.libk.walk import Entry, listdir

TYPE_BITS = {
    "f": 0o100000,
    "d": 0o040000,
    "l": 0o120000,
    "c": 0o020000,
    "b": 0o060000,
    "p": 0o010000,
    "s": 0o140000,
}


class FindError(Exception):
    """A bad expression; the message is what find prints after ``find: ``."""


Test = Callable[[Entry], Awaitable[bool]]


def name_test(pat: str, *, fold: bool) -> Test:
    """``-name``/``-iname``: the last path component matches a shell pattern."""

    async def name(e: Entry) -> bool:
        base = e.path.rstrip("/").rsplit("/", 1)[-1] or "/"
        if fold:
            return fnmatch.fnmatchcase(base.lower(), pat.lower())
        return fnmatch.fnmatchcase(base, pat)

    return name


def path_test(pat: str, *, fold: bool) -> Test:
    """``-path``/``-wholename`` (``-ipath``/``-iwholename``): the whole path matches."""

    async def whole_path(e: Entry) -> bool:
        if fold:
            return fnmatch.fnmatchcase(e.path.lower(), pat.lower())
        return fnmatch.fnmatchcase(e.path, pat)

    return whole_path


def type_test(spec: str) -> Test:
    """``-type c[,c…]``: the file type is one of those letters."""
    kinds = spec.split(",")
    if not spec or any(k not in TYPE_BITS for k in kinds):
        raise FindError(f"Unknown argument to -type: {spec}")
    wanted = {TYPE_BITS[k] for k in kinds}

    async def type_is(e: Entry) -> bool:
        return e.stat.st_mode & S_IFMT in wanted

    return type_is


async def empty(e: Entry) -> bool:
    """``-empty``: an empty regular file or directory."""
    kind = e.stat.st_mode & S_IFMT
    if kind == 0o100000:
        return e.stat.st_size == 0
    if kind == 0o040000:
        try:
            return not await listdir(e.path)
        except Error:
            return False
    return False


def newer(ref: str) -> Test:
    """``-newer FILE``: modified after FILE (stat'ed once, on first use)."""
    box: list[int] = []

    async def newer_than(e: Entry) -> bool:
        if not box:
            try:
                box.append((await sys.stat(ref)).st_mtime_ns)
            except Error as err:
                raise FindError(f"'{ref}': {err.message}") from None
        return e.stat.st_mtime_ns > box[0]

    return newer_than


def numeric(tok: str, val: str) -> Callable[[int], bool]:
    """A comparison for ``N`` (exactly), ``+N`` (more) or ``-N`` (less)."""
    sign = val[:1] if val[:1] in "+-" else ""
    digits = val[len(sign) :]
    if not digits.isdigit():
        raise FindError(f"invalid argument `{val}' to `{tok}'")
    n = int(digits)
    if sign == "+":
        return lambda x: x > n
    if sign == "-":
        return lambda x: x < n
    return lambda x: x == n


STAT_FIELDS = {"-links": "st_nlink", "-inum": "st_ino", "-uid": "st_uid", "-gid": "st_gid"}


def stat_test(tok: str, val: str) -> Test:
    """``-links``/``-inum``/``-uid``/``-gid`` ``N``, ``+N`` or ``-N``: that stat field."""
    field_name = STAT_FIELDS[tok]
    cmp = numeric(tok, val)

    async def num_test(e: Entry) -> bool:
        return cmp(getattr(e.stat, field_name))

    return num_test


def size_test(val: str) -> Test:
    """``-size N[cwbkMG]``: the size rounded up to units (512-byte blocks by default)."""
    units = {"c": 1, "w": 2, "b": 512, "k": 1024, "M": 1024**2, "G": 1024**3}
    unit = 512
    if val and val[-1] in units:
        unit = units[val[-1]]
        val = val[:-1]
    cmp = numeric("-size", val)

    async def size(e: Entry) -> bool:
        return cmp(-(-e.stat.st_size // unit))

    return size


def perm_test(val: str) -> Test:
    """``-perm MODE`` exactly, ``-MODE`` all of these bits, ``/MODE`` any of them."""
    from userland.libk.fmt import ModeError, parse_mode

    how = val[:1] if val[:1] in "-/" else ""
    try:
        bits = parse_mode(val[len(how) :], 0)
    except ModeError:
        raise FindError(f"invalid mode `{val}'") from None

    async def perm(e: Entry) -> bool:
        mode = e.stat.st_mode & 0o7777
        if how == "-":
            return mode & bits == bits
        if how == "/":
            return bits == 0 or bool(mode & bits)
        return mode == bits

    return perm


def owner_test(tok: str, name: str) -> Test:
    """``-user``/``-group`` NAME or number (the name looked up on first use)."""
    attr = "st_uid" if tok == "-user" else "st_gid"
    wanted: list[int] = []

    async def owner(e: Entry) -> bool:
        if not wanted:
            table = "/etc/passwd" if tok == "-user" else "/etc/group"
            try:
                text = (await kio.read_file(table)).decode(errors="replace")
            except Error:
                text = ""
            for line in text.splitlines():
                f = line.split(":")
                if len(f) >= 3 and f[0] == name and f[2].isdigit():
                    wanted.append(int(f[2]))
                    break
            else:
                if not name.isdigit():
                    what = "user" if tok == "-user" else "group"
                    raise FindError(f"'{name}' is not the name of a known {what}")
                wanted.append(int(name))
        return getattr(e.stat, attr) == wanted[0]

    return owner
