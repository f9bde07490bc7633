"""The machine's panes beside the console (processes, threads, the /proc browser) and the
small dialogs they share.

Each pane is a widget built as ``Pane(host)`` (a ``kernel.host.HostClient``, plus the
usual ``id``/``classes``) with ``refresh_data()``, which the app calls several times a
second while the pane is visible; it returns at once when /proc/generation says nothing
changed. ``set_host(host)`` points a pane at a rebooted machine. ``PANE_ACTIONS`` on each
class lists :class:`PaneAction` entries for the command palette; the palette runs them
with ``pane.run_action(action)``. All pane data comes from ``tui.procview``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, NamedTuple

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.coordinate import Coordinate
from textual.screen import ModalScreen
from textual.widgets import Button, DataTable, Static
from textual.widgets.data_table import ColumnKey, RowKey


class PaneAction(NamedTuple):
    """A pane action the command palette lists."""

    title: str
    description: str
    action: str


class Column(NamedTuple):
    """A table column: key, header label, width (None: fit the content), right-aligned."""

    key: str
    label: str
    width: int | None
    right: bool = False


class PaneTable(DataTable):
    """A DataTable that can change many cells with one repaint.

    ``DataTable.update_cell`` repaints the widget on every call, which costs more than
    everything else a refresh of 1,000 rows does; :meth:`update_cells` stores the values
    the same way and repaints once.
    """

    def update_cells(self, changes: list[tuple[RowKey, ColumnKey, Any]]) -> None:
        """Set ``(row key, column key, value)`` cells (all existing), then repaint."""
        data = getattr(self, "_data", None)
        if not isinstance(data, dict) or not hasattr(self, "_update_count"):
            for row, col, value in changes:  # a Textual without these internals
                self.update_cell(row, col, value)
            return
        for row, col, value in changes:
            data[row][col] = value
        self._update_count += 1
        self.refresh()


class KeyedTable:
    """Keeps a DataTable in step with rows keyed by an id, touching only what changed.

    Rows are tuples of display strings, one per column. :meth:`sync` adds new keys,
    removes gone ones, calls ``update_cell`` only for cells whose text changed, re-sorts
    when the order may have changed, and keeps the cursor on the same key.
    """

    def __init__(self, table: PaneTable, columns: Sequence[Column]) -> None:
        self.table = table
        self.columns = list(columns)
        self.shown: dict[int, tuple[str, ...]] = {}
        self.sort_column = 0
        self.sort_reverse = False
        self.sort_value: Callable[[int, int], Any] = lambda key, col: key
        self._cells: dict[tuple[int, str], Text] = {}
        self._row_keys: dict[int, RowKey] = {}
        self._col_keys = [
            table.add_column(self._label(c), width=c.width, key=c.key) for c in self.columns
        ]

    def _label(self, c: Column) -> Text:
        idx = self.columns.index(c)
        mark = ""
        if idx == self.sort_column:
            mark = "▼" if self.sort_reverse else "▲"
        return Text(c.label + mark, justify="right" if c.right else "left")

    def cell(self, col: int, value: str) -> Text:
        """The renderable of one cell (Text, so no markup is ever parsed). Cells with
        the same text share one Text (a table never changes the renderables it gets)."""
        cache = self._cells
        got = cache.get((col, value))
        if got is None:
            if len(cache) > 20_000:
                cache.clear()
            justify = "right" if self.columns[col].right else "left"
            got = cache[(col, value)] = Text(value, justify=justify, no_wrap=True)
        return got

    def selected(self) -> int | None:
        """The key of the row under the cursor."""
        t = self.table
        if not t.row_count:
            return None
        try:
            row_key = t.coordinate_to_cell_key(Coordinate(t.cursor_row, 0)).row_key
        except Exception:  # noqa: BLE001 - cursor out of range while rows change
            return None
        return int(row_key.value) if row_key.value is not None else None

    def set_sort(self, column: int, reverse: bool) -> None:
        """Sort by ``column`` (an index into the columns)."""
        self.sort_column = column
        self.sort_reverse = reverse
        for c in self.columns:
            self.table.columns[c.key].label = self._label(c)  # type: ignore[index]
        self.table.refresh()
        self.resort()

    def resort(self, keep: int | None = None) -> None:
        """Order the rows by the sort column, the key breaking ties; the cursor stays
        on its row (or goes to ``keep``'s)."""
        if keep is None:
            keep = self.selected()
        col = self.sort_column
        first = self.columns[0].key
        value = self.sort_value
        self.table.sort(
            first,
            key=lambda cell: (value(int(cell.plain), col), int(cell.plain)),
            reverse=self.sort_reverse,
        )
        self.select(keep)

    def select(self, key: int | None) -> None:
        """Put the cursor on the row of ``key`` (if it exists)."""
        if key is None or key not in self.shown:
            return
        idx = self.table.get_row_index(str(key))
        if idx != self.table.cursor_row:
            self.table.move_cursor(row=idx, animate=False)

    def sync(self, rows: dict[int, tuple[str, ...]]) -> bool:
        """Make the table show ``rows`` (key -> display strings); True if anything
        changed."""
        table = self.table
        shown = self.shown
        keep: int | None = None
        moved = False  # rows added or removed: the cursor's row index may change
        keys = self._col_keys
        row_keys = self._row_keys
        sort_col = self.sort_column
        changed = reorder = False
        gone = [k for k in shown if k not in rows]
        if gone or len(rows) != len(shown):
            keep = self.selected()
            moved = True
        for key in gone:
            table.remove_row(row_keys.pop(key))
            del shown[key]
            changed = True
        updates: list[tuple[RowKey, ColumnKey, Any]] = []
        cell = self.cell
        for key, values in rows.items():
            old = shown.get(key)
            if old is None:
                row_keys[key] = table.add_row(
                    *(cell(i, v) for i, v in enumerate(values)), key=str(key)
                )
                reorder = True
            elif old != values:
                row_key = row_keys[key]
                for i, (a, b) in enumerate(zip(old, values, strict=True)):
                    if a != b:
                        updates.append((row_key, keys[i], cell(i, b)))
                        if i == sort_col:
                            reorder = True
            else:
                continue
            shown[key] = values
            changed = True
        if updates:
            table.update_cells(updates)
        if reorder:
            self.resort(keep)
        elif moved and keep is not None and keep in shown:
            self.select(keep)
        return changed or reorder

    def clear(self) -> None:
        """Forget every row."""
        self.table.clear()
        self.shown.clear()
        self._row_keys.clear()


class ConfirmScreen(ModalScreen[bool]):
    """Ask a yes/no question; dismisses with True for yes."""

    DEFAULT_CSS = """
    ConfirmScreen { align: center middle; }
    ConfirmScreen > Vertical {
        width: 60; height: auto; border: thick $error; background: $surface; padding: 1 2;
    }
    ConfirmScreen #question { width: 100%; margin-bottom: 1; }
    ConfirmScreen Horizontal { height: auto; align-horizontal: right; }
    ConfirmScreen Button { margin-left: 2; }
    """
    BINDINGS = [
        Binding("y", "answer(True)", "Yes"),
        Binding("n,escape", "answer(False)", "No"),
    ]

    def __init__(self, question: str, yes: str = "Yes") -> None:
        super().__init__()
        self.question = question
        self.yes = yes

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(self.question, id="question")
            with Horizontal():
                yield Button(self.yes, variant="error", id="yes")
                yield Button("Cancel", id="no")

    def on_mount(self) -> None:
        self.query_one("#no", Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.dismiss(event.button.id == "yes")

    def action_answer(self, yes: bool) -> None:
        """Answer the question."""
        self.dismiss(yes)


class MessageScreen(ModalScreen[None]):
    """A message with a title, closed by any of Enter, Escape or the button."""

    DEFAULT_CSS = """
    MessageScreen { align: center middle; }
    MessageScreen > Vertical {
        width: 70; height: auto; border: thick $warning; background: $surface; padding: 1 2;
    }
    MessageScreen #title { text-style: bold; margin-bottom: 1; }
    MessageScreen #body { margin-bottom: 1; }
    MessageScreen Horizontal { height: auto; align-horizontal: right; }
    """
    BINDINGS = [Binding("escape,enter", "close", "Close")]

    def __init__(self, title: str, body: str) -> None:
        super().__init__()
        self.title_text = title
        self.body = body

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(self.title_text, id="title", markup=False)
            yield Static(self.body, id="body", markup=False)
            with Horizontal():
                yield Button("OK", variant="primary", id="ok")

    def on_mount(self) -> None:
        self.query_one("#ok", Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.dismiss(None)

    def action_close(self) -> None:
        """Close the message."""
        self.dismiss(None)


__all__ = [
    "Column",
    "ConfirmScreen",
    "KeyedTable",
    "MessageScreen",
    "PaneAction",
    "PaneTable",
]
