"""``cat [-AbeEnstTuv] [--ring[=WHEN]] [file…]``: concatenate files (``-`` or none: standard
input).

Without options the bytes are copied in large reads with no per-line work; the line
options (numbering, squeezing, showing ends, tabs and non-printing bytes) work line by
line, carrying their state from one file to the next as GNU cat does.

The ring path (``--ring``, and on its own for an input that is a block device, unless
``--ring=never``) reads
through a completion ring with several requests in flight (libk's ``ringcopy``) and
writes the bytes in order; the line options apply to its chunks just the same, so the
output is byte for byte the plain path's.
"""

from __future__ import annotations

from kernel.abi import Error
from userland.libk import args, sys, text
from userland.libk import io as kio
from userland.libk.ringcopy import is_block, ring_chunks, take_ring_flag

USAGE = """Usage: cat [OPTION]... [FILE]...
Concatenate FILE(s) to standard output.

With no FILE, or when FILE is -, read standard input.

  -A, --show-all           equivalent to -vET
  -b, --number-nonblank    number nonempty output lines, overrides -n
  -e                       equivalent to -vE
  -E, --show-ends          display $ at end of each line
  -n, --number             number all output lines
  -s, --squeeze-blank      suppress repeated empty output lines
  -t                       equivalent to -vT
  -T, --show-tabs          display TAB characters as ^I
  -u                       (ignored)
  -v, --show-nonprinting   use ^ and M- notation, except for LFD and TAB
      --ring[=WHEN]        read through a completion ring, several requests in
                             flight: always (no WHEN), never, or auto (the
                             default: for an input that is a block device)
      --help               display this help and exit
"""

LONG = {
    "show-all": "A",
    "number-nonblank": "b",
    "show-ends": "E",
    "number": "n",
    "squeeze-blank": "s",
    "show-tabs": "T",
    "show-nonprinting": "v",
}

#: Reads for the plain copy: as large as the kernel allows in one call.
BIG_READ = 1 << 20


def _caret(b: int) -> str:
    if b < 32:
        return "^" + chr(b + 64)
    if b == 127:
        return "^?"
    if b < 128:
        return chr(b)
    return "M-" + _caret(b - 128)


#: -v's rendering of every byte except LF and TAB (kept as they are).
VISIBLE = {b: _caret(b).encode() for b in range(256) if b not in (9, 10)}


class Formatter:
    """The line options' state, kept across files."""

    def __init__(self, flags: set[str]) -> None:
        self.number_all = "n" in flags and "b" not in flags
        self.number_nonblank = "b" in flags
        self.squeeze = "s" in flags
        self.ends = "E" in flags
        self.tabs = "T" in flags
        self.nonprinting = "v" in flags
        self.lineno = 1
        self.at_line_start = True
        self.blank_run = 0

    def lines(self, lines: list[bytes]) -> bytes:
        """Format a batch of lines (the last may be unfinished)."""
        out: list[bytes] = []
        for line in lines:
            nl = line.endswith(b"\n")
            body = line[:-1] if nl else line
            if self.at_line_start:
                if not body and nl:
                    self.blank_run += 1
                    if self.squeeze and self.blank_run > 1:
                        continue
                else:
                    self.blank_run = 0
                if self.number_all or (self.number_nonblank and (body or not nl)):
                    out.append(f"{self.lineno:6d}\t".encode())
                    self.lineno += 1
            elif body or not nl:
                self.blank_run = 0
            if self.nonprinting:
                body = b"".join(VISIBLE.get(b, bytes((b,))) if b != 9 else b"\t" for b in body)
            if self.tabs:
                body = body.replace(b"\t", b"^I")
            out.append(body)
            if nl:
                out.append(b"$\n" if self.ends else b"\n")
            self.at_line_start = nl
        return b"".join(out)


async def ring_cat(fd: int, fmt: Formatter | None) -> bool:
    """Copy ``fd`` to standard output through a completion ring (formatting lines with
    ``fmt``, cut as the plain path cuts them); False after a write error (reported).

    Raises:
        Error: reading failed (the caller names the file).
    """
    rest = b""
    async with ring_chunks(fd) as chunks:
        async for _off, data in chunks:
            if fmt is not None:
                data = rest + data
                cut = data.rfind(b"\n") + 1
                data, rest = data[:cut], data[cut:]
                if not data:
                    continue
                data = fmt.lines(data.splitlines(keepends=True))
            try:
                await kio.write_all(1, data)
            except Error as err:
                await kio.warn("cat", f"write error: {err.message}")
                return False
    if rest and fmt is not None:
        try:
            await kio.write_all(1, fmt.lines([rest]))
        except Error as err:
            await kio.warn("cat", f"write error: {err.message}")
            return False
    return True


async def main(argv: list[str]) -> int:
    """Entry point."""
    try:
        argv, ring = take_ring_flag(argv)
    except args.UsageError as err:
        return await text.usage_error("cat", err)
    opts = await text.options("cat", argv, "AbeEnstTuv", USAGE, long=LONG)
    if isinstance(opts, int):
        return opts
    flags: set[str] = set()
    for flag, _ in opts.seen:
        flags.update({"A": "vET", "e": "vE", "t": "vT"}.get(flag, flag))
    flags.discard("u")
    fmt = Formatter(flags) if flags else None
    status = 0
    read, write_all = sys.read, kio.write_all
    for name in opts.operands or ["-"]:
        fd = await text.open_input("cat", name)
        if fd is None:
            status = 1
            continue
        try:
            if ring if ring is not None else is_block((await sys.fstat(fd)).st_mode):
                if not await ring_cat(fd, fmt):
                    return 1
            elif fmt is None:
                while True:
                    chunk = await read(fd, BIG_READ)
                    if not chunk:
                        break
                    try:
                        await write_all(1, chunk)
                    except Error as err:
                        await kio.warn("cat", f"write error: {err.message}")
                        return 1
            else:
                async for batch in text.line_batches(fd):
                    try:
                        await write_all(1, fmt.lines(batch))
                    except Error as err:
                        await kio.warn("cat", f"write error: {err.message}")
                        return 1
        except Error as err:
            await kio.warn("cat", f"{name}: {err.message}")
            status = 1
        finally:
            await text.close_input(fd)
    return status
