"""The run loop and the scheduler: until/budget/idle, idle skipping, fairness, CPUs.

Everything is asserted on virtual time and on what the machine did, never on host time.
"""

from __future__ import annotations

from ksim import SECOND, machine, register, run, run_main, shell

from kernel.abi import SIGKILL, checkpoint
from kernel.host import HostClient
from kernel.kernel import BUDGET, HALTED, IDLE, UNTIL
from userland.libk import sys


def test_run_until_stops_at_that_virtual_time_while_sleeping() -> None:
    async def sleeper(argv: list[str]) -> int:
        await sys.nanosleep(10 * SECOND)
        return 0

    k = machine(sleeper)
    assert k.run(until=SECOND) == UNTIL
    assert k.now_ns == SECOND
    assert k.run(until=3 * SECOND) == UNTIL
    assert k.now_ns == 3 * SECOND
    assert run(k).status == 0
    assert k.now_ns >= 10 * SECOND


def test_run_until_stops_a_busy_machine_near_that_time() -> None:
    async def spinner(argv: list[str]) -> int:
        while True:
            await checkpoint()

    k = machine(spinner, cpus=1)
    target = 5_000_000  # 5 ms
    assert k.run(until=target) == UNTIL
    assert target <= k.now_ns < target + 100_000
    # Another slice continues from there.
    assert k.run(until=2 * target) == UNTIL
    assert 2 * target <= k.now_ns < 2 * target + 100_000


def test_run_until_in_the_past_returns_at_once() -> None:
    async def sleeper(argv: list[str]) -> int:
        await sys.nanosleep(10 * SECOND)
        return 0

    k = machine(sleeper)
    assert k.run(until=2 * SECOND) == UNTIL
    before = sum(k.syscount)
    assert k.run(until=SECOND) == UNTIL
    assert sum(k.syscount) == before
    assert k.now_ns == 2 * SECOND


def test_budget_counts_requests_one_by_one() -> None:
    async def busy(argv: list[str]) -> int:
        for _ in range(30):
            await sys.getpid()
        return 0

    k = machine(busy)
    states = []
    for _ in range(10_000):
        before = sum(k.syscount)
        state = k.run(budget=1)
        states.append(state)
        if state == HALTED:
            break
        assert state == BUDGET
        assert sum(k.syscount) == before + 1
    assert states[-1] == HALTED
    assert k.power_status == 0


def test_budget_counts_checkpoints_too() -> None:
    seen = []

    async def spinner(argv: list[str]) -> int:
        for i in range(1000):
            seen.append(i)
            await checkpoint()
        return 0

    k = machine(spinner)
    while len(seen) < 10:
        assert k.run(budget=1) == BUDGET
    start, calls = len(seen), sum(k.syscount)
    assert k.run(budget=100) == BUDGET
    # Every request counts: the spinner's checkpoints and anybody's system calls.
    assert (len(seen) - start) + (sum(k.syscount) - calls) == 100
    assert len(seen) - start >= 90


def test_idle_when_nothing_is_runnable() -> None:
    async def reader(argv: list[str]) -> int:
        await sys.read(0, 100)
        return 0

    k = machine(reader)
    assert k.run() == IDLE
    assert k.console.waiting_for_input
    assert k.next_event() is None
    # Idle is stable: running again changes nothing.
    now = k.now_ns
    assert k.run() == IDLE
    assert k.now_ns == now
    k.console.feed(b"x\n")
    assert run(k).status == 0


def test_halted_machine_stays_halted() -> None:
    r = shell("true")
    assert r.status == 0
    assert r.kernel.run() == HALTED
    assert r.kernel.run(budget=10) == HALTED


def test_idle_time_is_skipped() -> None:
    woke = []

    async def sleeper(argv: list[str]) -> int:
        t0 = await sys.clock_gettime()
        await sys.nanosleep(60 * SECOND)
        woke.append(await sys.clock_gettime() - t0)
        return 0

    r = run_main(sleeper)
    assert r.status == 0
    assert woke and woke[0] >= 60 * SECOND
    assert r.kernel.now_ns >= 60 * SECOND
    # Few requests were needed to get there: the clock jumped.
    assert sum(r.kernel.syscount) < 200


def test_a_killed_sleepers_timer_does_not_move_the_clock() -> None:
    async def sleeper(argv: list[str]) -> int:
        await sys.nanosleep(100 * SECOND)
        return 0

    spath = register(sleeper)

    async def main(argv: list[str]) -> int:
        pid = await sys.spawn(spath, ["s"])
        await sys.nanosleep(10_000_000)  # the child is asleep by now
        await sys.kill(pid, SIGKILL)
        await sys.wait4(pid)
        await sys.read(0, 1)  # wait for input: nothing else is pending
        return 0

    k = machine(main)
    assert k.run() == IDLE
    assert k.now_ns < SECOND
    assert k.next_event() is None


def test_timers_fire_in_deadline_order() -> None:
    order = []

    async def napper(arg: int) -> None:
        await sys.nanosleep(arg * SECOND)
        order.append((arg, await sys.clock_gettime()))

    async def main(argv: list[str]) -> int:
        tids = [await sys.thread_spawn(napper, n) for n in (3, 1, 2)]
        for tid in tids:
            await sys.thread_join(tid)
        return 0

    r = run_main(main)
    assert r.status == 0
    assert [n for n, _ in order] == [1, 2, 3]
    for n, when in order:
        assert n * SECOND <= when < n * SECOND + SECOND // 100


def test_checkpoint_lets_other_processes_run_on_one_cpu() -> None:
    trace: list[str] = []

    async def worker(argv: list[str]) -> int:
        name = argv[1]
        for _ in range(6000):
            trace.append(name)
            await checkpoint()
        return 0

    wpath = register(worker)

    async def main(argv: list[str]) -> int:
        a = await sys.spawn(wpath, [wpath, "a"])
        b = await sys.spawn(wpath, [wpath, "b"])
        for _ in range(2):
            pid, status = await sys.wait4(-1)
            assert pid in (a, b) and status == 0
        return 0

    r = run_main(main, cpus=1, quantum=100_000)  # 100 us: 2000 checkpoints of 50 ns
    assert r.status == 0, r.log
    assert trace.count("a") == trace.count("b") == 6000
    # Both made progress before either finished: the runs alternate several times.
    switches = sum(1 for x, y in zip(trace, trace[1:], strict=False) if x != y)
    assert switches >= 4
    first_b = trace.index("b")
    assert first_b < trace.count("a")  # b started long before a finished


def test_preemption_happens_at_the_quantum() -> None:
    trace: list[str] = []
    stats: dict[str, str] = {}

    async def worker(argv: list[str]) -> int:
        name = argv[1]
        for _ in range(8000):
            trace.append(name)
            await checkpoint()
        text = b""
        fd = await sys.open("/proc/self/status")
        while chunk := await sys.read(fd, 4096):
            text += chunk
        stats[name] = text.decode()
        return 0

    wpath = register(worker)

    async def main(argv: list[str]) -> int:
        await sys.spawn(wpath, [wpath, "a"])
        await sys.spawn(wpath, [wpath, "b"])
        await sys.wait4(-1)
        await sys.wait4(-1)
        return 0

    r = run_main(main, cpus=1, quantum=100_000)
    assert r.status == 0, r.log
    runs = []
    prev, length = trace[0], 0
    for x in trace:
        if x == prev:
            length += 1
        else:
            runs.append(length)
            prev, length = x, 1
    runs.append(length)
    # A slice of 100 us holds about 2000 checkpoints of 50 ns (less the switch cost).
    per_slice = 100_000 // r.kernel.info.clock.costs.checkpoint
    inner = runs[1:-1]
    assert inner, runs
    for n in inner:
        assert 0.7 * per_slice <= n <= 1.05 * per_slice, runs
    for name in ("a", "b"):
        line = next(x for x in stats[name].splitlines() if x.startswith("nonvoluntary"))
        assert int(line.split()[-1]) >= 1


def test_several_cpus_are_used() -> None:
    cpus_seen: dict[int, set[int]] = {}

    async def spin(arg: int) -> None:
        seen = cpus_seen.setdefault(arg, set())
        for _ in range(3000):
            seen.add(await sys.sched_getcpu())
            await checkpoint()

    async def main(argv: list[str]) -> int:
        tids = [await sys.thread_spawn(spin, i) for i in range(4)]
        for tid in tids:
            await sys.thread_join(tid)
        return 0

    r = run_main(main, cpus=4)
    assert r.status == 0, r.log
    used = set().union(*cpus_seen.values())
    assert len(used) == 4
    assert used <= {0, 1, 2, 3}


def test_busy_threads_on_four_cpus_finish_sooner_than_on_one() -> None:
    ends: list[int] = []

    async def spin(arg: int) -> None:
        for _ in range(4000):
            await checkpoint()

    async def main(argv: list[str]) -> int:
        t0 = await sys.clock_gettime()
        tids = [await sys.thread_spawn(spin, i) for i in range(4)]
        for tid in tids:
            await sys.thread_join(tid)
        ends.append(await sys.clock_gettime() - t0)
        return 0

    assert run_main(main, cpus=1).status == 0
    assert run_main(main, cpus=4).status == 0
    one, four = ends
    assert four * 2 < one


def test_clock_is_up_to_date_after_power_off() -> None:
    last: list[int] = []

    async def spinner(argv: list[str]) -> int:
        for _ in range(1000):
            await checkpoint()
        last.append(await sys.clock_gettime())
        return 0

    r = run_main(spinner, cpus=1)
    assert r.status == 0
    assert r.kernel.now_ns >= last[0] > 0
    uptime = float(HostClient(r.kernel).read_file("/proc/uptime").split()[0])
    assert uptime == round(r.kernel.now_ns / 1e9, 2)


def test_sched_yield_gives_the_cpu_away() -> None:
    trace: list[str] = []

    async def yielder(arg: str) -> None:
        for _ in range(5):
            trace.append(arg)
            await sys.sched_yield()

    async def main(argv: list[str]) -> int:
        a = await sys.thread_spawn(yielder, "a")
        b = await sys.thread_spawn(yielder, "b")
        await sys.thread_join(a)
        await sys.thread_join(b)
        return 0

    r = run_main(main, cpus=1)
    assert r.status == 0, r.log
    assert trace.count("a") == trace.count("b") == 5
    assert sum(1 for x, y in zip(trace, trace[1:], strict=False) if x != y) >= 5


def test_a_program_that_never_checkpoints_between_syscalls_is_still_preempted() -> None:
    """A process making only system calls is preempted like one that checkpoints."""
    progress = {"other": 0}

    async def other(argv: list[str]) -> int:
        while True:
            progress["other"] += 1
            await sys.getpid()

    async def main(argv: list[str]) -> int:
        pid = await sys.spawn(opath, [opath])
        for _ in range(200_000):
            await sys.getppid()
            if progress["other"] > 100:
                break
        await sys.kill(pid, SIGKILL)
        await sys.wait4(pid)
        return 0 if progress["other"] > 100 else 1

    opath = register(other)
    r = run_main(main, cpus=1)
    assert r.status == 0, r.log


def _proc_text(k, path: str) -> bytes:
    return HostClient(k).read_file(path)


def test_same_machine_same_output_and_same_proc() -> None:
    async def worker(arg: int) -> int:
        total = 0
        for i in range(500):
            total += i * arg
            await checkpoint()
        await sys.nanosleep(arg * 1000)
        return total

    async def main(argv: list[str]) -> int:
        tids = [await sys.thread_spawn(worker, n) for n in range(1, 6)]
        out = [await sys.thread_join(t) for t in tids]
        fd = await sys.open("/dev/random")
        rnd = await sys.read(fd, 8)
        await sys.write(1, f"{out} {rnd.hex()} {await sys.clock_gettime()}\n".encode())
        pid = await sys.spawn("/bin/ls", ["ls", "/proc"])
        await sys.wait4(pid)
        return 0

    path = register(main)
    results = []
    for _ in range(2):
        k = machine([path], cpus=4)
        mid_state = k.run(until=50_000)
        mid = (mid_state, _proc_text(k, "/proc/stat"), _proc_text(k, "/proc/1/status"))
        r = run(k)
        results.append(
            (
                mid,
                r.output,
                r.status,
                k.now_ns,
                _proc_text(k, "/proc/stat"),
                _proc_text(k, "/proc/1/status"),
                _proc_text(k, "/proc/loadavg"),
                r.log,
            )
        )
    assert results[0] == results[1]
    assert results[0][2] == 0


def test_budget_zero_dispatches_nothing() -> None:
    k = machine(["/bin/true"])
    before = sum(k.syscount)
    assert k.run(budget=0) == BUDGET
    assert sum(k.syscount) == before
    assert run(k).status == 0


def test_until_now_dispatches_nothing() -> None:
    k = machine(["/bin/true"])
    before = sum(k.syscount)
    assert k.run(until=0) == UNTIL
    assert sum(k.syscount) == before
    assert run(k).status == 0


def test_clocks_sleep_zero_and_times() -> None:
    seen: dict[str, int] = {}

    async def spinner(argv: list[str]) -> int:
        for _ in range(2000):
            await sys.getpid()
        return 0

    spath = register(spinner)

    async def main(argv: list[str]) -> int:
        mono = await sys.clock_gettime(1)
        real = await sys.clock_gettime(0)
        seen["epoch"] = real - mono
        seen["default"] = await sys.clock_gettime() - mono
        try:
            await sys.clock_gettime(7)
        except Exception as err:  # noqa: BLE001
            seen["bad_clock"] = getattr(err, "errno", -1)
        t0 = await sys.clock_gettime()
        await sys.nanosleep(0)
        seen["zero_sleep"] = await sys.clock_gettime() - t0
        before = await sys.times()
        pid = await sys.spawn(spath, ["s"])
        seen["unreaped"] = (await sys.times()).cstime - before.cstime
        await sys.wait4(pid)
        after = await sys.times()
        seen["cstime"] = after.cstime - before.cstime
        seen["stime"] = after.stime
        return 0

    r = run_main(main)
    assert r.status == 0, r.log
    assert seen["epoch"] // SECOND in range(1_767_225_600 - 1, 1_767_225_600 + 1)
    assert 0 <= seen["default"] < 10_000  # CLOCK_MONOTONIC is the default
    assert seen["bad_clock"] == 22
    assert 0 <= seen["zero_sleep"] < 10_000
    assert seen["unreaped"] == 0
    # The child's 2000 system calls count for the parent once it is reaped.
    assert seen["cstime"] >= 2000 * r.kernel.info.clock.costs.syscall
    assert seen["stime"] > 0


def test_an_idle_machine_clock_runs_to_until_as_in_realtime_mode() -> None:
    from ksim import machine, run_until_idle

    k = machine(["/bin/sh", "-c", "read x"])
    run_until_idle(k)
    before = k.now_ns
    assert k.run(until=before + 3 * SECOND) == IDLE  # waiting for the keyboard
    assert k.now_ns == before + 3 * SECOND
    k.console.feed(b"\n")
    k.console.hangup()
    assert k.run() in (HALTED, IDLE)
    assert k.now_ns >= before + 3 * SECOND


def test_halting_closes_every_coroutine_even_ones_awaiting_in_finally() -> None:
    import inspect

    async def stubborn(argv: list[str]) -> int:
        try:
            await sys.nanosleep(100 * SECOND)
        finally:
            await sys.getpid()  # a system call while being closed
        return 0

    k = machine(["/bin/sh", "-c", f"{register(stubborn)} & {register(stubborn)}"])
    k.run(until=SECOND)  # both are asleep now; the shell waits for the second
    coros = [t.coro for t in k.procs.threads.values()]
    k.power_off(0)
    assert all(inspect.getcoroutinestate(c) == inspect.CORO_CLOSED for c in coros)
