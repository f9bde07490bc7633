"""The heap pane: one process's libk heap, drawn from /proc as its allocator keeps it.

Which process: the one selected in the processes pane if it has a heap (select it
there, then come here), or one chosen here with ``[``/``]`` (the previous/next process
that has a heap; it stays until another is selected there), else the newest process
with a heap. At the top, the process and a summary (mapped, in use,
free, largest free run, fragmentation), then one line per arena with its counters and
a sparkline of its ``in_use`` over the last refreshes, then every region as a grid of
cells coloured used, free or metadata (legend under the summary). ``+``/``-`` zoom
from one cell per 16-byte granule to one cell per page; rows all of one state (the
free tail, a bitmap strategy's bitmaps) are folded into one line. Everything comes
from :class:`tui.heapview.HeapReader`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from rich.console import Console, ConsoleOptions, Group, RenderableType, RenderResult
from rich.measure import Measurement
from rich.style import Style
from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.widgets import Static

from kernel.abi import CELL_FREE, CELL_META, CELL_USED
from tui.heapview import CELL, ArenaView, HeapReader, HeapView, RegionView, zoom_cells
from tui.widgets.panes import PaneAction
from tui.widgets.panes.details import Pairs

if TYPE_CHECKING:
    from kernel.host import HostClient

GLYPHS = {CELL_USED: "█", CELL_FREE: "·", CELL_META: "▒"}
NAMES = {CELL_USED: "used", CELL_FREE: "free", CELL_META: "metadata"}
SPARKS = "▁▂▃▄▅▆▇█"
SPARK_WIDTH = 24  # samples the sparkline shows (the newest)
LABEL = 8  # width of a grid row's offset label, its space included
FOLD = 3  # this many rows of one state in a row or more are folded into one line
MAX_ROWS = 400  # grid rows drawn per region at most (the rest is summed up)


def fmt_bytes(n: int) -> str:
    """``928B``, ``63.1K``, ``1.0M``: a byte count in a few characters."""
    if n < 1024:
        return f"{n}B"
    value = n / 1024
    for unit in "KMG":
        if value < 1024 or unit == "G":
            return f"{value:.1f}{unit}" if value < 100 else f"{value:.0f}{unit}"
        value /= 1024
    return f"{n}B"


def sparkline(samples: list[int], width: int = SPARK_WIDTH) -> str:
    """Block characters for the last ``width`` samples, scaled to their largest (an
    empty arena draws the lowest bar, so the line is always there)."""
    tail = samples[-width:]
    top = max(tail, default=0)
    if top <= 0:
        return SPARKS[0] * len(tail)
    last = len(SPARKS) - 1
    return "".join(SPARKS[min(last, v * last // top + (1 if v else 0))] for v in tail)


class Styles:
    """The three cell styles and the dim style, from the pane's component classes."""

    def __init__(self, used: Style, free: Style, meta: Style, dim: Style) -> None:
        self.by_state = {CELL_USED: used, CELL_FREE: free, CELL_META: meta}
        self.dim = dim


class RegionGrid:
    """One region's cells, laid out at render time to the width it gets: a label with
    the offset of each row, then a multiple of 8 cells; rows of one state folded."""

    def __init__(self, region: RegionView, factor: int, styles: Styles) -> None:
        self.region = region
        self.factor = factor
        self.styles = styles
        self.cells = zoom_cells(region.cells, factor)

    def __rich_measure__(self, console: Console, options: ConsoleOptions) -> Measurement:
        return Measurement(LABEL + 8, options.max_width)

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        per_row = max(8, (options.max_width - LABEL) // 8 * 8)
        cells = bytes(self.cells)
        step = CELL * self.factor  # bytes per cell
        by_state, dim = self.styles.by_state, self.styles.dim
        rows = [cells[i : i + per_row] for i in range(0, len(cells), per_row)]
        i = drawn = 0
        while i < len(rows):
            if drawn >= MAX_ROWS:
                rest = (len(rows) - i) * per_row * step
                yield Text(f"{'':>{LABEL}}… {fmt_bytes(rest)} more: zoom out with -", dim)
                return
            state = rows[i][0]
            uniform = bytes([state]) * per_row
            j = i
            while j < len(rows) and rows[j] == uniform[: len(rows[j])]:
                j += 1
            if j - i >= FOLD:  # rows of one state: one line says how much
                start, end = i * per_row * step, min(j * per_row * step, self.region.length)
                line = Text(f"+{start:0{LABEL - 2}x} ", dim, no_wrap=True)
                line.append(GLYPHS.get(state, "?") * 3, by_state.get(state))
                line.append(f" {fmt_bytes(end - start)} {NAMES.get(state, '?')}, to +{end:x}", dim)
                yield line
                i, drawn = j, drawn + 1
                continue
            line = Text(f"+{i * per_row * step:0{LABEL - 2}x} ", dim, no_wrap=True)
            row = rows[i]
            k = 0
            while k < len(row):  # one span per run of a state
                state = row[k]
                n = k
                while n < len(row) and row[n] == state:
                    n += 1
                line.append(GLYPHS.get(state, "?") * (n - k), by_state.get(state))
                k = n
            yield line
            i, drawn = i + 1, drawn + 1


def summary(view: HeapView, command: str, zoom: int, page: int, styles: Styles) -> Group:
    """The process line, the heap's totals (wrapping between two figures, never inside
    one), the cell size and the legend."""
    t = view.totals
    head = Text()
    head.append(f"Process {view.pid}", "bold")
    head.append(f"  {command}" if command else "")
    if not view.regions:
        head.append("\nNo libk heap yet: it is made on the first kmheapa.")
        return Group(head)
    regions = len(view.regions)
    head.append(f"\nHeap {view.strategy}", "bold")
    head.append(f"  {fmt_bytes(t.mapped)} mapped in {regions} region{'s' if regions > 1 else ''}")
    figures = Pairs(
        [
            ("in use", fmt_bytes(t.in_use)),
            ("free", fmt_bytes(t.free)),
            ("largest free", fmt_bytes(t.largest_free)),
            ("free runs", str(t.free_runs)),
            ("fragmentation", f"{t.fragmentation:.1%}"),
        ]
    )
    cell = CELL * zoom
    key = Text(f"one cell: {'a page' if cell >= page else f'{cell} bytes'}  ", "dim")
    for state, name in ((CELL_USED, "used"), (CELL_FREE, "free"), (CELL_META, "metadata")):
        key.append(GLYPHS[state], styles.by_state[state])
        key.append(f" {name}  ")
    return Group(head, figures, key)


def arena_table(arenas: list[ArenaView], used: Style) -> Table:
    """Per arena: its name, the sparkline of its in_use, and its counters (wrapping
    between two counters on a narrow pane)."""
    table = Table.grid(padding=(0, 2, 0, 0))
    table.add_column(no_wrap=True)
    table.add_column()
    for a in arenas:
        name = f"arena {a.index}" + (f" cpu {a.cpu}" if a.cpu is not None else "")
        spark = Text(no_wrap=True, overflow="crop")
        spark.append(sparkline(a.history), used)
        spark.append(f" in use, last {min(len(a.history), SPARK_WIDTH)} refreshes", "dim")
        counters = Pairs(
            [
                ("in use", fmt_bytes(a.in_use)),
                ("peak", fmt_bytes(a.peak)),
                ("allocs", str(a.allocs)),
                ("frees", str(a.frees)),
                ("contended", str(a.contended)),
                ("remote frees", str(a.remote_frees)),
                ("moved in", str(a.migrations)),
            ]
        )
        table.add_row(Text(name, "bold"), Group(counters, spark))
    return table


def region_title(r: RegionView) -> Text:
    """A region's heading: address, kind, arena, size, and its own totals."""
    owner = f"arena {r.arena}" if r.arena is not None else "its own mapping"
    t = Text()
    t.append(f"{r.addr:012x}", "bold")
    t.append(f"  {r.kind}  {owner}  {fmt_bytes(r.length)}")
    t.append(f"  used {fmt_bytes(r.used)} free {fmt_bytes(r.free)}", "dim")
    return t


class HeapPane(Vertical):
    """The heap pane (see the module docstring)."""

    DEFAULT_CSS = """
    HeapPane { height: 1fr; }
    HeapPane > #heap-head { height: auto; padding: 0 1; }
    HeapPane > #heap-arenas { height: auto; max-height: 10; padding: 0 1; }
    HeapPane > #heap-scroll { height: 1fr; padding: 0 1; }
    """
    COMPONENT_CLASSES: ClassVar[set[str]] = {"heap--used", "heap--free", "heap--meta"}
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("plus,equals_sign", "zoom_in", "Zoom in", tooltip="Fewer bytes per cell"),
        Binding("minus", "zoom_out", "Zoom out", tooltip="More bytes per cell (up to a page)"),
        Binding(
            "left_square_bracket",
            "prev_process",
            "Prev heap",
            tooltip="Show the previous process that has a libk heap",
        ),
        Binding(
            "right_square_bracket",
            "next_process",
            "Next heap",
            tooltip="Show the next process that has a libk heap",
        ),
    ]
    PANE_ACTIONS: ClassVar[list[PaneAction]] = [
        PaneAction("Heap: zoom in", "One cell for fewer bytes (down to 16)", "zoom_in"),
        PaneAction("Heap: zoom out", "One cell for more bytes (up to a page)", "zoom_out"),
        PaneAction("Heap: previous process", "The previous process with a heap", "prev_process"),
        PaneAction("Heap: next process", "The next process with a heap", "next_process"),
    ]

    def __init__(
        self, host: HostClient, *, id: str | None = None, classes: str | None = None
    ) -> None:
        super().__init__(id=id, classes=classes)
        self.host = host
        self.reader = HeapReader(host)
        self.zoom = 1  # cells of 16 bytes merged into one drawn cell
        self.pid: int | None = None  # the process shown
        self._pinned: tuple[int, int | None] | None = None  # (pid, processes' pick then)
        self.view: HeapView | None = None
        self.head = Static(id="heap-head")
        self.arenas = Static(id="heap-arenas")
        self.grid = Static(id="heap-grid")

    def compose(self) -> ComposeResult:
        yield self.head
        yield self.arenas
        with VerticalScroll(id="heap-scroll"):
            yield self.grid

    def on_mount(self) -> None:
        self.refresh_data()

    def set_host(self, host: HostClient) -> None:
        """Show another (rebooted) machine."""
        self.host = host
        self.reader = HeapReader(host)
        self.pid = None
        self._pinned = None
        self.refresh_data()

    # ------------------------------------------------------------------ which process
    def _processes_pick(self) -> int | None:
        """The pid under the processes pane's cursor (None without one)."""
        try:
            pane = self.app.query_one("#processes")
        except Exception:  # noqa: BLE001 - no app, or no processes pane
            return None
        pid = getattr(pane, "selected_pid", None)
        return pid if isinstance(pid, int) else None

    def choose(self) -> int | None:
        """The process to show (see the module docstring)."""
        picked = self._processes_pick()
        if self._pinned is not None:
            pid, picked_then = self._pinned
            moved = picked != picked_then and picked is not None and self.reader.has_heap(picked)
            if not moved and self.reader.has_heap(pid):
                return pid  # chosen here, and the processes pane has not moved since
            self._pinned = None
        if picked is not None and self.reader.has_heap(picked):
            return picked
        if self.pid is not None and self.reader.has_heap(self.pid):
            return self.pid
        pids = self.reader.heap_pids()
        return pids[-1] if pids else None

    def _cycle(self, delta: int) -> None:
        pids = self.reader.heap_pids()
        if not pids:
            self.notify("No process has a libk heap.", severity="warning")
            return
        if self.pid in pids:
            pid = pids[(pids.index(self.pid) + delta) % len(pids)]
        else:
            pid = pids[0 if delta > 0 else -1]
        self._pinned = (pid, self._processes_pick())
        self.refresh_data()

    # ------------------------------------------------------------------ data
    def _styles(self) -> Styles:
        get = self.get_component_rich_style
        return Styles(
            get("heap--used", partial=True),
            get("heap--free", partial=True),
            get("heap--meta", partial=True),
            Style(dim=True),
        )

    def refresh_data(self) -> bool:
        """Read the chosen process's heap again and redraw; False when no process has a
        heap to show."""
        pid = self.choose()
        if pid != self.pid and self.pid is not None:
            self.reader.forget(self.pid)
        self.pid = pid
        if pid is None:
            self.view = None
            self.head.update(
                Text("No process has a libk heap.\nRun heapdemo & in the console to see one.")
            )
            self.arenas.update("")
            self.grid.update("")
            return False
        view = self.reader.read(pid)
        self.view = view
        if view is None:
            self.head.update(Text(f"Process {pid} has ended."))
            self.arenas.update("")
            self.grid.update("")
            return False
        self.redraw()
        return True

    def redraw(self) -> None:
        """Draw the last view read (after a zoom, without reading again)."""
        view = self.view
        if view is None or self.pid is None:
            return
        styles = self._styles()
        page = self.reader.page_size(self.pid)
        self.head.update(summary(view, self.reader.command(self.pid), self.zoom, page, styles))
        arenas: list[RenderableType] = []
        if view.arenas:
            arenas.append(arena_table(view.arenas, styles.by_state[CELL_USED]))
        own = view.mapped_blocks
        if own:
            size = fmt_bytes(sum(r.length for r in own))
            line = Text(f"{len(own)} block{'s' if len(own) > 1 else ''} mapped on their own ")
            line.append(f"({size}: large requests, or the naive strategy)", "dim")
            arenas.append(line)
        self.arenas.update(Group(*arenas))
        parts: list[RenderableType] = []
        for r in view.regions:
            parts.append(region_title(r))
            parts.append(RegionGrid(r, self.zoom, styles))
        self.grid.update(Group(*parts) if parts else "")

    # ------------------------------------------------------------------ actions
    def _max_zoom(self) -> int:
        page = self.reader.page_size(self.pid) if self.pid is not None else 4096
        return max(1, page // CELL)

    def action_zoom_in(self) -> None:
        """One cell for half as many bytes (down to 16)."""
        if self.zoom > 1:
            self.zoom //= 2
            self.redraw()

    def action_zoom_out(self) -> None:
        """One cell for twice as many bytes (up to a page)."""
        if self.zoom < self._max_zoom():
            self.zoom *= 2
            self.redraw()

    def action_prev_process(self) -> None:
        """Show the previous process that has a heap."""
        self._cycle(-1)

    def action_next_process(self) -> None:
        """Show the next process that has a heap."""
        self._cycle(1)
