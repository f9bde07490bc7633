"""The processes pane: every process of the machine, live, like ``top``.

Columns PID, PPID, USER, STATE, CPU, %CPU, VSZ, RSS, THR, TIME, COMMAND, read through
``tui.procview`` from /proc (VSZ and RSS are stat's vsize and rss, as ``ps`` shows
them). Rows are keyed by pid and updated in place (only cells whose text changed); the
cursor stays on its process while rows come, go and re-sort. Sort with ``s``/``r`` or
by clicking a header. ``d`` (or Enter) shows the selected process's details
(``tui.widgets.panes.details``): its memory and areas, open descriptors, children and
/proc/<pid>/status. ``k`` sends it a signal (SIGKILL asks first).

``/`` filters the rows (a substring of COMMAND or USER, as htop's filter): the filter
bar under the table shows the filter while it is active, Enter keeps it and goes back
to the table, Escape clears it. ``t`` shows the processes as a tree (``tui.proctree``),
siblings in the sort order. A hidden row is never under the cursor, so ``k`` only
signals a process the pane shows. Home/End go to the first/last row.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import DataTable, Input, Label, OptionList, Static
from textual.widgets.option_list import Option

from kernel.abi import SIGKILL, SIGNAL_MESSAGES, SIGNAL_NAMES, SIGTERM, Error
from tui.proctree import filter_rows, tree_order
from tui.procview import ProcessRow, format_kb, format_time
from tui.widgets.panes import Column, ConfirmScreen, PaneAction
from tui.widgets.panes.details import render_details
from tui.widgets.panes.table import TablePane

if TYPE_CHECKING:
    from kernel.host import HostClient

COLUMNS = [
    Column("pid", "PID", 5, right=True),
    Column("ppid", "PPID", 5, right=True),
    Column("user", "USER", 7),
    Column("state", "STATE", 5),
    Column("cpu", "CPU", 3, right=True),
    Column("pcpu", "%CPU", 5, right=True),
    Column("vsz", "VSZ", 5, right=True),
    Column("rss", "RSS", 5, right=True),
    Column("thr", "THR", 3, right=True),
    Column("time", "TIME", 8, right=True),
    Column("command", "COMMAND", None),
]

#: How each column sorts (by the value, not its text).
SORT_VALUES: list[Any] = [
    lambda r: r.pid,
    lambda r: r.ppid,
    lambda r: r.user,
    lambda r: r.state,
    lambda r: r.cpu,
    lambda r: r.pcpu,
    lambda r: r.vsz_kb,
    lambda r: r.rss_kb,
    lambda r: r.threads,
    lambda r: r.time_ticks,
    lambda r: r.command,
]
#: Columns that sort largest first when first chosen (as top does).
DESCENDING = {"pcpu", "vsz", "rss", "thr", "time"}


def display(r: ProcessRow, prefix: str = "") -> tuple[str, ...]:
    """A process row's cells as text (``prefix``: the tree's branches before the
    command)."""
    return (
        str(r.pid),
        str(r.ppid),
        r.user[:7],
        r.state,
        str(r.cpu),
        f"{r.pcpu:.1f}",
        format_kb(r.vsz_kb),
        format_kb(r.rss_kb),
        str(r.threads),
        format_time(r.time_ticks),
        prefix + r.command,
    )


class SignalScreen(ModalScreen[int | None]):
    """Choose a signal to send; dismisses with its number (None: cancelled)."""

    DEFAULT_CSS = """
    SignalScreen { align: center middle; }
    SignalScreen > Vertical {
        width: 50; height: auto; max-height: 90%; border: thick $accent;
        background: $surface; padding: 0 1;
    }
    SignalScreen #signal-title { text-style: bold; padding: 1 0; }
    SignalScreen OptionList { height: auto; max-height: 20; }
    """
    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, pid: int, command: str) -> None:
        super().__init__()
        self.pid = pid
        self.command = command

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(
                Text(f"Send a signal to {self.pid} ({self.command[:30]})"), id="signal-title"
            )
            yield OptionList(
                *(
                    Option(f"{num:>2} {name:<9} {SIGNAL_MESSAGES[num]}", id=str(num))
                    for num, name in sorted(SIGNAL_NAMES.items())
                ),
                id="signals",
            )

    def on_mount(self) -> None:
        options = self.query_one(OptionList)
        options.highlighted = options.get_option_index(str(SIGTERM))
        options.focus()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.dismiss(int(event.option.id or 0))

    def action_cancel(self) -> None:
        """Close without sending anything."""
        self.dismiss(None)


class ProcessesPane(TablePane[ProcessRow]):
    """The processes pane (see the module docstring)."""

    DEFAULT_CSS = """
    ProcessesPane { height: 1fr; }
    ProcessesPane > DataTable { height: 1fr; }
    ProcessesPane > #proc-details {
        height: 50%; border-top: solid $accent; display: none; padding: 0 1;
    }
    ProcessesPane.-details > #proc-details { display: block; }
    ProcessesPane > #proc-filter-bar { height: 1; display: none; }
    ProcessesPane.-filtering > #proc-filter-bar { display: block; }
    ProcessesPane #proc-filter-label { width: auto; padding: 0 1; }
    ProcessesPane #proc-filter { width: 1fr; height: 1; border: none; padding: 0; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("s", "cycle_sort", "Sort", tooltip="Sort by the next column (or click a header)"),
        Binding("r", "reverse_sort", "Reverse", tooltip="Reverse the sort order"),
        Binding(
            "d",
            "toggle_details",
            "Details",
            tooltip="Show or hide the selected process's memory, maps, open files and status",
        ),
        Binding(
            "k",
            "send_signal",
            "Signal…",
            tooltip="Send a signal to the selected process (SIGKILL asks first)",
        ),
        Binding(
            "slash",
            "filter",
            "Filter",
            tooltip="Show only processes whose command or user holds a text (Esc clears)",
        ),
        Binding("t", "toggle_tree", "Tree", tooltip="Show the processes as a tree, or as a list"),
        Binding(
            "escape",
            "clear_filter",
            "Clear filter",
            show=False,
            tooltip="Clear the filter and show every process",
        ),
    ]
    PANE_ACTIONS: ClassVar[list[PaneAction]] = [
        PaneAction("Processes: sort by next column", "Cycle the sort column", "cycle_sort"),
        PaneAction("Processes: reverse sort", "Reverse the sort order", "reverse_sort"),
        PaneAction(
            "Processes: details",
            "Show or hide the selected process's memory, maps, files and status",
            "toggle_details",
        ),
        PaneAction(
            "Processes: send signal",
            "Send a signal to the selected process (SIGKILL asks first)",
            "send_signal",
        ),
        PaneAction(
            "Processes: filter",
            "Show only processes whose command or user holds a text",
            "filter",
        ),
        PaneAction("Processes: tree", "Show the processes as a tree, or a list", "toggle_tree"),
    ]
    COLUMNS = COLUMNS
    SORT_VALUES = SORT_VALUES
    DESCENDING = DESCENDING
    TABLE_ID = "proc-table"
    ROW_KEY = "pid"
    display_row = staticmethod(display)

    def __init__(
        self, host: HostClient, *, id: str | None = None, classes: str | None = None
    ) -> None:
        super().__init__(host, id=id, classes=classes)
        self.details_view = Static(id="proc-details-text")
        self.filter_input = Input(placeholder="command or user", id="proc-filter")
        #: The active filter ("" shows every process).
        self.filter_text = ""
        #: Show the processes as a tree.
        self.show_tree = False

    def compose(self) -> ComposeResult:
        yield self.table
        with Horizontal(id="proc-filter-bar"):
            yield Label("Filter:", id="proc-filter-label")
            yield self.filter_input
        with VerticalScroll(id="proc-details"):
            yield self.details_view

    def shown_rows(
        self, rows: list[ProcessRow]
    ) -> tuple[dict[int, tuple[str, ...]], list[int] | None]:
        """The rows the filter lets through; in tree mode, in the tree's order with
        the branches drawn before each command."""
        shown = filter_rows(rows, self.filter_text)
        if not self.show_tree:
            return {r.pid: display(r) for r in shown}, None
        col = self.keyed.sort_column
        order = tree_order(shown, SORT_VALUES[col], self.keyed.sort_reverse)
        rows_by_pid = {r.pid: r for r in shown}
        cells = {pid: display(rows_by_pid[pid], prefix) for pid, prefix in order}
        return cells, [pid for pid, _ in order]

    # ------------------------------------------------------------------ data
    def fetch_rows(self) -> list[ProcessRow]:
        """Every process of the machine."""
        return self.view.processes()

    def refresh_data(self) -> bool:
        """Re-read /proc if anything changed, and update the rows (and the details) that
        did; True if it read /proc again."""
        if not super().refresh_data():
            return False
        if self.has_class("-details"):
            self.show_details()
        return True

    @property
    def selected_pid(self) -> int | None:
        """The pid under the cursor."""
        return self.keyed.selected()

    def select_pid(self, pid: int) -> None:
        """Move the cursor to ``pid``'s row."""
        self.keyed.select(pid)
        if self.has_class("-details"):
            self.show_details()

    def show_details(self) -> None:
        """Fill the details view for the selected process."""
        pid = self.selected_pid
        if pid is None:
            self.details_view.update("No process selected.")
            return
        d = self.view.details(pid)
        if d is None:
            self.details_view.update(Text(f"Process {pid} has ended."))
            return
        row = self.rows.get(pid)
        self.details_view.update(render_details(d, row.command if row else ""))

    # ------------------------------------------------------------------ events
    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        self.action_toggle_details()

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        if self.has_class("-details"):
            self.show_details()

    def on_input_changed(self, event: Input.Changed) -> None:
        if event.input is self.filter_input:
            event.stop()
            # The field's value now, not the event's: a late event must not bring
            # back a filter that Escape has just cleared.
            self.set_filter(self.filter_input.value)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if event.input is self.filter_input:
            event.stop()
            self.set_filter(self.filter_input.value)
            self.set_class(bool(self.filter_text), "-filtering")
            self.table.focus()

    # ------------------------------------------------------------------ filter, tree
    def set_filter(self, text: str) -> None:
        """Show only the processes whose command or user holds ``text`` ("": all)."""
        if text == self.filter_text:
            return
        self.filter_text = text
        if self.filter_input.value != text:
            self.filter_input.value = text
        self.relayout()
        if self.has_class("-details"):
            self.show_details()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Escape clears the filter only while there is one to clear (otherwise the key
        goes on to whoever else wants it)."""
        if action == "clear_filter":
            return bool(self.filter_text) or self.has_class("-filtering")
        return True

    # ------------------------------------------------------------------ actions
    def action_filter(self) -> None:
        """Open the filter bar and edit the filter."""
        self.add_class("-filtering")
        self.filter_input.focus()
        self.filter_input.cursor_position = len(self.filter_input.value)

    def action_clear_filter(self) -> None:
        """Clear the filter and close the filter bar."""
        self.set_filter("")
        self.remove_class("-filtering")
        self.table.focus()

    def action_toggle_tree(self) -> None:
        """Show the processes as a tree, or as a list again."""
        self.show_tree = not self.show_tree
        self.relayout()

    def action_toggle_details(self) -> None:
        """Show or hide the details of the selected process."""
        self.toggle_class("-details")
        if self.has_class("-details"):
            self.show_details()

    def action_send_signal(self) -> None:
        """Ask which signal to send to the selected process, then send it."""
        pid = self.selected_pid
        if pid is None:
            self.notify("No process selected.", severity="warning")
            return
        command = self.rows[pid].command if pid in self.rows else str(pid)

        def chosen(sig: int | None) -> None:
            if sig is None:
                return
            if sig == SIGKILL:
                question = (
                    f"Send SIGKILL to process {pid} ({command[:40]})?\n\n"
                    "It cannot be caught or ignored: the process ends at once."
                )
                self.app.push_screen(
                    ConfirmScreen(question, "Kill"),
                    lambda yes: self.send_signal(pid, sig) if yes else None,
                )
            else:
                self.send_signal(pid, sig)

        self.app.push_screen(SignalScreen(pid, command), chosen)

    def send_signal(self, pid: int, sig: int) -> bool:
        """kill(pid, sig) through the host client; notify the outcome."""
        name = SIGNAL_NAMES.get(sig, str(sig))
        try:
            self.host.kill(pid, sig)
        except Error as err:
            self.notify(f"kill {pid}: {err}", title=name, severity="error")
            return False
        self.notify(f"Sent {name} to process {pid}.", title=name)
        self._dirty = True
        self.refresh_data()
        return True
