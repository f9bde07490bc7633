"""Real memory: the MMU view (loads and stores), every fault path, and other page sizes.

File mappings and mmap's errors are in test_mm_files.py, changing and sharing mappings
in test_mm_mappings.py.
"""

from __future__ import annotations

import re
from typing import Any

from ksim import ok, register, run_main

from kernel.abi import (
    MAP_ANONYMOUS,
    MAP_PRIVATE,
    O_RDONLY,
    PROT_NONE,
    PROT_READ,
    PROT_WRITE,
    SIGSEGV,
    WTERMSIG,
)
from userland.libk import sys

RW = PROT_READ | PROT_WRITE
ANON = MAP_PRIVATE | MAP_ANONYMOUS
PS = 4096


async def _text(path: str) -> str:
    fd = await sys.open(path, O_RDONLY)
    data = b""
    while chunk := await sys.read(fd, 65536):
        data += chunk
    await sys.close(fd)
    return data.decode()


def _died_of(r: Any, sig: int) -> bool:
    return r.status == 128 + sig


# ---------------------------------------------------------------------- loads and stores
def test_untouched_memory_reads_zero_and_costs_no_frame() -> None:
    seen: dict[str, Any] = {}

    async def main(argv: list[str]) -> int:
        mem = await sys.mmu()
        a = await sys.mmap(0, 64 * PS, RW, ANON)
        seen["zeros"] = [mem.load8(a + i * PS) for i in range(64)]
        seen["after_reads"] = (await _text("/proc/self/status")).count("\n")
        seen["rss_reads"] = _vmrss(await _text("/proc/self/status"))
        mem.store32(a, 0xDEADBEEF)
        seen["rss_write"] = _vmrss(await _text("/proc/self/status"))
        seen["word"] = mem.load32(a)
        return 0

    ok(run_main(main))
    assert seen["zeros"] == [0] * 64
    assert seen["rss_write"] - seen["rss_reads"] == 4  # one frame, for the one page written
    assert seen["word"] == 0xDEADBEEF


def _vmrss(status: str) -> int:
    return int(re.search(r"VmRSS:\s+(\d+) kB", status).group(1))  # type: ignore[union-attr]


def test_scalar_and_range_accesses_round_trip_across_pages() -> None:
    seen: dict[str, Any] = {}

    async def main(argv: list[str]) -> int:
        mem = await sys.mmu()
        a = await sys.mmap(0, 3 * PS, RW, ANON)
        edge = a + PS - 3
        mem.store64(edge, 0x1122334455667788)
        mem.store16(a + 10, 0x1_ABCD)  # stores keep the low bits
        mem.store8(a + 12, 300)
        mem.write(a + 2 * PS - 5, b"across the page boundary")
        mem.fill(a + 100, 0x41, 10)
        mem.copy(a + 104, a + 100, 8)  # overlapping: memmove
        seen["v"] = (
            mem.load64(edge),
            mem.load16(a + 10),
            mem.load8(a + 12),
            mem.read(a + 2 * PS - 5, 24),
            mem.read(a + 100, 12),
            mem.load32(edge),
            mem.read(a, 0),
        )
        return 0

    ok(run_main(main))
    assert seen["v"] == (
        0x1122334455667788,
        0xABCD,
        300 & 0xFF,
        b"across the page boundary",
        b"A" * 12,
        0x55667788,
        b"",
    )


def test_accesses_are_charged_to_the_thread_in_virtual_time() -> None:
    seen: dict[str, int] = {}

    async def main(argv: list[str]) -> int:
        mem = await sys.mmu()
        a = await sys.mmap(0, PS, RW, ANON)
        mem.store8(a, 1)
        t0 = await sys.clock_gettime()
        await sys.clock_gettime()
        t1 = await sys.clock_gettime()
        for i in range(10_000):
            mem.load8(a + (i & 4095))
        t2 = await sys.clock_gettime()
        seen["empty"] = t1 - t0
        seen["loads"] = t2 - t1
        return 0

    ok(run_main(main))
    # 10,000 loads at the default 5 ns each, on top of one system call's cost.
    assert seen["loads"] - seen["empty"] // 2 >= 10_000 * 5


# ---------------------------------------------------------------------- faults that kill
def test_a_load_from_unmapped_memory_is_sigsegv_logged_as_linux_does() -> None:
    async def main(argv: list[str]) -> int:
        mem = await sys.mmu()
        mem.load8(0x1000)
        return 0

    r = run_main(main)
    assert _died_of(r, SIGSEGV)
    assert re.search(r"t_main_\d+\[2\]: segfault at 1000 error 4 in test_mm\.py:\d+", r.log)


def test_a_store_to_read_only_memory_is_sigsegv_with_a_protection_error() -> None:
    async def main(argv: list[str]) -> int:
        mem = await sys.mmu()
        a = await sys.mmap(0, PS, PROT_READ, ANON)
        mem.load8(a)  # present (the zero page), read-only
        mem.store8(a, 1)
        return 0

    r = run_main(main)
    assert _died_of(r, SIGSEGV)
    assert re.search(r"segfault at [0-9a-f]+ error 7 ", r.log)


def test_prot_none_memory_cannot_be_read() -> None:
    async def main(argv: list[str]) -> int:
        mem = await sys.mmu()
        a = await sys.mmap(0, PS, PROT_NONE, ANON)
        mem.load8(a)
        return 0

    r = run_main(main)
    assert _died_of(r, SIGSEGV)
    assert "error 4 " in r.log


def test_catching_the_fault_does_not_save_the_process() -> None:
    reached: list[str] = []

    async def main(argv: list[str]) -> int:
        mem = await sys.mmu()
        try:
            mem.store8(0, 1)
        except BaseException:  # noqa: BLE001 - exactly what the test is about
            reached.append("caught")
        await sys.getpid()
        reached.append("went on")
        return 0

    r = run_main(main)
    assert _died_of(r, SIGSEGV)
    assert reached == ["caught"]


def test_a_fault_in_a_thread_ends_the_whole_process() -> None:
    async def bad(arg: Any) -> int:
        mem = await sys.mmu()
        mem.load64(8)
        return 0

    async def main(argv: list[str]) -> int:
        tid = await sys.thread_spawn(bad, None)
        await sys.thread_join(tid)
        await sys.nanosleep(10**9)
        return 0

    assert _died_of(run_main(main), SIGSEGV)


def test_the_shell_reports_a_segfault_like_dash() -> None:
    async def crash(argv: list[str]) -> int:
        (await sys.mmu()).store8(16, 0)
        return 0

    prog = register(crash)

    async def main(argv: list[str]) -> int:
        pid = await sys.spawn("/bin/sh", ["sh", "-c", f"{prog}; echo status $?"])
        _, status = await sys.wait4(pid)
        return status >> 8

    r = run_main(main)
    assert "Segmentation fault" in r.output
    assert "status 139" in r.output


def test_waitstatus_of_a_fault_has_no_core_flag_by_default() -> None:
    async def crash(argv: list[str]) -> int:
        (await sys.mmu()).load8(0)
        return 0

    prog = register(crash)
    seen: dict[str, int] = {}

    async def main(argv: list[str]) -> int:
        pid = await sys.spawn(prog, [prog])
        _, seen["status"] = await sys.wait4(pid)
        return 0

    ok(run_main(main))
    assert WTERMSIG(seen["status"]) == SIGSEGV
    assert not seen["status"] & 0x80


def test_a_machine_with_64k_pages_runs_programs() -> None:
    import dataclasses

    from ksim import BASE

    seen: dict[str, Any] = {}

    async def main(argv: list[str]) -> int:
        mem = await sys.mmu()
        a = await sys.mmap(0, 3 * 65536, RW, ANON)
        mem.store64(a + 65536 - 4, 7)
        seen["v"] = mem.load64(a + 65536 - 4)
        seen["maps"] = await _text("/proc/self/maps")
        return 0

    info = dataclasses.replace(BASE, page_size=65536, memory=128 << 20, memory_regions=())
    ok(run_main(main, info=info))
    assert seen["v"] == 7
    assert "00400000-00410000 r-xp" in seen["maps"]
    assert "[stack]" in seen["maps"]
