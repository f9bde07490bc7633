"""``free [-b|-k|-m|-g|-h] [--si] [-l] [-t] [-v] [-w] [-s N] [-c N]``: memory use.

procps-ng 4's free, from /proc/meminfo: ``used`` is MemTotal minus MemAvailable,
``buff/cache`` is Buffers + Cached + SReclaimable, ``shared`` is Shmem; ``-l`` adds the
Low/High lines (a 64-bit kernel has only low memory), ``-v`` the commit line
(CommitLimit, Committed_AS and what is left), and ``-h`` picks units the way procps
does (``8.6Mi``). ``-s``/``-c`` repeat, sleeping on the machine's clock.
"""

from __future__ import annotations

from userland.libk import args, sys, text
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
     --tera          show output in terabytes
     --peta          show output in petabytes
 -k, --kibi          show output in kibibytes
 -m, --mebi          show output in mebibytes
 -g, --gibi          show output in gibibytes
     --tebi          show output in tebibytes
     --pebi          show output in pebibytes
 -h, --human         show human-readable output
     --si            use powers of 1000 not 1024
 -l, --lohi          show detailed low and high memory statistics
 -t, --total         show total for RAM + swap
 -v, --committed     show committed memory and commit limit
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
    "tebi": "1",
    "pebi": "2",
    "kilo": "K",
    "mega": "M",
    "giga": "G",
    "tera": "T",
    "peta": "P",
    "human": "h",
    "si": "S",
    "lohi": "l",
    "total": "t",
    "committed": "v",
    "seconds": "s",
    "count": "c",
    "wide": "w",
}
#: Unit flag -> (procps's exponent: 1 bytes, 2 kilo, 3 mega…; powers of 1000 forced).
EXPONENTS = {"b": (1, False), "k": (2, False), "m": (3, False), "g": (4, False)}
EXPONENTS |= {"1": (5, False), "2": (6, False)}
EXPONENTS |= {"K": (2, True), "M": (3, True), "G": (4, True), "T": (5, True), "P": (6, True)}


class Scale:
    """How one run of free shows a size given in KiB (procps's ``scale_size``)."""

    def __init__(self, exponent: int, si: bool, human: bool) -> None:
        self.exponent = exponent  # 0: KiB as /proc/meminfo gives them
        self.base = 1000 if si else 1024
        self.si = si
        self.human = human

    def __call__(self, kib: int) -> str:
        """A size (KiB) as text, per the options."""
        nbytes = kib * 1024
        if not self.human:
            if self.exponent == 0:
                return str(kib)
            if self.exponent == 1:
                return str(nbytes)
            return str(int(nbytes / self.base ** (self.exponent - 1)))
        text = f"{nbytes}B"
        if len(text) <= 4:
            return text
        limit = 4 if self.si else 5
        suffix = "" if self.si else "i"
        for i, unit in enumerate("KMGTP", 1):
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


def render(mem: MemInfo, scale: Scale, opts: args.Options) -> str:
    """One report: the header, Mem:, Low:/High: (-l), Swap:, Total: (-t), Comm: (-v)."""
    wide = opts.has("w")
    names = ["total", "used", "free", "shared"]
    cached_all = mem.get("Cached") + mem.get("SReclaimable")
    if wide:
        names += ["buffers", "cache"]
        cache = [scale(mem.get("Buffers")), scale(cached_all)]
    else:
        names.append("buff/cache")
        cache = [scale(mem.get("Buffers") + cached_all)]
    names.append("available")
    cells = [scale(mem.total), scale(mem.used), scale(mem.free), scale(mem.shared)]
    cells += cache + [scale(mem.available)]
    swap_used = mem.swap_total - mem.swap_free
    lines = [row("", names), row("Mem:", cells)]
    if opts.has("l"):
        low_total, low_free = mem.get("LowTotal"), mem.get("LowFree")
        if low_total == 0:  # no highmem: all of memory is low memory
            low_total, low_free = mem.total, mem.free
        high_total, high_free = mem.get("HighTotal"), mem.get("HighFree")
        lines.append(row("Low:", [scale(v) for v in (low_total, low_total - low_free, low_free)]))
        high = (high_total, high_total - high_free, high_free)
        lines.append(row("High:", [scale(v) for v in high]))
    lines.append(row("Swap:", [scale(v) for v in (mem.swap_total, swap_used, mem.swap_free)]))
    if opts.has("t"):
        values = (mem.total + mem.swap_total, mem.used + swap_used, mem.free + mem.swap_free)
        lines.append(row("Total:", [scale(v) for v in values]))
    if opts.has("v"):
        limit, committed = mem.get("CommitLimit"), mem.get("Committed_AS")
        lines.append(row("Comm:", [scale(v) for v in (limit, committed, limit - committed)]))
    return "\n".join(lines) + "\n"


async def usage_error() -> int:
    """procps's usage on standard error, status 1."""
    await kio.write_all(2, USAGE.lstrip("\n"))
    return 1


async def main(argv: list[str]) -> int:
    """Entry point."""
    usage = USAGE.lstrip("\n")
    opts = await text.options(
        "free", argv, "bkmghltvs:c:w", usage, hint=usage.rstrip("\n"), long=LONG
    )
    if isinstance(opts, int):
        return opts
    if opts.operands:
        return await usage_error()
    units = [flag for flag, _ in opts.seen if flag in EXPONENTS]
    if len(units) > 1:
        await kio.warn("free", "Multiple unit options don't make sense.")
        return 1
    exponent, si = EXPONENTS[units[0]] if units else (0, False)
    scale = Scale(exponent, si or opts.has("S"), opts.has("h"))
    delay = 1.0
    if opts.has("s"):
        word = opts.value("s") or ""
        try:
            delay = float(word)
        except ValueError:
            await kio.warn("free", f"seconds argument failed: '{word}'")
            return 1
        if not delay * 1_000_000 >= 1:
            await kio.warn("free", f"seconds argument `{word}' is not positive number")
            return 1
    count = -1
    if opts.has("c"):
        word = opts.value("c") or ""
        try:
            count = int(word.strip())
        except ValueError:
            await kio.warn("free", f"failed to parse count argument: '{word}'")
            return 1
        if count < 1:
            await kio.warn(
                "free", f"failed to parse count argument: '{word}': Numerical result out of range"
            )
            return 1
    repeat = opts.has("s") or opts.has("c")
    while True:
        await kio.write_all(1, render(await read_meminfo(), scale, opts))
        if count > 0:
            count -= 1
            if count < 1:
                return 0
        if not repeat:
            return 0
        await kio.write_all(1, "\n")
        await sys.nanosleep(int(delay * 1_000_000_000))
