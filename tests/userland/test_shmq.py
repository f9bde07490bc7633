"""I/O level 3: libk's shared-memory queue (userland/libk/shmq.py) and the shmsend and
shmrecv programs: every record once and in order (single and multi producer, across
processes), a property test over random geometries, and the wake-up rule — futex calls
only when a side sleeps, counted through /proc/self/syscalls and strace -c."""

from __future__ import annotations

import re
import subprocess
import sys as host_sys
from pathlib import Path
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

host_sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "kernel"))

from ksim import errno_of, ok, register, run_main, shell  # noqa: E402

from kernel.abi import (  # noqa: E402
    EAGAIN,
    EINVAL,
    ENOENT,
    EPIPE,
    O_CREAT,
    O_RDWR,
    W_EXITCODE,
    SpawnAttr,
)
from userland.bin.shmsend import encode  # noqa: E402
from userland.libk import io as kio  # noqa: E402
from userland.libk import shmq, sys  # noqa: E402
from userland.libk.shmq import ShmQueue  # noqa: E402


def _record(producer: int, seq: int, length: int) -> bytes:
    """A record that says who wrote it and when, ``length`` bytes (at least 3)."""
    head = bytes((producer,)) + seq.to_bytes(2, "little")
    return head + bytes((seq + i) & 0xFF for i in range(length - 3))


def _check_streams(got: list[bytes], sent: dict[int, list[bytes]]) -> None:
    """``got`` holds every producer's records exactly once, each producer's in order."""
    per: dict[int, list[bytes]] = {p: [] for p in sent}
    for rec in got:
        per[rec[0]].append(rec)
    assert per == sent
    assert len(got) == sum(len(v) for v in sent.values())


def _futex_lines(out: str) -> tuple[int, int]:
    """(shmsend's futex calls, shmrecv's futex calls) from their -v lines."""
    send = re.search(r"(\d+) futex calls, \d+ system calls in all", out)
    recv = re.search(r"futex calls here (\d+)", out)
    assert send and recv, out
    return int(send.group(1)), int(recv.group(1))


# ---------------------------------------------------------------------- delivery
def test_single_producer_delivers_every_record_once_in_order_across_processes() -> None:
    got: list[bytes] = []

    async def consumer(argv: list[str]) -> int:
        q = await ShmQueue.attach(3)  # the memfd the parent handed over
        while (rec := await q.get()) is not None:
            got.append(rec)
        await q.detach()
        return 0

    prog = register(consumer)
    seen: dict[str, Any] = {}
    sent = [_record(0, i, 3 + i % 30) for i in range(300)]

    async def main(argv: list[str]) -> int:
        q = await ShmQueue.create_memfd("q", 8, 32)
        pid = await sys.spawn(prog, [prog], None, None, [("dup2", q.fd, 3)], SpawnAttr())
        for rec in sent:
            await q.put(rec)
        await q.close_producer()
        seen["status"] = (await sys.wait4(pid))[1]
        seen["stats"] = q.stats()
        return 0

    ok(run_main(main, cpus=2))
    assert seen["status"] == W_EXITCODE(0)
    assert got == sent
    st_ = seen["stats"]
    assert st_.produced == st_.consumed == 300 and st_.queued == 0
    assert st_.local_spins > 0  # 8 slots: the producer had to wait for room
    assert st_.wakeups == st_.wakeups_consumer + st_.wakeups_producers


def test_multi_producer_threads_and_processes_each_keep_their_order() -> None:
    got: list[bytes] = []
    n = 120

    async def producer(argv: list[str]) -> int:
        q = await ShmQueue.attach(3)
        p = int(argv[1])
        for i in range(n):
            await q.put(_record(p, i, 3 + i % 13))
        await q.detach()
        return 0

    prog = register(producer)

    async def main(argv: list[str]) -> int:
        q = await ShmQueue.create_memfd("mq", 16, 16, multi_producer=True)

        async def consume(_: object) -> int:
            while (rec := await q.get()) is not None:
                got.append(rec)
            return 0

        async def produce(p: int) -> int:
            for i in range(n):
                await q.put(_record(p, i, 3 + i % 13))
            return 0

        consumer = await sys.thread_spawn(consume, None)
        tids = [await sys.thread_spawn(produce, p) for p in (0, 1)]
        pids = [
            await sys.spawn(prog, [prog, str(p)], None, None, [("dup2", q.fd, 3)], SpawnAttr())
            for p in (2, 3)
        ]
        for tid in tids:
            await sys.thread_join(tid)
        for pid in pids:
            assert (await sys.wait4(pid))[1] == W_EXITCODE(0)
        await q.close_producer()
        await sys.thread_join(consumer)
        return 0

    ok(run_main(main, cpus=4))
    _check_streams(got, {p: [_record(p, i, 3 + i % 13) for i in range(n)] for p in range(4)})


@settings(derandomize=True, max_examples=40, deadline=None)
@given(
    cap_log=st.integers(0, 5),
    record_size=st.integers(3, 70),
    counts=st.lists(st.integers(0, 40), min_size=1, max_size=3),
    multi=st.booleans(),
    cpus=st.sampled_from([1, 3]),
    data=st.data(),
)
def test_property_random_geometries_never_lose_or_duplicate(
    cap_log: int, record_size: int, counts: list[int], multi: bool, cpus: int, data: Any
) -> None:
    multi = multi or len(counts) > 1
    capacity = max(1 << cap_log, 2 if multi else 1)
    sent = {
        p: [
            _record(p, i, data.draw(st.integers(3, record_size), label="len")) for i in range(count)
        ]
        for p, count in enumerate(counts)
    }
    got: list[bytes] = []

    async def main(argv: list[str]) -> int:
        q = await ShmQueue.create("/dev/shm/prop", capacity, record_size, multi_producer=multi)
        q.spin = 8  # correctness, not wake-ups: on one CPU a long spin only costs time

        async def produce(p: int) -> int:
            for rec in sent[p]:
                await q.put(rec)
            return 0

        async def closer(tids: list[int]) -> int:
            for tid in tids:
                await sys.thread_join(tid)
            await q.close_producer()
            return 0

        tids = [await sys.thread_spawn(produce, p) for p in sent]
        await sys.thread_spawn(closer, tids)
        q2 = await ShmQueue.open("/dev/shm/prop")  # the consumer's own mapping
        q2.spin = 8
        while (rec := await q2.get()) is not None:
            got.append(rec)
        assert q2.stats().queued == 0
        return 0

    ok(run_main(main, cpus=cpus))
    _check_streams(got, sent)


# ---------------------------------------------------------------------- the wake-up rule
def test_a_busy_consumer_costs_far_fewer_futex_calls_than_records() -> None:
    for producers in (1, 3):
        r = shell(
            f"shmrecv -v -w 1000 q & shmsend -v -n 3000 -c 64 -p {producers} q; wait",
            cpus=4,
        )
        ok(r)
        assert "records 3000, bytes 192000, errors 0" in r.output, r.output
        send, recv = _futex_lines(r.output)
        assert send + recv < 3000 / 10, r.output  # measured: 2 and 9 in all


def test_steady_state_makes_no_system_call_per_record() -> None:
    # A quantum shorter than it takes to fill the queue lets both sides run side by
    # side in virtual time: once started, neither ever finds the queue full or empty.
    r = shell(
        "shmrecv -v -w 500 q & shmsend -v -w 500 -n 4000 -c 256 q; wait",
        cpus=4,
        quantum=50_000,
    )
    ok(r)
    assert "records 4000, bytes 256000, errors 0" in r.output, r.output
    send, recv = _futex_lines(r.output)
    assert send + recv <= 8, r.output  # start-up and the end, not per record


def test_strace_c_shows_the_producer_enters_the_kernel_only_for_wakeups() -> None:
    r = shell("shmrecv -q q & strace -c shmsend -n 2000 -c 128 q; wait", cpus=4)
    ok(r)
    rows = {ln.split()[-1]: ln.split() for ln in r.output.splitlines() if ln.startswith(" ")}
    assert int(rows["futex"][3]) < 2000 / 20, r.output
    total = [ln for ln in r.output.splitlines() if ln.endswith(" total")][0].split()
    # Everything but futex is the set-up: open, ftruncate, mmap, ... (about ten calls).
    assert int(total[3]) - int(rows["futex"][3]) < 12, r.output
    assert not {"write", "read", "nanosleep", "sched_yield"} & set(rows), r.output


# ---------------------------------------------------------------------- the programs
def test_the_pair_end_to_end_through_the_headless_shell() -> None:
    script = (
        "shmrecv q & shmsend -n 1000 q; wait; echo status=$?; "
        "shmrecv -v mq & shmsend -v -p 4 -n 2000 -s 100 -c 32 mq; wait; "
        "ls /dev/shm | wc -l"
    )
    r = subprocess.run(
        [host_sys.executable, "-m", "tui.cli", "--headless", "-c", script],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert r.returncode == 0, r.stdout + r.stderr
    lines = r.stdout.splitlines()
    assert re.fullmatch(r"records 1000, bytes 64000, errors 0, wakeups \d+", lines[0])
    assert lines[1] == "status=0"
    assert re.search(r"^records 2000, bytes 200000, errors 0, wakeups \d+$", r.stdout, re.M)
    assert "from 4 producers" in r.stdout and "producers 4, sleeps" in r.stdout
    assert lines[-1].strip() == "0"  # shmrecv removed both queues


def test_shmrecv_reports_a_bad_checksum_and_a_gap() -> None:
    async def main(argv: list[str]) -> int:
        q = await ShmQueue.create("/dev/shm/bad", 8, 64)
        bad = bytearray(encode(0, 1, 40))
        bad[-1] ^= 0xFF
        for rec in (encode(0, 0, 40), bytes(bad), encode(0, 3, 40), encode(1, 0, 40)):
            await q.put(rec)
        await q.close_producer()
        pid = await sys.spawn("/bin/shmrecv", ["shmrecv", "bad"])
        return (await sys.wait4(pid))[1] >> 8

    r = run_main(main)
    assert r.status == 1, r.output
    assert "shmrecv: record 2: record 0:1: bad checksum" in r.output
    assert "shmrecv: record 3: producer 0: record 3 where 1 was due" in r.output
    assert "records 4, bytes 160, errors 2, wakeups 0" in r.output


def test_program_usage_errors_and_waiting_for_a_queue() -> None:
    r = shell(
        "shmsend -c 3 q; echo s=$?; shmsend -s 8 q; echo s=$?; shmsend; echo s=$?; "
        "shmsend a/b; echo s=$?; shmrecv -t 0.005 none; echo s=$?; "
        "shmsend --help | head -1; shmrecv --help | head -1"
    )
    out = r.output
    assert "shmsend: capacity 3 is not a power of two" in out
    assert "shmsend: invalid record size (from 16 to 1048576) '8'" in out
    assert "shmsend: missing NAME" in out and "shmsend: invalid queue name 'a/b'" in out
    assert "shmrecv: /dev/shm/none: No such file or directory (gave up waiting)" in out
    assert re.findall(r"s=(\d+)", out) == ["1", "1", "1", "1", "2"]
    assert "Usage: shmsend [OPTION]... NAME" in out and "Usage: shmrecv [OPTION]... NAME" in out


# ---------------------------------------------------------------------- the library
def test_layout_errors_and_a_gone_consumer() -> None:
    assert shmq.OFF_TAIL // 64 != shmq.OFF_HEAD // 64  # separate cache lines
    assert shmq.HEADER % 64 == 0
    seen: dict[str, Any] = {}

    async def main(argv: list[str]) -> int:
        seen["cap"] = await errno_of(ShmQueue.create("/dev/shm/x", 3, 8))
        seen["rec"] = await errno_of(ShmQueue.create("/dev/shm/x", 4, 0))
        seen["mp1"] = await errno_of(ShmQueue.create("/dev/shm/x", 1, 8, multi_producer=True))
        seen["none"] = await errno_of(ShmQueue.open("/dev/shm/none"))
        fd = await sys.open("/dev/shm/empty", O_CREAT | O_RDWR, 0o600)
        seen["empty"] = await errno_of(ShmQueue.open("/dev/shm/empty"))
        await sys.write(fd, b"junk" * 100)
        seen["junk"] = await errno_of(ShmQueue.open("/dev/shm/empty"))
        q = await ShmQueue.create("/dev/shm/x", 2, 8)
        seen["long"] = await errno_of(q.put(b"123456789"))
        for rec in (b"a", b"bc"):
            await q.put(rec)
        raw = await kio.read_file("/dev/shm/x")
        seen["header"] = raw[:4], [int.from_bytes(raw[o : o + 4], "little") for o in (8, 12, 64)]
        await q.close_consumer()
        seen["gone"] = await errno_of(q.put(b"c"))  # full, and nobody will ever take it
        seen["size"] = len(raw)
        return 0

    ok(run_main(main))
    assert seen["cap"] == seen["rec"] == seen["mp1"] == EINVAL
    assert seen["none"] == ENOENT and seen["empty"] == EAGAIN and seen["junk"] == EINVAL
    assert seen["long"] == EINVAL and seen["gone"] == EPIPE
    assert seen["header"] == (b"SHMQ", [2, 8, 2])  # capacity, record size, tail
    assert seen["size"] == shmq.queue_size(2, 8) == 320 + 2 * 16


def test_a_consumer_that_opens_late_starts_at_the_head() -> None:
    got: list[bytes] = []

    async def main(argv: list[str]) -> int:
        for multi in (False, True):
            q = await ShmQueue.create("/dev/shm/late", 4, 8, multi_producer=multi)
            for i in range(6):  # two laps of a four-slot ring by the time the second
                await q.put(bytes((i,)))  # consumer opens it
                if i < 5:
                    assert await q.get() == bytes((i,))
            await q.close_producer()
            late = await ShmQueue.open("/dev/shm/late")
            while (rec := await late.get()) is not None:
                got.append(rec)
        return 0

    ok(run_main(main))
    assert got == [b"\x05", b"\x05"]
