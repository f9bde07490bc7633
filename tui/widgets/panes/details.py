"""The processes pane's details view: what it draws for one process.

Its memory first (totals from ``status``, ``smaps_rollup`` and ``stat``, then its areas
as a table in the shape of ``pmap -x``: address, size, resident and dirty KiB, mode,
mapping), then its open descriptors (as lsof lists them, ``tui.fdview``), its children
and its ``/proc/<pid>/status``.
Everything comes from a :class:`~tui.procview.ProcessDetails` read through /proc.
"""

from __future__ import annotations

from rich.console import Console, ConsoleOptions, Group, RenderableType, RenderResult
from rich.measure import Measurement
from rich.table import Table
from rich.text import Text

from tui.fdview import OpenFile
from tui.memview import MapArea, ProcessMemory
from tui.procview import ProcessDetails, format_kb

#: Areas drawn in the table at most (a process may have tens of thousands); the totals
#: always count them all.
MAX_AREAS = 300
LABEL = 10  # width of the summary's row labels (two spaces of indent included)


class Pairs:
    """``anon 800K  file 400K  …``: a total's parts, names dim, laid out at render time so
    a narrow pane wraps between two parts and never inside one."""

    def __init__(self, parts: list[tuple[str, str]]) -> None:
        self.items: list[Text] = []
        for name, value in parts:
            item = Text(f"{name} ", "dim")
            item.append(value, "")
            self.items.append(item)

    def __rich_measure__(self, console: Console, options: ConsoleOptions) -> Measurement:
        widest = max((t.cell_len for t in self.items), default=0)
        total = sum(t.cell_len for t in self.items) + 2 * max(0, len(self.items) - 1)
        return Measurement(widest, total)

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        width = options.max_width
        line = Text()
        for item in self.items:
            if line and line.cell_len + 2 + item.cell_len > width:
                yield line
                line = Text()
            if line:
                line.append("  ")
            line.append_text(item)
        yield line


def _parts(parts: list[tuple[str, int]]) -> Pairs:
    return Pairs([(name, format_kb(kb)) for name, kb in parts])


def memory_summary(mem: ProcessMemory) -> Table | None:
    """The summary: resident, proportional, shared/private, virtual, faults, one row
    each as label, total and parts (which wrap in their own column on a narrow pane).

    A row whose source file could not be read is left out; None when none is left.
    """
    st, ro = mem.status, mem.rollup
    rows: list[tuple[str, str, Pairs]] = []
    if "VmRSS" in st:
        rss = [(k.lower(), st[f"Rss{k}"]) for k in ("Anon", "File", "Shmem") if f"Rss{k}" in st]
        rss += [("peak", st["VmHWM"])] if "VmHWM" in st else []
        rows.append(("Resident", format_kb(st["VmRSS"]), _parts(rss)))
    if "Pss" in ro:
        pss = [(k.lower(), ro[f"Pss_{k}"]) for k in ("Anon", "File", "Shmem") if f"Pss_{k}" in ro]
        pss += [("swap", ro["Swap"])] if "Swap" in ro else []
        rows.append(("Pss", format_kb(ro["Pss"]), _parts(pss)))
    for kind in ("Shared", "Private"):
        clean, dirty = ro.get(f"{kind}_Clean"), ro.get(f"{kind}_Dirty")
        if clean is not None and dirty is not None:
            rows.append(
                (kind, format_kb(clean + dirty), _parts([("clean", clean), ("dirty", dirty)]))
            )
    if "VmSize" in st:
        names = (
            ("data", "VmData"),
            ("stack", "VmStk"),
            ("text", "VmExe"),
            ("lib", "VmLib"),
            ("pte", "VmPTE"),
            ("peak", "VmPeak"),
        )
        # No shared libraries on libk: VmLib is 0 there, and shown only when it is not.
        vm = [(name, st[key]) for name, key in names if key in st and (st[key] or key != "VmLib")]
        rows.append(("Virtual", format_kb(st["VmSize"]), _parts(vm)))
    if mem.minflt >= 0:
        faults = Pairs([("minor", str(mem.minflt)), ("major", str(mem.majflt))])
        rows.append(("Faults", str(mem.minflt + mem.majflt), faults))
    if not rows:
        return None
    grid = Table.grid(padding=(0, 2, 0, 0))
    grid.add_column(no_wrap=True, style="bold", min_width=LABEL)
    grid.add_column(no_wrap=True, justify="right", min_width=6)
    grid.add_column()
    for label, total, parts in rows:
        grid.add_row(f"  {label}", total, parts)
    return grid


def _mapping(area: MapArea) -> Text:
    """The Mapping cell: cut short with an ellipsis on a narrow pane, never wrapped
    (the column itself may wrap, so that it is the one that gives way)."""
    if not area.name:
        return Text("[ anon ]", style="dim", no_wrap=True, overflow="ellipsis")
    return Text(area.name, no_wrap=True, overflow="ellipsis")


def maps_table(mem: ProcessMemory) -> Table:
    """The areas as a table, ``pmap -x``'s columns (``pmap``'s without smaps), with the
    totals in the footer."""
    full = mem.source == "smaps"
    areas = mem.areas
    table = Table(
        box=None,
        show_footer=len(areas) > 1,
        header_style="bold",
        footer_style="bold",
        pad_edge=False,
        padding=(0, 2, 0, 0),
        collapse_padding=True,
    )
    table.add_column("  Address", footer="  total kB", no_wrap=True)
    number = {"justify": "right", "no_wrap": True}
    table.add_column("Kbytes", footer=str(sum(a.size_kb for a in areas)), **number)
    if full:
        table.add_column("RSS", footer=str(sum(a.kb.get("Rss", 0) for a in areas)), **number)
        table.add_column("Dirty", footer=str(sum(a.dirty_kb for a in areas)), **number)
    table.add_column("Mode", no_wrap=True)
    table.add_column("Mapping", overflow="ellipsis", min_width=8)
    for area in areas[:MAX_AREAS]:
        # 12 digits hold every user address (47 bits); a longer one takes more.
        cells = [f"  {area.start:012x}", str(area.size_kb)]
        if full:
            cells += [str(area.kb.get("Rss", 0)), str(area.dirty_kb)]
        table.add_row(*cells, area.perms, _mapping(area))
    return table


def open_files_text(files: list[OpenFile]) -> Text:
    """The open descriptors as lsof lists them: FD with its mode (``3u``), TYPE and the
    /proc/<pid>/fd link's target, then a socket's type, state and path."""
    out = Text()
    if not files:
        out.append("  (none)\n")
        return out
    label = max(4, max(len(f.label) for f in files))
    kind = max(4, max(len(f.type) for f in files))
    out.append(f"  {'FD':>{label}}  {'TYPE':<{kind}}  NAME\n", style="dim")
    for f in files:
        out.append(f"  {f.label:>{label}}  {f.type:<{kind}}  {f.target}")
        if f.detail:
            out.append(f"  {f.detail}", style="cyan")
        out.append("\n")
    return out


def render_details(d: ProcessDetails, command: str) -> RenderableType:
    """The details view's content for one process."""
    head = Text()
    head.append(f"Process {d.pid}", style="bold")
    head.append(f"  {command}\n")
    if d.exe or d.cwd:
        head.append(f"exe -> {d.exe or '?'}    cwd -> {d.cwd or '?'}\n")
    parts: list[RenderableType] = [head]
    mem = d.memory
    summary = memory_summary(mem)
    if summary is not None:
        parts.append(Text("Memory", style="bold"))
        parts.append(summary)
    if mem.source:
        title = Text(f"\n/proc/{d.pid}/{mem.source}", style="bold")
        count = len(mem.areas)
        title.append(f"  {count} area{'s' if count != 1 else ''}", style="dim")
        parts.append(title)
        # A zombie (or a process in the middle of leaving) has no address space left.
        parts.append(maps_table(mem) if count else Text("  (none)"))
        if count > MAX_AREAS:
            more = f"  … and {count - MAX_AREAS} more (all of them in /proc/{d.pid}/maps)"
            parts.append(Text(more, style="dim"))
    tail = Text()
    tail.append("\nOpen files\n", style="bold")
    tail.append_text(open_files_text(d.files))
    tail.append("\nChildren\n", style="bold")
    if not d.children:
        tail.append("  (none)\n")
    for pid, cmd in d.children:
        tail.append(f"  {pid:>6}  {cmd}\n")
    tail.append(f"\n/proc/{d.pid}/status\n", style="bold")
    tail.append(d.status.expandtabs(16))
    parts.append(tail)
    return Group(*parts)
