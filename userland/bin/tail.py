"""``tail [-n [+]N] [-c [+]N] [-f] [-s SECS] [-qv] [file…]``: the last part of files.

``-n N`` the last N lines (10 by default), ``-n +K`` from line K on; ``-c`` the same
in bytes; ``-NUM`` is the old form of ``-n NUM``. ``-f`` keeps following the files
as they grow: it polls their sizes with ``fstat`` every SECS seconds of virtual time
(1 by default) and ends only on a signal.
"""

from __future__ import annotations

from kernel.abi import S_ISREG, SEEK_SET, Error
from userland.bin.head import old_form, parse_count
from userland.libk import io as kio
from userland.libk import sys, text

USAGE = """Usage: tail [OPTION]... [FILE]...
Print the last 10 lines of each FILE to standard output.
With more than one FILE, precede each with a header giving the file name.

With no FILE, or when FILE is -, read standard input.

  -c, --bytes=[+]NUM       output the last NUM bytes; or use -c +NUM to
                             output starting with byte NUM of each file
  -f, --follow             output appended data as the file grows
  -n, --lines=[+]NUM       output the last NUM lines, instead of the last 10;
                             or use -n +NUM to skip NUM-1 lines at the start
  -q, --quiet, --silent    never output headers giving file names
  -s, --sleep-interval=N   with -f, sleep for approximately N seconds
                             (default 1.0) between iterations
  -v, --verbose            always output headers giving file names
      --help               display this help and exit

NUM may have a multiplier suffix:
b 512, kB 1000, K 1024, MB 1000*1000, M 1024*1024,
GB 1000*1000*1000, G 1024*1024*1024, and so on for T, P, E, Z, Y.
"""

LONG = {
    "bytes": "c",
    "lines": "n",
    "follow": "f",
    "quiet": "q",
    "silent": "q",
    "verbose": "v",
    "sleep-interval": "s",
}


def last_part(data: bytes, count: int, lines: bool, from_start: bool) -> bytes:
    """The part of ``data`` that tail prints."""
    if not lines:
        if from_start:
            return data[max(count - 1, 0) :]
        return data[len(data) - count :] if count else b""
    if from_start:
        pos = -1
        for _ in range(count - 1):
            pos = data.find(b"\n", pos + 1)
            if pos < 0:
                return b""
        return data[pos + 1 :]
    if not count:
        return b""
    end = len(data) - 1 if data.endswith(b"\n") else len(data)
    pos = end
    for _ in range(count):
        pos = data.rfind(b"\n", 0, pos)
        if pos < 0:
            return data
    return data[pos + 1 :]


class Tail:
    """One run of tail: options, output, and the header state shared by -f."""

    def __init__(self, headers: bool) -> None:
        self.headers = headers
        self.out = kio.Output(1, 65536)
        self.last_shown: str | None = None
        self.first = True

    async def header(self, name: str) -> None:
        """``==> name <==`` when the output switches to another file."""
        if self.headers and self.last_shown != name:
            shown = "standard input" if name == "-" else name
            await self.out.write(f"{'' if self.first else chr(10)}==> {shown} <==\n")
        self.first = False
        self.last_shown = name


async def follow(t: Tail, files: list[tuple[str, int, int]], interval_ns: int) -> None:
    """Print what is appended to each (name, fd, offset) until a signal ends tail."""
    while True:
        for i, (name, fd, pos) in enumerate(files):
            try:
                size = (await sys.fstat(fd)).st_size
            except Error:
                continue
            if size < pos:
                await kio.warn("tail", f"{name}: file truncated")
                await sys.lseek(fd, 0, SEEK_SET)
                pos = 0
            while size > pos:
                data = await sys.read(fd, text.CHUNK)
                if not data:
                    break
                await t.header(name)
                await t.out.write(data)
                pos += len(data)
            files[i] = (name, fd, pos)
        await t.out.flush()
        await sys.nanosleep(interval_ns)


async def main(argv: list[str]) -> int:
    """Entry point."""
    opts = await text.options("tail", old_form(argv), "c:n:fFqvs:", USAGE, long=LONG)
    if isinstance(opts, int):
        return opts
    lines, count, from_start = True, 10, False
    interval_ns = 1_000_000_000
    for flag, value in opts.seen:
        if flag in "cn":
            assert value is not None
            from_start = value.startswith("+")
            parsed = parse_count(value[1:] if value[:1] in "-+" else value)
            if parsed is None:
                what = "bytes" if flag == "c" else "lines"
                await kio.warn("tail", f"invalid number of {what}: '{value}'")
                return 1
            lines, count = flag == "n", parsed
        elif flag == "s":
            try:
                seconds = float(value or "")
                if seconds < 0:
                    raise ValueError
            except ValueError:
                await kio.warn("tail", f"invalid number of seconds: '{value}'")
                return 1
            interval_ns = int(seconds * 1e9)
    files = opts.operands or ["-"]
    headers = len(files) > 1
    for flag, _ in opts.seen:
        if flag in "qv":
            headers = flag == "v"
    t = Tail(headers)
    following = opts.has("f") or opts.has("F")
    followed: list[tuple[str, int, int]] = []
    status = 0
    for name in files:
        fd = 0 if name == "-" else None
        if fd is None:
            try:
                fd = await sys.open(name, 0)
            except Error as err:
                await kio.warn("tail", f"cannot open '{name}' for reading: {err.message}")
                status = 1
                continue
        try:
            data = await kio.read_all(fd)
        except Error as err:
            await t.header(name)
            await t.out.flush()
            await kio.warn("tail", f"error reading '{name}': {err.message}")
            status = 1
            await text.close_input(fd)
            continue
        await t.header(name)
        await t.out.write(last_part(data, count, lines, from_start))
        if following and S_ISREG((await sys.fstat(fd)).st_mode):
            followed.append((name, fd, len(data)))
        else:
            await text.close_input(fd)
    try:
        await t.out.flush()
        if followed:
            await follow(t, followed, interval_ns)
    except Error as err:
        await kio.warn("tail", f"error writing 'standard output': {err.message}")
        return 1
    return status
