"""``iostat [-c] [-d] [-x] [-k|-m] [-t] [-y] [-z] [DEVICE…|ALL] [INTERVAL [COUNT]]``.

sysstat 12's iostat: CPU use (from /proc/stat) and block-device activity (from
/proc/diskstats, over the seconds of /proc/uptime). The first report covers the time
since boot; with INTERVAL, another follows every INTERVAL seconds of the machine's clock
(nanosleep), covering the interval just past — COUNT reports in all, or until
interrupted. Devices are those /sys/block lists (every /proc/diskstats line without
/sys); one that never did any I/O is left out unless named or ``ALL`` is given. Columns
and number formats are sysstat's, so scripts written for it parse this one's.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

from kernel.abi import CLOCK_REALTIME
from userland.libk import io as kio
from userland.libk import sys, text
from userland.libk.procinfo import list_dir, parse_diskstats, read_text

USAGE = """Usage: iostat [ options ] [ <interval> [ <count> ] ]
Options are:
[ -c ] [ -d ] [ -k | -m ] [ -t ] [ -x ] [ -y ] [ -z ] [ <device> [...] | ALL ]

 -c        the CPU report only
 -d        the device report only
 -k, -m    kilobytes (the default) or megabytes per second
 -t        the time of each report
 -x        extended statistics (r/s rkB/s r_await rareq-sz w/s wkB/s w_await
           wareq-sz aqu-sz %util)
 -y        with an interval, omit the first report (the averages since boot)
 -z        omit devices with no activity during the interval
 ALL       also list devices that never did any I/O

For more details see iostat(1).
"""
CPU_HEADER = "avg-cpu:  %user   %nice %system %iowait  %steal   %idle\n"
#: Column names of the basic report (after tps), for -k and -m.
BASIC = {
    2: "    kB_read/s    kB_wrtn/s    kB_dscd/s    kB_read    kB_wrtn    kB_dscd",
    2048: "    MB_read/s    MB_wrtn/s    MB_dscd/s    MB_read    MB_wrtn    MB_dscd",
}
EXTENDED = {
    2: "     r/s     rkB/s r_await rareq-sz     w/s     wkB/s w_await wareq-sz  aqu-sz  %util",
    2048: "     r/s     rMB/s r_await rareq-sz     w/s     wMB/s w_await wareq-sz  aqu-sz  %util",
}
# /proc/diskstats's counters, by position after the name.
RD_IOS, RD_SEC, RD_TICKS, WR_IOS, WR_SEC, WR_TICKS = 0, 2, 3, 4, 6, 7
IO_TICKS, RQ_TICKS, DC_IOS, DC_SEC, FL_IOS = 9, 10, 11, 13, 15


@dataclass(slots=True)
class Sample:
    """One reading: CPU ticks (user nice system idle iowait irq softirq steal guest
    guest_nice), uptime in hundredths of a second, the devices' 17 counters."""

    cpu: list[int] = field(default_factory=lambda: [0] * 10)
    uptime: int = 0
    disks: dict[str, list[int]] = field(default_factory=dict)


async def read_sample() -> Sample:
    """/proc/stat's cpu line, /proc/uptime and /proc/diskstats now."""
    s = Sample()
    for line in (await read_text("/proc/stat") or "").splitlines():
        words = line.split()
        if words and words[0] == "cpu":
            nums = [int(w) for w in words[1:11] if w.isdigit()]
            s.cpu = nums + [0] * (10 - len(nums))
    words = (await read_text("/proc/uptime") or "0").split()
    try:
        s.uptime = round(float(words[0]) * 100)
    except ValueError:
        s.uptime = 0
    s.disks = parse_diskstats(await read_text("/proc/diskstats") or "")
    return s


async def cpu_count() -> int:
    """The CPUs /proc/stat lists (``cpuN`` lines)."""
    text = await read_text("/proc/stat") or ""
    n = sum(1 for line in text.splitlines() if line.startswith("cpu") and line[3:4].isdigit())
    return max(n, 1)


def cpu_report(prev: list[int], cur: list[int]) -> str:
    """The avg-cpu lines: sysstat's %user (guest time taken out) … %idle."""
    d = [max(0, c - p) for c, p in zip(cur, prev, strict=True)]
    user, nice, system, idle, iowait, irq, softirq, steal, guest, guest_nice = d
    total = user + nice + system + idle + iowait + irq + softirq + steal
    if total == 0:
        total, idle = 1, 1  # no tick went by: all idle
    values = (
        max(0, user - guest),
        max(0, nice - guest_nice),
        system + irq + softirq,
        iowait,
        steal,
        idle,
    )
    return CPU_HEADER + "       " + "".join(f" {100 * v / total:7.2f}" for v in values) + "\n\n"


@dataclass(slots=True)
class Report:
    """What one run prints: the options and the device selection."""

    cpu: bool
    devices: bool
    extended: bool
    fctr: int  # sectors per unit: 2 for kB, 2048 for MB
    zero: bool  # -z
    every: bool  # ALL
    named: list[str]
    disks: list[str] | None  # /sys/block's names, or None without /sys

    def header(self) -> str:
        """The Device line."""
        cols = (EXTENDED if self.extended else BASIC)[self.fctr]
        return f"{'Device':<13}" + ("" if self.extended else "      tps") + cols + "\n"

    def chosen(self, sample: Sample) -> list[str]:
        """The devices to show, in /proc/diskstats's order (or the order named)."""
        if self.named:
            return [n for n in self.named if n in sample.disks]
        names = list(sample.disks)
        if self.disks is not None:
            names = [n for n in names if n in self.disks]
        if not self.every:  # never used since boot: sysstat leaves it out
            names = [n for n in names if any(sample.disks[n][i] for i in (0, 4, 11, 15))]
        return names

    def device_lines(self, prev: Sample, cur: Sample) -> str:
        """The device table between two samples (``prev`` empty: since boot)."""
        itv = max(1, cur.uptime - prev.uptime)  # hundredths of a second
        out = [self.header()]
        for name in self.chosen(cur):
            c = cur.disks[name]
            p = prev.disks.get(name, [0] * 17)
            d = [max(0, x - y) for x, y in zip(c, p, strict=True)]
            if self.zero and not any(d[i] for i in (RD_IOS, WR_IOS, DC_IOS, FL_IOS)):
                continue
            out.append(f"{name:<13}" + self.columns(d, itv) + "\n")
        return "".join(out) + "\n"

    def columns(self, d: list[int], itv: int) -> str:
        """One device's figures from its counters' growth ``d`` over ``itv``."""

        def rate(n: int) -> float:
            return n * 100 / itv

        f = self.fctr
        if not self.extended:
            tps = rate(d[RD_IOS] + d[WR_IOS] + d[DC_IOS])
            speeds = (rate(d[RD_SEC]) / f, rate(d[WR_SEC]) / f, rate(d[DC_SEC]) / f)
            sizes = (d[RD_SEC] // f, d[WR_SEC] // f, d[DC_SEC] // f)
            return (
                f" {tps:8.2f}"
                + "".join(f" {v:12.2f}" for v in speeds)
                + "".join(f" {v:10d}" for v in sizes)
            )

        def side(ios: int, sectors: int, ticks: int) -> str:
            await_ms = ticks / ios if ios else 0.0
            size_kb = sectors / ios / 2 if ios else 0.0
            return f" {rate(ios):7.2f} {rate(sectors) / f:9.2f} {await_ms:7.2f} {size_kb:8.2f}"

        aqu = rate(d[RQ_TICKS]) / 1000
        util = min(100.0, rate(d[IO_TICKS]) / 10)
        return (
            side(d[RD_IOS], d[RD_SEC], d[RD_TICKS])
            + side(d[WR_IOS], d[WR_SEC], d[WR_TICKS])
            + f" {aqu:7.2f} {util:6.2f}"
        )


async def stamp() -> str:
    """The machine's time as sysstat's ``%x %X`` prints it in the C locale."""
    ns = await sys.clock_gettime(CLOCK_REALTIME)
    return datetime.datetime.fromtimestamp(ns // 1_000_000_000, datetime.UTC).strftime(
        "%m/%d/%y %H:%M:%S"
    )


def parse_count(text: str) -> int | None:
    """A whole positive decimal number, or None."""
    return int(text) if text.isdigit() and int(text) > 0 else None


async def main(argv: list[str]) -> int:
    """Entry point."""
    opts = await text.options("iostat", argv, "cdkmtxyz", USAGE, hint=USAGE.rstrip("\n"), long={})
    if isinstance(opts, int):
        return opts
    words = list(opts.operands)
    numbers: list[int] = []
    while words and words[-1].isdigit() and len(numbers) < 2:
        numbers.insert(0, int(words.pop()))
    if any(n <= 0 for n in numbers) or any(w.isdigit() for w in words):
        await kio.write_all(2, USAGE)
        return 1
    interval = numbers[0] if numbers else 0
    count = numbers[1] if len(numbers) > 1 else (0 if interval else 1)  # 0: forever
    every = "ALL" in words
    named = [w.removeprefix("/dev/") for w in words if w != "ALL"]
    only_c, only_d = opts.has("c"), opts.has("d")
    sys_block = [n for n in await list_dir("/sys/block") if n not in (".", "..")]
    report = Report(
        cpu=only_c or not only_d,
        devices=only_d or not only_c,
        extended=opts.has("x"),
        fctr=2048 if [f for f, _ in opts.seen if f in "km"][-1:] == ["m"] else 2,
        zero=opts.has("z"),
        every=every,
        named=named,
        disks=sys_block or None,
    )
    u = await sys.uname()
    today = (await stamp())[:8]
    out = kio.Output(1)
    await out.write(
        f"{u.sysname} {u.release} ({u.nodename}) \t{today} \t_{u.machine}_\t"
        f"({await cpu_count()} CPU)\n\n"
    )
    prev = Sample()
    skip = opts.has("y") and interval > 0
    done = 0
    while True:
        if skip:
            prev = await read_sample()
            await out.flush()
            await sys.nanosleep(interval * 1_000_000_000)
            skip = False
        cur = await read_sample()
        if opts.has("t"):
            await out.write(await stamp() + "\n")
        if report.cpu:
            await out.write(cpu_report(prev.cpu, cur.cpu))
        if report.devices:
            await out.write(report.device_lines(prev, cur))
        await out.flush()
        done += 1
        if not interval or (count and done >= count):
            return 0
        prev = cur
        await sys.nanosleep(interval * 1_000_000_000)
