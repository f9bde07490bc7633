"""tui.procview against booted machines: processes, threads, %CPU, exit requests, details."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import tuihelp
from tuihelp import ProgramSet, machine

from kernel.abi import checkpoint
from kernel.host import HostClient
from kernel.kernel import Kernel
from tui.memview import parse_maps
from tui.procview import (
    CPU_WINDOW_NS,
    CpuWindow,
    ProcView,
    cap_pcpu,
    format_kb,
    format_time,
    parse_status,
    split_stat,
)
from userland.libk import sys

SECOND = 1_000_000_000
MS = 1_000_000


PROGRAMS = ProgramSet("pv")
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
    return arg


async def threaded(argv: list[str]) -> int:
    tids = [await sys.thread_spawn(worker, n) for n in range(2)]
    for tid in tids:
        await sys.thread_join(tid)
    await sys.nanosleep(1000 * SECOND)
    return 0


BUSY = program(tuihelp.busy)
IDLE = program(tuihelp.idle)
THREADED = program(threaded)


async def parent(argv: list[str]) -> int:
    await sys.spawn(BUSY, ["busy"])
    await sys.spawn(IDLE, ["idle", "--quietly", "x y"])
    await sys.spawn(THREADED, ["threaded"])
    await sys.nanosleep(1000 * SECOND)
    return 0


PARENT = program(parent)


@pytest.fixture
def k() -> Kernel:
    k = machine([PARENT])
    k.run(until=100 * MS)
    return k


def by_command(view: ProcView) -> dict[str, Any]:
    return {r.command.split()[0]: r for r in view.processes()}


def test_process_rows(k: Kernel) -> None:
    view = ProcView(HostClient(k))
    rows = by_command(view)
    assert set(rows) >= {PARENT, "busy", "idle", "threaded"}
    par = rows[PARENT]
    assert par.pid == 2 and par.ppid == 1
    assert rows["busy"].ppid == par.pid == rows["idle"].ppid
    assert rows["idle"].command == "idle --quietly x y"
    assert rows["busy"].state == "R"
    assert rows["idle"].state == "S"
    assert rows["threaded"].threads == 3
    assert rows["idle"].threads == 1
    assert {r.user for r in rows.values()} == {"root"}
    assert rows["busy"].time_ticks > 0
    assert rows["idle"].time_ticks == 0
    assert 0 <= rows["busy"].cpu < 4
    assert rows["busy"].rss_kb > 0
    assert rows["busy"].vsz_kb >= rows["busy"].rss_kb
    assert view.rows[par.pid] is par


def test_cpu_percent_comes_from_deltas(k: Kernel) -> None:
    view = ProcView(HostClient(k))
    first = by_command(view)
    assert first["busy"].pcpu == 0.0  # one sample: no interval yet
    k.run(until=k.now_ns + SECOND)
    second = by_command(view)
    assert 95.0 <= second["busy"].pcpu <= 100.5
    assert second["idle"].pcpu == 0.0
    assert second["busy"].time_ticks - first["busy"].time_ticks >= 95


def test_process_born_between_reads_counts_from_its_start() -> None:
    async def late(argv: list[str]) -> int:
        await sys.nanosleep(SECOND)
        await sys.spawn(BUSY, ["busy"])
        await sys.nanosleep(1000 * SECOND)
        return 0

    k = machine([program(late)])
    k.run(until=100 * MS)
    view = ProcView(HostClient(k))
    assert "busy" not in by_command(view)
    k.run(until=3 * SECOND)
    busy_row = by_command(view)["busy"]
    # Measured from its start (when it had used nothing), not from the previous read.
    lifetime_ns = 3 * SECOND - busy_row.start * 10 * MS
    assert busy_row.pcpu == pytest.approx(
        busy_row.time_ticks * 10 * MS * 100 / lifetime_ns, rel=0.01
    )
    assert 95.0 <= busy_row.pcpu <= 100.0


def test_cpu_window_smooths_tick_quantisation() -> None:
    # A process using exactly one CPU, its time counted in 10 ms ticks, read every 7 ms:
    # deltas between two reads are 0 or 1 tick (0 % or 143 %); over the window, 100 %.
    window = CpuWindow()
    shown = []
    for n in range(1, 1000):
        now = n * 7 * MS
        shown.append(window.add(now, now // (10 * MS)))
    settled = shown[CPU_WINDOW_NS // (7 * MS) :]
    assert all(98.5 <= p <= 101.0 for p in settled), (min(settled), max(settled))
    assert len(window.samples) <= 10  # a short ring, however often it is read


def test_cpu_window_follows_a_change_within_the_window() -> None:
    window = CpuWindow()
    ticks = 0
    for n in range(1, 41):  # 4 s busy at 100 %, sampled every 100 ms
        ticks += 10
        window.add(n * 100 * MS, ticks)
    for n in range(41, 81):  # then 4 s idle
        last = window.add(n * 100 * MS, ticks)
    assert last == 0.0
    assert window.add(81 * 100 * MS + 1, ticks + 1) < 1.0
    assert CpuWindow().add(SECOND, 5) == 0.0  # one sample: nothing to measure yet


def test_cpu_percent_is_capped_per_thread_and_per_cpu() -> None:
    assert cap_pcpu(190.0, 1, 4) == 100.0
    assert cap_pcpu(190.0, 2, 4) == 190.0
    assert cap_pcpu(650.0, 8, 4) == 400.0
    assert cap_pcpu(50.0, 1, None) == 50.0


def test_busy_process_cpu_is_steady_across_frequent_reads(k: Kernel) -> None:
    view = ProcView(HostClient(k))
    view.processes()
    assert view.ncpus() == 4
    seen = []
    for step_ms in (3, 7, 11, 5, 13, 2, 9) * 8:
        k.run(until=k.now_ns + step_ms * MS)
        seen.append(by_command(view)["busy"].pcpu)
    assert all(90.0 <= p <= 100.0 for p in seen[20:]), seen


def test_zombie_shows_defunct() -> None:
    async def quick(argv: list[str]) -> int:
        return 0

    quick_path = program(quick)

    async def neglect(argv: list[str]) -> int:
        await sys.spawn(quick_path, ["quick"])
        await sys.nanosleep(1000 * SECOND)
        return 0

    k = machine([program(neglect)])
    k.run(until=SECOND)
    rows = {r.pid: r for r in ProcView(HostClient(k)).processes()}
    zombies = [r for r in rows.values() if r.state == "Z"]
    comm = quick_path.rsplit("/", 1)[1][:15]  # comm is the program's name, not argv[0]
    assert [z.command for z in zombies] == [f"[{comm}] <defunct>"]


def test_user_names_from_passwd(k: Kernel) -> None:
    view = ProcView(HostClient(k))
    assert view.user_name(0) == "root"
    assert view.user_name(1000) == "alice"
    assert view.user_name(4242) == "4242"


def test_threads_wait_and_exit_request(k: Kernel) -> None:
    host = HostClient(k)
    view = ProcView(host)
    pid = by_command(view)["threaded"].pid
    threads = view.threads([pid])
    assert [t.pid for t in threads] == [pid] * 3
    main, *workers = threads
    assert main.tid == pid and main.wait == "thread_join" and main.state == "S"
    assert all(w.wait == "hrtimer_nanosleep" for w in workers)
    assert not any(t.exit_requested for t in threads)
    host.call("thread_request_exit", workers[0].tid)
    after = {t.tid: t for t in view.threads([pid])}
    assert after[workers[0].tid].exit_requested
    assert not after[workers[1].tid].exit_requested
    k.run(until=k.now_ns + 10 * MS)
    assert workers[0].tid not in {t.tid for t in view.threads([pid])}  # it left on its own


def test_thread_times_are_the_threads_own() -> None:
    async def spinner(arg: int) -> int:
        end = await sys.clock_gettime(1) + 30 * MS
        while await sys.clock_gettime(1) < end:
            await checkpoint()
        await sys.nanosleep(1000 * SECOND)
        return 0

    async def main(argv: list[str]) -> int:
        await sys.thread_spawn(spinner, 0)
        await sys.nanosleep(1000 * SECOND)
        return 0

    k = machine([program(main)])
    k.run(until=SECOND)
    view = ProcView(HostClient(k))
    proc = by_command(view)
    pid = next(r.pid for r in proc.values() if r.threads == 2)
    main_t, spin_t = view.threads([pid])
    assert spin_t.time_ticks > 0
    assert main_t.time_ticks < spin_t.time_ticks
    assert proc_ticks(view, pid) >= main_t.time_ticks + spin_t.time_ticks


def proc_ticks(view: ProcView, pid: int) -> int:
    return next(r.time_ticks for r in view.processes() if r.pid == pid)


def test_details(k: Kernel) -> None:
    view = ProcView(HostClient(k))
    rows = by_command(view)
    d = view.details(rows[PARENT].pid)
    assert d is not None
    assert parse_status(d.status)["Pid"] == str(rows[PARENT].pid)
    assert [fd for fd, _ in d.fds] == [0, 1, 2]
    assert all(target == "/dev/console" for _, target in d.fds)
    assert sorted(c for _, c in d.children) == sorted(
        rows[n].command for n in ("busy", "idle", "threaded")
    )
    assert d.cwd == "/root" or d.cwd.startswith("/")
    assert d.exe == PARENT
    assert view.details(9999) is None


def test_memory_of_a_process(k: Kernel) -> None:
    host = HostClient(k)
    view = ProcView(host)
    row = by_command(view)["idle"]
    mem = view.memory(row.pid)
    assert mem.source == "smaps"
    assert mem.status["VmRSS"] == row.rss_kb and mem.status["VmSize"] == row.vsz_kb
    assert mem.rollup["Rss"] == row.rss_kb
    assert mem.minflt >= 1 and mem.majflt >= 0
    maps = host.read_file(f"/proc/{row.pid}/maps").decode()
    assert [(a.start, a.end, a.perms, a.name) for a in mem.areas] == [
        (a.start, a.end, a.perms, a.name) for a in parse_maps(maps)
    ]
    assert sum(a.kb["Rss"] for a in mem.areas) == row.rss_kb
    assert sum(a.size_kb for a in mem.areas) == row.vsz_kb
    assert mem.areas[0].name == IDLE and mem.areas[-1].name == "[stack]"
    assert view.details(row.pid).memory == mem  # type: ignore[union-attr]
    gone = view.memory(9999)
    assert (gone.source, gone.status, gone.rollup, gone.minflt) == ("", {}, {}, -1)


def test_changed_is_cheap_and_honest(k: Kernel) -> None:
    host = HostClient(k)
    view = ProcView(host)
    assert view.changed()
    assert not view.changed()
    view.processes()  # reading changes nothing
    assert not view.changed()
    k.run(until=k.now_ns + MS)
    assert view.changed()
    pid = by_command(view)["threaded"].pid
    assert not view.changed()
    host.call("thread_request_exit", view.threads([pid])[1].tid)  # no time passes
    assert view.changed()


def test_changed_when_machine_idle_and_signalled() -> None:
    k = machine([IDLE])
    k.run(until=10 * MS)
    host = HostClient(k)
    view = ProcView(host)
    view.changed()
    assert not view.changed()
    host.kill(2, 19)  # SIGSTOP, with the clock standing still
    assert view.changed()


def test_helpers() -> None:
    comm, rest = split_stat("12 (a (b) c) S 1 12 12 0")
    assert comm == "a (b) c" and rest[:2] == ["S", "1"]
    assert parse_status("Name:\tsh\nPid:\t3\n") == {"Name": "sh", "Pid": "3"}
    assert format_time(0) == "0:00.00"
    assert format_time(6123) == "1:01.23"
    assert format_kb(512) == "512K"
    assert format_kb(20480) == "20.0M"
    assert format_kb(30 * 1024 * 1024) == "30.0G"
    assert format_kb(9999) == "9999K" and format_kb(10_000) == "9.8M"
    assert format_kb(102_350) == "100M"  # 99.95 MiB: one decimal would take 6 characters
    assert format_kb(1000 * 1024) == "1000M" and format_kb(10_000 * 1024) == "9.8G"
    assert all(len(format_kb(4**n)) <= 5 for n in range(25))


def test_threads_file_and_per_task_files_agree(k: Kernel) -> None:
    host = HostClient(k)
    view = ProcView(host)
    host.call("thread_request_exit", view.threads()[-1].tid)
    assert view.threads() == view._threads_from_tasks(None)
    assert len(view.threads()) >= 7


def test_processes_without_allstat_read_each_stat(k: Kernel) -> None:
    view = ProcView(HostClient(k))
    lines = view.stat_lines()
    host = HostClient(k)
    assert lines == [host.read_file(f"/proc/{p}/stat").decode().rstrip("\n") for p in view.pids()]


def test_top_measures_cpu_over_at_least_a_second() -> None:
    from userland.bin.top import Sampler

    sampler = Sampler({}, 4, set(), None)
    assert sampler.cpu_base(1.0) == (None, {})  # first frame: since each start
    sampler.history = [(0.0, {7: 0}), (2.0, {7: 200}), (2.1, {7: 210})]
    # A frame 0.1 s after the last (a key asked early): measured from 2.2 s back.
    assert sampler.cpu_base(2.2) == (0.0, {7: 0})
    # The regular interval: from the newest frame at least a second old.
    assert sampler.cpu_base(3.0) == (2.0, {7: 200})
    assert len(sampler.history) == 2  # older frames are forgotten
