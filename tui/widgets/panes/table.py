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
"""

from __future__ import annotations

from collections.abc import Callable
from operator import attrgetter
from typing import TYPE_CHECKING, Any, ClassVar, Generic, TypeVar

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import DataTable

from tui.procview import ProcView
from tui.widgets.panes import Column, KeyedTable, PaneTable

if TYPE_CHECKING:
    from kernel.host import HostClient

R = TypeVar("R")


class TablePane(Vertical, Generic[R]):
    """A pane around one keyed, sorted table of rows of type ``R`` read through
    :class:`~tui.procview.ProcView` (see the module docstring)."""

    COLUMNS: ClassVar[list[Column]] = []
    SORT_VALUES: ClassVar[list[Callable[[Any], Any]]] = []
    DESCENDING: ClassVar[set[str]] = set()
    TABLE_ID: ClassVar[str] = ""
    ROW_KEY: ClassVar[str] = ""

    def __init__(
        self, host: HostClient, *, id: str | None = None, classes: str | None = None
    ) -> None:
        super().__init__(id=id, classes=classes)
        self.host = host
        self.view = ProcView(host)
        self.rows: dict[int, R] = {}
        self._dirty = True
        self.table: PaneTable = PaneTable(
            cursor_type="row", zebra_stripes=True, id=self.TABLE_ID or None
        )
        self.keyed = KeyedTable(self.table, self.COLUMNS)
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
        display = self.display_row
        self.keyed.sync({key(r): display(r) for r in rows})
        return True

    # ------------------------------------------------------------------ sorting
    def on_data_table_header_selected(self, event: DataTable.HeaderSelected) -> None:
        event.stop()
        idx = event.column_index
        if idx == self.keyed.sort_column:
            self.keyed.set_sort(idx, not self.keyed.sort_reverse)
        else:
            self.keyed.set_sort(idx, self.COLUMNS[idx].key in self.DESCENDING)

    def action_cycle_sort(self) -> None:
        """Sort by the next column."""
        idx = (self.keyed.sort_column + 1) % len(self.COLUMNS)
        self.keyed.set_sort(idx, self.COLUMNS[idx].key in self.DESCENDING)

    def action_reverse_sort(self) -> None:
        """Reverse the sort order."""
        self.keyed.set_sort(self.keyed.sort_column, not self.keyed.sort_reverse)
