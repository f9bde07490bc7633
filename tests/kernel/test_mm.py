"""Real memory: the MMU view, every fault path, and what each memory call does."""

from __future__ import annotations

import re
from typing import Any

from ksim import errno_of, machine, ok, register, run, run_main

from kernel.abi import (
    EACCES,
    EBADF,
    EEXIST,
    EFAULT,
    EINVAL,
    ENODEV,
    ENOMEM,
    MADV_DONTNEED,
    MAP_ANONYMOUS,
    MAP_FIXED,
    MAP_FIXED_NOREPLACE,
    MAP_POPULATE,
    MAP_PRIVATE,
    MAP_SHARED,
    MREMAP_DONTUNMAP,
    MREMAP_FIXED,
    MREMAP_MAYMOVE,
    MS_ASYNC,
    MS_SYNC,
    O_CREAT,
    O_RDONLY,
    O_RDWR,
    O_WRONLY,
    PR_SET_VMA,
    PR_SET_VMA_ANON_NAME,
    PROT_NONE,
    PROT_READ,
    PROT_WRITE,
    RLIMIT_DATA,
    SIGBUS,
    SIGSEGV,
    W_EXITCODE,
    WTERMSIG,
    SpawnAttr,
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


# ---------------------------------------------------------------------- file mappings
def test_a_shared_file_mapping_and_read_write_see_the_same_bytes() -> None:
    seen: dict[str, Any] = {}

    async def main(argv: list[str]) -> int:
        mem = await sys.mmu()
        fd = await sys.open("/tmp/f", O_RDWR | O_CREAT, 0o644)
        await sys.write(fd, b"hello, world")
        a = await sys.mmap(0, PS, RW, MAP_SHARED, fd, 0)
        seen["mapped"] = mem.read(a, 12)
        mem.write(a, b"HELLO")
        await sys.lseek(fd, 0)
        seen["file"] = await sys.read(fd, 100)
        await sys.lseek(fd, 7)
        await sys.write(fd, b"WORLD")
        seen["after_write"] = mem.read(a, 12)
        await sys.close(fd)
        seen["after_close"] = mem.read(a, 5)
        return 0

    ok(run_main(main))
    assert seen["mapped"] == b"hello, world"
    assert seen["file"] == b"HELLO, world"
    assert seen["after_write"] == b"HELLO, WORLD"
    assert seen["after_close"] == b"HELLO"


def test_a_private_file_mapping_is_copy_on_write() -> None:
    seen: dict[str, Any] = {}

    async def main(argv: list[str]) -> int:
        mem = await sys.mmu()
        fd = await sys.open("/tmp/f", O_RDWR | O_CREAT, 0o644)
        await sys.write(fd, b"abcdef" + bytes(PS))
        a = await sys.mmap(0, 2 * PS, RW, MAP_PRIVATE, fd, 0)
        await sys.lseek(fd, 0)
        await sys.write(fd, b"X")  # not yet copied: the mapping shows the file
        seen["before"] = mem.read(a, 3)
        mem.store8(a + 1, ord("Y"))  # the first store copies the page
        await sys.lseek(fd, 2)
        await sys.write(fd, b"Z")
        seen["after"] = mem.read(a, 3)
        await sys.lseek(fd, 0)
        seen["file"] = await sys.read(fd, 3)
        return 0

    ok(run_main(main))
    assert seen["before"] == b"Xbc"
    assert seen["after"] == b"XYc"
    assert seen["file"] == b"XbZ"


def test_past_the_end_of_a_mapped_file_is_sigbus_and_truncate_unmaps() -> None:
    seen: dict[str, Any] = {}

    async def main(argv: list[str]) -> int:
        mem = await sys.mmu()
        fd = await sys.open("/tmp/f", O_RDWR | O_CREAT, 0o644)
        await sys.write(fd, bytes(PS + 10))
        a = await sys.mmap(0, 3 * PS, PROT_READ, MAP_SHARED, fd, 0)
        seen["tail"] = mem.load8(a + 2 * PS - 1)  # in the file's last page: zeros
        await sys.ftruncate(fd, 10)
        seen["first"] = mem.load8(a)
        mem.load8(a + PS)
        return 0

    r = run_main(main)
    assert _died_of(r, SIGBUS)
    assert seen == {"tail": 0, "first": 0}
    assert "bus error at" in r.log


def test_mmap_argument_errors_are_linuxs() -> None:
    seen: dict[str, int] = {}

    async def main(argv: list[str]) -> int:
        fd = await sys.open("/tmp/f", O_RDWR | O_CREAT, 0o644)
        ro = await sys.open("/tmp/f", O_RDONLY)
        wo = await sys.open("/tmp/f", O_WRONLY)
        d = await sys.open("/tmp", O_RDONLY)
        a = await sys.mmap(0, PS, RW, ANON)
        cases = {
            "zero length": sys.mmap(0, 0, RW, ANON),
            "neither shared nor private": sys.mmap(0, PS, RW, MAP_ANONYMOUS),
            "unknown prot": sys.mmap(0, PS, 0x80, ANON),
            "unaligned fixed": sys.mmap(a + 1, PS, RW, ANON | MAP_FIXED),
            "unaligned offset": sys.mmap(0, PS, PROT_READ, MAP_PRIVATE, fd, 100),
            "bad fd": sys.mmap(0, PS, PROT_READ, MAP_PRIVATE, 77, 0),
            "write-only file": sys.mmap(0, PS, PROT_READ, MAP_PRIVATE, wo, 0),
            "shared writable, read-only file": sys.mmap(0, PS, RW, MAP_SHARED, ro, 0),
            "a directory": sys.mmap(0, PS, PROT_READ, MAP_PRIVATE, d, 0),
            "noreplace over a mapping": sys.mmap(a, PS, RW, ANON | MAP_FIXED_NOREPLACE),
            "huge": sys.mmap(0, 1 << 60, RW, ANON),
            "munmap unaligned": sys.munmap(a + 1, PS),
            "munmap zero": sys.munmap(a, 0),
            "mprotect unmapped": sys.mprotect(0x10000, PS, PROT_READ),
            "mprotect unaligned": sys.mprotect(a + 8, PS, PROT_READ),
            "mprotect write, ro shared": sys.mprotect(
                await sys.mmap(0, PS, PROT_READ, MAP_SHARED, ro, 0), PS, RW
            ),
            "mremap not mapped": sys.mremap(0x10000, PS, 2 * PS, MREMAP_MAYMOVE),
            "mremap zero": sys.mremap(a, PS, 0, MREMAP_MAYMOVE),
            "mremap fixed alone": sys.mremap(a, PS, PS, MREMAP_FIXED, 0x20000),
            "madvise bad advice": sys.madvise(a, PS, 12345),
            "madvise unmapped": sys.madvise(0x10000, PS, MADV_DONTNEED),
            "mincore unaligned": sys.mincore(a + 3, PS),
            "msync both": sys.msync(a, PS, MS_ASYNC | MS_SYNC),
            "msync unmapped": sys.msync(0x10000, PS, MS_SYNC),
            "futex unmapped": sys.futex(0x10000, 0, 0),
            "name a file mapping": sys.prctl(
                PR_SET_VMA,
                PR_SET_VMA_ANON_NAME,
                await sys.mmap(0, PS, PROT_READ, MAP_PRIVATE, fd, 0),
                PS,
                "x",
            ),
            "a bad name": sys.prctl(PR_SET_VMA, PR_SET_VMA_ANON_NAME, a, PS, "a[b]"),
            "not an address": sys.mmap("x", PS, RW, ANON),
        }
        for name, req in cases.items():
            seen[name] = await errno_of(req)
        return 0

    ok(run_main(main))
    assert seen == {
        "zero length": EINVAL,
        "neither shared nor private": EINVAL,
        "unknown prot": EINVAL,
        "unaligned fixed": EINVAL,
        "unaligned offset": EINVAL,
        "bad fd": EBADF,
        "write-only file": EACCES,
        "shared writable, read-only file": EACCES,
        "a directory": ENODEV,
        "noreplace over a mapping": EEXIST,
        "huge": ENOMEM,
        "munmap unaligned": EINVAL,
        "munmap zero": EINVAL,
        "mprotect unmapped": ENOMEM,
        "mprotect unaligned": EINVAL,
        "mprotect write, ro shared": EACCES,
        "mremap not mapped": EFAULT,
        "mremap zero": EINVAL,
        "mremap fixed alone": EINVAL,
        "madvise bad advice": EINVAL,
        "madvise unmapped": ENOMEM,
        "mincore unaligned": EINVAL,
        "msync both": EINVAL,
        "msync unmapped": ENOMEM,
        "futex unmapped": EFAULT,
        "name a file mapping": EBADF,
        "a bad name": EINVAL,
        "not an address": EINVAL,
    }


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
