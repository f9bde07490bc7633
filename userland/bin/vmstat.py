"""``vmstat [-a] [-n] [-w] [-t] [-y] [-S UNIT] [DELAY [COUNT]]``, ``vmstat -s``, ``-f``.

procps-ng's vmstat: processes, memory, swap, I/O, system and CPU activity from
/proc/stat, /proc/meminfo and /proc/vmstat. The first line averages the rates since
boot (per second of /proc/uptime; the CPU columns since boot); each later line, one
every DELAY seconds of the machine's clock (nanosleep), covers the DELAY just past.
``-s`` prints the event counters once; ``-f`` the forks since boot. ``-d`` (every
DELAY, with ``-w`` and ``-t``), ``-D`` and ``-p DEV`` show /proc/diskstats.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

from kernel.abi import CLOCK_REALTIME, TIOCGWINSZ, Error
from userland.libk import args, sys, text
from userland.libk import io as kio
from userland.libk.procinfo import (
    MemInfo,
    parse_diskstats,
    read_meminfo,
    read_text,
    read_uptime,
)

USAGE = """
Usage:
 vmstat [options] [delay [count]]

Options:
 -a, --active           active/inactive memory
 -f, --forks            number of forks since boot
 -m, --slabs            slabinfo
 -n, --one-header       do not redisplay header
 -s, --stats            event counter statistics
 -d, --disk             disk statistics
 -D, --disk-sum         summarize disk statistics
 -p, --partition <dev>  partition specific statistics
 -S, --unit <char>      define display unit
 -w, --wide             wide output
 -t, --timestamp        show timestamp
 -y, --no-first         skips first line of output

 -h, --help     display this help and exit

For more details see vmstat(8).
"""
LONG = {
    "active": "a",
    "forks": "f",
    "slabs": "m",
    "one-header": "n",
    "stats": "s",
    "disk": "d",
    "disk-sum": "D",
    "partition": "p",
    "unit": "S",
    "wide": "w",
    "timestamp": "t",
    "no-first": "y",
}
HEADER = "procs -----------memory---------- ---swap-- -----io---- -system-- ------cpu-----"
WIDE_HEADER = (
    "--procs-- -----------------------memory---------------------- ---swap-- -----io---- "
    "-system-- --------cpu--------"
)
STAMP_HEADER = " -----timestamp-----"
#: (name, width, wide width) of each column.
FIELDS = (
    ("r", 2, 4),
    ("b", 2, 4),
    ("swpd", 6, 12),
    ("free", 6, 12),
    ("buff", 6, 12),
    ("cache", 6, 12),
    ("si", 4, 4),
    ("so", 4, 4),
    ("bi", 5, 5),
    ("bo", 5, 5),
    ("in", 4, 4),
    ("cs", 4, 4),
    ("us", 2, 3),
    ("sy", 2, 3),
    ("id", 2, 3),
    ("wa", 2, 3),
    ("st", 2, 3),
)
#: -S: the unit letter -> bytes.
UNITS = {"b": 1, "B": 1, "k": 1000, "K": 1024, "m": 1000_000, "M": 1 << 20}


@dataclass(slots=True)
class Sample:
    """One reading of /proc/stat and /proc/vmstat."""

    cpu: list[int]  # user nice system idle iowait irq softirq steal guest guest_nice
    running: int = 0
    blocked: int = 0
    intr: int = 0
    ctxt: int = 0
    btime: int = 0
    processes: int = 0
    vm: dict[str, int] = field(default_factory=dict)


async def read_sample() -> Sample:
    """/proc/stat and /proc/vmstat now."""
    s = Sample([0] * 10)
    for line in (await read_text("/proc/stat") or "").splitlines():
        words = line.split()
        if not words:
            continue
        if words[0] == "cpu":
            nums = [int(w) for w in words[1:11] if w.isdigit()]
            s.cpu = nums + [0] * (10 - len(nums))
        elif len(words) > 1 and words[1].isdigit():
            value = int(words[1])
            key = {"procs_running": "running", "procs_blocked": "blocked"}.get(words[0], words[0])
            if key in ("running", "blocked", "intr", "ctxt", "btime", "processes"):
                setattr(s, key, value)
    for line in (await read_text("/proc/vmstat") or "").splitlines():
        key, _, value = line.partition(" ")
        if value.strip().isdigit():
            s.vm[key] = int(value)
    return s


def cpu_split(ticks: list[int]) -> tuple[int, int, int, int, int, int]:
    """(user, system, idle, iowait, steal, guest) as vmstat groups /proc/stat's ticks."""
    user, nice, system, idle, iowait, irq, softirq, steal, guest, guest_nice = ticks
    return (user + nice, system + irq + softirq, idle, iowait, steal, guest + guest_nice)


def percents(ticks: list[int]) -> list[int]:
    """us sy id wa st, rounded as procps rounds them."""
    use, sy, idle, wa, st, gue = cpu_split(ticks)
    div = use + sy + idle + wa + st
    if div <= 0:
        div, idle = 1, 1
    use = use - gue if use >= gue else 0
    return [(100 * v + div // 2) // div for v in (use, sy, idle, wa, st)]


class Table:
    """The columns of one vmstat run: header and lines, narrow or wide."""

    def __init__(self, active: bool, wide: bool, unit: int, stamp: bool) -> None:
        self.active = active
        self.wide = wide
        self.unit = unit
        self.stamp = stamp

    def kb(self, kib: int) -> int:
        """A size in KiB in the chosen unit."""
        return kib * 1024 // self.unit

    def header(self) -> str:
        """The two header lines."""
        names = [f[0] for f in FIELDS]
        if self.active:
            names[4], names[5] = "inact", "active"
        first = (WIDE_HEADER if self.wide else HEADER) + (STAMP_HEADER if self.stamp else "")
        cols = " ".join(
            f"{n:>{f[2] if self.wide else f[1]}}" for n, f in zip(names, FIELDS, strict=True)
        )
        if self.stamp:
            cols += " " + f"{'UTC':>{len(STAMP_HEADER) - 1}}"
        return f"{first}\n{cols}\n"

    def line(self, values: list[int], stamp: str) -> str:
        """One line; a value wider than its column pushes the rest right, then is paid
        back from the next columns with room (procps's ``skew``)."""
        out = []
        skew = 0
        for value, f in zip(values, FIELDS, strict=True):
            digits = len(str(value))
            width = f[2] if self.wide else f[1]
            while skew > 0 and digits < width:
                width -= 1
                skew -= 1
            out.append(f"{value:>{width}}")
            if digits > width:
                skew += digits - width
        return " ".join(out) + (f" {stamp}" if self.stamp else "") + "\n"

    def memory(self, mem: MemInfo) -> list[int]:
        """swpd free buff cache (or inact active with -a)."""
        cached = mem.get("Cached") + mem.get("SReclaimable")
        buff, cache = mem.get("Buffers"), cached
        if self.active:
            buff, cache = mem.get("Inactive"), mem.get("Active")
        swpd = mem.swap_total - mem.swap_free
        return [self.kb(swpd), self.kb(mem.free), self.kb(buff), self.kb(cache)]


async def stamp_now() -> str:
    """``2026-01-01 00:00:05``: the machine's clock (UTC, its only time zone)."""
    ns = await sys.clock_gettime(CLOCK_REALTIME)
    when = datetime.datetime.fromtimestamp(ns // 1_000_000_000, datetime.UTC)
    return when.strftime("%Y-%m-%d %H:%M:%S")


async def page_kib() -> int:
    """The machine's page size in KiB (from the MMU view)."""
    return max(1, (await sys.mmu()).page_size // 1024)


async def rows() -> int:
    """Lines between headers: the terminal's height minus 3 (22 if unknown)."""
    try:
        height = (await sys.ioctl(1, TIOCGWINSZ)).rows
    except Error:
        height = 24
    height = height if height > 0 else 24
    return height - 3 if height - 3 > 0 else 22


async def report(table: Table, delay: int, count: int, forever: bool, o: args.Options) -> None:
    """The running report: the since-boot line, then one line per DELAY."""
    out = kio.Output(1)
    height = await rows() if not o.has("n") else 0
    kpp = await page_kib()
    await out.write(table.header())
    prev = await read_sample()
    if not o.has("y"):
        uptime = (await read_uptime())[0] or 1.0
        vm = prev.vm
        values = [prev.running, prev.blocked] + table.memory(await read_meminfo())
        values += [
            int(table.kb(vm.get("pswpin", 0) * kpp) / uptime),
            int(table.kb(vm.get("pswpout", 0) * kpp) / uptime),
            int(vm.get("pgpgin", 0) / uptime),
            int(vm.get("pgpgout", 0) / uptime),
            int(prev.intr / uptime),
            int(prev.ctxt / uptime),
        ]
        values += percents(prev.cpu)
        await out.write(table.line(values, await stamp_now()))
    else:
        count += 1
    await out.flush()
    half = delay // 2
    i = 1
    while forever or i < count:
        await sys.nanosleep(delay * 1_000_000_000)
        if height and i % height == 0:
            await out.write(table.header())
        cur = await read_sample()
        ticks = [c - p for c, p in zip(cur.cpu, prev.cpu, strict=True)]

        def rate(now: int, before: int) -> int:
            return max(0, (now - before + half) // delay)

        vm, pv = cur.vm, prev.vm
        values = [cur.running, cur.blocked] + table.memory(await read_meminfo())
        values += [
            max(0, (table.kb((vm.get("pswpin", 0) - pv.get("pswpin", 0)) * kpp) + half) // delay),
            max(0, (table.kb((vm.get("pswpout", 0) - pv.get("pswpout", 0)) * kpp) + half) // delay),
            rate(vm.get("pgpgin", 0), pv.get("pgpgin", 0)),
            rate(vm.get("pgpgout", 0), pv.get("pgpgout", 0)),
            rate(cur.intr, prev.intr),
            rate(cur.ctxt, prev.ctxt),
        ]
        values += percents([max(0, t) for t in ticks])
        await out.write(table.line(values, await stamp_now()))
        await out.flush()
        prev = cur
        i += 1


async def summary(unit: int, letter: str) -> str:
    """``-s``: the event counter table."""
    mem = await read_meminfo()
    s = await read_sample()
    vm = s.vm

    def kb(v: int) -> int:
        return v * 1024 // unit

    mem_lines = [
        (mem.total, "total memory"),
        (mem.used, "used memory"),
        (mem.get("Active"), "active memory"),
        (mem.get("Inactive"), "inactive memory"),
        (mem.free, "free memory"),
        (mem.get("Buffers"), "buffer memory"),
        (mem.get("Cached") + mem.get("SReclaimable"), "swap cache"),
        (mem.swap_total, "total swap"),
        (mem.swap_total - mem.swap_free, "used swap"),
        (mem.swap_free, "free swap"),
    ]
    lines = [f"{kb(v):13d} {letter} {what}" for v, what in mem_lines]
    names = ["non-nice user", "nice user", "system", "idle", "IO-wait", "IRQ", "softirq"]
    names += ["stolen", "non-nice guest", "nice guest"]
    lines += [f"{t:13d} {n} cpu ticks" for t, n in zip(s.cpu, names, strict=True)]
    counters = [
        (vm.get("pgpgin", 0), "K paged in"),
        (vm.get("pgpgout", 0), "K paged out"),
        (vm.get("pswpin", 0), "pages swapped in"),
        (vm.get("pswpout", 0), "pages swapped out"),
    ]
    for zone in ("dma", "dma32", "high", "movable", "normal"):
        counters.append((vm.get(f"pgalloc_{zone}", 0), f"pages alloc in {zone}"))
    counters += [
        (vm.get("pgfree", 0), "pages free"),
        (s.intr, "interrupts"),
        (s.ctxt, "CPU context switches"),
        (s.btime, "boot time"),
        (s.processes, "forks"),
    ]
    lines += [f"{v:13d} {what}" for v, what in counters]
    return "\n".join(lines) + "\n"


DISK_HEADER = (
    "disk- ------------reads------------ ------------writes----------- -----IO------",
    "disk- -------------------reads------------------- -------------------writes------------------"
    " ------IO-------",
)
DISK_COLS = ("total", "merged", "sectors", "ms", "total", "merged", "sectors", "ms", "cur", "sec")
DISK_WIDTHS = ((6, 6, 7, 7, 6, 6, 7, 7, 6, 6), (9, 9, 11, 11, 9, 9, 11, 11, 7, 7))
DISK_SUM = (
    "total reads", "merged reads", "read sectors", "milli reading", "writes", "merged writes",
    "written sectors", "milli writing", "inprogress IO", "milli spent IO", "milli weighted IO",
)  # fmt: skip


async def read_disks() -> list[tuple[str, list[int]]] | None:
    """(name, its 11 first counters) per line of /proc/diskstats; None without it."""
    text = await read_text("/proc/diskstats")
    if text is None:
        return None
    return [(name, nums[:11]) for name, nums in parse_diskstats(text).items()]


async def disks(mode: str, o: args.Options, delay: int, count: int, forever: bool) -> int:
    """``-d``: the disk table (each DELAY); ``-D``: the summary; ``-p DEV``: one device."""
    stats = await read_disks()
    if stats is None:
        await kio.warn("vmstat", "Unable to create diskstat structure")
        return 1
    out = kio.Output(1)
    if mode == "D":
        total = [sum(c) for c in zip(*(v for _, v in stats), strict=True)] or [0] * 11
        lines = [f"{len(stats):13d} disks", f"{0:13d} partitions"]
        lines += [f"{v:13d} {what}" for v, what in zip(total, DISK_SUM, strict=True)]
        await out.write("\n".join(lines) + "\n")
    elif mode == "p":
        name = (o.value("p") or "").removeprefix("/dev/")
        found = next((v for n, v in stats if n == name), None)
        if found is None:
            await kio.warn("vmstat", f"Disk/Partition {name} not found")
            return 1
        await out.write(
            f"{name:<10} {'reads':>10} {'read sectors':>17} {'writes':>11} "
            f"{'requested writes':>17}\n{found[0]:21d} {found[2]:17d} {found[4]:11d} "
            f"{found[6]:17d}\n"
        )
    else:
        wide, stamp = int(o.has("w")), o.has("t")
        widths = DISK_WIDTHS[wide]
        head = DISK_HEADER[wide] + (STAMP_HEADER if stamp else "") + "\n"
        head += " " * 5 + "".join(f" {c:>{w}}" for c, w in zip(DISK_COLS, widths, strict=True))
        head += f" {'UTC':>{len(STAMP_HEADER) - 1}}\n" if stamp else "\n"
        i = 0
        while True:
            when = f" {await stamp_now()}" if stamp else ""
            if i == 0 or not o.has("n"):
                await out.write(head)
            for name, v in stats:
                values = v[:8] + [v[8], v[9] // 1000]
                row = "".join(f" {x:{w}d}" for x, w in zip(values, widths, strict=True))
                await out.write(f"{name:<5}{row}{when}\n")
            await out.flush()
            i += 1
            if not forever and i >= count:
                break
            await sys.nanosleep(delay * 1_000_000_000)
            stats = await read_disks() or []
    await out.flush()
    return 0


def parse_long(text: str) -> int:
    """strtol_or_err: a whole decimal number.

    Raises:
        ValueError: anything else.
    """
    t = text.strip()
    if not t or not t.lstrip("+-").isdigit():
        raise ValueError(text)
    return int(t)


async def main(argv: list[str]) -> int:
    """Entry point."""
    opts = await text.options(
        "vmstat", argv, "afmnsdDp:S:wthy", USAGE, hint=USAGE.rstrip("\n"), help_flags="h", long=LONG
    )
    if isinstance(opts, int):
        return opts
    if opts.has("f"):
        forks = (await read_sample()).processes
        await kio.write_all(1, f"{forks:13d} forks\n")
        return 0
    unit, letter = 1024, "K"
    if opts.has("S"):
        word = opts.value("S") or ""
        if word[:1] not in UNITS:
            await kio.warn("vmstat", "-S requires k, K, m or M (default is KiB)")
            return 1
        unit, letter = UNITS[word[0]], word[0]
    delay, count, forever = 1, 1, False
    words = list(opts.operands)
    try:
        if words:
            delay = parse_long(words.pop(0))
            if delay < 1:
                await kio.warn("vmstat", "delay must be positive integer")
                return 1
            if delay > 0xFFFFFFFF:
                await kio.warn("vmstat", "too large delay value")
                return 1
            forever = True
        if words:
            count = parse_long(words.pop(0))
            forever = False
    except ValueError as err:
        await kio.warn("vmstat", f"failed to parse argument: '{err}'")
        return 1
    if words:
        await kio.write_all(2, USAGE)
        return 1
    modes = [m for m in "smdDp" if opts.has(m)]
    if len(modes) > 1:
        await kio.write_all(2, USAGE)
        return 1
    if modes and modes[0] in "dDp":
        return await disks(modes[0], opts, delay, count, forever)
    if modes == ["m"]:
        # No slab allocator: procps's message for a kernel without /proc/slabinfo.
        await kio.warn("vmstat", "Unable to create slabinfo structure: No such file or directory")
        return 1
    if modes == ["s"]:
        await kio.write_all(1, await summary(unit, letter))
        return 0
    table = Table(opts.has("a"), opts.has("w"), unit, opts.has("t"))
    await report(table, delay, count, forever, opts)
    return 0
