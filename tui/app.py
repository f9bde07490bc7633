"""The libk Textual app: header, console pane, the machine's panes, machine controls.

``LibkApp(info)`` boots a :class:`tui.machine.Machine` and runs it in slices of a few
milliseconds of host time from a timer: a busy machine gets a slice, then the app gets
a gap for keys and drawing, and so on; an idle or paused one is looked at a few dozen
times a second, and at once when something is typed. So the screen stays responsive
whatever the machine does. With
``autorun=False`` the app never runs the machine by itself: tests drive it (through
``app.machine``) and then call :meth:`LibkApp.sync`, so what they snapshot is
deterministic.

The panes beside the console come from :data:`PANES`; each is built as
``Pane(host)`` and has ``refresh_data()``, which the app calls several times a second
for the visible pane only, and only when the machine has moved on; a pane whose refresh
(drawing included) is expensive is refreshed less often, down to once a second.
"""

from __future__ import annotations

import importlib
import time
from typing import Any

from textual import events, on
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.timer import Timer
from textual.widget import Widget
from textual.widgets import TabbedContent, TabPane

from kernel.image import BootInfo
from kernel.kernel import BUDGET
from tui.commands import MachineCommands
from tui.controls import MachineControls
from tui.machine import Machine
from tui.widgets.console import ConsolePane
from tui.widgets.footer import KeyFooter
from tui.widgets.header import MachineHeader
from tui.widgets.help import HelpScreen
from tui.widgets.panic import PanicView

#: The panes beside the console: (widget id, tab title, "module:Class"). A pane is
#: built as ``Class(host)`` and has ``refresh_data()``. Adding a pane is one line.
PANES: list[tuple[str, str, str]] = [
    ("processes", "Processes", "tui.widgets.panes.processes:ProcessesPane"),
    ("threads", "Threads", "tui.widgets.panes.threads:ThreadsPane"),
    ("procfs", "/proc", "tui.widgets.panes.procbrowser:ProcBrowserPane"),
    ("heap", "Heap", "tui.widgets.panes.heap:HeapPane"),
    ("rings", "Rings", "tui.widgets.panes.rings:RingsPane"),
    ("devices", "Devices", "tui.widgets.panes.devices:DevicesPane"),
]

#: Host time left to the app between two slices of a busy machine (a slice is at most
#: tui.machine.SLICE_SECONDS): keys, drawing and pane refreshes happen in these gaps.
BUSY_GAP_SECONDS = 0.005
#: How often an idle, paced or paused machine is looked at; typing wakes it at once.
IDLE_TICK_SECONDS = 1 / 30
REFRESH_SECONDS = 0.25  # how often the header and the visible pane are refreshed
#: A pane whose refresh (reading /proc, then drawing) is expensive, as the processes
#: pane is with a thousand processes, is refreshed less often: at most this share of
#: host time goes to it, but it is refreshed at least every PANE_MAX_SECONDS.
PANE_SHARE = 0.1
PANE_MAX_SECONDS = 1.0
#: Host time one tick may spend showing console output; what is left waits for the
#: next tick, and past OUTPUT_BACKLOG bytes the machine's writers wait too.
OUTPUT_SECONDS = 0.003
OUTPUT_BACKLOG = 64 * 1024
NARROW = 140  # below this width the panes go under the console
#: Footer groups: one label for a pair of keys, so every key fits in 80 columns.
PANES_GROUP = Binding.Group("Panes")
SPEED_GROUP = Binding.Group("Speed")


def pane_class(spec: str) -> Any:
    """Import ``module:Class``."""
    module, _, name = spec.partition(":")
    return getattr(importlib.import_module(module), name)


class LibkApp(MachineControls, App[int]):
    """The libk-tui app. Returns the machine's power-off status when it exits."""

    TITLE = "libk"
    CSS_PATH = "app.tcss"
    ALLOW_IN_MAXIMIZED_VIEW = "KeyFooter, MachineHeader"
    COMMANDS = App.COMMANDS | {MachineCommands}
    BINDINGS = [
        Binding("f1", "help", "Help"),
        Binding("question_mark", "help", "Help", show=False),
        Binding("f2", "focus_console", "Console"),
        Binding("f3", "focus_panes", "Focus the panes", group=PANES_GROUP),
        Binding("f4", "next_pane", "Next pane", group=PANES_GROUP),
        Binding("f5", "toggle_pause", "Pause"),
        Binding("f6", "step", "Step"),
        Binding("f7", "slower", "Slower", group=SPEED_GROUP),
        Binding("f8", "faster", "Faster", group=SPEED_GROUP),
        Binding("f9", "reboot", "Reboot"),
        Binding("ctrl+o", "open_image", "Open"),
        Binding("f11", "toggle_maximize", "Max"),
        Binding("f12", "screenshot", "SVG"),
    ]

    def __init__(
        self,
        info: BootInfo | str | None = None,
        *,
        autorun: bool = True,
        speed: float | None = None,
    ) -> None:
        super().__init__()
        self.machine = Machine(info, speed=speed)
        self.autorun = autorun
        self.machine.on_output.append(self._on_output)
        self.machine.on_input.append(self._on_input)
        self._tick_timer: Timer | None = None
        self._pending: list[bytes] = []
        self._seen: dict[str, tuple[int, int]] = {}
        self._last_refresh = 0.0
        self._pane_due = 0.0  # host time (perf_counter) before which the pane is not refreshed
        self.pane_cost = 0.0  # host seconds the visible pane's last refresh took, drawing included
        self._slice_seconds = 0.0  # host time the machine has run, all slices together
        self._showing_panic = False
        self.pane_errors: dict[str, str] = {}

    # ------------------------------------------------------------------ layout
    def compose(self) -> ComposeResult:
        yield MachineHeader()
        with Horizontal(id="main"):
            yield ConsolePane(self.machine)
            with Vertical(id="side"), TabbedContent(id="panes"):
                for pane_id, title, pane in self._build_panes():
                    with TabPane(title, id=f"tab-{pane_id}"):
                        yield pane
        yield KeyFooter()

    def _build_panes(self) -> list[tuple[str, str, Widget]]:
        out = []
        for pane_id, title, spec in PANES:
            try:
                pane = pane_class(spec)(self.machine.host)
            except (ImportError, AttributeError) as err:
                self.pane_errors[pane_id] = str(err)
                continue
            pane.id = pane_id
            out.append((pane_id, title, pane))
        return out

    def on_mount(self) -> None:
        """Start the machine's clock and the refresh timer."""
        self.query_one(ConsolePane).focus()
        if self.autorun:
            self._schedule_tick(0)
        self.sync()

    def on_unmount(self) -> None:
        """The app is closing: close the machine's coroutines now, not in the GC (which
        warns of a program that never ran, such as init on a machine never started)."""
        self.machine.kernel.shutdown()

    def on_resize(self, event: events.Resize) -> None:
        """Narrow terminals put the panes under the console (decided on the new size:
        ``self.size`` may still be the old one while the event is handled)."""
        self.screen.set_class(event.size.width < NARROW, "narrow")

    # ------------------------------------------------------------------ running
    def _on_output(self, data: bytes) -> None:
        self._pending.append(data)

    def _schedule_tick(self, delay: float) -> None:
        if self._tick_timer is not None:
            self._tick_timer.stop()
        # (A Timer cannot have a zero interval: "now" is the next millisecond.)
        self._tick_timer = self.set_timer(max(delay, 0.001), self._timed_tick, name="machine")

    def _timed_tick(self) -> None:
        self._tick_timer = None
        if self._exit or self._closing or not self.is_running:
            return  # the app is shutting down: its widgets may be gone already
        state = self.tick()
        if self._tick_timer is None:  # (tick may have been re-armed by typing meanwhile)
            busy = state == BUDGET or self._pending  # (output still to show counts)
            self._schedule_tick(BUSY_GAP_SECONDS if busy else IDLE_TICK_SECONDS)

    def _on_input(self) -> None:
        """Typing at the console: let the machine see it now, not at the next idle tick."""
        if self.autorun and self._tick_timer is not None:
            self._schedule_tick(0)

    def tick(self) -> str:
        """Run a slice of the machine and show what changed; returns the machine's state
        after the slice (``budget`` while it has more to do)."""
        m = self.machine
        before = m.kernel
        state = m.run_slice()
        self._slice_seconds += m.last_slice
        if m.halted and m.kernel is before and m.kernel.reboot_requested:
            self.call_later(self.reboot_now)
            return state
        self._flush_output(OUTPUT_SECONDS)
        now = time.monotonic()
        if now - self._last_refresh >= REFRESH_SECONDS or m.halted:
            self._last_refresh = now
            self.refresh_panes()
        if m.panicked and not self._showing_panic:
            self.show_panic()
        return state

    def _flush_output(self, seconds: float | None = None) -> None:
        """Show pending console output (with ``seconds``: as much as fits in that time)."""
        if self._pending:
            data = b"".join(self._pending)
            taken = self.query_one(ConsolePane).write(data, seconds)
            self._pending = [data[taken:]] if taken < len(data) else []
            backlog = len(data) - taken
        else:
            backlog = 0
        self.machine.hold_output = backlog > OUTPUT_BACKLOG

    def sync(self) -> None:
        """Show the machine as it is now: console output, header, visible pane, panic.

        Tests call this after driving ``app.machine`` by hand.
        """
        self.machine.hold_output = False
        self.machine.drain()
        self._flush_output()
        self.refresh_panes(force=True)
        if self.machine.panicked and not self._showing_panic:
            self.show_panic()

    def visible_pane(self) -> Widget | None:
        """The pane on the active tab (None when the panes are hidden)."""
        if self._showing_panic:
            return None
        maximized = self.screen.maximized
        if maximized is not None and maximized.id == "console":
            return None
        try:
            tabs = self.query_one("#panes", TabbedContent)
        except Exception:
            return None
        active = tabs.active
        if not active:
            return None
        pane_id = active.removeprefix("tab-")
        try:
            return self.query_one(f"#{pane_id}")
        except Exception:
            return None

    def refresh_panes(self, *, force: bool = False) -> None:
        """Refresh the header, and the visible pane when the machine has moved on."""
        m = self.machine
        header = self.query_one(MachineHeader)
        stamp = (m.boots, m.kernel.now_ns)
        if force or self._seen.get("header") != stamp:
            header.sample(m)
            self._seen["header"] = stamp
        header.show(m)
        pane = self.visible_pane()
        if pane is None or pane.id is None:
            return
        if not force and (self._seen.get(pane.id) == stamp or time.perf_counter() < self._pane_due):
            return
        self._seen[pane.id] = stamp
        self._refresh_pane(pane)

    def _refresh_pane(self, pane: Widget) -> None:
        """Refresh ``pane`` and time it, drawing included, to pace the next refresh.

        The drawing happens in the next screen update; the time until the callback after
        it, less the machine's slices in between, is what the refresh cost.
        """
        start = time.perf_counter()
        sliced = self._slice_seconds
        self._pane_due = start + REFRESH_SECONDS
        pane.refresh_data()  # type: ignore[attr-defined]

        def drawn() -> None:
            cost = time.perf_counter() - start - (self._slice_seconds - sliced)
            self.pane_cost = max(0.0, cost)
            wait = min(PANE_MAX_SECONDS, max(REFRESH_SECONDS, self.pane_cost / PANE_SHARE))
            self._pane_due = start + wait

        self.call_after_refresh(drawn)

    @on(TabbedContent.TabActivated)
    def _tab_changed(self) -> None:
        self.refresh_panes()

    # ------------------------------------------------------------------ panic and boot
    def show_panic(self) -> None:
        """Replace the panes with the panic report."""
        self._showing_panic = True
        self.screen.minimize()
        side = self.query_one("#side", Vertical)
        self.query_one("#panes").display = False
        view = PanicView(self.machine.panic_report or "")
        side.mount(view)
        view.focus()
        self.query_one(MachineHeader).show(self.machine)

    async def _after_boot(self) -> None:
        self._pending.clear()
        self._seen.clear()
        console = self.query_one(ConsolePane)
        console.reset()
        if self._showing_panic:
            self._showing_panic = False
            for view in self.query(PanicView):
                view.remove()
            self.query_one("#panes").display = True
        for pane_id, _title, pane in self._build_panes():
            tab = self.query_one(f"#tab-{pane_id}", TabPane)
            await tab.remove_children()
            await tab.mount(pane)
        console.focus()
        self.sync()

    # ------------------------------------------------------------------ actions
    def action_help(self) -> None:
        """Show the help screen."""
        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen())

    def action_focus_console(self) -> None:
        """Focus the console."""
        self.query_one(ConsolePane).focus()

    def action_focus_panes(self) -> None:
        """Focus the visible pane (or the panic report)."""
        if self._showing_panic:
            self.query_one(PanicView).focus()
            return
        pane = self.visible_pane()
        if pane is None:
            return
        if pane.can_focus:
            pane.focus()
        else:
            focusable = [w for w in pane.query("*") if w.can_focus]
            (focusable[0] if focusable else self.query_one("#panes").query_one("Tabs")).focus()

    def action_show_pane(self, pane_id: str) -> None:
        """Bring pane ``pane_id`` to the front and focus it."""
        if self._showing_panic:
            return
        self.screen.minimize()
        self.query_one("#panes", TabbedContent).active = f"tab-{pane_id}"
        self.refresh_panes(force=True)
        self.call_after_refresh(self.action_focus_panes)

    async def action_pane_action(self, pane_id: str, action: str) -> None:
        """Run one of pane ``pane_id``'s own actions (from the command palette)."""
        if self._showing_panic:
            return
        self.action_show_pane(pane_id)
        pane = self.query_one(f"#{pane_id}")
        await pane.run_action(action)

    def action_next_pane(self) -> None:
        """Bring the next pane to the front (with the focus, if a pane had it)."""
        if self._showing_panic:
            return
        ids = [p.id for p in self.query(TabPane)]
        if not ids:
            return
        tabs = self.query_one("#panes", TabbedContent)
        in_panes = self.focused is not None and tabs in self.focused.ancestors_with_self
        index = ids.index(tabs.active) if tabs.active in ids else -1
        tabs.active = ids[(index + 1) % len(ids)]  # type: ignore[assignment]
        self.refresh_panes(force=True)
        if in_panes:  # the focused pane went behind its tab: the new one takes the focus
            self.call_after_refresh(self.action_focus_panes)

    def action_toggle_maximize(self) -> None:
        """Maximise the focused pane, or restore the layout."""
        screen = self.screen
        if screen.maximized is not None:
            screen.minimize()
            return
        focused = self.focused
        if focused is None:
            return
        target: Widget | None = focused
        while target is not None and not (
            target.id in ("console", "side") or isinstance(target, PanicView)
        ):
            target = target.parent if isinstance(target.parent, Widget) else None
        if target is not None and target.id == "side":
            pane = self.visible_pane()
            target = pane if pane is not None else target
        screen.maximized = target or focused

    def action_screenshot(self) -> None:
        """Save an SVG screenshot in the current directory."""
        path = self.save_screenshot()
        self.notify(f"Saved {path}", title="Screenshot", timeout=3)

    async def action_quit(self) -> None:
        """Power the machine off and leave."""
        self.machine.power_off(0)
        self.exit(self.machine.kernel.power_status)
