"""tui.ringview against booted machines: rings found through /proc/<pid>/fd, their
/proc/<pid>/fdinfo decoded (queues, counters, requests parked on a pipe and on the
block device, owned pages, buffer groups, the overflow list), completions and IOPS per
virtual second from the sampler, and the parsers on their own."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator

import pytest
from tuihelp import ProgramSet, fast_info

from kernel import boot
from kernel.abi import O_RDONLY, OP_READ
from kernel.host import HostClient
from kernel.kernel import Kernel
from tui.ringview import (
    BufferGroup,
    Request,
    RingSampler,
    parse_diskstats,
    parse_fdinfo,
    per_second,
)
from userland.libk import sys
from userland.libk.ring import Ring, alloc_buffers

SECOND = 1_000_000_000
MS = 1_000_000

PROGRAMS = ProgramSet("rv")
program = PROGRAMS.add


@pytest.fixture(autouse=True)
def registered_programs() -> Iterator[None]:
    """Register this module's programs for one test, and remove them after it."""
    yield from PROGRAMS.registered()


async def parked(argv: list[str]) -> int:
    """A small ring that overflowed (fd 3), then a ring (fd 4) with a read parked on an
    empty pipe (fds 5, 6), two on the device (fd 7), a buffer group, a cancelled read
    and three nops completed."""
    small = await Ring.setup(2, cq_entries=2)
    for _ in range(3):
        small.nop(user_data=0x51)
        await small.submit()
    ring = await Ring.setup(8)
    r, _w = await sys.pipe()
    blk = await sys.open("/dev/blk0", O_RDONLY)
    bufs = await alloc_buffers(4, 4096)
    ring.provide_buffers(9, await alloc_buffers(2, 8192))
    ring.read(r, bufs[0], user_data=0x2A)
    ring.read(blk, bufs[1], 0, user_data=0x2B)
    ring.read(blk, bufs[2], 4096, length=512, user_data=0x2C)
    doomed = ring.read(r, bufs[3], user_data=0x2D)
    for _ in range(3):
        ring.nop()
    await ring.submit(4)
    ring.cancel(doomed)
    await ring.submit(2)
    ring.completions()
    await sys.nanosleep(1000 * SECOND)
    return 0


async def paced(argv: list[str]) -> int:
    """Wait 10 ms, then 40 nops on a ring and 25 reads of the disk, then sleep."""
    ring = await Ring.setup(8)
    blk = await sys.open("/dev/blk0", O_RDONLY)
    await sys.nanosleep(10 * MS)
    for _ in range(5):
        for _ in range(8):
            ring.nop()
        await ring.submit(8)
        ring.completions()
    for i in range(25):
        await sys.do_io(blk, OP_READ, 4096, i * 4096)
    await sys.nanosleep(1000 * SECOND)
    return 0


PARKED = program(parked)
PACED = program(paced)


def boot_with(argv: list[str], latency: int | None = None) -> Kernel:
    """The deterministic machine running ``argv`` (its disk answering after
    ``latency`` ns, when given)."""
    info = fast_info()
    if latency is not None:
        costs = info.clock.costs
        block = dataclasses.replace(costs.block, latency=latency)
        clock = dataclasses.replace(info.clock, costs=dataclasses.replace(costs, block=block))
        info = dataclasses.replace(info, clock=clock)
    return boot.boot(boot.with_init(info, argv))


def test_a_ring_with_requests_parked_on_a_pipe_and_on_the_device() -> None:
    k = boot_with([PARKED], latency=1000 * SECOND)
    k.run(until=k.now_ns + SECOND)
    host = HostClient(k)
    sampler = RingSampler(host)
    assert sampler.ring_fds(2) == [3, 4] and sampler.ring_fds(1) == []
    text = host.read_file("/proc/2/fdinfo/4").decode()
    ring = parse_fdinfo(2, 4, text)
    assert ring is not None
    assert (ring.sq_entries, ring.cq_entries, ring.sq_thread) == (8, 16, -1)
    assert ring.sq_head == ring.sq_tail == 9 and ring.sqes == 0
    assert ring.cq_tail == 6 and ring.cq_head == 6 and ring.cqes == 0  # all reaped
    assert (ring.submitted, ring.completed, ring.cancelled, ring.overflowed) == (9, 6, 1, 0)
    assert [(r.user_data, r.op, r.fd, r.state) for r in ring.inflight] == [
        (0x2A, "read", 5, "waiting"),
        (0x2B, "read", 7, "device"),
        (0x2C, "read", 7, "device"),
    ]
    # each owns its whole page (the third asked for 512 bytes of it)
    assert all(r.buf_addr is not None and r.buf_len == 4096 for r in ring.inflight)
    assert all(0 < r.age_ns < SECOND for r in ring.inflight)
    assert ring.owned_pages == 3 and ring.groups == [BufferGroup(9, 2, 8192)]
    assert ring.overflow == []
    view = sampler.sample()
    assert [(r.pid, r.fd, r.comm) for r in view.rings] == [(2, 3, PARKED[5:]), (2, 4, PARKED[5:])]
    small = view.rings[0]
    assert (small.sq_entries, small.cq_entries, small.cqes) == (2, 2, 2)
    assert small.overflow == [(0x51, 0, 0)] and small.overflowed == 1
    assert small.rate is None and small.history == []  # one sample: no rate yet
    [blk0] = view.devices
    assert (blk0.name, blk0.in_flight, blk0.depth, blk0.ios) == ("blk0", 2, 32, 0)
    k.power_off(0)


def test_completions_and_iops_per_virtual_second() -> None:
    k = boot_with([PACED])
    k.run(until=k.now_ns + 5 * MS)  # the ring is made, nothing completed yet
    sampler = RingSampler(HostClient(k))
    first = sampler.sample()
    assert [r.completed for r in first.rings] == [0] and first.devices[0].ios == 0
    k.run(until=k.now_ns + 100 * MS)  # all 40 nops and 25 reads are done
    second = sampler.sample()
    seconds = (second.now_ns - first.now_ns) / SECOND
    [ring] = second.rings
    assert ring.completed == 40
    assert ring.rate == pytest.approx(40 / seconds) and ring.history == [ring.rate]
    [blk0] = second.devices
    assert blk0.ios == 25 and blk0.in_flight == 0
    assert blk0.iops == pytest.approx(25 / seconds)
    k.run(until=k.now_ns + 100 * MS)
    third = sampler.sample()
    assert third.rings[0].rate == 0.0 and third.rings[0].history == [ring.rate, 0.0]
    assert third.devices[0].iops == 0.0
    again = sampler.sample()  # no virtual time passed: no new sample
    assert again.rings[0].history == third.rings[0].history
    k.power_off(0)


def test_parsers_on_their_own() -> None:
    assert per_second(None, (5, SECOND)) is None
    assert per_second((5, SECOND), (5, SECOND)) is None
    assert per_second((10, SECOND), (30, 3 * SECOND)) == 10.0
    assert per_second((30, SECOND), (10, 2 * SECOND)) == 0.0  # a counter reset
    assert parse_fdinfo(1, 0, "pos:\t0\nflags:\t02\nmnt_id:\t3\nino:\t7\n") is None
    text = (
        "pos:\t0\nino:\t12\nSqMask:\t0x3\nSqHead:\t1\nSqTail:\t3\nCqMask:\t0x7\n"
        "CqHead:\t0\nCqTail:\t8\nSQEs:\t2\nCQEs:\t8\nSqThread:\t17\nFuture:\t1\n"
        "CqOverflowList:\n  user_data=0x7, res=-125, flags=0x0\n"
        "InFlight:\t1\n  user_data=0x10 op=timeout fd=-1 state=pending age_ns=0\n"
    )
    ring = parse_fdinfo(4, 9, text)
    assert ring is not None
    assert (ring.ino, ring.sq_entries, ring.cq_entries, ring.sq_thread) == (12, 4, 8, 17)
    assert ring.overflow == [(7, -125, 0)]
    assert ring.inflight == [Request(0x10, "timeout", -1, "pending", 0)]
    stats = (
        " 254       0 blk0 10 0 80 1 4 0 32 2 3 7 9 0 0 0 0 2 0\n"
        "   8       0 sda 1 2 3 4 5 6 7 8 9 10 11\n"
    )
    blk0, sda = parse_diskstats(stats)
    assert (blk0.name, blk0.in_flight, blk0.ios) == ("blk0", 3, 16)
    assert (sda.name, sda.in_flight, sda.ios) == ("sda", 9, 6)  # an old kernel's 11 fields
