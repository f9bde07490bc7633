"""``memhog [-s | -f PATH] [-S N] [-r] [-p] [-H SECS] [-q] SIZE``: map memory, touch it, hold it.

A libk utility in the spirit of numactl's memhog and stress-ng's vm stressor: it maps
SIZE bytes (private anonymous memory by default, named ``[anon:memhog]`` with
prctl(PR_SET_VMA_ANON_NAME) so /proc/PID/maps shows it; shared anonymous memory with
``--shared``; a file with ``--file``), touches one byte every page (or every
``--stride`` bytes) through the MMU view, printing how much it has touched and the page
faults that took (from getrusage), and then holds the memory until killed or for
``--hold`` seconds. Each fault is charged to its virtual time, so ``time memhog -H 0
64M`` shows what faulting costs; /proc/PID/smaps shows where the memory went.
"""

from __future__ import annotations

import re

from kernel.abi import (
    MAP_ANONYMOUS,
    MAP_POPULATE,
    MAP_PRIVATE,
    MAP_SHARED,
    O_CREAT,
    O_RDWR,
    PR_SET_VMA,
    PR_SET_VMA_ANON_NAME,
    PROT_READ,
    PROT_WRITE,
    RUSAGE_SELF,
    Error,
    checkpoint,
)
from userland.libk import args, sys, text
from userland.libk import io as kio

USAGE = """Usage: memhog [OPTION]... SIZE
Map SIZE bytes of memory, touch every page of it, showing the page faults as they
come, then hold it until killed.

SIZE (and N) is a number of bytes, optionally with a suffix K, M, G or T (powers of
1024; KiB, MiB... too): 4096, 64K, 8M, 1.5G.

  -s, --shared         map shared anonymous memory (MAP_SHARED|MAP_ANONYMOUS)
  -P, --private        map privately (the default; with --file: copy-on-write)
  -f, --file=PATH      map the file PATH, made SIZE bytes long if it is shorter
                       (shared, so stores reach the file, unless --private)
  -S, --stride=N       touch one byte every N bytes (default: the page size)
  -r, --read           touch by loading, not storing
  -p, --populate       ask mmap to fault everything in at once (MAP_POPULATE)
  -H, --hold=SECS      hold the memory SECS seconds, then unmap it and exit
                       (default: hold it until killed)
  -q, --quiet          print nothing but errors
      --help           display this help and exit

Exit status: 0 when done holding, 1 for a usage error, 2 if the memory could not be
mapped or the file not opened.
"""
LONG = {
    "shared": "s",
    "private": "P",
    "file": "f",
    "stride": "S",
    "read": "r",
    "populate": "p",
    "hold": "H",
    "quiet": "q",
}
SUFFIXES = {"": 0, "K": 1, "M": 2, "G": 3, "T": 4}
SIZE_RE = re.compile(r"(\d+(?:\.\d*)?|\.\d+)\s*([KMGT]?)(?:I?B)?", re.IGNORECASE)
#: Touches between checkpoints, so the machine's other programs keep running.
BATCH = 64
#: Progress lines while touching (one per this fraction of SIZE).
STEPS = 8


def parse_size(text: str) -> int | None:
    """``8M`` -> 8388608; None if it is not a size."""
    m = SIZE_RE.fullmatch(text.strip())
    if not m or not text.strip():
        return None
    value = float(m.group(1)) * 1024 ** SUFFIXES[m.group(2).upper()]
    return int(value)


def show_size(n: int) -> str:
    """``8.0 MiB``, ``512 B``: a size for people."""
    if n < 1024:
        return f"{n} B"
    value = float(n)
    for unit in ("KiB", "MiB", "GiB", "TiB", "PiB"):
        value /= 1024
        if value < 1024 or unit == "PiB":
            return f"{value:.1f} {unit}"
    return f"{n} B"


def parse_seconds(text: str) -> float | None:
    """``--hold`` seconds: a non-negative number, or ``inf``."""
    try:
        value = float(text)
    except ValueError:
        return None
    return value if value >= 0 else None  # nan is not >= 0


async def faults() -> tuple[int, int]:
    """(minor, major) page faults of this process so far."""
    usage = await sys.getrusage(RUSAGE_SELF)
    return usage.minflt, usage.majflt


class Hog:
    """One mapping and the options for touching it."""

    def __init__(self, size: int, opts: args.Options) -> None:
        self.size = size
        self.shared = opts.has("s") or (opts.has("f") and not opts.has("P"))
        self.path = opts.value("f")
        self.write = not opts.has("r")
        self.populate = opts.has("p")
        self.quiet = opts.has("q")
        self.addr = 0

    def describe(self) -> str:
        """``private anonymous memory``, ``the file /tmp/x (shared)``."""
        if self.path is not None:
            return f"{self.path} ({'shared' if self.shared else 'private'})"
        return f"{'shared' if self.shared else 'private'} anonymous memory"

    async def map(self) -> str | None:
        """mmap the memory; an error message if that fails."""
        flags = (MAP_SHARED if self.shared else MAP_PRIVATE) | (
            MAP_POPULATE if self.populate else 0
        )
        fd = -1
        if self.path is not None:
            try:
                fd = await sys.open(self.path, O_RDWR | O_CREAT, 0o666)
                if (await sys.fstat(fd)).st_size < self.size:
                    await sys.ftruncate(fd, self.size)
            except Error as err:
                if fd >= 0:
                    await sys.close(fd)
                return f"cannot open {self.path}: {err.message}"
        else:
            flags |= MAP_ANONYMOUS
        try:
            self.addr = await sys.mmap(0, self.size, PROT_READ | PROT_WRITE, flags, fd, 0)
        except Error as err:
            return f"cannot map {show_size(self.size)}: {err.message}"
        finally:
            if fd >= 0:
                await sys.close(fd)
        if self.path is None and not self.shared:
            try:
                await sys.prctl(PR_SET_VMA, PR_SET_VMA_ANON_NAME, self.addr, self.size, "memhog")
            except Error:
                pass  # a name is a courtesy to whoever reads maps
        return None

    async def say(self, text: str) -> None:
        """A progress line on standard output (unless --quiet)."""
        if not self.quiet:
            await kio.write_all(1, f"memhog: {text}\n")

    async def touch(self, stride: int) -> None:
        """Touch the mapping every ``stride`` bytes, a progress line each eighth."""
        mmu = await sys.mmu()
        minor0, major0 = await faults()
        start = await sys.clock_gettime()
        step = max(mmu.page_size, -(-self.size // STEPS))
        base, size = self.addr, self.size
        n = 0
        for chunk in range(0, size, step):
            end = min(chunk + step, size)
            first = -(-chunk // stride) * stride
            for off in range(first, end, stride):
                if self.write:
                    mmu.store8(base + off, 0xA5)
                else:
                    mmu.load8(base + off)
                n += 1
                if n % BATCH == 0:
                    await checkpoint()
            minor, major = await faults()
            await self.say(
                f"touched {show_size(end)} of {show_size(size)}, "
                f"{minor - minor0} minor faults, {major - major0} major"
            )
        took = (await sys.clock_gettime() - start) / 1e9
        await self.say(f"{n} {'stores' if self.write else 'loads'} in {took:.6f} s")


async def main(argv: list[str]) -> int:
    """Entry point."""
    opts = await text.options("memhog", argv, "sPf:S:rpH:q", USAGE, long=LONG)
    if isinstance(opts, int):
        return opts
    if not opts.operands:
        return await text.usage_error("memhog", "missing SIZE")
    if len(opts.operands) > 1:
        return await text.usage_error("memhog", f"extra operand '{opts.operands[1]}'")
    if opts.has("s") and opts.has("P"):
        return await text.usage_error("memhog", "--shared and --private exclude each other")
    if opts.has("s") and opts.has("f"):
        return await text.usage_error(
            "memhog", "--shared is for anonymous memory; --file maps shared"
        )
    size = parse_size(opts.operands[0])
    if not size:
        return await text.usage_error("memhog", f"invalid size '{opts.operands[0]}'")
    page = (await sys.mmu()).page_size
    stride = page
    if opts.has("S"):
        stride_value = parse_size(opts.value("S") or "")
        if not stride_value:
            return await text.usage_error("memhog", f"invalid stride '{opts.value('S')}'")
        stride = stride_value
    hold: float | None = None
    if opts.has("H"):
        hold = parse_seconds(opts.value("H") or "")
        if hold is None:
            return await text.usage_error("memhog", f"invalid hold time '{opts.value('H')}'")
        if hold == float("inf"):
            hold = None
    hog = Hog(size, opts)
    problem = await hog.map()
    if problem is not None:
        await kio.warn("memhog", problem)
        return 2
    end = hog.addr + -(-size // page) * page
    await hog.say(f"{show_size(size)} of {hog.describe()} at {hog.addr:#x}-{end:#x}")
    await hog.touch(stride)
    pid = await sys.getpid()
    if hold is None:
        await hog.say(f"holding {show_size(size)} until killed (kill {pid})")
        while True:
            await sys.nanosleep(1 << 62)
    await hog.say(f"holding {show_size(size)} for {hold:g} s")
    if hold > 0:
        await sys.nanosleep(min(int(hold * 1e9), 1 << 62))
    await sys.munmap(hog.addr, size)
    return 0
