"""``sed [-nEsr] [-i[SUFFIX]] [-e SCRIPT]… [-f FILE]… [SCRIPT] [file…]``: the stream
editor.

The script is parsed by :mod:`userland.libk.sedparse`; this module runs it: the pattern
and hold spaces, addresses and ranges, the append queue, ``-n``, ``-s`` and ``-i`` (each
file on its own, written back through a temporary file and rename, with a backup when a
SUFFIX is given). A last line without a newline is printed without one, as GNU sed does.
Exit status: 0; 1 a bad script or option; 2 an input file could not be read; 4 an I/O
error; or the status given to ``q``/``Q``.
"""

from __future__ import annotations

import re

from kernel.abi import O_CREAT, O_EXCL, O_TRUNC, O_WRONLY, Error
from userland.libk import io as kio
from userland.libk import sys, text
from userland.libk.sedio import Input, escape_l, expand, needs_last
from userland.libk.sedparse import Command, Parser, Piece, SedError

USAGE = """Usage: sed [OPTION]... {script-only-if-no-other-script} [input-file]...

  -n, --quiet, --silent
                 suppress automatic printing of pattern space
  -e script, --expression=script
                 add the script to the commands to be executed
  -f script-file, --file=script-file
                 add the contents of script-file to the commands to be executed
  -i[SUFFIX], --in-place[=SUFFIX]
                 edit files in place (makes backup if SUFFIX supplied)
  -E, -r, --regexp-extended
                 use extended regular expressions in the script
                 (for portability use POSIX -E).
  -s, --separate
                 consider files as separate rather than as a single
                 continuous long stream.
      --help     display this help and exit

If no -e, --expression, -f, or --file option is given, then the first
non-option argument is taken as the sed script to interpret.  All
remaining arguments are names of input files; if no input files are
specified, then the standard input is read.
"""

LONG = {
    "quiet": "n",
    "silent": "n",
    "expression": "e",
    "file": "f",
    "in-place": "i",
    "regexp-extended": "E",
    "separate": "s",
    "posix": "",
}


class Quit(Exception):
    """``q`` or ``Q``: stop with a status."""

    def __init__(self, status: int) -> None:
        self.status = status


class Sed:
    """One run of a script over the input."""

    def __init__(self, commands: list[Command], quiet: bool, separate: bool) -> None:
        self.cmds = commands
        self.quiet = quiet
        self.separate = separate
        self.out = kio.Output(1, 65536)
        self.missing = False  # the last output lacked its newline
        self.lineno = 0
        self.last_regex: re.Pattern[bytes] | None = None
        self.hold = b""
        self.hold_nl = True  # does the hold space end with a newline when printed
        self.files: dict[str, kio.Output] = {}
        self.r_lines: dict[bytes, list[bytes]] = {}  # R: each file's lines not yet read

    async def emit(self, data: bytes, newline: bool = True, out: kio.Output | None = None) -> None:
        out = out or self.out
        if self.missing and out is self.out:
            await out.write(b"\n")
        await out.write(data + (b"\n" if newline else b""))
        if out is self.out:
            self.missing = not newline

    def regex(self, rx: re.Pattern[bytes] | None) -> re.Pattern[bytes]:
        if rx is None:
            if self.last_regex is None:
                raise SedError("no previous regular expression")
            return self.last_regex
        self.last_regex = rx
        return rx

    def at(self, addr, ps: bytes, is_last: bool) -> bool:  # type: ignore[no-untyped-def]
        if addr.kind == "line":
            return self.lineno == addr.num
        if addr.kind == "last":
            return is_last
        if addr.kind == "step":
            if addr.step <= 0:
                return self.lineno == addr.num
            return self.lineno >= addr.num and (self.lineno - addr.num) % addr.step == 0
        return self.regex(addr.regex).search(ps) is not None

    def selected(self, cmd: Command, ps: bytes, is_last: bool) -> bool:
        if cmd.a1 is None:
            return not cmd.negate
        if cmd.a2 is None:
            return self.at(cmd.a1, ps, is_last) != cmd.negate
        if cmd.active:
            a2 = cmd.a2
            if a2.kind in ("line", "plus"):
                if self.lineno >= cmd.end:
                    cmd.active = False
                    return (self.lineno == cmd.end or a2.kind == "plus") != cmd.negate
            elif self.at(a2, ps, is_last):
                cmd.active = False
            return not cmd.negate
        zero = cmd.a1.kind == "line" and cmd.a1.num == 0
        start = self.lineno == 1 if zero else self.at(cmd.a1, ps, is_last)
        if not start:
            return cmd.negate
        a2 = cmd.a2
        if zero:
            cmd.active = not self.at(a2, ps, is_last)
            return not cmd.negate
        if a2.kind == "line":
            cmd.end = a2.num
            cmd.active = a2.num > self.lineno
        elif a2.kind == "plus":
            cmd.end = self.lineno + a2.num
            cmd.active = a2.num > 0
        elif a2.kind == "last":
            cmd.active = not is_last
        else:
            cmd.active = True
        return not cmd.negate

    def substitute(self, cmd: Command, ps: bytes) -> tuple[bytes, bool]:
        rx = self.regex(cmd.regex)
        out = bytearray()
        pos = 0
        count = 0
        done = False
        prev = -1
        for m in rx.finditer(ps):
            if m.start() == m.end() == prev:
                continue  # an empty match right after a match is not one (POSIX)
            prev = m.end()
            count += 1
            if count < cmd.occurrence:
                continue
            out += ps[pos : m.start()] + expand(cmd.repl, m)
            pos = m.end()
            done = True
            if not cmd.glob:
                break
        if not done:
            return ps, False
        return bytes(out) + ps[pos:], True

    async def run(self, inp: Input) -> int:
        """Run the script over every line of the input; return the exit status."""
        across = not self.separate
        if not await inp.open_next():
            return inp.status
        while True:
            line = await inp.next_line(across)
            if line is None:
                if across or not await inp.open_next():
                    break
                self.lineno = 0
                await self.end_file()
                continue
            status = await self.cycle(line, inp, across)
            if status is not None:
                return status
        await self.end_file()
        return inp.status

    async def end_file(self) -> None:
        """Hook for -i: the output of a file is complete."""

    async def is_last(self, inp: Input, across: bool) -> bool:
        await inp.fill(across)
        return inp.ahead is None

    async def cycle(self, line: bytes, inp: Input, across: bool) -> int | None:
        self.lineno += 1
        newline = line.endswith(b"\n")
        ps = line[:-1] if newline else line
        appends: list[bytes] = []
        subst = False
        pc = 0
        cmds = self.cmds
        autoprint = not self.quiet
        while pc < len(cmds):
            cmd = cmds[pc]
            pc += 1
            last = await self.is_last(inp, across) if needs_last(cmd) else False
            if not self.selected(cmd, ps, last):
                if cmd.name == "{":
                    pc = cmd.target
                continue
            name = cmd.name
            if name == "{":
                continue
            if name == "s":
                ps, did = self.substitute(cmd, ps)
                if did:
                    subst = True
                    for _ in range(cmd.print_):
                        await self.emit(ps, newline)
                    if cmd.wfile:
                        await self.emit(ps, True, await self.wfile(cmd.wfile))
            elif name == "p":
                await self.emit(ps, newline)
            elif name == "d":
                autoprint = False
                break
            elif name == "D":
                if b"\n" not in ps:
                    autoprint = False
                    break
                ps = ps[ps.index(b"\n") + 1 :]
                await self.flush_appends(appends)
                appends = []
                pc = 0
                subst = False
                continue
            elif name == "=":
                await self.emit(str(self.lineno).encode())
            elif name == "i":
                await self.emit(cmd.text)
            elif name == "a":
                appends.append(cmd.text + b"\n")
            elif name == "r":
                appends.append(await self.read_file(cmd.text))
            elif name == "R":
                appends.append(await self.read_line(cmd.text))
            elif name == "c":
                autoprint = False
                if cmd.a2 is None or cmd.negate or not cmd.active:
                    await self.emit(cmd.text)
                break
            elif name == "y":
                ps = ps.translate(cmd.ymap)
            elif name in "qQ":
                if name == "q" and not self.quiet:
                    await self.emit(ps, newline)
                await self.flush_appends(appends)
                raise Quit(cmd.status)
            elif name in "nN":
                if await self.is_last(inp, across):
                    break
                if name == "n" and not self.quiet:
                    await self.emit(ps, newline)
                await self.flush_appends(appends)
                appends = []
                nxt = await inp.next_line(across) or b""
                self.lineno += 1
                newline = nxt.endswith(b"\n")
                body = nxt[:-1] if newline else nxt
                ps = ps + b"\n" + body if name == "N" else body
            elif name == "g":
                ps, newline = self.hold, self.hold_nl
            elif name == "G":
                ps, newline = ps + b"\n" + self.hold, self.hold_nl
            elif name == "h":
                self.hold, self.hold_nl = ps, newline
            elif name == "H":
                self.hold, self.hold_nl = self.hold + b"\n" + ps, newline
            elif name == "x":
                ps, self.hold = self.hold, ps
                newline, self.hold_nl = self.hold_nl, newline
            elif name == "z":
                ps = b""
            elif name == "P":
                await self.emit(ps.split(b"\n", 1)[0])
            elif name == "l":
                await self.emit(escape_l(ps))
            elif name == "b":
                pc = cmd.target
            elif name == "t":
                if subst:
                    subst = False
                    pc = cmd.target
            elif name == "T":
                if not subst:
                    pc = cmd.target
                else:
                    subst = False
            elif name in "wW":
                data = ps if name == "w" else ps.split(b"\n", 1)[0]
                await self.emit(data, True, await self.wfile(cmd.text.decode("latin-1")))
        if autoprint:
            await self.emit(ps, newline)
        await self.flush_appends(appends)
        return None

    async def flush_appends(self, appends: list[bytes]) -> None:
        for data in appends:
            if data:
                if self.missing:
                    await self.out.write(b"\n")
                    self.missing = False
                await self.out.write(data)  # as is: GNU adds no newline after r/R text

    async def read_file(self, name: bytes) -> bytes:
        try:
            return await kio.read_file(name.decode("latin-1"))
        except Error:
            return b""

    async def read_line(self, name: bytes) -> bytes:
        """``R``: the next line of the file (with a newline), or nothing at its end."""
        if name not in self.r_lines:
            data = await self.read_file(name)
            self.r_lines[name] = data.splitlines(keepends=True)[::-1]
        lines = self.r_lines[name]
        if not lines:
            return b""
        return lines.pop()

    async def wfile(self, name: str) -> kio.Output:
        if name == "/dev/stdout":
            return self.out
        if name not in self.files:
            fd = await sys.open(name, O_WRONLY | O_CREAT | O_TRUNC, 0o666)
            self.files[name] = kio.Output(fd, 1)
        return self.files[name]


class InPlace(Sed):
    """``-i``: each file is edited on its own and written back."""

    def __init__(self, commands: list[Command], quiet: bool, suffix: str) -> None:
        super().__init__(commands, quiet, True)
        self.suffix = suffix
        self.name = ""

    async def start(self, inp: Input) -> None:
        self.name = inp.current
        self.lineno = 0
        self.out = kio.Output(await sys.open(self.temp(), O_WRONLY | O_CREAT | O_EXCL, 0o644))
        self.missing = False

    def temp(self) -> str:
        head, _, base = self.name.rpartition("/")
        return (head + "/" if head else "") + ".sed" + base + "~tmp"

    async def end_file(self) -> None:
        if not self.name:
            return
        await self.out.flush()
        await sys.close(self.out.fd)
        if self.suffix:
            head, _, base = self.name.rpartition("/")
            if "*" in self.suffix:
                backup = self.suffix.replace("*", base)
                if "/" not in backup:
                    backup = (head + "/" if head else "") + backup
            else:
                backup = self.name + self.suffix
            await sys.rename(self.name, backup)
        await sys.rename(self.temp(), self.name)
        self.name = ""

    async def run(self, inp: Input) -> int:
        while await inp.open_next():
            await self.start(inp)
            try:
                while (line := await inp.next_line(False)) is not None:
                    await self.cycle(line, inp, False)
            except Quit:
                await self.end_file()
                raise
            await self.end_file()
        return inp.status


def parse_args(argv: list[str]) -> tuple[dict[str, object], list[tuple[str, str]], list[str]]:
    """The command line: flags, script pieces (``e`` text or ``f`` file), operands.

    Raises:
        ValueError: an unknown option or a missing argument (the message is GNU's).
    """
    flags: dict[str, object] = {}
    pieces: list[tuple[str, str]] = []
    operands: list[str] = []
    i = 1
    while i < len(argv):
        a = argv[i]
        i += 1
        if a == "--":
            operands += argv[i:]
            break
        if a.startswith("--"):
            name, eq, value = a[2:].partition("=")
            matches = [k for k in [*LONG, "help"] if k.startswith(name)]
            if name in LONG or name == "help":
                matches = [name]
            if len(matches) != 1:
                raise ValueError(f"unrecognized option '{a}'")
            name = matches[0]
            if name == "help":
                flags["help"] = True
            elif name in ("expression", "file"):
                if not eq:
                    if i >= len(argv):
                        raise ValueError(f"option '--{name}' requires an argument")
                    value = argv[i]
                    i += 1
                pieces.append((LONG[name], value))
            elif name == "in-place":
                flags["i"] = value
            elif LONG[name]:
                flags[LONG[name]] = True
            continue
        if not a.startswith("-") or a == "-":
            operands.append(a)
            continue
        j = 1
        while j < len(a):
            c = a[j]
            j += 1
            if c in "ef":
                value = a[j:]
                if not value:
                    if i >= len(argv):
                        raise ValueError(f"option requires an argument -- '{c}'")
                    value = argv[i]
                    i += 1
                pieces.append((c, value))
                break
            if c == "i":
                flags["i"] = a[j:]
                break
            if c in "nEsru":
                flags["E" if c == "r" else c] = True
            else:
                raise ValueError(f"invalid option -- '{c}'")
    return flags, pieces, operands


async def main(argv: list[str]) -> int:
    """Entry point."""
    try:
        flags, given, operands = parse_args(argv)
    except ValueError as err:
        await kio.write_all(2, f"sed: {err}\n{USAGE}")
        return 1
    if flags.get("help"):
        await kio.write_all(1, USAGE)
        return 0
    if not given:
        if not operands:
            await kio.write_all(2, USAGE)
            return 1
        given = [("e", operands.pop(0))]
    script = bytearray()
    pieces: list[Piece] = []
    count = 0
    for kind, value in given:
        if kind == "e":
            count += 1
            pieces.append(Piece(len(script), f"-e expression #{count}", False))
            script += value.encode() + b"\n"
        else:
            data = await text.read_input("sed", value)
            if data is None:
                return 1
            pieces.append(Piece(len(script), f"file {value}", True))
            script += data if data.endswith(b"\n") or not data else data + b"\n"
    try:
        commands = Parser(bytes(script), pieces, bool(flags.get("E"))).parse()
    except SedError as err:
        await kio.warn("sed", str(err))
        return err.status
    in_place = flags.get("i")
    if in_place is not None and not operands:
        await kio.warn("sed", "no input files")
        return 4
    quiet = bool(flags.get("n"))
    runner: Sed = (
        InPlace(commands, quiet, str(in_place))
        if in_place is not None
        else Sed(commands, quiet, bool(flags.get("s")))
    )
    inp = Input(operands or ["-"])
    inp.in_place = in_place is not None
    try:
        status = await runner.run(inp)
    except Quit as q:
        status = q.status
    except SedError as err:
        await runner.out.flush()
        await kio.warn("sed", str(err))
        return 4
    except Error as err:
        await kio.warn("sed", f"couldn't write: {err.message}")
        return 4
    for out in runner.files.values():
        await out.flush()
    return await text.finish(runner.out, "sed", status, "couldn't flush stdout", 4)
