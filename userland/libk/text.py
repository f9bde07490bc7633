"""Shared plumbing for the text utilities: input files, line batches, usage and write
errors, POSIX character classes and the translation of POSIX regular expressions to Python's.

Everything works on bytes, as GNU tools do under ``LC_ALL=C``: a line is a run of
bytes ending in ``\\n`` (the last line may lack it), a character is a byte.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Awaitable, Callable

from kernel.abi import O_RDONLY, Error
from userland.libk import args, sys
from userland.libk import io as kio

CHUNK = 65536

#: POSIX character classes as byte sets (the C locale).
CLASSES: dict[str, bytes] = {
    "alpha": bytes(range(65, 91)) + bytes(range(97, 123)),
    "upper": bytes(range(65, 91)),
    "lower": bytes(range(97, 123)),
    "digit": b"0123456789",
    "xdigit": b"0123456789ABCDEFabcdef",
    "alnum": b"0123456789" + bytes(range(65, 91)) + bytes(range(97, 123)),
    "space": b" \t\n\r\f\v",
    "blank": b" \t",
    "punct": bytes(c for c in range(33, 127) if not chr(c).isalnum()),
    "print": bytes(range(32, 127)),
    "graph": bytes(range(33, 127)),
    "cntrl": bytes(range(32)) + b"\x7f",
}


async def usage_error(prog: str, err: args.UsageError | str, status: int = 1) -> int:
    """Print ``prog: message`` and the ``Try 'prog --help'`` hint; return ``status``."""
    await kio.warn(prog, f"{err}\nTry '{prog} --help' for more information.")
    return status


async def options(
    prog: str,
    argv: list[str],
    spec: str,
    usage: str,
    *,
    status: int = 1,
    hint: str | None = None,
    help_flags: str = "",
    long: dict[str, str] | None = None,
    permute: bool = True,
) -> args.Options | int:
    """Parse ``argv`` as :func:`args.getopt` does, with the usual GNU answers.

    A caller ends with the returned status when it is an ``int``::

        opts = await text.options("head", argv, "n:c:qv", USAGE, long=LONG)
        if isinstance(opts, int):
            return opts

    Args:
        prog: the program name for the error message.
        argv: the program's argv.
        spec: the getopt string.
        usage: what ``--help`` prints on standard output.
        status: the exit status of a usage error (GNU tools use 1 or 2).
        hint: what follows ``prog: message`` on a usage error; the default is
            ``Try 'prog --help' for more information.`` (procps tools print their usage).
        help_flags: short flags that ask for help as ``--help`` does (``"h"``).
        long: long option -> short flag, as for :func:`args.getopt`.
        permute: options may follow operands, as for :func:`args.getopt`.

    Returns:
        The options; or ``status`` after the error message on standard error; or 0 after
        the usage on standard output for ``--help``.
    """
    try:
        opts = args.getopt(argv, spec, long=long, permute=permute)
    except args.UsageError as err:
        if hint is None:
            return await usage_error(prog, err, status)
        await kio.warn(prog, f"{err}\n{hint}")
        return status
    if opts.help or any(opts.has(flag) for flag in help_flags):
        await kio.write_all(1, usage)
        return 0
    return opts


async def finish(
    out: kio.Output, prog: str, status: int, what: str = "write error", failed: int = 1
) -> int:
    """Flush ``out`` at the end of a run and return the exit status.

    Args:
        out: the buffered standard output.
        prog: the program name for the warning.
        status: what to return when the flush succeeds.
        what: the words before the error (GNU head and tail say
            ``error writing 'standard output'``).
        failed: what to return when it fails.

    Returns:
        ``status``, or ``failed`` after ``prog: what: message`` if the write failed.
    """
    try:
        await out.flush()
    except Error as err:
        await kio.warn(prog, f"{what}: {err.message}")
        return failed
    return status


async def open_input(prog: str, name: str, message: str = "{name}: {msg}") -> int | None:
    """Open an input operand (``-`` is standard input); warn and return None on error.

    ``message`` shapes the warning from the operand ``{name}`` and the error ``{msg}``.
    """
    if name == "-":
        return 0
    try:
        return await sys.open(name, O_RDONLY)
    except Error as err:
        await kio.warn(prog, message.format(name=name, msg=err.message))
        return None


async def close_input(fd: int) -> None:
    """Close what :func:`open_input` opened (standard input stays open)."""
    if fd > 0:
        try:
            await sys.close(fd)
        except Error:
            pass


async def each_input(
    prog: str,
    names: list[str],
    body: Callable[[int, str], Awaitable[object]],
    *,
    cannot_open: str = "{name}: {msg}",
    cannot_read: str = "{name}: {msg}",
    out: kio.Output | None = None,
) -> int:
    """Run ``body(fd, name)`` on each input operand in turn, opening and closing it.

    An operand that cannot be opened, or whose ``body`` raises :class:`Error`, is
    reported (``prog: `` and ``cannot_open`` or ``cannot_read``, shaped from ``{name}``
    and ``{msg}``) and the next one is taken.

    Args:
        prog: the program name for warnings.
        names: the operands (``-`` is standard input).
        body: what to do with each open input.
        cannot_open: the warning when an operand cannot be opened.
        cannot_read: the warning when ``body`` fails.
        out: flushed before a read error is reported, so the output comes first.

    Returns:
        1 if any operand failed, else 0.
    """
    status = 0
    for name in names:
        fd = await open_input(prog, name, cannot_open)
        if fd is None:
            status = 1
            continue
        try:
            await body(fd, name)
        except Error as err:
            if out is not None:
                await out.flush()
            await kio.warn(prog, cannot_read.format(name=name, msg=err.message))
            status = 1
        finally:
            await close_input(fd)
    return status


async def chunks(fd: int, size: int = CHUNK) -> AsyncIterator[bytes]:
    """Read ``fd`` to end of file in reads of ``size`` bytes."""
    read = sys.read
    while True:
        data = await read(fd, size)
        if not data:
            return
        yield data


async def line_batches(fd: int) -> AsyncIterator[list[bytes]]:
    """Whole lines (newline kept) of ``fd``, a batch per read; the last may lack ``\\n``."""
    rest = b""
    read = sys.read
    while True:
        data = await read(fd, CHUNK)
        if not data:
            if rest:
                yield [rest]
            return
        if rest:
            data = rest + data
        cut = data.rfind(b"\n") + 1
        rest = data[cut:]
        if cut:
            yield data[:cut].splitlines(keepends=True)
            await sys.checkpoint()


async def read_input(prog: str, name: str) -> bytes | None:
    """The whole content of an operand, or None (after a warning) if it cannot be read."""
    fd = await open_input(prog, name)
    if fd is None:
        return None
    try:
        return await kio.read_all(fd)
    except Error as err:
        await kio.warn(prog, f"{name}: {err.message}")
        return None
    finally:
        await close_input(fd)


async def read_inputs(prog: str, names: list[str]) -> tuple[bytes, int]:
    """The operands' contents joined, and 1 if any could not be read (after a warning)."""
    data = bytearray()
    status = 0
    for name in names:
        got = await read_input(prog, name)
        if got is None:
            status = 1
            continue
        data += got
    return bytes(data), status


def split_lines(data: bytes, sep: bytes = b"\n") -> list[bytes]:
    """Lines of ``data`` without their terminators (a missing last one is allowed)."""
    if not data:
        return []
    lines = data.split(sep)
    if lines[-1] == b"":
        lines.pop()
    return lines


# --- regular expressions -------------------------------------------------------------


class RegexError(Exception):
    """A malformed POSIX regular expression; the message is GNU's wording."""


def _bracket(pat: bytes, i: int) -> tuple[bytes, int]:
    """Translate the bracket expression starting after ``[`` at ``i``; return it and the
    index after its ``]``."""
    out = bytearray(b"[")
    if i < len(pat) and pat[i : i + 1] == b"^":
        out += b"^"
        i += 1
    first = True
    while True:
        if i >= len(pat):
            raise RegexError("Unmatched [, [^, [:, [., or [=")
        c = pat[i : i + 1]
        if c == b"]" and not first:
            out += b"]"
            return bytes(out), i + 1
        first = False
        if c == b"[" and pat[i + 1 : i + 2] in (b":", b"=", b"."):
            kind = pat[i + 1 : i + 2]
            end = pat.find(kind + b"]", i + 2)
            if end < 0:
                raise RegexError("Unmatched [, [^, [:, [., or [=")
            name = pat[i + 2 : end]
            if kind == b":":
                members = CLASSES.get(name.decode("latin-1"))
                if members is None:
                    raise RegexError("Invalid character class name")
            else:
                members = name
            out += b"".join(re.escape(bytes([b])) for b in members)
            i = end + 2
            continue
        if c in b"\\[^" or (c == b"-" and pat[i + 1 : i + 2] == b"]"):
            out += b"\\" + c
        else:
            out += c
        i += 1


_INTERVAL = re.compile(rb"(\d*)(,(\d*))?")


def translate(pattern: bytes, extended: bool = False) -> bytes:
    """A POSIX basic (or, with ``extended``, extended) regular expression as a Python one.

    GNU's extensions are kept: ``\\+ \\? \\|`` in basic expressions, ``\\< \\> \\b \\B
    \\w \\W \\s \\S``, back-references ``\\1``-``\\9``.

    Raises:
        RegexError: unmatched brackets or parentheses, a bad interval.
    """
    out = bytearray()
    i = 0
    n = len(pattern)
    depth = 0
    at_start = True  # where a * is literal and ^ is an anchor
    while i < n:
        c = pattern[i : i + 1]
        i += 1
        start = at_start
        at_start = False
        if c == b"\\":
            if i >= n:
                raise RegexError("Trailing backslash")
            e = pattern[i : i + 1]
            i += 1
            group_open, group_close, alt = (b"(", b")", b"|")
            if not extended and e == group_open:
                out += b"("
                depth += 1
                at_start = True
            elif not extended and e == group_close:
                if depth == 0:
                    raise RegexError("Unmatched ) or \\)")
                out += b")"
                depth -= 1
            elif not extended and e == alt:
                out += b"|"
                at_start = True
            elif not extended and e == b"{":
                i = _interval(pattern, i, out, b"\\}")
            elif not extended and e in b"+?":
                out += b"\\" + e if start else e
            elif e == b"<":
                out += rb"\b(?=\w)"
            elif e == b">":
                out += rb"\b(?<=\w)"
            elif e in b"123456789bBwWsS`'":
                out += {b"`": rb"\A", b"'": rb"\Z"}.get(e, b"\\" + e)
            elif e == b"n":
                out += b"\\n"
            else:
                out += re.escape(e)
        elif c == b"[":
            bracket, i = _bracket(pattern, i)
            out += bracket
        elif c == b"*":
            out += b"\\*" if start else b"*"
        elif c == b"^":
            if start or extended:
                out += b"^"
                at_start = True
            else:
                out += b"\\^"
        elif c == b"$":
            rest = pattern[i:]
            if extended or not rest or rest.startswith((b"\\)", b"\\|")):
                out += b"$"
            else:
                out += b"\\$"
        elif c == b".":
            out += b"."
        elif extended and c == b"(":
            out += b"("
            depth += 1
            at_start = True
        elif extended and c == b")":
            if depth == 0:
                out += b"\\)"
            else:
                out += b")"
                depth -= 1
        elif extended and c == b"|":
            out += b"|"
            at_start = True
        elif extended and c in b"+?":
            out += b"\\" + c if start else c
        elif extended and c == b"{":
            if start or not _INTERVAL.fullmatch(pattern, i, max(i, pattern.find(b"}", i))):
                out += b"\\{"
            else:
                i = _interval(pattern, i, out, b"}")
        else:
            out += re.escape(c)
    if depth:
        raise RegexError("Unmatched ( or \\(")
    return bytes(out)


def _interval(pattern: bytes, i: int, out: bytearray, close: bytes) -> int:
    end = pattern.find(close, i)
    if end < 0:
        raise RegexError("Unmatched \\{")
    body = pattern[i:end]
    m = _INTERVAL.fullmatch(body)
    if not m or not body or body == b",":
        raise RegexError("Invalid content of \\{\\}")
    low, high = m.group(1), m.group(3)
    if low and high and int(low) > int(high):
        raise RegexError("Invalid content of \\{\\}")
    out += b"{" + (low or b"0") + (b"," + high if m.group(2) else b"") + b"}"
    return end + len(close)


def compile_posix(pattern: bytes, *, extended: bool = False, icase: bool = False) -> re.Pattern:
    """Compile a POSIX regular expression for bytes.

    Raises:
        RegexError: the expression is malformed.
    """
    try:
        return re.compile(translate(pattern, extended), re.IGNORECASE if icase else 0)
    except re.error as err:
        raise RegexError(str(err)) from None
