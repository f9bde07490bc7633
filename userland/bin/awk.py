"""``awk [-F FS] [-v var=value]… [-f progfile | 'prog'] [file | var=value]…``: pattern
scanning and processing, a POSIX awk (see :mod:`userland.libk.awk`).

Errors are reported as gawk does: ``awk: cmd. line:1: …`` with the line and a caret for
syntax errors (status 1), ``awk: fatal: …`` at run time
(status 2).
"""

from __future__ import annotations

from userland.libk import io as kio
from userland.libk import sys
from userland.libk.awk import values as v
from userland.libk.awk.awkio import Streams
from userland.libk.awk.builtins import AwkError
from userland.libk.awk.calls import process_escapes
from userland.libk.awk.interp import Exit, Interpreter, Next, NextFile
from userland.libk.awk.lexer import AwkSyntaxError
from userland.libk.awk.parser import parse

USAGE = """Usage: awk [POSIX or GNU style options] -f progfile [--] file ...
Usage: awk [POSIX or GNU style options] [--] 'program' file ...
POSIX options:\t\tGNU long options: (standard)
\t-f progfile\t\t--file=progfile
\t-F fs\t\t\t--field-separator=fs
\t-v var=val\t\t--assign=var=val

Examples:
\tawk '{ sum += $1 }; END { print sum }' file
\tawk -F: '{ print $1 }' /etc/passwd
"""


class Run(Interpreter):
    """An interpreter with awk's command-level behaviour: warnings and the main loop."""

    status = 0

    async def warn(self, message: str) -> None:
        """``awk: message`` on standard error (after flushing standard output)."""
        await self.streams.flush_all()
        await kio.write_all(2, f"awk: {message}\n".encode("latin-1", "replace"))

    async def rules(self) -> None:
        """The main loop: each record through every pattern-action rule."""
        prog = self.prog
        while True:
            rec = await self.calls.next_main()
            if rec is None:
                return
            self.set_record(rec)
            try:
                for i, (pattern, pattern2, action) in enumerate(prog.rules):
                    if not await self.selected(i, pattern, pattern2):
                        continue
                    if action is None:
                        await self.streams.stdout.write(
                            (v.to_str(self.fields[0]) + v.to_str(self.globals["ORS"])).encode(
                                "latin-1", "replace"
                            )
                        )
                    else:
                        await self.execute(action)
            except Next:
                pass
            except NextFile:
                if self.main is not None and self.main.fd > 0:
                    await sys.close(self.main.fd)
                self.main = None
            await sys.checkpoint()

    async def selected(self, i: int, pattern: object, pattern2: object) -> bool:
        if pattern is None:
            return True
        if pattern2 is None:
            return v.to_bool(await self.eval(pattern))  # type: ignore[arg-type]
        if self.ranges[i]:
            if v.to_bool(await self.eval(pattern2)):  # type: ignore[arg-type]
                self.ranges[i] = False
            return True
        if v.to_bool(await self.eval(pattern)):  # type: ignore[arg-type]
            self.ranges[i] = not v.to_bool(await self.eval(pattern2))  # type: ignore[arg-type]
            return True
        return False


def syntax_message(src: str, err: AwkSyntaxError, where: str) -> str:
    """gawk's report: the source line, a caret under the error, the message."""
    line_no = src.count("\n", 0, err.pos) + 1
    start = src.rfind("\n", 0, err.pos) + 1
    end = src.find("\n", err.pos)
    line = src[start : end if end >= 0 else len(src)]
    at_end = err.pos >= len(src.rstrip("\n"))
    message = str(err)
    if message == "syntax error" and at_end:
        message = "unexpected newline or end of string"
    caret = " " * (err.pos - start) + "^ " + message
    return f"awk: {where}:{line_no}: {line}\nawk: {where}:{line_no}: {caret}\n"


def parse_args(argv: list[str]) -> tuple[str, list[str], list[str], list[str]]:
    """The options: FS (or ""), -v assignments, -f files, the rest.

    Raises:
        ValueError: an unknown option or a missing argument (gawk's message).
    """
    fs = ""
    assigns: list[str] = []
    files: list[str] = []
    i = 1
    while i < len(argv):
        a = argv[i]
        if a == "--":
            i += 1
            break
        if not a.startswith("-") or a == "-":
            break
        i += 1
        for long, short in (("--field-separator", "-F"), ("--assign", "-v"), ("--file", "-f")):
            if a.startswith(long + "="):
                a = short + a[len(long) + 1 :]
            elif a == long:
                a = short
        if a == "--help":
            raise LookupError
        if a[:2] in ("-F", "-v", "-f"):
            value = a[2:]
            if not value:
                if i >= len(argv):
                    raise ValueError(f"option requires an argument -- '{a[1]}'")
                value = argv[i]
                i += 1
            if a[1] == "F":
                fs = "\t" if value == "t" else process_escapes(value)
            elif a[1] == "v":
                assigns.append(value)
            else:
                files.append(value)
        elif a.startswith("--"):
            raise ValueError(f"unrecognized option '{a}'")
        else:
            raise ValueError(f"invalid option -- '{a[1]}'")
    return fs, assigns, files, argv[i:]


async def main(argv: list[str]) -> int:
    """Entry point."""
    argv = [_bytes_as_chars(a) for a in argv]
    try:
        fs, assigns, progfiles, rest = parse_args(argv)
    except LookupError:
        await kio.write_all(1, USAGE)
        return 0
    except ValueError as err:
        await kio.write_all(2, f"awk: {err}\n{USAGE}")
        return 1
    if progfiles:
        parts = []
        for name in progfiles:
            try:
                parts.append((await kio.read_file(name)).decode("latin-1"))
            except Exception as err:  # noqa: BLE001 - an Error from the kernel
                msg = getattr(err, "message", str(err))
                await kio.warn("awk", f"fatal: can't open source file `{name}' for reading: {msg}")
                return 2
        src, where = "\n".join(parts), progfiles[0]
    else:
        if not rest:
            await kio.write_all(2, USAGE)
            return 1
        src, where = rest.pop(0), "cmd. line"
    try:
        prog = parse(src)
    except AwkSyntaxError as err:
        await kio.write_all(2, syntax_message(src, err, where).encode("latin-1", "replace"))
        return 1
    out = kio.Output(1, 65536)
    it = Run(prog, Streams(out), "\n" not in src.strip())
    g = it.globals
    env = await sys.environ()
    g["ENVIRON"] = {_bytes_as_chars(k): v.strnum(_bytes_as_chars(x)) for k, x in env.items()}
    g["ARGV"] = {"0": "awk", **{str(i): v.strnum(a) for i, a in enumerate(rest, 1)}}
    g["ARGC"] = float(len(rest) + 1)
    if fs:
        g["FS"] = fs
    for a in assigns:
        name, eq, value = a.partition("=")
        if not eq or not name.replace("_", "a").isalnum() or name[0].isdigit():
            await kio.warn("awk", f"fatal: `{a}' is not a legal variable name")
            return 2
        g[name] = v.strnum(process_escapes(value))
    status = 0
    try:
        try:
            for block in prog.begin:
                await it.execute(block)
            if prog.rules or prog.end:
                await it.rules()
        except Exit as e:
            status = e.status or 0
        try:
            for block in prog.end:
                await it.execute(block)
        except Exit as e:
            status = e.status if e.status is not None else status
    except (AwkError, RecursionError, ArithmeticError, ValueError, TypeError) as err:
        where = "" if isinstance(err, AwkError) and err.plain else fatal_prefix(it)
        if isinstance(err, RecursionError):  # the evaluator recurses on the host's stack
            err = AwkError("function call nesting too deep")
        await it.warn(where + f"fatal: {err}")
        await it.streams.close_all()
        return 2
    except Exception as err:  # noqa: BLE001 - an Error from the kernel (EPIPE...)
        msg = getattr(err, "message", None)
        if msg is None:
            raise
        await kio.warn("awk", f"fatal: {msg}")
        return 2
    await it.streams.close_all()
    return status or it.status


def _bytes_as_chars(text: str) -> str:
    """A command-line string as awk sees it: one character per byte (the C locale)."""
    return text.encode("utf-8", "surrogateescape").decode("latin-1")


def fatal_prefix(it: Run) -> str:
    """gawk's location before ``fatal:``: the line, and the input position if reading."""
    where = "cmd. line:1: " if it.one_line else ""
    if it.used_file and it.main is not None or v.to_num(it.globals["NR"]) > 0:
        name = v.to_str(it.globals["FILENAME"]) or "-"
        fnr = v.to_str(it.globals["FNR"])
        where += f"(FILENAME={name} FNR={fnr}) "
    return where
