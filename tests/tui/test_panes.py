"""Pilot tests of the processes, threads and /proc browser panes, each hosted alone in a
small app on a booted machine that the test drives."""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable, Coroutine, Iterator
from typing import Any

import pytest
import tuihelp
from textual.app import App, ComposeResult
from textual.widgets import OptionList
from tuihelp import ProgramSet

from kernel.abi import SIGKILL, SIGTERM
from kernel.host import HostClient
from kernel.kernel import Kernel
from tui.widgets.panes import ConfirmScreen, MessageScreen
from tui.widgets.panes.procbrowser import ProcBrowserPane
from tui.widgets.panes.processes import COLUMNS, ProcessesPane, SignalScreen
from tui.widgets.panes.threads import ThreadsPane
from userland.libk import sys

SECOND = 1_000_000_000
MS = 1_000_000


def run_async(test: Callable[..., Coroutine[Any, Any, None]]) -> Callable[..., None]:
    """Run an async test with asyncio (the suite has no async plugin)."""

    @functools.wraps(test)
    def wrapper(*args: Any, **kwargs: Any) -> None:
        asyncio.run(test(*args, **kwargs))

    return wrapper


PROGRAMS = ProgramSet("pp")
program = PROGRAMS.add


@pytest.fixture(autouse=True)
def registered_programs() -> Iterator[None]:
    """Register this module's programs for one test, and remove them after it."""
    yield from PROGRAMS.registered()


async def worker(arg: int) -> int:
    while not await sys.thread_should_exit():
        try:
            await sys.nanosleep(SECOND)
        except Exception:  # noqa: BLE001, S110 - EINTR from the exit request
            pass
    await sys.nanosleep(100 * SECOND)  # a slow goodbye: the flag stays visible
    return arg


async def threaded(argv: list[str]) -> int:
    tids = [await sys.thread_spawn(worker, n) for n in range(2)]
    for tid in tids:
        await sys.thread_join(tid)
    return 0


BUSY = program(tuihelp.busy)
IDLE = program(tuihelp.idle)
THREADED = program(threaded)


async def parent(argv: list[str]) -> int:
    await sys.spawn(BUSY, ["busy"])
    await sys.spawn(IDLE, ["idle"])
    await sys.spawn(THREADED, ["threaded"])
    while True:
        await sys.nanosleep(1000 * SECOND)


PARENT = program(parent)


def machine() -> Kernel:
    k = tuihelp.machine([PARENT])
    k.run(until=100 * MS)
    return k


class PaneApp(App[None]):
    """One pane on one machine."""

    def __init__(self, pane_type: type, k: Kernel) -> None:
        super().__init__()
        self.k = k
        self.host = HostClient(k)
        self.pane_type = pane_type

    def compose(self) -> ComposeResult:
        yield self.pane_type(self.host, id="pane")

    def advance(self, ns: int) -> None:
        self.k.run(until=self.k.now_ns + ns)
        self.query_one("#pane").refresh_data()  # type: ignore[attr-defined]


def pid_of(pane: ProcessesPane, command: str) -> int:
    return next(r.pid for r in pane.rows.values() if r.command == command)


def order(pane: Any) -> list[int]:
    t = pane.table
    return [int(t.coordinate_to_cell_key((i, 0)).row_key.value) for i in range(t.row_count)]


@pytest.fixture
def k() -> Kernel:
    return machine()


@run_async
async def test_processes_rows_and_columns(k: Kernel) -> None:
    app = PaneApp(ProcessesPane, k)
    async with app.run_test(size=(120, 30)) as pilot:
        pane = app.query_one(ProcessesPane)
        await pilot.pause()
        assert [str(c.label) for c in pane.table.columns.values()] == [
            "PID▲", "PPID", "USER", "STATE", "CPU", "%CPU", "MEM", "THR", "TIME", "COMMAND"
        ]  # fmt: skip
        assert order(pane) == sorted(pane.rows)
        busy_pid = pid_of(pane, "busy")
        assert pane.table.get_row(str(busy_pid))[3].plain == "R"
        assert pane.table.get_row(str(pid_of(pane, "threaded")))[7].plain == "3"


@run_async
async def test_sort_keys_and_header_click(k: Kernel) -> None:
    app = PaneApp(ProcessesPane, k)
    async with app.run_test(size=(120, 30)) as pilot:
        pane = app.query_one(ProcessesPane)
        pane.table.focus()
        app.advance(SECOND)
        await pilot.press("s")
        assert pane.keyed.sort_column == 1
        ppids = [pane.rows[p].ppid for p in order(pane)]
        assert ppids == sorted(ppids)
        await pilot.press("r")
        ppids = [pane.rows[p].ppid for p in order(pane)]
        assert ppids == sorted(ppids, reverse=True)
        # Click the %CPU header: the busiest process comes first.
        x = sum((c.width or 0) + 2 for c in COLUMNS[:5]) + 2
        await pilot.click("#proc-table", offset=(x, 0))
        await pilot.pause()
        assert pane.keyed.sort_column == 5 and pane.keyed.sort_reverse
        assert order(pane)[0] == pid_of(pane, "busy")
        assert str(pane.table.columns["pcpu"].label) == "%CPU▼"  # type: ignore[index]
        await pilot.click("#proc-table", offset=(x, 0))
        await pilot.pause()
        assert not pane.keyed.sort_reverse


@run_async
async def test_keyed_updates_keep_the_cursor_on_its_process(k: Kernel) -> None:
    app = PaneApp(ProcessesPane, k)
    async with app.run_test(size=(120, 30)) as pilot:
        pane = app.query_one(ProcessesPane)
        pane.table.focus()
        busy_pid = pid_of(pane, "busy")
        pane.select_pid(busy_pid)
        before = pane.table.get_row(str(busy_pid))[8].plain
        app.host.kill(pid_of(pane, "idle"), SIGKILL)  # a row above it goes away
        app.advance(SECOND)
        await pilot.pause()
        assert pane.selected_pid == busy_pid
        assert pane.table.get_row(str(busy_pid))[8].plain != before  # TIME updated in place
        assert pane.table.get_row(str(busy_pid))[5].plain != "0.0"


@run_async
async def test_details_show_status_files_and_children(k: Kernel) -> None:
    app = PaneApp(ProcessesPane, k)
    async with app.run_test(size=(120, 40)) as pilot:
        pane = app.query_one(ProcessesPane)
        pane.table.focus()
        pane.select_pid(2)
        await pilot.press("d")
        await pilot.pause()
        assert pane.query_one("#proc-details").display
        text = str(pane.details_view.render())
        assert "Open files" in text and "0 -> /dev/console" in text
        for name in ("busy", "idle", "threaded"):
            assert f"{pid_of(pane, name)}  {name}" in text
        assert "/proc/2/status" in text and "ExitRequested:" in text
        await pilot.press("enter")  # Enter toggles too
        await pilot.pause()
        assert not pane.query_one("#proc-details").display


@run_async
async def test_send_signal_and_sigkill_confirmation(k: Kernel) -> None:
    app = PaneApp(ProcessesPane, k)
    async with app.run_test(size=(120, 40)) as pilot:
        pane = app.query_one(ProcessesPane)
        pane.table.focus()
        idle_pid = pid_of(pane, "idle")
        busy_pid = pid_of(pane, "busy")
        # SIGKILL asks first; "No" sends nothing.
        pane.select_pid(busy_pid)
        await pilot.press("k")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, SignalScreen)
        options = screen.query_one(OptionList)
        assert options.highlighted == options.get_option_index(str(SIGTERM))
        options.highlighted = options.get_option_index(str(SIGKILL))
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmScreen)
        assert "SIGKILL" in app.screen.question
        await pilot.press("n")
        await pilot.pause()
        app.advance(10 * MS)
        assert pane.rows[busy_pid].state == "R"
        # ...and "Yes" kills.
        await pilot.press("k")
        await pilot.pause()
        options = app.screen.query_one(OptionList)
        options.highlighted = options.get_option_index(str(SIGKILL))
        await pilot.press("enter")
        await pilot.pause()
        await pilot.press("y")
        await pilot.pause()
        app.advance(10 * MS)
        assert pane.rows[busy_pid].state == "Z"
        # SIGTERM goes at once (Enter on the preselected signal).
        pane.select_pid(idle_pid)
        await pilot.press("k")
        await pilot.pause()
        await pilot.press("enter")
        await pilot.pause()
        assert not isinstance(app.screen, ConfirmScreen)
        app.advance(10 * MS)
        assert pane.rows[idle_pid].state == "Z"
        # Escape cancels.
        await pilot.press("k")
        await pilot.pause()
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.screen, SignalScreen)


@run_async
async def test_threads_pane_request_exit_and_kill_refused(k: Kernel) -> None:
    app = PaneApp(ThreadsPane, k)
    async with app.run_test(size=(120, 40)) as pilot:
        pane = app.query_one(ThreadsPane)
        pane.table.focus()
        await pilot.pause()
        pid = next(r.pid for r in pane.rows.values() if r.name.startswith("pp_threaded"))
        workers = sorted(r.tid for r in pane.rows.values() if r.pid == pid and r.tid != pid)
        assert len(workers) == 2
        assert pane.table.get_row(str(pid))[4].plain == "thread_join"
        assert pane.table.get_row(str(workers[0]))[6].plain == "-"
        pane.select_tid(workers[0])
        await pilot.press("x")
        await pilot.pause()
        assert pane.rows[workers[0]].exit_requested
        assert pane.table.get_row(str(workers[0]))[6].plain == "yes"
        assert not pane.rows[workers[1]].exit_requested
        app.advance(10 * MS)  # it saw the flag; it takes its time leaving
        assert pane.table.get_row(str(workers[0]))[4].plain == "hrtimer_nanosleep"
        # Killing a thread is refused, and the pane says why.
        pane.select_tid(workers[1])
        await pilot.press("k")
        await pilot.pause()
        assert isinstance(app.screen, MessageScreen)
        assert "EISTHREAD" in app.screen.body
        assert "thread_request_exit" in app.screen.body
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.screen, MessageScreen)
        app.advance(10 * MS)
        assert workers[1] in pane.rows  # still there: threads are never killed
        # A main thread's id is its process's: killing it signals the process, so the
        # pane asks first.
        pane.select_tid(pid)
        await pilot.press("k")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("n")
        await pilot.pause()
        app.advance(10 * MS)
        assert pane.rows[pid].state == "S"
        await pilot.press("k")
        await pilot.pause()
        await pilot.press("y")
        await pilot.pause()
        app.advance(10 * MS)
        assert pid not in pane.rows  # the process ended, and its threads with it


@run_async
async def test_threads_sort(k: Kernel) -> None:
    app = PaneApp(ThreadsPane, k)
    async with app.run_test(size=(120, 40)) as pilot:
        pane = app.query_one(ThreadsPane)
        pane.table.focus()
        await pilot.pause()
        await pilot.press("s")
        assert pane.keyed.sort_column == 1
        pids = [pane.rows[t].pid for t in order(pane)]
        assert pids == sorted(pids)
        await pilot.press("r")
        pids = [pane.rows[t].pid for t in order(pane)]
        assert pids == sorted(pids, reverse=True)


@run_async
async def test_browser_tree_viewer_and_live_refresh(k: Kernel) -> None:
    app = PaneApp(ProcBrowserPane, k)
    async with app.run_test(size=(120, 40)) as pilot:
        pane = app.query_one(ProcBrowserPane)
        tree = pane.dir_tree
        tree.focus()
        await pilot.pause()
        assert [str(c.label) for c in tree.root.children][0] == "/proc"
        await pilot.press("space")  # expand /proc
        await pilot.pause()
        proc = tree.root.children[0]
        labels = [str(c.label) for c in proc.children]
        assert labels[0] == "1" and "uptime" in labels
        assert any(label.startswith("self -> ") for label in labels)  # a link, its target
        node = pane.expand_path("/proc/uptime")
        assert node is not None
        await pilot.pause()
        first = str(pane.viewer.render())
        assert pane.open_path == "/proc/uptime"
        app.advance(5 * SECOND)
        await pilot.pause()
        assert str(pane.viewer.render()) != first
        # A process's directory: links with targets, files that read.
        pane.expand_path("/proc/2")
        await pilot.pause()
        two = next(c for c in proc.children if c.data and c.data.path == "/proc/2")
        labels = [str(c.label) for c in two.children]
        assert f"exe -> {PARENT}" in labels
        pane.expand_path("/proc/2/fd")
        await pilot.pause()
        fd = next(c for c in two.children if c.data and c.data.path == "/proc/2/fd")
        assert "0 -> /dev/console" in [str(c.label) for c in fd.children]
        pane.expand_path("/proc/2/cmdline")
        await pilot.pause()
        assert str(pane.viewer.render()).startswith(PARENT + "^@")


@run_async
async def test_browser_relists_and_keys(k: Kernel) -> None:
    app = PaneApp(ProcBrowserPane, k)
    async with app.run_test(size=(120, 40)) as pilot:
        pane = app.query_one(ProcBrowserPane)
        pane.dir_tree.focus()
        pane.expand_path("/proc/generation")
        await pilot.pause()
        proc = pane.dir_tree.root.children[0]
        idle = next(p for p in (3, 4, 5) if f"/proc/{p}" in {c.data.path for c in proc.children})
        app.host.kill(idle, SIGKILL)
        app.advance(SECOND)
        app.host.kill(2, SIGKILL)  # the parent: its children go to init, zombies reaped
        app.advance(SECOND)
        await pilot.pause()
        paths = {c.data.path for c in proc.children if c.data}
        assert "/proc/2" not in paths
        await pilot.press("r")
        await pilot.press("c")
        await pilot.pause()
        assert not proc.is_expanded
