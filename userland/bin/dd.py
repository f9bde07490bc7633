"""``dd [OPERAND]…``: copy a file, converting and formatting, in blocks (GNU coreutils).

Operands: ``if= of= bs= ibs= obs= count= skip= seek=`` (sizes with GNU's suffixes:
``c w b kB K MB M xM GB G …``, and products like ``2x512``), ``conv=`` (notrunc sync
noerror nocreat excl ucase lcase swab fsync fdatasync), ``iflag=`` (skip_bytes
count_bytes fullblock), ``oflag=`` (seek_bytes append), ``status=`` (none noxfer
progress). Skipping seeks when the input can seek — /proc/PID/mem included, so ``dd
if=/proc/$pid/mem bs=1 skip=$((0x400000)) count=16`` reads a process's memory — and
reads and discards otherwise. The summary goes to standard error in GNU's words,
timed with the machine's monotonic clock.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from kernel.abi import (
    CLOCK_MONOTONIC,
    EINTR,
    O_APPEND,
    O_CREAT,
    O_EXCL,
    O_RDONLY,
    O_RDWR,
    O_TRUNC,
    O_WRONLY,
    S_ISREG,
    SEEK_CUR,
    SEEK_END,
    Error,
)
from userland.libk import io as kio
from userland.libk import sys, text
from userland.libk.sizes import INTMAX, parse_size, xfer_line

USAGE = """Usage: dd [OPERAND]...
  or:  dd OPTION
Copy a file, converting and formatting according to the operands.

  bs=BYTES        read and write up to BYTES bytes at a time (default: 512);
                  overrides ibs and obs
  conv=CONVS      convert the file as per the comma separated symbol list
  count=N         copy only N input blocks
  ibs=BYTES       read up to BYTES bytes at a time (default: 512)
  if=FILE         read from FILE instead of stdin
  iflag=FLAGS     read as per the comma separated symbol list
  obs=BYTES       write BYTES bytes at a time (default: 512)
  of=FILE         write to FILE instead of stdout
  oflag=FLAGS     write as per the comma separated symbol list
  seek=N          (or oseek=N) skip N obs-sized output blocks
  skip=N          (or iseek=N) skip N ibs-sized input blocks
  status=LEVEL    The LEVEL of information to print to stderr;
                  'none' suppresses everything but error messages,
                  'noxfer' suppresses the final transfer statistics,
                  'progress' shows periodic transfer statistics

N and BYTES may be followed by the following multiplicative suffixes:
c=1, w=2, b=512, kB=1000, K=1024, MB=1000*1000, M=1024*1024, xM=M,
GB=1000*1000*1000, G=1024*1024*1024, and so on for T, P, E, Z, Y, R, Q.
Binary prefixes can be used, too: KiB=K, MiB=M, and so on.

Each CONV symbol may be:

  lcase     change upper case to lower case
  ucase     change lower case to upper case
  swab      swap every pair of input bytes
  sync      pad every input block with NULs to ibs-size
  excl      fail if the output file already exists
  nocreat   do not create the output file
  notrunc   do not truncate the output file
  noerror   continue after read errors
  fdatasync  physically write output file data before finishing
  fsync     likewise, but also write metadata

Each FLAG symbol may be:

  append    append mode (makes sense only for output; conv=notrunc suggested)
  fullblock  accumulate full blocks of input (iflag only)
  count_bytes  treat 'count=N' as a byte count (iflag only)
  skip_bytes  treat 'skip=N' as a byte count (iflag only)
  seek_bytes  treat 'seek=N' as a byte count (oflag only)

      --help        display this help and exit

The machine's files live in memory, so fsync and fdatasync have nothing to flush.
"""
CONVS = {"notrunc", "sync", "noerror", "nocreat", "excl", "ucase", "lcase", "swab"}
CONVS |= {"fsync", "fdatasync"}
IFLAGS = {"skip_bytes", "count_bytes", "fullblock"}
OFLAGS = {"seek_bytes", "append"}
STATUS = {"none", "noxfer", "progress"}
HINT = "Try 'dd --help' for more information."


class Usage(Exception):
    """A bad operand: the message to print (with the hint unless ``hint`` is False)."""

    def __init__(self, message: str, hint: bool = True) -> None:
        super().__init__(message)
        self.hint = hint


@dataclass(slots=True)
class Job:
    """What the operands ask for."""

    infile: str | None = None
    outfile: str | None = None
    ibs: int = 512
    obs: int = 512
    bs: int | None = None
    count: int | None = None
    skip: int = 0
    seek: int = 0
    conv: frozenset[str] = frozenset()
    iflag: frozenset[str] = frozenset()
    oflag: frozenset[str] = frozenset()
    status: str = ""


def number(value: str, *, block: bool = False) -> int:
    """An operand's number (a block size must be positive).

    Raises:
        Usage: not a number, or too large.
    """
    n = parse_size(value)
    if n is None or (block and n == 0):
        raise Usage(f"invalid number: '{value}'", hint=False)
    if n > INTMAX:
        raise Usage(f"invalid number: '{value}': Value too large for defined data type", False)
    return n


def parse_operands(words: list[str]) -> Job:
    """The operands, checked.

    Raises:
        Usage: an unknown operand or symbol, or a bad number.
    """
    job = Job()
    for word in words:
        key, eq, value = word.partition("=")
        if not eq:
            raise Usage(f"unrecognized operand '{word}'")
        if key in ("if", "of"):
            setattr(job, {"if": "infile", "of": "outfile"}[key], value)
        elif key in ("bs", "ibs", "obs"):
            setattr(job, key, number(value, block=True))
        elif key in ("count", "skip", "seek", "iseek", "oseek"):
            setattr(job, {"iseek": "skip", "oseek": "seek"}.get(key, key), number(value))
        elif key in ("conv", "iflag", "oflag"):
            allowed = {"conv": CONVS, "iflag": IFLAGS, "oflag": OFLAGS}[key]
            what = {"conv": "conversion", "iflag": "input flag", "oflag": "output flag"}[key]
            symbols = value.split(",")
            for sym in symbols:
                if sym not in allowed:
                    raise Usage(f"invalid {what}: '{sym}'")
            setattr(job, key, getattr(job, key) | frozenset(symbols))
        elif key == "status":
            if value not in STATUS:
                raise Usage(f"invalid status level: '{value}'")
            job.status = value
        else:
            raise Usage(f"unrecognized operand '{word}'")
    if {"ucase", "lcase"} <= job.conv:
        raise Usage("cannot combine lcase and ucase", hint=False)
    if {"excl", "nocreat"} <= job.conv:
        raise Usage("cannot combine excl and nocreat", hint=False)
    if job.bs is not None:
        job.ibs = job.obs = job.bs
    return job


def quotef(name: str) -> str:
    """A file name as GNU's quotef shows it: bare when safe, else in quotes."""
    if re.fullmatch(r"[A-Za-z0-9_./,:@%+=-]+", name):
        return name
    return "'" + name.replace("'", "'\\''") + "'"


class Copy:
    """One run: descriptors, counters and the clock."""

    def __init__(self, job: Job) -> None:
        self.job = job
        self.iname = job.infile if job.infile is not None else "standard input"
        self.oname = job.outfile if job.outfile is not None else "standard output"
        self.ifd = 0
        self.ofd = 1
        self.start = 0
        self.r_full = self.r_partial = self.w_full = self.w_partial = 0
        self.bytes_out = 0
        self.next_progress = 0
        self.progress_len = 0

    async def stats(self) -> None:
        """The records lines and, unless status=noxfer, the transfer line."""
        if self.job.status == "none":
            return
        text = "\n" if self.progress_len else ""
        self.progress_len = 0
        text += (
            f"{self.r_full}+{self.r_partial} records in\n"
            f"{self.w_full}+{self.w_partial} records out\n"
        )
        if self.job.status != "noxfer":
            now = await sys.clock_gettime(CLOCK_MONOTONIC)
            text += xfer_line(self.bytes_out, now - self.start) + "\n"
        await kio.write_all(2, text)

    async def progress(self) -> None:
        """status=progress: a line each second of the machine's clock, rewritten in place."""
        now = await sys.clock_gettime(CLOCK_MONOTONIC)
        if now < self.next_progress:
            return
        self.next_progress = now + 1_000_000_000
        line = xfer_line(self.bytes_out, now - self.start, progress=True)
        pad = " " * max(0, self.progress_len - len(line))
        self.progress_len = len(line)
        await kio.write_all(2, "\r" + line + pad)

    async def write(self, data: bytes) -> None:
        """One output block, written whole (a short write is continued)."""
        view = memoryview(data)
        while view:
            n = await sys.write(self.ofd, bytes(view))
            view = view[n:]
            self.bytes_out += n
        if len(data) == self.job.obs:
            self.w_full += 1
        else:
            self.w_partial += 1


async def skip_input(c: Copy, offset: int) -> bool:
    """Skip ``offset`` bytes of input: lseek if it can, else read and discard.

    Returns:
        False after a read error (reported); skipping past the end is only a warning.
    """
    if offset == 0:
        return True
    try:
        st = await sys.fstat(c.ifd)
        here = await sys.lseek(c.ifd, 0, SEEK_CUR)
        # A /proc file says size 0: only a real size can be skipped past.
        if S_ISREG(st.st_mode) and st.st_size > 0 and st.st_size - here < offset:
            await sys.lseek(c.ifd, 0, SEEK_END)
            await kio.warn("dd", f"{quotef(c.iname)}: cannot skip to specified offset")
            return True
        await sys.lseek(c.ifd, offset, SEEK_CUR)
        return True
    except Error:
        pass
    left = offset
    while left > 0:
        try:
            data = await sys.read(c.ifd, min(left, c.job.ibs))
        except Error as err:
            await kio.warn("dd", f"error reading '{c.iname}': {err.message}")
            return False
        if not data:
            await kio.warn("dd", f"{quotef(c.iname)}: cannot skip to specified offset")
            return True
        left -= len(data)
    return True


async def open_files(c: Copy) -> bool:
    """Open if= and of= and position them; False after an error (reported)."""
    job = c.job
    if job.infile is not None:
        try:
            c.ifd = await sys.open(job.infile, O_RDONLY)
        except Error as err:
            await kio.warn("dd", f"failed to open '{job.infile}': {err.message}")
            return False
    seek = job.seek if "seek_bytes" in job.oflag else job.seek * job.obs
    if job.outfile is not None:
        flags = 0 if "nocreat" in job.conv else O_CREAT
        flags |= O_EXCL if "excl" in job.conv else 0
        flags |= O_APPEND if "append" in job.oflag else 0
        if not seek and "notrunc" not in job.conv:
            flags |= O_TRUNC
        ofd = None
        if seek:  # read-write first, as GNU dd opens an output it will seek in
            try:
                ofd = await sys.open(job.outfile, O_RDWR | flags, 0o666)
            except Error:
                ofd = None
        if ofd is None:
            try:
                ofd = await sys.open(job.outfile, O_WRONLY | flags, 0o666)
            except Error as err:
                await kio.warn("dd", f"failed to open '{job.outfile}': {err.message}")
                return False
        c.ofd = ofd
    if seek:
        if "notrunc" not in job.conv:
            try:
                await sys.ftruncate(c.ofd, seek)
            except Error as err:
                if S_ISREG((await sys.fstat(c.ofd)).st_mode):
                    await kio.warn(
                        "dd",
                        f"failed to truncate to {seek} bytes in output file "
                        f"'{c.oname}': {err.message}",
                    )
                    return False
        try:
            await sys.lseek(c.ofd, seek, SEEK_CUR)
        except Error as err:
            await kio.warn("dd", f"{quotef(c.oname)}: cannot seek: {err.message}")
            return False
    skip = job.skip if "skip_bytes" in job.iflag else job.skip * job.ibs
    return await skip_input(c, skip)


def convert(data: bytes, conv: frozenset[str]) -> bytes:
    """swab, then ucase or lcase."""
    if "swab" in conv and len(data) > 1:
        b = bytearray(data)
        end = len(b) - len(b) % 2
        b[0:end:2], b[1:end:2] = data[1:end:2], data[0:end:2]
        data = bytes(b)
    if "ucase" in conv:
        data = data.upper()
    elif "lcase" in conv:
        data = data.lower()
    return data


async def read_block(c: Copy, want: int) -> bytes:
    """One read of up to ``want`` bytes (iflag=fullblock: as many reads as that takes)."""
    if "fullblock" not in c.job.iflag:
        return await sys.read(c.ifd, want)
    got = bytearray()
    while len(got) < want:
        try:
            chunk = await sys.read(c.ifd, want - len(got))
        except Error as err:
            if got and err.errno != EINTR:
                return bytes(got)
            raise
        if not chunk:
            break
        got += chunk
    return bytes(got)


async def copy(c: Copy) -> int:
    """The copy loop, as GNU's dd_copy counts records; the exit status."""
    job = c.job
    ibs, obs = job.ibs, job.obs
    records, tail = -1, 0
    if job.count is not None:
        records, tail = divmod(job.count, ibs) if "count_bytes" in job.iflag else (job.count, 0)
    pending = bytearray()  # what is read but not yet written as a full obs block
    direct = job.bs is not None and "sync" not in job.conv
    status = 0
    while records < 0 or c.r_full + c.r_partial < records + (1 if tail else 0):
        want = tail if records >= 0 and c.r_full + c.r_partial == records else ibs
        if job.status == "progress":
            await c.progress()
        try:
            data = await read_block(c, want)
        except Error as err:
            if job.status != "none" or "noerror" not in job.conv:
                await kio.warn("dd", f"error reading '{c.iname}': {err.message}")
            if "noerror" not in job.conv:
                status = 1
                break
            await c.stats()
            try:
                await sys.lseek(c.ifd, want, SEEK_CUR)  # past the bad block
            except Error:
                status = 1
            if "sync" not in job.conv:
                continue
            c.r_partial += 1
            data = bytes(ibs)
        else:
            if not data:
                break
            if len(data) < ibs:
                c.r_partial += 1
                if "sync" in job.conv:
                    data += bytes(ibs - len(data))
            else:
                c.r_full += 1
        data = convert(data, job.conv)
        try:
            if direct:
                await c.write(data)
            else:
                pending += data
                while len(pending) >= obs:
                    await c.write(bytes(pending[:obs]))
                    del pending[:obs]
        except Error as err:
            await kio.warn("dd", f"error writing '{c.oname}': {err.message}")
            return 1
        await sys.checkpoint()
    if pending:
        try:
            await c.write(bytes(pending))
        except Error as err:
            await kio.warn("dd", f"error writing '{c.oname}': {err.message}")
            return 1
    return status


async def main(argv: list[str]) -> int:
    """Entry point."""
    words = argv[1:]
    if words[:1] == ["--help"]:
        await kio.write_all(1, USAGE)
        return 0
    if words[:1] == ["--"]:
        words = words[1:]
    elif words and words[0].startswith("-") and words[0] != "-":
        opt = words[0]
        bad = f"unrecognized option '{opt}'" if opt[1] == "-" else f"invalid option -- '{opt[1]}'"
        return await text.usage_error("dd", bad)
    try:
        job = parse_operands(words)
    except Usage as err:
        await kio.warn("dd", f"{err}\n{HINT}" if err.hint else str(err))
        return 1
    c = Copy(job)
    if not await open_files(c):
        return 1
    c.start = await sys.clock_gettime(CLOCK_MONOTONIC)
    c.next_progress = c.start + 1_000_000_000
    status = await copy(c)
    await c.stats()
    for fd, name in ((c.ifd, c.iname), (c.ofd, c.oname)):
        if fd > 2:
            try:
                await sys.close(fd)
            except Error as err:
                await kio.warn("dd", f"closing '{name}': {err.message}")
                status = 1
    return status
