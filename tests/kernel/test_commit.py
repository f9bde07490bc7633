"""Overcommit: the commit charge (Committed_AS, ``k.vm.committed``) and the three modes.

Private writable and shared anonymous mappings, brk, mremap and mprotect charge it;
munmap and exit give it back; MAP_NORESERVE is free in modes 0 and 1. Mode 0 refuses a
single map larger than memory, mode 1 never refuses, mode 2 refuses what would reach
CommitLimit (new stacks and stack growth included).
"""

from __future__ import annotations

from typing import Any

import pytest
from ksim import errno_of, image, machine, ok, register, run

from kernel.abi import (
    EINVAL,
    ENOMEM,
    MAP_ANONYMOUS,
    MAP_NORESERVE,
    MAP_PRIVATE,
    MAP_SHARED,
    MREMAP_DONTUNMAP,
    MREMAP_FIXED,
    MREMAP_MAYMOVE,
    PROT_READ,
    PROT_WRITE,
    SIGSEGV,
    WIFSIGNALED,
    WTERMSIG,
    Error,
)
from kernel.mm.vm import STACK_TOP
from userland.libk import sys

PAGE = 4096
RW = PROT_READ | PROT_WRITE
PRIVATE = MAP_PRIVATE | MAP_ANONYMOUS
SHARED = MAP_SHARED | MAP_ANONYMOUS


# Machines of a few MiB: only the shipped programs in /bin (each registered program is a
# page there, and other files in the same worker register hundreds).
pytestmark = pytest.mark.usefixtures("installed_programs")


def small(memory: int = 8 << 20) -> Any:
    """The default machine with less memory (its free regions follow)."""
    return image(memory=memory, memory_regions=())


def killed_by(status: int, sig: int) -> bool:
    return WIFSIGNALED(status) and WTERMSIG(status) == sig


def _committed_run(main_body: Any, **kw: Any) -> dict[str, Any]:
    box: dict[str, Any] = {}
    seen: dict[str, Any] = {}

    async def main(argv: list[str]) -> int:
        await main_body(box["k"], seen)
        return 0

    box["k"] = machine(main, **kw)
    ok(run(box["k"]))
    return seen


def test_commit_charge_follows_the_mappings() -> None:
    async def body(k: Any, seen: dict[str, Any]) -> None:
        def charge() -> int:
            return k.vm.committed - base

        base = k.vm.committed
        rw = await sys.mmap(0, 100 * PAGE, RW, PRIVATE)
        seen["private_rw"] = charge()
        ro = await sys.mmap(0, 100 * PAGE, PROT_READ, PRIVATE)
        seen["private_ro"] = charge()
        shm = await sys.mmap(0, 50 * PAGE, RW, SHARED)
        seen["shared_anon"] = charge()
        nores = await sys.mmap(0, 100 * PAGE, RW, PRIVATE | MAP_NORESERVE)
        seen["noreserve"] = charge()
        await sys.mprotect(ro, 100 * PAGE, RW)
        seen["mprotect"] = charge()
        rw = await sys.mremap(rw, 100 * PAGE, 150 * PAGE, MREMAP_MAYMOVE)
        seen["grow"] = charge()
        await sys.mremap(rw, 150 * PAGE, 20 * PAGE)
        seen["shrink"] = charge()
        top = await sys.brk(0)
        await sys.brk(top + 10 * PAGE)
        seen["brk"] = charge()
        await sys.brk(top)
        for addr, pages in ((rw, 20), (ro, 100), (shm, 50), (nores, 100)):
            await sys.munmap(addr, pages * PAGE)
        seen["unmapped"] = charge()

    seen = _committed_run(body)
    assert seen["private_rw"] == 100
    assert seen["private_ro"] == 100  # read-only private memory is not committed
    assert seen["shared_anon"] == 150
    assert seen["noreserve"] == 150  # MAP_NORESERVE is not charged in mode 0
    assert seen["mprotect"] == 250  # made writable: charged now
    assert seen["grow"] == 300
    assert seen["shrink"] == 170
    assert seen["brk"] == 180
    assert seen["unmapped"] == 0


def test_mremap_moves_the_charge_with_the_pages() -> None:
    async def body(k: Any, seen: dict[str, Any]) -> None:
        base = k.vm.committed
        a = await sys.mmap(0, 2 * PAGE, RW, PRIVATE)
        b = await sys.mmap(0, 3 * PAGE, PROT_READ, PRIVATE)  # a place to move to
        await sys.mremap(a, PAGE, 3 * PAGE, MREMAP_MAYMOVE | MREMAP_FIXED, b)
        seen["grown_move"] = k.vm.committed - base  # a's other page and 3 moved ones
        c = await sys.mmap(0, 4 * PAGE, RW, PRIVATE)
        d = await sys.mmap(0, 4 * PAGE, PROT_READ, PRIVATE)
        flags = MREMAP_MAYMOVE | MREMAP_FIXED | MREMAP_DONTUNMAP
        await sys.mremap(c, 4 * PAGE, 4 * PAGE, flags, d)
        seen["dontunmap"] = k.vm.committed - base  # the old range stays mapped
        e = await sys.mmap(0, PAGE, PROT_READ, PRIVATE)
        await sys.mremap(d, 4 * PAGE, PAGE, MREMAP_MAYMOVE | MREMAP_FIXED, e)
        seen["shrunk_move"] = k.vm.committed - base
        for addr, pages in ((a + PAGE, 1), (b, 3), (c, 4), (e, 1)):
            await sys.munmap(addr, pages * PAGE)
        seen["unmapped"] = k.vm.committed - base

    seen = _committed_run(body)
    assert seen["grown_move"] == 4
    assert seen["dontunmap"] == 12
    assert seen["shrunk_move"] == 9
    assert seen["unmapped"] == 0


def test_exit_gives_the_charge_back() -> None:
    async def child(argv: list[str]) -> int:
        await sys.mmap(0, 256 * PAGE, RW, PRIVATE)
        top = await sys.brk(0)
        await sys.brk(top + 64 * PAGE)
        return 0

    path = register(child)

    async def body(k: Any, seen: dict[str, Any]) -> None:
        base = k.vm.committed
        await sys.wait4(await sys.spawn(path, [path]))
        seen["after"] = k.vm.committed - base

    assert _committed_run(body)["after"] == 0


def test_mode_2_refuses_past_commit_limit() -> None:
    async def toucher(argv: list[str]) -> int:
        mmu = await sys.mmu()
        mmu.store8(STACK_TOP - 512 * 1024, 1)  # stack growth is committed too
        return 0

    path = register(toucher)

    async def body(k: Any, seen: dict[str, Any]) -> None:
        k.vm.set("overcommit_memory", 2)
        seen["limit"] = (k.vm.commit_limit(), k.frames.buddy.total_pages * 50 // 100)
        room = k.vm.commit_limit() - k.vm.committed
        seen["reach"] = await errno_of(sys.mmap(0, room * PAGE, RW, PRIVATE))
        a = await sys.mmap(0, (room - 1) * PAGE, RW, PRIVATE)
        seen["full"] = k.vm.committed == k.vm.commit_limit() - 1
        seen["one_more"] = await errno_of(sys.mmap(0, PAGE, RW, PRIVATE))
        seen["noreserve"] = await errno_of(sys.mmap(0, PAGE, RW, PRIVATE | MAP_NORESERVE))
        seen["shared"] = await errno_of(sys.mmap(0, PAGE, RW, SHARED))
        seen["readonly"] = await errno_of(sys.mmap(0, 64 * PAGE, PROT_READ, PRIVATE))
        top = await sys.brk(0)
        seen["brk"] = await sys.brk(top + PAGE) == top
        seen["spawn"] = await errno_of(sys.spawn(path, [path]))  # its stack is committed
        await sys.munmap(a, (room - 1) * PAGE)
        seen["again"] = await errno_of(sys.mmap(0, PAGE, RW, PRIVATE))
        room = k.vm.commit_limit() - k.vm.committed
        await sys.mmap(0, (room - 40) * PAGE, RW, PRIVATE)  # room for a new stack, not more
        seen["stack"] = (await sys.wait4(await sys.spawn(path, [path])))[1]
        k.vm.set("overcommit_ratio", 100)
        seen["ratio"] = k.vm.commit_limit() == k.frames.buddy.total_pages

    seen = _committed_run(body, info=small())
    assert seen["limit"][0] == seen["limit"][1]
    assert seen["reach"] == seen["one_more"] == seen["noreserve"] == seen["shared"] == ENOMEM
    assert seen["spawn"] == ENOMEM
    assert seen["full"] and seen["readonly"] == 0 and seen["brk"]
    assert killed_by(seen["stack"], SIGSEGV)
    assert seen["again"] == 0 and seen["ratio"]


def test_mode_0_refuses_only_a_map_larger_than_memory() -> None:
    async def body(k: Any, seen: dict[str, Any]) -> None:
        total = k.frames.buddy.total_pages
        seen["too_big"] = await errno_of(sys.mmap(0, (total + 1) * PAGE, RW, PRIVATE))
        seen["first"] = await errno_of(sys.mmap(0, total * 6 // 10 * PAGE, RW, PRIVATE))
        seen["second"] = await errno_of(sys.mmap(0, total * 6 // 10 * PAGE, RW, PRIVATE))
        seen["overcommitted"] = k.vm.committed > total

    seen = _committed_run(body, info=small())
    assert seen["too_big"] == ENOMEM
    assert seen["first"] == seen["second"] == 0 and seen["overcommitted"]


def test_mode_1_never_refuses_but_still_counts() -> None:
    async def body(k: Any, seen: dict[str, Any]) -> None:
        k.vm.set("overcommit_memory", 1)
        total = k.frames.buddy.total_pages
        base = k.vm.committed
        seen["huge"] = await errno_of(sys.mmap(0, 4 * total * PAGE, RW, PRIVATE))
        seen["charged"] = k.vm.committed - base == 4 * total

    seen = _committed_run(body, info=small())
    assert seen["huge"] == 0 and seen["charged"]


def test_vm_sysctl_rules() -> None:
    async def body(k: Any, seen: dict[str, Any]) -> None:
        vm = k.vm
        vm.set("overcommit_kbytes", 1024)
        seen["kbytes"] = (vm.overcommit_ratio, vm.commit_limit() == 1024 * 1024 // PAGE)
        vm.set("overcommit_ratio", 30)
        seen["ratio"] = (vm.overcommit_kbytes, vm.commit_limit())
        seen["expected"] = k.frames.buddy.total_pages * 30 // 100
        for name, value in (("overcommit_memory", 3), ("overcommit_ratio", -1), ("nope", 1)):
            try:
                vm.set(name, value)
                seen.setdefault("errors", []).append(0)
            except Error as e:
                seen.setdefault("errors", []).append(e.errno)

    seen = _committed_run(body)
    assert seen["kbytes"] == (0, True)
    assert seen["ratio"] == (0, seen["expected"])
    assert seen["errors"] == [EINVAL] * 3
