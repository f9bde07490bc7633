"""The base of the panes that show one live, sortable table of /proc rows (processes,
threads): the table and its :class:`~tui.widgets.panes.KeyedTable`, the refresh that
re-reads only when /proc/generation moved, rebooting onto another machine, and sorting
by ``s``/``r`` or a header click.

A subclass names its ``COLUMNS``, ``SORT_VALUES`` (a row's value for each column),
``DESCENDING`` (the column keys that sort largest first when first chosen) and
``TABLE_ID``, the row attribute that keys a row across refreshes (``ROW_KEY``: a pid, a
tid), how to read its rows (:meth:`TablePane.fetch_rows`) and how to show one
(:meth:`TablePane.display_row`, often a ``staticmethod`` of a module function). Its own
``BINDINGS`` list the ``cycle_sort`` and ``reverse_sort`` actions where it wants them in
the footer.

The table is a :class:`RowTable`: Home/End (and ``g``/``G``) move the cursor to the
first and last row, PageUp/PageDown a page of rows; only Left/Right (and shift+wheel)
scroll sideways. A subclass may show a subset of the rows, or its own order, by
overriding :meth:`TablePane.shown_rows` (the processes pane filters and draws a tree); the
cursor only ever rests on a row the table shows. Every column is wide enough for its
label and the sort arrow (▲ ascending, ▼ descending) that marks the sort column.
"""

from __future__ import annotations

from collections.abc import Callable
from operator import attrgetter
from typing import TYPE_CHECKING, Any, ClassVar, Generic, TypeVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.widgets import DataTable

from tui.procview import ProcView
from tui.widgets.panes import Column, KeyedTable, PaneTable

if TYPE_CHECKING:
    from kernel.host import HostClient

R = TypeVar("R")


class RowTable(PaneTable):
    """A row-cursor table where Home/End go to the first/last row, not sideways."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("home,g,ctrl+home", "scroll_top", "First row", show=False),
        Binding("end,G,ctrl+end", "scroll_bottom", "Last row", show=False),
        Binding("left", "cursor_left", "Scroll left", show=False),
        Binding("right", "cursor_right", "Scroll right", show=False),
        Binding("ctrl+pageup", "page_left", "Scroll a page left", show=False),
        Binding("ctrl+pagedown", "page_right", "Scroll a page right", show=False),
    ]


class ArrangedTable(KeyedTable):
    """A :class:`~tui.widgets.panes.KeyedTable` that can follow an explicit order.

    With :attr:`order` (key -> position) set, rows sort by their position (a tree's
    order, say) instead of by the sort column.
    """

    def __init__(self, table: PaneTable, columns: list[Column]) -> None:
        super().__init__(table, columns)
        self.order: dict[int, int] | None = None

    def resort(self, keep: int | None = None) -> None:
        """Order the rows (see the class docstring); the cursor stays on its row."""
        order = self.order
        if order is None:
            super().resort(keep)
            return
        if keep is None:
            keep = self.selected()
        last = len(order)
        self.table.sort(
            self.columns[0].key, key=lambda cell: (order.get(int(cell.plain), last), cell.plain)
        )
        self.select(keep)


def fit_label(c: Column) -> Column:
    """``c``, widened (if its width is fixed) to show its label and a sort arrow."""
    if c.width is None or c.width > len(c.label):
        return c
    return c._replace(width=len(c.label) + 1)


class TablePane(Vertical, Generic[R]):
    """A pane around one keyed, sorted table of rows of type ``R`` read through
    :class:`~tui.procview.ProcView` (see the module docstring)."""

    COLUMNS: ClassVar[list[Column]] = []
    SORT_VALUES: ClassVar[list[Callable[[Any], Any]]] = []
    DESCENDING: ClassVar[set[str]] = set()
    TABLE_ID: ClassVar[str] = ""
    ROW_KEY: ClassVar[str] = ""
    #: The table's class (the help screen lists its keys).
    TABLE_CLASS: ClassVar[type[PaneTable]] = RowTable

    def __init__(
        self, host: HostClient, *, id: str | None = None, classes: str | None = None
    ) -> None:
        super().__init__(id=id, classes=classes)
        self.host = host
        self.view = ProcView(host)
        self.rows: dict[int, R] = {}
        self._dirty = True
        self.table: PaneTable = self.TABLE_CLASS(
            cursor_type="row", zebra_stripes=True, id=self.TABLE_ID or None
        )
        self.keyed = ArrangedTable(self.table, [fit_label(c) for c in self.COLUMNS])
        self.keyed.sort_value = lambda key, col: self.SORT_VALUES[col](self.rows[key])
        self.keyed.set_sort(0, False)

    # ------------------------------------------------------------------ rows
    def fetch_rows(self) -> list[R]:
        """Read every row from the machine (through ``self.view``)."""
        raise NotImplementedError

    def display_row(self, row: R) -> tuple[str, ...]:
        """``row``'s cells as text, one per column."""
        raise NotImplementedError

    # ------------------------------------------------------------------ data
    def compose(self) -> ComposeResult:
        yield self.table

    def on_mount(self) -> None:
        self.refresh_data()

    def set_host(self, host: HostClient) -> None:
        """Show another (rebooted) machine."""
        self.host = host
        self.view = ProcView(host)
        self.rows = {}
        self.keyed.clear()
        self._dirty = True
        self.refresh_data()

    def refresh_data(self) -> bool:
        """Re-read the rows if anything changed, and update the rows that did.

        Returns:
            True if the rows were read again.
        """
        if not self.view.changed() and not self._dirty:
            return False
        self._dirty = False
        rows = self.fetch_rows()
        key = attrgetter(self.ROW_KEY)
        self.rows = {key(r): r for r in rows}
        self.relayout()
        return True

    def shown_rows(self, rows: list[R]) -> tuple[dict[int, tuple[str, ...]], list[int] | None]:
        """The rows to show (key -> cells) and, optionally, their order (keys); None
        sorts them by the sort column. The default shows every row."""
        key = attrgetter(self.ROW_KEY)
        display = self.display_row
        return {key(r): display(r) for r in rows}, None

    def relayout(self) -> None:
        """Show :attr:`rows` again as :meth:`shown_rows` arranges them (after a change of
        filter, order or sort; nothing is read from the machine)."""
        cells, order = self.shown_rows(list(self.rows.values()))
        keyed = self.keyed
        new_order = None if order is None else {k: i for i, k in enumerate(order)}
        reorder = new_order != keyed.order
        keyed.order = new_order
        keyed.sync(cells)
        if reorder:
            keyed.resort()

    # ------------------------------------------------------------------ sorting
    def on_data_table_header_selected(self, event: DataTable.HeaderSelected) -> None:
        event.stop()
        idx = event.column_index
        if idx == self.keyed.sort_column:
            self.set_sort(idx, not self.keyed.sort_reverse)
        else:
            self.set_sort(idx, self.COLUMNS[idx].key in self.DESCENDING)

    def set_sort(self, column: int, reverse: bool) -> None:
        """Sort by ``column`` (an index into COLUMNS), largest first if ``reverse``."""
        self.keyed.set_sort(column, reverse)
        self.relayout()

    def action_cycle_sort(self) -> None:
        """Sort by the next column."""
        idx = (self.keyed.sort_column + 1) % len(self.COLUMNS)
        self.set_sort(idx, self.COLUMNS[idx].key in self.DESCENDING)

    def action_reverse_sort(self) -> None:
        """Reverse the sort order."""
        self.set_sort(self.keyed.sort_column, not self.keyed.sort_reverse)
