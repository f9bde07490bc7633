"""The rings pane: every completion ring on the machine, and the block devices' queues,
drawn from /proc and /sys.

At the top, one line per ring (pid, command, fd, entries, submissions and completions
waiting, requests in flight, completions per second); ``[``/``]`` choose the ring drawn
in full below (by default the newest: highest pid, then highest fd; the choice stays
while that ring lives). The chosen ring: its header line, the submission and completion
queues' occupancy as bars (SQEs published and not consumed, CQEs posted and not reaped,
out of their entries; the overflow list's length in the error colour when it is not
empty), its counters (submitted, completed, cancelled, overflowed), completions per
second of virtual time as a sparkline over the last refreshes, the requests in flight
(user data, op, fd, state, age in µs, the buffer the ring owns for it), the pages the
ring owns and its buffer groups. At the bottom, each block device: requests on it over
its depth, and IOPS with their sparkline. Everything comes from
:class:`tui.ringview.RingSampler`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from rich.console import Group, RenderableType
from rich.style import Style
from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.widgets import Static

from tui.ringview import DeviceView, RingSampler, RingsView, RingView
from tui.widgets.panes import PaneAction
from tui.widgets.panes.details import Pairs

if TYPE_CHECKING:
    from kernel.host import HostClient

SPARKS = "▁▂▃▄▅▆▇█"
SPARK_WIDTH = 24  # rate samples the sparkline shows (the newest)
BAR_WIDTH = 16  # cells of a queue's occupancy bar
MAX_REQUESTS = 64  # requests in flight listed at most (the rest is counted)
EMPTY = (
    "No process has a completion ring.\n"
    "Run iobench in the console to watch its rings work, or read man 7 io\n"
    "(level 2 of the I/O API: ring_setup, ring_enter, owned buffers)."
)


def fmt_rate(rate: float | None) -> str:
    """``0``, ``12.5``, ``3.2k``, ``1.1M``: a rate in a few characters (``-``: none yet)."""
    if rate is None:
        return "-"
    if rate < 1000:
        return f"{rate:.1f}" if rate % 1 else f"{rate:.0f}"
    if rate < 1_000_000:
        return f"{rate / 1000:.1f}k"
    return f"{rate / 1_000_000:.1f}M"


def sparkline(samples: list[float], width: int = SPARK_WIDTH) -> str:
    """Block characters for the last ``width`` samples, scaled to their largest (all
    zero draws the lowest bar; no samples draws nothing)."""
    tail = samples[-width:]
    top = max(tail, default=0.0)
    if top <= 0:
        return SPARKS[0] * len(tail)
    last = len(SPARKS) - 1
    return "".join(SPARKS[min(last, int(v * last / top) + (1 if v > 0 else 0))] for v in tail)


def bar(used: int, total: int, style: Style, width: int = BAR_WIDTH) -> Text:
    """``used`` of ``total`` as ``width`` cells, filled ones in ``style`` (at least one
    filled cell when ``used`` is not 0)."""
    filled = 0
    if total > 0 and used > 0:
        filled = max(1, min(width, round(used * width / total)))
    text = Text(no_wrap=True)
    text.append("█" * filled, style)
    text.append("·" * (width - filled), "dim")
    return text


def ring_label(ring: RingView) -> str:
    """``pid 12 ringhold fd 3``."""
    return f"pid {ring.pid} {ring.comm} fd {ring.fd}"


def ring_list(rings: list[RingView], chosen: int) -> Table:
    """One line per ring, the chosen one marked."""
    table = Table(box=None, padding=(0, 1), show_edge=False, header_style="bold")
    for name, right in (
        ("", False),
        ("pid", True),
        ("command", False),
        ("fd", True),
        ("entries", True),
        ("SQ", True),
        ("CQ", True),
        ("in flight", True),
        ("done/s", True),
    ):
        table.add_column(name, justify="right" if right else "left", no_wrap=True)
    for i, r in enumerate(rings):
        mark = "▶" if i == chosen else " "
        table.add_row(
            mark,
            str(r.pid),
            r.comm,
            str(r.fd),
            f"{r.sq_entries}/{r.cq_entries}",
            str(r.sqes),
            str(r.cqes) + (f"+{len(r.overflow)}" if r.overflow else ""),
            str(len(r.inflight)),
            fmt_rate(r.rate),
            style="bold" if i == chosen else None,
        )
    return table


def queues(ring: RingView, fill: Style, alert: Style) -> Table:
    """The submission and completion queues as bars, with heads, tails and overflow."""
    table = Table.grid(padding=(0, 1))
    for _ in range(3):
        table.add_column(no_wrap=True)
    sq = Text(f"{ring.sqes}/{ring.sq_entries}")
    sq.append(f"  head {ring.sq_head} tail {ring.sq_tail}", "dim")
    if ring.sq_thread >= 0:
        sq.append(f"  polled by thread {ring.sq_thread}", "dim")
    table.add_row(Text("SQ", "bold"), bar(ring.sqes, ring.sq_entries, fill), sq)
    cq = Text(f"{ring.cqes}/{ring.cq_entries}")
    cq.append(f"  head {ring.cq_head} tail {ring.cq_tail}", "dim")
    if ring.overflow:
        cq.append(f"  overflow {len(ring.overflow)} waiting", alert)
    table.add_row(Text("CQ", "bold"), bar(ring.cqes, ring.cq_entries, fill), cq)
    return table


def requests_table(ring: RingView) -> RenderableType:
    """The requests in flight: user data, op, fd, state, age in µs, owned buffer."""
    if not ring.inflight:
        return Text("No request in flight.", "dim")
    table = Table(box=None, padding=(0, 1), show_edge=False, header_style="bold")
    for name, right in (
        ("user data", False),
        ("op", False),
        ("fd", True),
        ("state", False),
        ("age µs", True),
        ("buffer", False),
    ):
        table.add_column(name, justify="right" if right else "left", no_wrap=True)
    for req in ring.inflight[:MAX_REQUESTS]:
        buf = f"{req.buf_addr:#x}+{req.buf_len}" if req.buf_addr is not None else ""
        age = f"{req.age_ns // 1000:,}" if req.state != "pending" else "-"
        state = Text(req.state, "dim" if req.state == "pending" else "")
        table.add_row(f"{req.user_data:#x}", req.op, str(req.fd), state, age, buf)
    rest = len(ring.inflight) - MAX_REQUESTS
    if rest > 0:
        return Group(table, Text(f"… and {rest} more", "dim"))
    return table


def ring_detail(ring: RingView, fill: Style, alert: Style, spark: Style) -> Group:
    """Everything about one ring (see the module docstring)."""
    head = Text()
    head.append(ring_label(ring), "bold")
    head.append(f"  {ring.sq_entries} SQ / {ring.cq_entries} CQ entries")
    counters = Pairs(
        [
            ("submitted", str(ring.submitted)),
            ("completed", str(ring.completed)),
            ("cancelled", str(ring.cancelled)),
            ("overflowed", str(ring.overflowed)),
        ]
    )
    rate = Text(no_wrap=True, overflow="crop")
    rate.append(f"{fmt_rate(ring.rate)} completions/s ")
    rate.append(sparkline(ring.history), spark)
    shown = min(len(ring.history), SPARK_WIDTH)
    rate.append(f" last {shown} refreshes" if shown else " (from the next refresh)", "dim")
    inflight = Text(f"In flight: {len(ring.inflight)}", "bold")
    inflight.append(f"   owned pages {ring.owned_pages}", "")
    parts: list[RenderableType] = [head, queues(ring, fill, alert), counters, rate, Text()]
    parts += [inflight, requests_table(ring)]
    if ring.groups:
        groups = Text("Buffer groups: ", "bold")
        groups.append(
            "  ".join(
                f"{g.bgid}: {g.free} free" + (f" × {g.size // 1024} KiB" if g.size else "")
                for g in ring.groups
            )
        )
        parts.append(groups)
    return Group(*parts)


def devices_block(devices: list[DeviceView], fill: Style, spark: Style) -> RenderableType:
    """Each block device: requests on it over its depth, IOPS and their sparkline."""
    if not devices:
        return Text("No block device (/proc/diskstats is empty).", "dim")
    table = Table.grid(padding=(0, 1))
    for _ in range(4):
        table.add_column(no_wrap=True)
    for d in devices:
        depth = d.depth or max(d.in_flight, 1)
        on = Text(f"{d.in_flight}/{d.depth}" if d.depth else str(d.in_flight))
        on.append(" on the device", "dim")
        iops = Text(f"IOPS {fmt_rate(d.iops)} ")
        iops.append(sparkline(d.history, SPARK_WIDTH // 2), spark)
        table.add_row(Text(d.name, "bold"), bar(d.in_flight, depth, fill, 8), on, iops)
    return Group(Text("Block devices", "bold"), table)


class RingsPane(Vertical):
    """The rings pane (see the module docstring)."""

    DEFAULT_CSS = """
    RingsPane { height: 1fr; }
    RingsPane > #rings-head { height: auto; max-height: 8; padding: 0 1; }
    RingsPane > #rings-scroll { height: 1fr; padding: 0 1; margin-top: 1; }
    RingsPane > #rings-devices { height: auto; padding: 0 1; }
    """
    COMPONENT_CLASSES: ClassVar[set[str]] = {"rings--fill", "rings--alert", "rings--spark"}
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("left_square_bracket", "prev_ring", "Prev ring", tooltip="Show the previous ring"),
        Binding("right_square_bracket", "next_ring", "Next ring", tooltip="Show the next ring"),
    ]
    PANE_ACTIONS: ClassVar[list[PaneAction]] = [
        PaneAction("Rings: previous ring", "Show the previous completion ring", "prev_ring"),
        PaneAction("Rings: next ring", "Show the next completion ring", "next_ring"),
    ]

    def __init__(
        self, host: HostClient, *, id: str | None = None, classes: str | None = None
    ) -> None:
        super().__init__(id=id, classes=classes)
        self.host = host
        self.sampler = RingSampler(host)
        self.view: RingsView | None = None
        self.chosen: tuple[int, int, int] | None = None  # the ring picked with [ ]
        self.head = Static(id="rings-head")
        self.body = Static(id="rings-body")
        self.devices = Static(id="rings-devices")

    def compose(self) -> ComposeResult:
        yield self.head
        with VerticalScroll(id="rings-scroll"):
            yield self.body
        yield self.devices

    def on_mount(self) -> None:
        self.refresh_data()

    def set_host(self, host: HostClient) -> None:
        """Show another (rebooted) machine."""
        self.host = host
        self.sampler = RingSampler(host)
        self.chosen = None
        self.refresh_data()

    # ------------------------------------------------------------------ data
    def _style(self, name: str) -> Style:
        return self.get_component_rich_style(name, partial=True)

    def index(self) -> int:
        """Where the ring shown is in the list (the newest unless one was chosen)."""
        rings = self.view.rings if self.view is not None else []
        keys = [r.key for r in rings]
        if self.chosen in keys:
            return keys.index(self.chosen)
        return len(rings) - 1

    def refresh_data(self) -> bool:
        """Read the rings and devices again and redraw; False when there is no ring."""
        self.view = self.sampler.sample()
        self.redraw()
        return bool(self.view.rings)

    def redraw(self) -> None:
        """Draw the last view read (after a choice, without reading again)."""
        view = self.view
        if view is None:
            return
        fill, alert, spark = (self._style(f"rings--{n}") for n in ("fill", "alert", "spark"))
        self.devices.update(devices_block(view.devices, fill, spark))
        if not view.rings:
            self.head.update(Text("Rings", "bold"))
            self.body.update(Text(EMPTY))
            return
        i = self.index()
        n = len(view.rings)
        title = Text("Rings", "bold")
        title.append(f"  {n} ring{'s' if n > 1 else ''}, showing {i + 1}", "")
        if n > 1:
            title.append("  ([ ] to choose)", "dim")
        self.head.update(Group(title, ring_list(view.rings, i)))
        self.body.update(ring_detail(view.rings[i], fill, alert, spark))

    # ------------------------------------------------------------------ actions
    def _cycle(self, delta: int) -> None:
        rings = self.view.rings if self.view is not None else []
        if not rings:
            self.notify("No process has a completion ring.", severity="warning")
            return
        self.chosen = rings[(self.index() + delta) % len(rings)].key
        self.redraw()

    def action_prev_ring(self) -> None:
        """Show the previous ring."""
        self._cycle(-1)

    def action_next_ring(self) -> None:
        """Show the next ring."""
        self._cycle(1)
