"""``pmap [-x | -X | -XX | -d] [-q] [-p] [-A LOW,HIGH] PID…``: a process's memory map.

procps-ng's pmap, reading /proc/PID/maps (or smaps for the extended formats), in its
output formats: one line per area (address, size, mode, mapping) and a total;
``-x`` adds each area's resident and dirty kilobytes from smaps; ``-X``/``-XX`` show
smaps's fields as a table; ``-d`` the offsets and devices. As in procps, a mapping
without a file shows as ``[ anon ]`` (``[ stack ]`` for the one holding the process's
start of stack); a file mapping by its base name (its path with ``-p``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from kernel.abi import Error
from userland.libk import io as kio
from userland.libk import sys, text
from userland.libk.procinfo import read_cmdline, read_text

USAGE = """
Usage:
 pmap [options] PID [PID ...]

Options:
 -x, --extended              show details
 -X                          show even more details
            WARNING: format changes according to /proc/PID/smaps
 -XX                         show everything the kernel provides
 -d, --device                show the device format
 -q, --quiet                 do not display header and footer
 -p, --show-path             show path in the mapping
 -A, --range=<low>[,<high>]  limit results to the given range

 -h, --help     display this help and exit

For more details see pmap(1).
"""
LONG = {"extended": "x", "device": "d", "quiet": "q", "show-path": "p", "range": "A"}
#: A missing process makes pmap exit with this, as procps does.
NOT_FOUND = 42
#: smaps fields that -X leaves out (procps's ``is_unimportant``).
UNIMPORTANT = {
    "AnonHugePages",
    "KernelPageSize",
    "MMUPageSize",
    "Shared_Dirty",
    "Private_Dirty",
    "Shared_Clean",
    "Private_Clean",
    "VmFlags",
}
DETAIL = re.compile(r"([^:]{1,31}): *(\d{1,20})(?: kB)?\s*$")


@dataclass(slots=True)
class Area:
    """One line of maps, with the smaps details that follow it (in kB)."""

    start: int
    end: int
    perms: str
    offset: int
    dev: str
    inode: str
    name: str
    fields: dict[str, str]
    vmflags: str | None = None
    raw: tuple[str, str, str, str] = ("", "", "", "")  # start, end, offset as printed, name

    @property
    def kbytes(self) -> int:
        """The area's size in KiB."""
        return (self.end - self.start) >> 10

    def kb(self, key: str) -> int:
        """A smaps field as a number (0 if absent)."""
        value = self.fields.get(key, "0")
        return int(value) if value.isdigit() else 0

    @property
    def mode(self) -> str:
        """procps's five-letter mode: ``rw-p`` becomes ``rw---``, ``rw-s`` ``rw-s-``."""
        p = (self.perms + "----")[:4]
        return p[:3] + ("-" if p[3] == "p" else p[3]) + "-"


def parse_maps(text: str, smaps: bool) -> list[Area]:
    """The areas of a maps or smaps file.

    Raises:
        ValueError: a header line is not in maps's format.
    """
    areas: list[Area] = []
    for line in text.splitlines():
        if not line:
            continue
        if "-" in line.split(" ", 1)[0] and line[0] in "0123456789abcdef":
            parts = line.split(None, 5)
            if len(parts) < 5:
                raise ValueError(line)
            lo, _, hi = parts[0].partition("-")
            name = parts[5].strip() if len(parts) > 5 else ""
            areas.append(
                Area(
                    int(lo, 16),
                    int(hi, 16),
                    parts[1],
                    int(parts[2], 16),
                    parts[3],
                    parts[4],
                    name,
                    {},
                    raw=(lo, hi, parts[2], name),
                )
            )
            continue
        if not smaps or not areas:
            continue
        if line.startswith("VmFlags:"):
            areas[-1].vmflags = line[len("VmFlags:") :].strip()
            continue
        m = DETAIL.match(line)
        if m:
            areas[-1].fields[m.group(1)] = m.group(2)
    return areas


def mapping_name(area: Area, start_stack: int, showpath: bool) -> str:
    """The Mapping column, as procps's ``mapping_name`` chooses it."""
    if "/" in area.name:
        if showpath:
            return area.name[area.name.index("/") :]
        base = area.name[area.name.rindex("/") + 1 :]
        return base or "/"
    if area.start <= start_stack <= area.end:
        return "  [ stack ]"
    return "  [ anon ]"


async def start_stack(pid: int) -> int:
    """Field 28 of /proc/PID/stat, where the main thread's stack starts (0 if unknown)."""
    text = await read_text(f"/proc/{pid}/stat", 4096) or ""
    fields = text[text.rfind(")") + 2 :].split()
    try:
        return int(fields[25])
    except (IndexError, ValueError):
        return 0


async def command_line(pid: int) -> str:
    """The process's argv joined by spaces, or ``[comm]`` when it has none."""
    argv = await read_cmdline(pid)
    if argv and any(argv):
        return " ".join(argv)
    text = await read_text(f"/proc/{pid}/stat", 4096) or ""
    return f"[{text[text.find('(') + 1 : text.rfind(')')]}]"


@dataclass(slots=True)
class Opts:
    """The output format and its modifiers."""

    mode: str  # "", "x", "X", "XX", "d"
    quiet: bool
    showpath: bool
    low: int
    high: int


def in_range(area: Area, o: Opts) -> bool:
    """Is any of the area within ``-A``'s range?"""
    return area.end - 1 >= o.low and area.start <= o.high


def plain(areas: list[Area], o: Opts, stack: int) -> list[str]:
    """The default format and ``-d``."""
    lines = []
    if o.mode == "d" and not o.quiet:
        lines.append("Address           Kbytes Mode  Offset           Device    Mapping")
    shared = private_rw = private_ro = 0
    for a in areas:
        if not in_range(a, o):
            continue
        size = a.end - a.start
        if a.perms[3:4] == "s":
            shared += size
        elif a.perms[3:4] == "p":
            if a.perms[1:2] == "w":
                private_rw += size
            else:
                private_ro += size
        name = mapping_name(a, stack, o.showpath)
        if o.mode == "d":
            major, _, minor = a.dev.partition(":")
            dev = f"{int(major or '0', 16):03x}:{int(minor or '0', 16):05x}"
            lines.append(f"{a.start:016x} {a.kbytes:7d} {a.mode:>5} {a.offset:016x} {dev} {name}")
        else:
            lines.append(f"{a.start:016x} {a.kbytes:6d}K {a.mode} {name}")
    if not o.quiet:
        total = (shared + private_rw + private_ro) >> 10
        if o.mode == "d":
            lines.append(
                f"mapped: {total}K    writeable/private: {private_rw >> 10}K    "
                f"shared: {shared >> 10}K"
            )
        else:
            lines.append(f" total {total:16d}K")
    return lines


def extended(areas: list[Area], o: Opts, stack: int) -> list[str]:
    """``-x``: Kbytes, RSS and Dirty per area from smaps, and their totals."""
    lines = []
    if not o.quiet:
        lines.append("Address           Kbytes     RSS   Dirty Mode  Mapping")
    total = rss = dirty = 0
    for a in areas:
        if not in_range(a, o):
            continue
        a_dirty = a.kb("Private_Dirty") + a.kb("Shared_Dirty")
        total += a.end - a.start
        rss += a.kb("Rss")
        dirty += a_dirty
        name = mapping_name(a, stack, o.showpath)
        lines.append(f"{a.start:016x} {a.kbytes:7d} {a.kb('Rss'):7d} {a_dirty:7d} {a.mode} {name}")
    if not o.quiet:
        lines.append("---------------- ------- ------- ------- ")
        lines.append(f"{'total kB':<16} {total >> 10:7d} {rss:7d} {dirty:7d}")
    return lines


def detailed(areas: list[Area], o: Opts) -> list[str]:
    """``-X`` and ``-XX``: smaps's fields as a table, widths measured as procps does."""
    every = o.mode == "XX"
    shown = [a for a in areas if in_range(a, o)]
    keys: list[str] = []
    for a in areas[:1]:
        keys = [k for k in a.fields if every or k not in UNIMPORTANT]
    totals = {k: sum(a.kb(k) for a in shown) for k in keys}
    w = {k: 0 if o.quiet else max(len(k), len(str(totals[k]))) for k in keys}
    if o.quiet:
        for k in keys:
            w[k] = max((len(a.fields.get(k, "0")) for a in shown), default=1)
    vmflags = every and any(a.vmflags is not None for a in areas)
    cols = [
        ("Address", [a.raw[0] for a in shown]),
        ("Perm", [a.perms for a in shown]),
        ("Offset", [a.raw[2] for a in shown]),
        ("Device", [a.dev for a in shown]),
        ("Inode", [a.inode for a in shown]),
    ]
    widths = [max([len(v) for v in values] + [0 if o.quiet else len(h)]) for h, values in cols]
    vmw = max([len(a.vmflags or "") for a in shown] + [0 if o.quiet else len("VmFlags")])
    lines = []
    if not o.quiet and shown:
        head = " ".join(f"{h:>{wd}}" for (h, _), wd in zip(cols, widths, strict=True)) + " "
        head += "".join(f"{k:>{w[k]}} " for k in keys)
        if vmflags:
            head += f"{'VmFlags':>{vmw}} "
        lines.append(head + "Mapping")
    for i, a in enumerate(shown):
        row = " ".join(f"{values[i]:>{wd}}" for (_, values), wd in zip(cols, widths, strict=True))
        row += "".join(f" {a.fields.get(k, '0'):>{w[k]}}" for k in keys)
        if vmflags:
            row += f" {a.vmflags or '':>{vmw}}"
        name = a.name
        if not o.showpath and "/" in name:
            name = name[name.rindex("/") + 1 :]
        lines.append(f"{row} {name}")
    if not o.quiet and keys:
        gap = " " * (sum(widths) + len(widths))
        lines.append(gap + "".join("=" * w[k] + " " for k in keys))
        lines.append(gap + "".join(f"{totals[k]:>{w[k]}} " for k in keys) + "KB ")
    return lines


async def one_proc(pid: int, o: Opts, out: kio.Output) -> int:
    """Print one process's map; 1 if its maps cannot be read."""
    await out.line(f"{pid}:   {await command_line(pid)}")
    smaps = o.mode in ("x", "X", "XX")
    text = await read_text(f"/proc/{pid}/{'smaps' if smaps else 'maps'}", 1 << 26)
    if text is None:
        return 1
    try:
        areas = parse_maps(text, smaps)
    except (ValueError, IndexError):
        await out.flush()
        await kio.warn("pmap", "Unknown format in smaps file!")
        return 1
    if o.mode in ("X", "XX"):
        lines = detailed(areas, o)
    elif o.mode == "x":
        lines = extended(areas, o, await start_stack(pid))
    else:
        lines = plain(areas, o, await start_stack(pid))
    for line in lines:
        await out.line(line)
    return 0


def parse_range(text: str) -> tuple[int, int]:
    """``-A LOW[,HIGH]`` (hexadecimal; a bare LOW is the range LOW..LOW).

    Raises:
        ValueError: not hexadecimal.
    """
    low, comma, high = text.partition(",")
    if not comma:
        high = low
    lo = int(low, 16) if low else 0
    hi = int(high, 16) if high else (1 << 64) - 1
    return lo, hi


def parse_pid(word: str) -> int | None:
    """A process id as strtoul(3) with base 0 reads it (``12``, ``0x1c``, ``014``)."""
    if not word[:1].isdigit():
        return None
    try:
        if word[:2].lower() == "0x":
            return int(word[2:], 16)
        if word.startswith("0") and len(word) > 1:
            return int(word[1:], 8)
        return int(word, 10)
    except ValueError:
        return None


async def usage_error() -> int:
    """procps's usage on standard error, exit 1."""
    await kio.write_all(2, USAGE)
    return 1


async def main(argv: list[str]) -> int:
    """Entry point."""
    opts = await text.options(
        "pmap", argv, "xXdqpA:hr", USAGE, hint=USAGE.rstrip("\n"), help_flags="h", long=LONG
    )
    if isinstance(opts, int):
        return opts
    if len(argv) < 2:
        return await usage_error()
    if opts.has("r"):
        await kio.warn("pmap", "option -r is ignored as SunOS compatibility")
    xs = sum(1 for f, _ in opts.seen if f == "X")
    modes = [m for m in ("x", "d") if opts.has(m)] + (["X"] if xs else [])
    if len(modes) > 1:
        await kio.warn("pmap", "options -c, -C, -d, -n, -N, -x, -X are mutually exclusive")
        return 1
    mode = "XX" if xs > 1 else (modes[0] if modes else "")
    try:
        low, high = parse_range(opts.value("A")) if opts.has("A") else (0, (1 << 64) - 1)
    except ValueError:
        await kio.warn("pmap", f"failed to parse argument: '{opts.value('A')}'")
        return 1
    if not opts.operands:
        await kio.warn("pmap", "argument missing")
        return 1
    pids = []
    for word in opts.operands:
        if word.startswith("/proc/"):
            word = word[6:]
            if not word[:1].isdigit():
                continue
        pid = parse_pid(word)
        if pid is None or not 1 <= pid <= 0x7FFFFFFF:
            return await usage_error()
        pids.append(pid)
    o = Opts(mode, opts.has("q"), opts.has("p"), low, high)
    out = kio.Output(1)
    status = 0
    found = 0
    for pid in pids:
        try:
            await sys.stat(f"/proc/{pid}")
        except Error:
            continue
        found += 1
        status |= await one_proc(pid, o, out)
    await out.flush()
    if found < len(pids):
        status |= NOT_FOUND
    return status
