"""``free [-b|-k|-m|-g|-h] [--si] [-t] [-w] [-s N] [-c N]``: memory use, from /proc/meminfo.

The layout is procps-ng's: ``used`` is total minus available, ``buff/cache`` is
Buffers + Cached + SReclaimable, and ``-h`` picks units the way procps does (``8.6Mi``).
"""

from __future__ import annotations

from userland.libk import args, sys
from userland.libk import io as kio
from userland.libk.procinfo import MemInfo, read_meminfo

USAGE = """
Usage:
 free [options]

Options:
 -b, --bytes         show output in bytes
     --kilo          show output in kilobytes
     --mega          show output in megabytes
     --giga          show output in gigabytes
 -k, --kibi          show output in kibibytes
 -m, --mebi          show output in mebibytes
 -g, --gibi          show output in gibibytes
 -h, --human         show human-readable output
     --si            use powers of 1000 not 1024
 -t, --total         show total for RAM + swap
 -s N, --seconds N   repeat printing every N seconds
 -c N, --count N     repeat printing N times, then exit
 -w, --wide          wide output

     --help     display this help and exit

For more details see free(1).
"""

LONG = {
    "bytes": "b",
    "kibi": "k",
    "mebi": "m",
    "gibi": "g",
    "kilo": "K",
    "mega": "M",
    "giga": "G",
    "human": "h",
    "si": "S",
    "total": "t",
    "seconds": "s",
    "count": "c",
    "wide": "w",
}
#: Flag -> (power of the base the value is divided by, SI base forced).
EXPONENTS = {"b": (0, False), "k": (1, False), "m": (2, False), "g": (3, False)}
EXPONENTS |= {"K": (1, True), "M": (2, True), "G": (3, True)}


class Scale:
    """How one run of free shows a size given in KiB."""

    def __init__(self, exponent: int, si: bool, human: bool) -> None:
        self.exponent = exponent
        self.base = 1000 if si else 1024
        self.si = si
        self.human = human

    def __call__(self, kib: int) -> str:
        """A size (KiB) as text, per the options."""
        nbytes = kib * 1024
        if not self.human:
            return str(nbytes // self.base**self.exponent)
        text = f"{nbytes}B"
        if len(text) <= 4:
            return text
        limit = 4 if self.si else 5
        suffix = "" if self.si else "i"
        for i, unit in enumerate("KMGTPE", 1):
            value = nbytes / self.base**i
            text = f"{value:.1f}{unit}{suffix}"
            if len(text) <= limit:
                return text
            text = f"{int(value)}{unit}{suffix}"
            if len(text) <= limit:
                return text
        return text


def row(label: str, cells: list[str]) -> str:
    """One line of the table: the label in 9 columns, then 11-column right-aligned cells."""
    return f"{label:<9}{cells[0]:>11}" + "".join(f" {c:>11}" for c in cells[1:])


def render(mem: MemInfo, scale: Scale, *, wide: bool, total: bool) -> str:
    """One report: the header, Mem: and Swap: lines, and Total: with ``-t``."""
    names = ["total", "used", "free", "shared"]
    if wide:
        names += ["buffers", "cache"]
        cache = [scale(mem.get("Buffers")), scale(mem.get("Cached") + mem.get("SReclaimable"))]
    else:
        names.append("buff/cache")
        cache = [scale(mem.buff_cache)]
    names.append("available")
    cells = [scale(mem.total), scale(mem.used), scale(mem.free), scale(mem.shared)]
    cells += cache + [scale(mem.available)]
    swap_used = mem.swap_total - mem.swap_free
    lines = [row("", names), row("Mem:", cells)]
    lines.append(row("Swap:", [scale(v) for v in (mem.swap_total, swap_used, mem.swap_free)]))
    if total:
        values = (mem.total + mem.swap_total, mem.used + swap_used, mem.free + mem.swap_free)
        lines.append(row("Total:", [scale(v) for v in values]))
    return "\n".join(lines) + "\n"


async def main(argv: list[str]) -> int:
    """Entry point."""
    try:
        opts = args.getopt(argv, "bkmghtws:c:", long=LONG)
    except args.UsageError as err:
        await kio.warn("free", f"{err}\n{USAGE.strip()}")
        return 1
    if opts.help:
        await kio.write_all(1, USAGE.lstrip("\n"))
        return 0
    if opts.operands:
        await kio.warn("free", f"unexpected argument: '{opts.operands[0]}'")
        return 1
    exponent, si = 1, opts.has("S")
    for flag, _ in opts.seen:
        if flag in EXPONENTS:
            exponent, forced = EXPONENTS[flag]
            si = si or forced
    scale = Scale(exponent, si, opts.has("h"))
    try:
        delay = float(opts.value("s", "0") or 0)
        if delay < 0:
            raise ValueError
    except ValueError:
        await kio.warn("free", f"seconds argument '{opts.value('s')}' failed")
        return 1
    count_text = opts.value("c")
    if count_text is not None and not (count_text.isdigit() and int(count_text) > 0):
        await kio.warn("free", f"failed to parse count argument: '{count_text}'")
        return 1
    repeat = opts.has("s") or count_text is not None
    count = int(count_text) if count_text is not None else (-1 if opts.has("s") else 1)
    if repeat and not opts.has("s"):
        delay = 1.0
    shown = 0
    while True:
        text = render(await read_meminfo(), scale, wide=opts.has("w"), total=opts.has("t"))
        await kio.write_all(1, text + ("\n" if repeat else ""))
        shown += 1
        if count >= 0 and shown >= count:
            return 0
        await sys.nanosleep(int(delay * 1_000_000_000))
