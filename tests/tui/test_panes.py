"""Pilot tests of the processes, threads and /proc browser panes, each hosted alone in a
small app on a booted machine that the test drives."""

from __future__ import annotations

import asyncio
import functools
import io
import re
from collections.abc import Callable, Coroutine, Iterator
from typing import Any

import pytest
import tuihelp
from rich.console import Console
from textual.app import App, ComposeResult
from textual.widgets import OptionList
from tuihelp import ProgramSet

from kernel.abi import SIGKILL, SIGTERM
from kernel.abi.memory import (
    MAP_ANONYMOUS,
    MAP_PRIVATE,
    PR_SET_VMA,
    PR_SET_VMA_ANON_NAME,
    PROT_READ,
    PROT_WRITE,
)
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


HOG_KB, HOG_TOUCHED_KB = 256, 96


async def hog(argv: list[str]) -> int:
    """Map 256 KiB named ``[anon:pp-hog]``, write to the first 96 KiB of it, sleep."""
    size = HOG_KB * 1024
    addr = await sys.mmap(0, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS)
    await sys.prctl(PR_SET_VMA, PR_SET_VMA_ANON_NAME, addr, size, "pp-hog")
    (await sys.mmu()).fill(addr, 0x5A, HOG_TOUCHED_KB * 1024)
    while True:
        await sys.nanosleep(1000 * SECOND)


BUSY = program(tuihelp.busy)
IDLE = program(tuihelp.idle)
THREADED = program(threaded)
HOG = program(hog)


async def parent(argv: list[str]) -> int:
    await sys.spawn(BUSY, ["busy"])
    await sys.spawn(IDLE, ["idle"])
    await sys.spawn(THREADED, ["threaded"])
    await sys.spawn(HOG, ["hog"])
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
            "PID▲", "PPID", "USER", "STATE", "CPU", "%CPU", "VSZ", "RSS", "THR", "TIME",
            "COMMAND",
        ]  # fmt: skip
        assert order(pane) == sorted(pane.rows)
        busy_pid = pid_of(pane, "busy")
        assert pane.table.get_row(str(busy_pid))[3].plain == "R"
        assert pane.table.get_row(str(pid_of(pane, "threaded")))[8].plain == "3"


@run_async
async def test_vsz_and_rss_are_the_processes_own(k: Kernel) -> None:
    app = PaneApp(ProcessesPane, k)
    async with app.run_test(size=(120, 30)) as pilot:
        pane = app.query_one(ProcessesPane)
        await pilot.pause()
        hog_pid, idle_pid = pid_of(pane, "hog"), pid_of(pane, "idle")
        hog_row, idle_row = pane.rows[hog_pid], pane.rows[idle_pid]
        # What ps reads: stat's vsize (bytes) and rss (pages), in KiB.
        stat = app.host.read_file(f"/proc/{hog_pid}/stat").decode().rsplit(")", 1)[1].split()
        assert hog_row.vsz_kb == int(stat[20]) // 1024
        page_kb = hog_row.rss_kb // int(stat[21])
        assert page_kb * int(stat[21]) == hog_row.rss_kb and page_kb in (4, 16, 64)
        assert hog_row.vsz_kb - idle_row.vsz_kb == HOG_KB
        assert hog_row.rss_kb - idle_row.rss_kb >= HOG_TOUCHED_KB
        assert hog_row.rss_kb < idle_row.rss_kb + HOG_KB  # untouched pages cost nothing
        cells = pane.table.get_row(str(hog_pid))
        assert (cells[6].plain, cells[7].plain) == (f"{hog_row.vsz_kb}K", f"{hog_row.rss_kb}K")


@run_async
async def test_sort_by_rss_and_vsz(k: Kernel) -> None:
    app = PaneApp(ProcessesPane, k)
    async with app.run_test(size=(120, 30)) as pilot:
        pane = app.query_one(ProcessesPane)
        pane.table.focus()
        await pilot.pause()
        for _ in range(7):  # PID -> ... -> VSZ -> RSS
            await pilot.press("s")
        assert COLUMNS[pane.keyed.sort_column].key == "rss" and pane.keyed.sort_reverse
        assert str(pane.table.columns["rss"].label) == "RSS▼"  # type: ignore[index]
        rss = [pane.rows[p].rss_kb for p in order(pane)]
        assert rss == sorted(rss, reverse=True) and order(pane)[0] == pid_of(pane, "hog")
        await pilot.press("r")
        rss = [pane.rows[p].rss_kb for p in order(pane)]
        assert rss == sorted(rss)
        # Click the VSZ header: largest first, the hog on top.
        x = sum((c.width or 0) + 2 for c in COLUMNS[:6]) + 2
        await pilot.click("#proc-table", offset=(x, 0))
        await pilot.pause()
        assert COLUMNS[pane.keyed.sort_column].key == "vsz" and pane.keyed.sort_reverse
        vsz = [pane.rows[p].vsz_kb for p in order(pane)]
        assert vsz == sorted(vsz, reverse=True) and order(pane)[0] == pid_of(pane, "hog")
        # A process that ended holds no memory: its row goes to the bottom.
        app.host.kill(pid_of(pane, "hog"), SIGKILL)
        app.advance(10 * MS)
        assert order(pane)[-1] == pid_of(pane, "[" + HOG.rsplit("/", 1)[1][:15] + "] <defunct>")


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
        before = pane.table.get_row(str(busy_pid))[9].plain
        app.host.kill(pid_of(pane, "idle"), SIGKILL)  # a row above it goes away
        app.advance(SECOND)
        await pilot.pause()
        assert pane.selected_pid == busy_pid
        assert pane.table.get_row(str(busy_pid))[9].plain != before  # TIME updated in place
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
        text = details_text(pane)
        assert "Open files" in text and re.search(r"\b0u\s+CHR\s+/dev/console", text)
        for name in ("busy", "idle", "threaded", "hog"):
            assert f"{pid_of(pane, name)}  {name}" in text
        assert "/proc/2/status" in text and "ExitRequested:" in text
        await pilot.press("enter")  # Enter toggles too
        await pilot.pause()
        assert not pane.query_one("#proc-details").display


def details_text(pane: ProcessesPane) -> str:
    """The details view as plain text, at the view's own width."""
    console = Console(width=pane.details_view.size.width or 100, file=io.StringIO())
    console.begin_capture()
    console.print(pane.details_view.content)
    return console.end_capture()


@run_async
async def test_details_show_memory_and_maps(k: Kernel) -> None:
    app = PaneApp(ProcessesPane, k)
    async with app.run_test(size=(120, 50)) as pilot:
        pane = app.query_one(ProcessesPane)
        pane.table.focus()
        hog_pid = pid_of(pane, "hog")
        pane.select_pid(hog_pid)
        await pilot.press("d")
        await pilot.pause()
        lines = details_text(pane).splitlines()
        row = pane.rows[hog_pid]
        at = lines.index("Memory")
        resident = lines[at + 1].split()
        assert resident[:3] == ["Resident", f"{row.rss_kb}K", "anon"]
        virtual = next(line.split() for line in lines[at:] if line.startswith("  Virtual"))
        assert virtual[1] == f"{row.vsz_kb}K"
        faults = next(line.split() for line in lines[at:] if line.startswith("  Faults"))
        stat = app.host.read_file(f"/proc/{hog_pid}/stat").decode().rsplit(")", 1)[1].split()
        page_kb = row.rss_kb // int(stat[21])
        assert int(faults[3]) >= HOG_TOUCHED_KB // page_kb  # a fault per page written
        # The areas, as pmap -x shows them: the hog's 256 KiB with 96 KiB of it resident
        # and dirty, one row per line of /proc/<pid>/maps, in its order.
        maps = app.host.read_file(f"/proc/{hog_pid}/maps").decode().splitlines()
        title = lines.index(f"/proc/{hog_pid}/smaps  {len(maps)} areas")
        assert lines[title + 1].split() == ["Address", "Kbytes", "RSS", "Dirty", "Mode", "Mapping"]
        rows = [line.split() for line in lines[title + 2 : title + 2 + len(maps)]]
        assert [int(r[0], 16) for r in rows] == [int(m.split("-")[0], 16) for m in maps]
        assert [r[4] for r in rows] == [m.split()[1] for m in maps]
        named = {r[5]: r for r in rows if len(r) == 6}
        touched = str(HOG_TOUCHED_KB)
        assert named["[anon:pp-hog]"][1:5] == [str(HOG_KB), touched, touched, "rw-p"]
        assert named[HOG][4] == "r-xp" and named["[stack]"][4] == "rw-p"
        total = lines[title + 2 + len(maps)].split()
        assert total[:3] == ["total", "kB", str(row.vsz_kb)]
        # Another process: the view follows the cursor.
        pane.select_pid(pid_of(pane, "idle"))
        await pilot.pause()
        assert "[anon:pp-hog]" not in details_text(pane)


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
