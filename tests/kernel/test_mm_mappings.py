"""Real memory: changing mappings (mprotect, munmap, mremap, madvise, brk, mincore),
names and layout in maps, the stack, and memory shared between processes."""

from __future__ import annotations

from typing import Any

from ksim import errno_of, machine, ok, register, run, run_main
from test_mm import ANON, PS, RW, _text

from kernel.abi import (
    EINVAL,
    ENOMEM,
    MADV_DONTNEED,
    MAP_ANONYMOUS,
    MAP_POPULATE,
    MAP_SHARED,
    MREMAP_DONTUNMAP,
    MREMAP_MAYMOVE,
    PR_SET_VMA,
    PR_SET_VMA_ANON_NAME,
    PROT_READ,
    RLIMIT_DATA,
    W_EXITCODE,
    SpawnAttr,
)
from userland.libk import sys


# ---------------------------------------------------------------------- changing mappings
def test_mprotect_munmap_mremap_madvise_brk_mincore() -> None:
    seen: dict[str, Any] = {}

    async def main(argv: list[str]) -> int:
        mem = await sys.mmu()
        a = await sys.mmap(0, 4 * PS, PROT_READ, ANON)
        await sys.mprotect(a + PS, PS, RW)
        mem.store8(a + PS, 7)
        seen["maps_split"] = (await _text("/proc/self/maps")).count("\n")
        await sys.mprotect(a, 4 * PS, RW)
        seen["maps_merged"] = (await _text("/proc/self/maps")).count("\n")
        mem.write(a, b"keep me")
        b = await sys.mremap(a, 4 * PS, 64 * PS, MREMAP_MAYMOVE)
        seen["moved_data"] = (mem.read(b, 7), mem.load8(b + PS))
        seen["old_gone"] = await errno_of(sys.mincore(a, PS)) if a != b else ENOMEM
        c = await sys.mremap(b, 64 * PS, 2 * PS, 0)
        seen["shrunk"] = c == b
        seen["mincore"] = await sys.mincore(b, 2 * PS)
        await sys.madvise(b, PS, MADV_DONTNEED)
        seen["dontneed"] = mem.read(b, 7)
        await sys.munmap(b + PS, PS)
        seen["hole"] = await errno_of(sys.mincore(b, 2 * PS))
        start = await sys.brk()
        seen["brk"] = (await sys.brk(start + 10 * PS), await sys.brk(start - PS))
        mem.store64(start + 9 * PS, 99)
        seen["heap"] = mem.load64(start + 9 * PS)
        seen["heap_line"] = [
            x for x in (await _text("/proc/self/maps")).splitlines() if "[heap]" in x
        ]
        await sys.brk(start)
        seen["heap_after"] = "[heap]" in await _text("/proc/self/maps")
        p = await sys.mmap(0, 3 * PS, RW, ANON | MAP_POPULATE)
        seen["populated"] = await sys.mincore(p, 3 * PS)
        return 0

    ok(run_main(main))
    assert seen["maps_split"] - seen["maps_merged"] == 2
    assert seen["moved_data"] == (b"keep me", 7)
    assert seen["old_gone"] == ENOMEM
    assert seen["shrunk"]
    assert seen["mincore"] == b"\x01\x01"
    assert seen["dontneed"] == bytes(7)
    assert seen["hole"] == ENOMEM
    b0, b1 = seen["brk"]
    assert b1 == b0  # brk below the heap's start changes nothing and answers the end
    assert seen["heap"] == 99
    assert len(seen["heap_line"]) == 1 and seen["heap_line"][0].split()[1] == "rw-p"
    assert not seen["heap_after"]
    assert seen["populated"] == b"\x01\x01\x01"


def test_named_anonymous_memory_and_the_layout_in_maps() -> None:
    seen: dict[str, str] = {}

    async def main(argv: list[str]) -> int:
        a = await sys.mmap(0, 2 * PS, RW, ANON)
        await sys.prctl(PR_SET_VMA, PR_SET_VMA_ANON_NAME, a, 2 * PS, "libk-heap")
        z = await sys.mmap(0, PS, RW, MAP_SHARED | MAP_ANONYMOUS)
        seen["maps"] = await _text("/proc/self/maps")
        seen["addrs"] = f"{a:x} {z:x}"
        return 0

    ok(run_main(main))
    lines = seen["maps"].splitlines()
    assert lines[0].startswith("00400000-00401000 r-xp 00000000 ")
    assert lines[0].endswith("/bin/" + lines[0].rsplit("/", 1)[1])
    assert any(x.endswith("[anon:libk-heap]") for x in lines)
    assert any(" rw-s " in x and x.endswith("/dev/zero (deleted)") for x in lines)
    assert lines[-1].startswith("7ffffffde000-7ffffffff000 rw-p") and lines[-1].endswith("[stack]")


def test_the_stack_grows_down_on_a_fault_below_it() -> None:
    seen: dict[str, Any] = {}

    async def main(argv: list[str]) -> int:
        mem = await sys.mmu()
        below = 0x7FFFFFFDE000 - 10 * PS
        mem.store8(below, 5)
        seen["v"] = mem.load8(below)
        seen["stack"] = [x for x in (await _text("/proc/self/maps")).splitlines() if "[stack]" in x]
        return 0

    ok(run_main(main))
    assert seen["v"] == 5
    assert seen["stack"][0].startswith(f"{0x7FFFFFFDE000 - 10 * PS:x}-7ffffffff000")


def test_argv_and_environment_are_at_the_top_of_the_stack() -> None:
    seen: dict[str, bytes] = {}

    async def main(argv: list[str]) -> int:
        mem = await sys.mmu()
        seen["top"] = mem.read(0x7FFFFFFFF000 - 256, 256)
        return 0

    ok(run_main(main, "hello-arg"))
    assert b"hello-arg\0" in seen["top"]


# ---------------------------------------------------------------------- sharing
def test_a_memfd_shared_with_a_child_shows_each_others_stores() -> None:
    seen: dict[str, Any] = {}

    async def child(argv: list[str]) -> int:
        mem = await sys.mmu()
        a = await sys.mmap(0, PS, RW, MAP_SHARED, 3, 0)
        seen["child_saw"] = mem.read(a, 6)
        mem.write(a + 100, b"from the child")
        return 0

    prog = register(child)

    async def main(argv: list[str]) -> int:
        mem = await sys.mmu()
        fd = await sys.memfd_create("shared-test")
        await sys.ftruncate(fd, PS)
        a = await sys.mmap(0, PS, RW, MAP_SHARED, fd, 0)
        mem.write(a, b"parent")
        pid = await sys.spawn(prog, [prog], None, None, [("dup2", fd, 3)], SpawnAttr())
        _, status = await sys.wait4(pid)
        seen["status"] = status
        seen["parent_saw"] = mem.read(a + 100, 14)
        seen["fd"] = await sys.readlink(f"/proc/self/fd/{fd}")
        return 0

    ok(run_main(main))
    assert seen["status"] == W_EXITCODE(0)
    assert seen["child_saw"] == b"parent"
    assert seen["parent_saw"] == b"from the child"
    assert seen["fd"] == "/memfd:shared-test (deleted)"


def test_every_frame_comes_back_when_the_processes_are_gone() -> None:
    async def worker(argv: list[str]) -> int:
        mem = await sys.mmu()
        a = await sys.mmap(0, 32 * PS, RW, ANON)
        for i in range(32):
            mem.store8(a + i * PS, i)
        fd = await sys.memfd_create("w")
        await sys.ftruncate(fd, 8 * PS)
        s = await sys.mmap(0, 8 * PS, RW, MAP_SHARED, fd, 0)
        mem.fill(s, 1, 8 * PS)
        await sys.mremap(a, 32 * PS, 64 * PS, MREMAP_MAYMOVE)
        return 0

    prog = register(worker)
    counts: dict[str, int] = {}

    async def main(argv: list[str]) -> int:
        for _ in range(3):
            pid = await sys.spawn(prog, [prog])
            await sys.wait4(pid)
        return 0

    k = machine(main)
    counts["boot"] = k.frames.free
    kinds = dict(k.frames.by_kind)
    ok(run(k))
    # Everything the workers and main took came back: only init's frames remain.
    assert k.frames.free == counts["boot"]
    assert k.frames.by_kind == kinds


def test_mremap_duplicates_shared_memory_and_dontunmap_always_moves() -> None:
    seen: dict[str, Any] = {}

    async def main(argv: list[str]) -> int:
        mem = await sys.mmu()
        s = await sys.mmap(0, 2 * PS, RW, MAP_SHARED | MAP_ANONYMOUS)
        mem.write(s, b"twin")
        t = await sys.mremap(s, 0, 2 * PS, MREMAP_MAYMOVE)
        mem.write(t + 4, b"s!")
        seen["dup"] = (t != s, mem.read(s, 6), mem.read(t, 6))
        seen["private_dup"] = await errno_of(
            sys.mremap(await sys.mmap(0, PS, RW, ANON), 0, PS, MREMAP_MAYMOVE)
        )
        p = await sys.mmap(0, PS, RW, ANON)
        mem.store8(p, 42)
        q = await sys.mremap(p, PS, PS, MREMAP_MAYMOVE | MREMAP_DONTUNMAP)
        seen["dontunmap"] = (q != p, mem.load8(q), mem.load8(p))
        return 0

    ok(run_main(main))
    assert seen["dup"] == (True, b"twins!", b"twins!")
    assert seen["private_dup"] == EINVAL
    assert seen["dontunmap"] == (True, 42, 0)  # the old range stays mapped, empty


def test_mprotect_making_memory_writable_counts_against_rlimit_data() -> None:
    seen: dict[str, int] = {}

    async def main(argv: list[str]) -> int:
        a = await sys.mmap(0, 64 * PS, PROT_READ, ANON)
        used = 0x20000  # a little more than the heap and stack the program has
        await sys.setrlimit(RLIMIT_DATA, used, used)
        seen["big"] = await errno_of(sys.mprotect(a, 64 * PS, RW))
        seen["small"] = await errno_of(sys.mprotect(a, PS, RW))
        return 0

    ok(run_main(main))
    assert seen == {"big": ENOMEM, "small": 0}
