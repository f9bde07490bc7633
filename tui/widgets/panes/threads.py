"""The threads pane: every thread of the machine, with what it waits on and its
exit-request flag.

Columns TID, PID, STATE, CPU, WAIT (its /proc/<pid>/task/<tid>/wchan), TIME, EXIT-REQ
(``ExitRequested:`` in its status) and NAME. ``x`` asks the selected thread to leave
(``thread_request_exit``: the flag is set and a blocking call it sleeps in returns
EINTR). ``k`` tries to kill it the Unix way: the kernel refuses with EISTHREAD, and the
pane shows its message: threads are never killed, they are asked to leave.
"""

from __future__ import annotations

from typing import ClassVar

from textual.binding import Binding, BindingType

from kernel.abi import SIGTERM, Error
from tui.procview import ThreadRow, format_time
from tui.widgets.panes import Column, ConfirmScreen, MessageScreen, PaneAction
from tui.widgets.panes.table import TablePane

COLUMNS = [
    Column("tid", "TID", 5, right=True),
    Column("pid", "PID", 5, right=True),
    Column("state", "STATE", 5),
    Column("cpu", "CPU", 3, right=True),
    Column("wait", "WAIT", 17),
    Column("time", "TIME", 8, right=True),
    Column("exitreq", "EXIT-REQ", 8),
    Column("name", "NAME", None),
]
SORT_VALUES = [
    lambda r: r.tid,
    lambda r: r.pid,
    lambda r: r.state,
    lambda r: r.cpu,
    lambda r: r.wait,
    lambda r: r.time_ticks,
    lambda r: r.exit_requested,
    lambda r: r.name,
]
DESCENDING = {"time", "exitreq"}


def display(r: ThreadRow) -> tuple[str, ...]:
    """A thread row's cells as text."""
    return (
        str(r.tid),
        str(r.pid),
        r.state,
        str(r.cpu),
        r.wait or "-",
        format_time(r.time_ticks),
        "yes" if r.exit_requested else "-",
        r.name,
    )


class ThreadsPane(TablePane[ThreadRow]):
    """The threads pane (see the module docstring)."""

    DEFAULT_CSS = """
    ThreadsPane { height: 1fr; }
    ThreadsPane > DataTable { height: 1fr; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(
            "x",
            "request_exit",
            "Request exit",
            tooltip="Ask the selected thread to leave (thread_request_exit sets its flag)",
        ),
        Binding(
            "k",
            "kill_thread",
            "Kill thread",
            tooltip="Try to kill the selected thread: the kernel explains why it never will",
        ),
        Binding("s", "cycle_sort", "Sort", tooltip="Sort by the next column (or click a header)"),
        Binding("r", "reverse_sort", "Reverse", tooltip="Reverse the sort order"),
    ]
    PANE_ACTIONS: ClassVar[list[PaneAction]] = [
        PaneAction(
            "Threads: request exit",
            "Ask the selected thread to leave (thread_request_exit sets its flag)",
            "request_exit",
        ),
        PaneAction(
            "Threads: kill",
            "Try to kill the selected thread (the kernel explains why it never will)",
            "kill_thread",
        ),
        PaneAction("Threads: sort by next column", "Cycle the sort column", "cycle_sort"),
        PaneAction("Threads: reverse sort", "Reverse the sort order", "reverse_sort"),
    ]

    COLUMNS = COLUMNS
    SORT_VALUES = SORT_VALUES
    DESCENDING = DESCENDING
    TABLE_ID = "thread-table"
    ROW_KEY = "tid"
    display_row = staticmethod(display)

    def fetch_rows(self) -> list[ThreadRow]:
        """Every thread of the machine."""
        return self.view.threads()

    @property
    def selected_tid(self) -> int | None:
        """The tid under the cursor."""
        return self.keyed.selected()

    def select_tid(self, tid: int) -> None:
        """Move the cursor to ``tid``'s row."""
        self.keyed.select(tid)

    # ------------------------------------------------------------------ actions
    def action_request_exit(self) -> None:
        """thread_request_exit(tid) for the selected thread."""
        tid = self.selected_tid
        if tid is None:
            self.notify("No thread selected.", severity="warning")
            return
        try:
            self.host.call("thread_request_exit", tid)
        except Error as err:
            self.notify(f"thread_request_exit({tid}): {err}", severity="error")
            return
        self.notify(
            f"Asked thread {tid} to exit: its flag is set; it leaves when it next checks "
            "thread_should_exit().",
            title="Exit requested",
        )
        self._dirty = True
        self.refresh_data()

    def action_kill_thread(self) -> None:
        """Try kill(tid, SIGTERM), and show what the kernel answers. A main thread's id
        is its process's id, so that kill signals the whole process: it asks first."""
        tid = self.selected_tid
        if tid is None:
            self.notify("No thread selected.", severity="warning")
            return
        row = self.rows.get(tid)
        if row is not None and row.tid == row.pid:
            question = (
                f"Thread {tid} is the main thread of process {row.pid} ({row.name}): its id "
                "is the process's id, so kill() signals the whole process.\n\n"
                f"Send SIGTERM to process {row.pid}?"
            )
            self.app.push_screen(
                ConfirmScreen(question, "Send SIGTERM"),
                lambda yes: self._kill(tid) if yes else None,
            )
            return
        self._kill(tid)

    def _kill(self, tid: int) -> None:
        try:
            self.host.kill(tid, SIGTERM)
        except Error as err:
            body = f"kill({tid}, SIGTERM) failed: {err.name}\n\n{err}"
            if err.name == "EISTHREAD":
                body += "\n\nPress x on the thread to request its exit."
            self.app.push_screen(MessageScreen(f"Thread {tid} cannot be killed", body))
            return
        self.notify(f"Sent SIGTERM to process {tid}.", title="SIGTERM")
        self._dirty = True
        self.refresh_data()
