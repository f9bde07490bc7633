"""Level 4 of the I/O API (issue 10): an integrated driver claims a block device,
maps its queue and drives it with stores, a doorbell and loads — no system call per
I/O; everyone else gets EBUSY meanwhile; root only; exit lets the device go."""

from __future__ import annotations

from typing import Any

from ksim import ok, register, run_body, shell

from kernel.abi import (
    BLK_CLAIM,
    DQ_OP_READ,
    DQ_OP_WRITE,
    EBUSY,
    ENODEV,
    EPERM,
    MAP_ANONYMOUS,
    MAP_PRIVATE,
    MAP_SHARED,
    O_RDONLY,
    O_RDWR,
    OP_READ,
    OP_WRITE,
    PROT_READ,
    PROT_WRITE,
    Error,
    SpawnAttr,
    checkpoint,
)
from userland.libk import sys
from userland.libk.blkdev import BlockDriver

PS = 4096


async def _errno(coro: Any) -> int:
    try:
        await coro
    except Error as err:
        return err.errno
    return 0


async def _calls() -> int:
    fd = await sys.open("/proc/self/syscalls")
    text = (await sys.read(fd, 65536)).decode()
    await sys.close(fd)
    return sum(int(line.split()[1]) for line in text.splitlines())


def test_driver_reads_and_writes_with_no_system_call_per_io() -> None:
    async def body(seen: dict[str, Any]) -> None:
        fd = await sys.open("/dev/blk0", O_RDWR)
        for i in range(8):
            await sys.do_io(fd, OP_WRITE, bytes([97 + i]) * PS, i * PS)
        await sys.close(fd)
        drv = await BlockDriver.attach("/dev/blk0")
        assert drv.device_size == 4 * 1024 * 1024
        mem = await sys.mmu()
        bufs = await sys.mmap(0, 9 * PS, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS)
        c0 = await _calls()
        for i in range(8):
            assert drv.submit(DQ_OP_READ, i * PS, PS, bufs + i * PS, tag=i)
        mem.fill(bufs + 8 * PS, ord("Z"), PS)
        assert drv.submit(DQ_OP_WRITE, 100 * PS, PS, bufs + 8 * PS, tag=8)
        drv.kick()
        got: dict[int, int] = {}
        while len(got) < 9:
            got.update(drv.reap())
            await checkpoint()
        c1 = await _calls()
        seen["calls"] = c1 - c0 - (await _calls() - c1)  # less what looking costs
        assert got == {i: PS for i in range(9)}
        for i in range(8):
            assert mem.read(bufs + i * PS, 4) == bytes([97 + i]) * 4
        await drv.detach()
        fd = await sys.open("/dev/blk0", O_RDONLY)
        assert await sys.do_io(fd, OP_READ, 3, 100 * PS) == b"ZZZ"

    seen = run_body(body)
    assert seen["calls"] == 0


async def _holder(argv: list[str]) -> int:
    drv = await BlockDriver.attach("/dev/blk0")
    await sys.nanosleep(10_000_000)
    del drv  # exits holding it: the exit lets it go
    return 0


HOLDER = register(_holder)


async def _opener(argv: list[str]) -> int:
    try:
        await sys.open("/dev/blk0", O_RDONLY)
    except Error as err:
        return err.errno
    return 0


OPENER = register(_opener)


def test_others_get_ebusy_while_the_driver_holds_the_device() -> None:
    async def body(seen: dict[str, Any]) -> None:
        pid = await sys.spawn(HOLDER, ["holder"])
        await sys.nanosleep(1_000_000)
        assert await _errno(sys.open("/dev/blk0", O_RDONLY)) == EBUSY
        other = await sys.spawn(OPENER, ["opener"])
        _, status = await sys.wait4(other)
        assert status >> 8 == EBUSY
        await sys.wait4(pid)  # it exited holding the device: released with its files
        fd = await sys.open("/dev/blk0", O_RDONLY)
        await sys.close(fd)
        # a claim needs the device to itself, and root
        fd = await sys.open("/dev/blk0", O_RDONLY)
        fd2 = await sys.open("/dev/blk0", O_RDONLY)
        assert await _errno(sys.ioctl(fd, BLK_CLAIM)) == EBUSY
        await sys.close(fd2)
        assert await sys.ioctl(fd, BLK_CLAIM) == 2 * PS
        await sys.close(fd)
        fd = await sys.open("/dev/blk0", O_RDONLY)
        assert await _errno(sys.mmap(0, PS, PROT_READ, MAP_SHARED, fd, 0)) == ENODEV
        await sys.close(fd)
        other = await sys.spawn(OPENER, ["opener"])
        _, status = await sys.wait4(other)
        assert status == 0

    seen = run_body(body)
    assert "claimed by t__holder" in seen["log"] and "released by its driver" in seen["log"]


async def _claimer(argv: list[str]) -> int:
    fd = await sys.open("/dev/blk0", O_RDONLY)
    try:
        await sys.ioctl(fd, BLK_CLAIM)
    except Error as err:
        return err.errno
    return 0


CLAIMER = register(_claimer)


def test_only_root_may_claim() -> None:
    async def body(seen: dict[str, Any]) -> None:
        await sys.chmod("/dev/blk0", 0o666)
        pid = await sys.spawn(CLAIMER, ["claimer"], None, None, None, SpawnAttr(uid=1000, gid=1000))
        _, status = await sys.wait4(pid)
        seen["errno"] = status >> 8

    assert run_body(body)["errno"] == EPERM


def test_blkdrv_from_the_shell() -> None:
    r = shell("blkdrv -n 300 -q 16 /dev/blk0 && blkdrv -w -n 50 -q 1 /dev/blk0")
    ok(r)
    lines = r.output.splitlines()
    assert lines[0].startswith("blkdrv: 300 reads of 4096 bytes, depth 16: ")
    assert lines[0].endswith("0 system calls (0.000 per I/O)")
    assert "50 writes" in lines[1]
