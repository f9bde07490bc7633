"""``fortuned [-f FILE] [-n OPENS] [PATH]``: a character device served by a process.

Each open of PATH (``/dev/fortune`` by default) reads the next fortune of the list, in
order and round again (deterministic, as the machine is); writing to the device adds a
fortune to the list. The server runs until killed, or after ``-n`` opens have been
closed. A demonstration of served paths (``man 7 served``).
"""

from __future__ import annotations

from kernel.abi import EINVAL, Error
from kernel.abi import serve as proto
from userland.libk import args
from userland.libk import io as kio
from userland.libk.serve import Server

USAGE = """Usage: fortuned [OPTION]... [PATH]
Serve a character device (default /dev/fortune) whose every open reads the next
fortune of a list.

  -f FILE     read the fortunes from FILE (separated by lines holding only '%',
              or one a line if there are none)
  -m MODE     the device's permission bits (octal; default 666)
  -n OPENS    exit after OPENS opens have been closed
      --help  display this help and exit
"""

FORTUNES = (
    "Drivers are trivial to replace: this one is a process.",
    "There is no way to kill a thread, and there never will be.",
    "Everything a pane shows it reads through the same system calls as the shell.",
    "A FIFO is a pipe with a name in a directory.",
    "Same image + same input => same output, same /proc.",
    "The client cannot tell that a process answers its reads.",
)


class Fortunes(Server):
    """Each open gets the next fortune; its reads return it, then end of file."""

    def __init__(self, fortunes: list[str], opens: int) -> None:
        super().__init__()
        self.fortunes = fortunes
        self.next = 0
        self.left: dict[int, bytes] = {}  # handle -> what its reads have still to return
        self.handles = 0
        self.opens = opens  # closes until we exit (0: never)

    async def open(self, req: proto.ServeRequest) -> int:
        self.handles += 1
        text = self.fortunes[self.next % len(self.fortunes)]
        self.next += 1
        self.left[self.handles] = text.encode() + b"\n"
        return self.handles

    async def read(self, req: proto.ServeRequest) -> bytes:
        rest = self.left.get(req.fh, b"")
        self.left[req.fh] = rest[req.size :]
        return rest[: req.size]

    async def write(self, req: proto.ServeRequest) -> int:
        text = req.payload.decode(errors="replace").strip()
        if not text:
            raise Error(EINVAL)
        self.fortunes.append(text)
        return len(req.payload)

    async def release(self, req: proto.ServeRequest) -> None:
        self.left.pop(req.fh, None)
        if self.opens:
            self.opens -= 1
            if not self.opens:
                self.stop()


def parse_fortunes(text: str) -> list[str]:
    """fortune(6)'s format: entries separated by lines of '%'; else one a line."""
    lines = text.splitlines()
    if any(line.strip() == "%" for line in lines):
        out, cur = [], []
        for line in lines + ["%"]:
            if line.strip() == "%":
                if cur:
                    out.append("\n".join(cur))
                cur = []
            else:
                cur.append(line)
        return out
    return [line for line in lines if line.strip()]


async def main(argv: list[str]) -> int:
    """Entry point."""
    try:
        opts = args.getopt(argv, "f:m:n:")
    except args.UsageError as err:
        await kio.warn("fortuned", f"{err}\nTry 'fortuned --help' for more information.")
        return 1
    if opts.help:
        await kio.write_all(1, USAGE)
        return 0
    if len(opts.operands) > 1:
        await kio.warn("fortuned", "too many operands\nTry 'fortuned --help' for more information.")
        return 1
    path = opts.operands[0] if opts.operands else "/dev/fortune"
    try:
        mode = int(opts.value("m", "666") or "", 8)
        opens = int(opts.value("n", "0") or "")
        if not 0 <= mode <= 0o7777 or opens < 0:
            raise ValueError
    except ValueError:
        await kio.warn("fortuned", "invalid mode or count")
        return 1
    fortunes = list(FORTUNES)
    source = opts.value("f")
    if source is not None:
        try:
            fortunes = parse_fortunes((await kio.read_file(source)).decode(errors="replace"))
        except Error as err:
            await kio.warn("fortuned", f"{source}: {err.message}")
            return 1
        if not fortunes:
            await kio.warn("fortuned", f"{source}: no fortunes")
            return 1
    try:
        await Fortunes(fortunes, opens).serve(path, proto.SERVE_CHR, mode)
    except Error as err:
        await kio.warn("fortuned", f"cannot serve {path}: {err.message}")
        return 1
    return 0
