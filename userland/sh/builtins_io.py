"""Builtins that read and format text: ``test``/``[``, ``printf`` and ``read``.

``test`` and ``printf`` share their engines with /bin/test and /bin/printf
(``userland.libk.testexpr``, ``userland.libk.printf``); the builtins differ only in
printing errors the way dash does (``sh: 1: test: Illegal number: x``).

``read -t TIMEOUT`` is bash's (dash has none): the whole line must come within TIMEOUT
seconds (decimals allowed; ``$TMOUT`` is the default), waited for with poll(2) on the
input before each byte, so it works on the console, pipes, FIFOs and sockets alike. On
timeout the status is 142 (128 + SIGALRM, as bash's) and the names get what was read so
far; ``-t 0`` reads nothing and says whether input is ready (or at end of file).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from kernel.abi import EBADF, EINTR, POLLERR, POLLHUP, POLLIN, POLLNVAL, S_ISREG, Error
from userland.libk import sys, testexpr
from userland.libk.printf import printf

if TYPE_CHECKING:
    from userland.sh.interp import IO, Shell

_FAST_INT = {"-eq", "-ne", "-lt", "-le", "-gt", "-ge"}
#: read's status when -t runs out, as bash's (128 + SIGALRM).
READ_TIMED_OUT = 142
_TIMEOUT = re.compile(r"\+?([0-9]*)(?:\.([0-9]*))?")
_READY = POLLIN | POLLHUP | POLLERR  # data, end of file, or an error to report


async def b_test(sh: Shell, argv: list[str], io: IO) -> int:
    """``test expr`` and ``[ expr ]``."""
    args = argv
    # The common loop condition `[ $i -lt N ]` without the general machinery.
    if len(args) == 5 and args[0] == "[" and args[4] == "]" and args[2] in _FAST_INT:
        a, b = args[1], args[3]
        if a.isdigit() and b.isdigit() and a.isascii() and b.isascii():
            x, y, op = int(a), int(b), args[2]
            ok = (
                x == y if op == "-eq" else
                x != y if op == "-ne" else
                x < y if op == "-lt" else
                x <= y if op == "-le" else
                x > y if op == "-gt" else
                x >= y
            )  # fmt: skip
            return 0 if ok else 1
    status, err = await testexpr.run(argv, sh.abspath)
    if err is not None:
        await sh.error(err.dash(argv[0]), io)
    return status


async def b_printf(sh: Shell, argv: list[str], io: IO) -> int:
    """``printf format [arguments…]``."""
    args = argv[1:]
    if args and args[0] == "--":
        args = args[1:]
    if not args:
        await sh.error("printf: usage: printf format [arg ...]", io)
        return 2
    result = printf(args[0], args[1:])
    for message in result.errors:
        await sh.error(f"printf: {message}", io)
    if result.output:
        try:
            await sh.write(io, 1, result.output.encode("utf-8", "surrogateescape"))
        except Error as err:
            await sh.error(f"printf: write error: {err.message}", io)
            return 1
    return result.status


def parse_timeout(text: str) -> int | None:
    """``read -t``'s TIMEOUT in nanoseconds: seconds with an optional fraction (``2``,
    ``0.5``, ``.25``, ``1.``), as bash takes them; None for anything else (a sign,
    hex, an exponent)."""
    m = _TIMEOUT.fullmatch(text)
    if m is None:
        return None
    whole, frac = m.group(1) or "0", (m.group(2) or "")[:9]
    return int(whole) * 1_000_000_000 + int(frac.ljust(9, "0"))


async def _wait_input(sh: Shell, fd: int, deadline: int) -> bool:
    """Wait with poll(2) until ``fd`` has input (or end of file) or the monotonic clock
    reaches ``deadline``; False when the time ran out. Caught signals run their traps
    and the wait goes on."""
    while True:
        left = deadline - await sys.clock_gettime()
        if left <= 0:
            return False
        try:
            (revents,) = await sys.poll([(fd, POLLIN)], -(-left // 1_000_000))
        except Error as err:
            if err.errno == EINTR:
                await sh.run_traps()
                continue
            raise
        if revents & POLLNVAL:
            raise Error(EBADF)
        if revents & _READY:
            return True


async def _ready(fd: int) -> bool:
    """``read -t 0``: would a read of ``fd`` return at once (input or end of file)?"""
    (revents,) = await sys.poll([(fd, POLLIN)], 0)
    if revents & POLLNVAL:
        raise Error(EBADF)
    return bool(revents & _READY)


async def _read_line(
    sh: Shell, fd: int, raw: bool, deadline: int | None = None
) -> tuple[list[tuple[str, bool]], bool, bool]:
    """One logical line from ``fd``: (char, protected) pairs, whether it ended (EOF),
    and whether ``deadline`` (monotonic ns; None: no limit) passed first, leaving the
    line as far as it came.

    Reads a byte at a time from pipes and terminals, so nothing past the newline is
    taken from a descriptor other programs share; from a regular file it reads a block
    and seeks back (a regular file is always ready: no waiting there).
    """
    chunked = False
    try:
        chunked = S_ISREG((await sys.fstat(fd)).st_mode)
    except Error:
        pass
    data = bytearray()
    chars: list[tuple[str, bool]] = []
    eof = timed_out = False
    escape = False
    while True:
        if chunked:
            block = await sys.read(fd, 512)
            nl = block.find(b"\n")
            if nl >= 0 and nl + 1 < len(block):
                await sys.lseek(fd, nl + 1 - len(block), 1)
                block = block[: nl + 1]
        else:
            if deadline is not None and not await _wait_input(sh, fd, deadline):
                timed_out = True
                break
            try:
                block = await sys.read(fd, 1)
            except Error as err:
                if err.errno == EINTR:
                    await sh.run_traps()
                    continue
                raise
        if not block:
            eof = True
            break
        data += block
        if data.endswith(b"\n"):
            if not raw and data.endswith(b"\\\n") and not _escaped_backslash(data):
                del data[-2:]  # line continuation
                if sh.interactive:
                    await sh.write({2: 2}, 2, sh.get("PS2") or "> ")
                continue
            del data[-1:]
            break
    text = data.decode(errors="surrogateescape")
    for c in text:
        if escape:
            chars.append((c, True))
            escape = False
        elif c == "\\" and not raw:
            escape = True
        else:
            chars.append((c, False))
    return chars, eof, timed_out


def _escaped_backslash(data: bytearray) -> bool:
    """Is the backslash before the final newline itself escaped (an even run)?"""
    n = 0
    i = len(data) - 2
    while i >= 0 and data[i] == 0x5C:
        n += 1
        i -= 1
    return n % 2 == 0


def split_fields(chars: list[tuple[str, bool]], ifs: str, count: int) -> list[str]:
    """Split a read line into ``count`` fields by IFS; the last takes the rest.

    Leading and trailing IFS white space is dropped; a protected character (after a
    backslash) never separates.
    """
    ws = {c for c in ifs if c in " \t\n"}
    other = {c for c in ifs if c not in " \t\n"}
    n = len(chars)
    i = 0
    while i < n and not chars[i][1] and chars[i][0] in ws:
        i += 1
    fields: list[str] = []
    while len(fields) < count - 1 and i < n:
        buf = []
        while i < n and (chars[i][1] or (chars[i][0] not in ws and chars[i][0] not in other)):
            buf.append(chars[i][0])
            i += 1
        fields.append("".join(buf))
        while i < n and not chars[i][1] and chars[i][0] in ws:
            i += 1
        if i < n and not chars[i][1] and chars[i][0] in other:
            i += 1
            while i < n and not chars[i][1] and chars[i][0] in ws:
                i += 1
    rest = chars[i:]
    while rest and not rest[-1][1] and rest[-1][0] in ws:
        rest.pop()
    if i < n or len(fields) < count:
        fields.append("".join(c for c, _ in rest))
    while len(fields) < count:
        fields.append("")
    return fields


async def b_read(sh: Shell, argv: list[str], io: IO) -> int:
    """``read [-r] [-p prompt] [-t timeout] [name…]``: one line from standard input into
    variables (status 1 at end of file, 142 when the timeout ran out)."""
    from userland.sh.builtins import valid_name

    raw = False
    prompt = ""
    timeout: int | None = None
    args = argv[1:]
    while args and args[0].startswith("-") and args[0] != "-":
        opt = args.pop(0)
        if opt == "--":
            break
        j = 1
        while j < len(opt):
            c = opt[j]
            if c == "r":
                raw = True
            elif c in "pt":
                if j + 1 < len(opt):
                    value = opt[j + 1 :]
                elif args:
                    value = args.pop(0)
                else:
                    await sh.error(f"read: -{c}: option requires an argument", io)
                    return 2
                if c == "p":
                    prompt = value
                else:
                    timeout = parse_timeout(value)
                    if timeout is None:
                        await sh.error(f"read: {value}: invalid timeout specification", io)
                        return 1
                break
            else:
                await sh.error(f"read: Illegal option -{c}", io)
                return 2
            j += 1
    names = args or ["REPLY"]
    for name in names:
        if not valid_name(name):
            await sh.error(f"read: {name}: bad variable name", io)
            return 2
    fd = io.get(0, 0)
    if fd is None:
        await sh.error("read: read error: Bad file descriptor", io)
        return 2
    if timeout is None:
        timeout = parse_timeout(sh.get("TMOUT") or "") or None  # bash's default timeout
    try:
        if timeout == 0:  # only look: nothing is read and no variable changes
            return 0 if await _ready(fd) else 1
        if prompt and sh.interactive:
            await sh.write(io, 2, prompt)
        deadline = None if timeout is None else await sys.clock_gettime() + timeout
        chars, eof, timed_out = await _read_line(sh, fd, raw, deadline)
    except Error as err:
        await sh.error(f"read: read error: {err.message}", io)
        return 2
    ifs = sh.get("IFS")
    fields = split_fields(chars, " \t\n" if ifs is None else ifs, len(names))
    for name, value in zip(names, fields, strict=True):
        sh.set_var(name, value)
    return READ_TIMED_OUT if timed_out else 1 if eof else 0


IO_BUILTINS = {"test": b_test, "[": b_test, "printf": b_printf, "read": b_read}
