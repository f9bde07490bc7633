"""The /proc per-process control files: /proc/<pid>/mem reading and writing the address
space (and who may open it), oom_score_adj as Linux allows it, and limits."""

from __future__ import annotations

from typing import Any

from ksim import MS, SECOND, check, errno_of, register
from test_procmem import ANON, PS, RW, smaps_blocks, text

from kernel.abi import (
    EACCES,
    EINVAL,
    EIO,
    MAP_FIXED,
    MAP_PRIVATE,
    MAP_SHARED,
    O_CREAT,
    O_RDONLY,
    O_RDWR,
    O_WRONLY,
    PROT_NONE,
    PROT_READ,
    RLIMIT_NOFILE,
    Error,
    SpawnAttr,
)
from userland.libk import sys


# ---------------------------------------------------------------------- /proc/<pid>/mem
async def holder(argv: list[str]) -> int:
    """A pattern in memory, read back after the parent had its go at /proc/<pid>/mem."""
    mem = await sys.mmu()
    a = await sys.mmap(0x10000000, 3 * PS, RW, ANON | MAP_FIXED)  # MAP_FIXED
    mem.write(a, b"hello, mem!")
    await sys.munmap(a + 2 * PS, PS)  # the page after the second is a hole
    mem.write(a + 2 * PS - 4, b"edge")
    ro = await sys.mmap(0x20000000, PS, PROT_READ, ANON | MAP_FIXED)
    none = await sys.mmap(0x30000000, PS, RW, ANON | MAP_FIXED)
    mem.write(none, b"hidden")
    await sys.mprotect(none, PS, PROT_NONE)
    await sys.nanosleep(SECOND)
    await sys.mprotect(none, PS, PROT_READ)
    out = mem.read(a, 11) + mem.read(ro, 5) + mem.read(none, 6)
    await sys.write(1, out)
    return 0


HOLDER = register(holder)


def test_mem_reads_and_writes_the_address_space() -> None:
    seen: dict[str, Any] = {}

    async def main(argv: list[str]) -> int:
        r, w = await sys.pipe()
        pid = await sys.spawn(HOLDER, ["holder"], None, None, [("dup2", w, 1)], SpawnAttr())
        await sys.close(w)
        await sys.nanosleep(10 * MS)
        fd = await sys.open(f"/proc/{pid}/mem", O_RDWR)
        await sys.lseek(fd, 0x10000000, 0)
        seen["read"] = await sys.read(fd, 11)
        seen["pos"] = await sys.lseek(fd, 0, 1)
        await sys.lseek(fd, 0x10000000, 0)
        seen["write"] = await sys.write(fd, b"HELLO")
        await sys.lseek(fd, 0x10000000 + 2 * PS - 4, 0)
        seen["partial"] = await sys.read(fd, 100)  # stops where the hole starts
        seen["eof_pos"] = await sys.lseek(fd, 0, 1)
        seen["hole"] = await errno_of(sys.read(fd, 1))
        seen["hole_write"] = await errno_of(sys.write(fd, b"x"))
        await sys.lseek(fd, 0x20000000, 0)
        seen["ro_write"] = await sys.write(fd, b"poked")  # a debugger's write
        await sys.lseek(fd, 0x30000000, 0)
        seen["none_read"] = await sys.read(fd, 6)  # PROT_NONE, read as ptrace may
        await sys.lseek(fd, 0x7FFFFFFFFFF0, 0)
        seen["top"] = await errno_of(sys.read(fd, 4))
        seen["from_child"] = await sys.read(r, 100)
        await sys.wait4(pid)
        return 0

    check(main)
    assert seen["read"] == b"hello, mem!" and seen["pos"] == 0x10000000 + 11
    assert seen["write"] == 5
    assert seen["partial"] == b"edge" and seen["eof_pos"] == 0x10000000 + 2 * PS
    assert seen["hole"] == seen["hole_write"] == seen["top"] == EIO
    assert seen["ro_write"] == 5 and seen["none_read"] == b"hidden"
    assert seen["from_child"] == b"HELLO, mem!" + b"poked" + b"hidden"


def test_mem_of_a_private_file_mapping_changes_the_copy_not_the_file() -> None:
    async def mapper(argv: list[str]) -> int:
        fd = await sys.open("/tmp/orig", O_RDONLY)
        await sys.mmap(0x40000000, PS, PROT_READ, MAP_PRIVATE | MAP_FIXED, fd, 0)
        await sys.mmap(0x50000000, PS, PROT_READ, MAP_SHARED | MAP_FIXED, fd, 0)
        await sys.nanosleep(SECOND)
        return 0

    prog = register(mapper)
    seen: dict[str, Any] = {}

    async def main(argv: list[str]) -> int:
        fd = await sys.open("/tmp/orig", O_WRONLY | O_CREAT, 0o644)
        await sys.write(fd, b"original")
        await sys.close(fd)
        pid = await sys.spawn(prog, ["mapper"])
        await sys.nanosleep(10 * MS)
        mem = await sys.open(f"/proc/{pid}/mem", O_RDWR)
        await sys.lseek(mem, 0x40000000, 0)
        seen["private"] = await sys.write(mem, b"changed")
        await sys.lseek(mem, 0x40000000, 0)
        seen["copy"] = await sys.read(mem, 8)
        await sys.lseek(mem, 0x50000000, 0)
        seen["shared"] = await errno_of(sys.write(mem, b"changed"))
        seen["file"] = await text("/tmp/orig")
        blocks = smaps_blocks(await text(f"/proc/{pid}/smaps"))
        seen["anon"] = next(f for h, f, _ in blocks if h.startswith("40000000-"))["Anonymous"]
        await sys.kill(pid, 9)
        await sys.wait4(pid)
        return 0

    check(main)
    assert seen["private"] == 7 and seen["copy"] == b"changedl"
    assert seen["shared"] == EIO
    assert seen["file"] == "original" and seen["anon"] == 4


def test_mem_and_maps_open_only_for_the_owner_or_root() -> None:
    seen: dict[str, Any] = {}

    async def user(argv: list[str]) -> int:
        target = argv[1]
        seen["own_mem"] = await errno_of(sys.open("/proc/self/mem", O_RDWR))
        seen["other_user"] = [
            await errno_of(sys.open(f"/proc/{target}/{n}")) for n in ("mem", "maps", "smaps")
        ]
        seen["root"] = await errno_of(sys.open("/proc/1/smaps_rollup"))
        seen["statm"] = await errno_of(sys.open("/proc/1/statm"))
        mem = await sys.mmu()
        a = await sys.mmap(0, PS, RW, ANON)
        mem.write(a, b"mine")
        fd = await sys.open("/proc/self/mem")
        await sys.lseek(fd, a, 0)
        seen["self_read"] = await sys.read(fd, 4)
        return 0

    prog = register(user)

    async def main(argv: list[str]) -> int:
        other = await sys.spawn(
            "/bin/sleep", ["sleep", "10"], None, None, None, SpawnAttr(uid=1001, gid=1001)
        )
        pid = await sys.spawn(
            prog, ["user", str(other)], None, None, None, SpawnAttr(uid=1000, gid=1000)
        )
        await sys.wait4(pid)
        await sys.kill(other, 9)
        await sys.wait4(other)
        return 0

    check(main)
    assert seen["own_mem"] == 0 and seen["self_read"] == b"mine"
    assert seen["other_user"] == [EACCES] * 3
    assert seen["root"] == EACCES and seen["statm"] == 0


# ---------------------------------------------------------------------- oom and limits
def test_oom_score_adj_is_written_as_linux_allows() -> None:
    seen: dict[str, Any] = {}

    async def put(path: str, value: bytes) -> int:
        try:
            fd = await sys.open(path, O_WRONLY)
        except Error as err:
            return err.errno
        try:
            return await errno_of(sys.write(fd, value))
        finally:
            await sys.close(fd)

    async def user(argv: list[str]) -> int:
        p = "/proc/self/oom_score_adj"
        seen["score0"] = int(await text("/proc/self/oom_score"))
        seen["raise"] = await put(p, b"500\n")
        seen["after_raise"] = await text(p)
        seen["score1"] = int(await text("/proc/self/oom_score"))
        seen["back_to_floor"] = await put(p, b" 0x0 ")
        seen["below_floor"] = await put(p, b"-1")
        seen["bad"] = [await put(p, v) for v in (b"1001", b"-1001", b"abc", b"", b"5 5")]
        seen["other"] = await put("/proc/1/oom_score_adj", b"0")
        seen["final"] = await text(p)
        return 0

    prog = register(user)

    async def main(argv: list[str]) -> int:
        pid = await sys.spawn(prog, ["user"], None, None, None, SpawnAttr(uid=1000, gid=1000))
        await sys.wait4(pid)
        seen["root_lowers"] = await put("/proc/self/oom_score_adj", b"-1000")
        seen["exempt"] = await text("/proc/self/oom_score")
        seen["octal"] = await put("/proc/self/oom_score_adj", b"-010")
        seen["octal_value"] = await text("/proc/self/oom_score_adj")
        return 0

    check(main)
    assert seen["raise"] == 0 and seen["after_raise"] == "500\n"
    assert seen["score1"] > seen["score0"] > 0
    assert seen["back_to_floor"] == 0 and seen["below_floor"] == EACCES
    assert seen["bad"] == [EINVAL] * 5
    assert seen["other"] == EACCES and seen["final"] == "0\n"
    assert seen["root_lowers"] == 0 and seen["exempt"] == "0\n"
    assert seen["octal"] == 0 and seen["octal_value"] == "-8\n"


def test_limits_is_linuxs_table() -> None:
    seen: dict[str, str] = {}

    async def main(argv: list[str]) -> int:
        await sys.setrlimit(RLIMIT_NOFILE, 200, 300)
        seen["limits"] = await text("/proc/self/limits")
        return 0

    check(main)
    lines = seen["limits"].splitlines(keepends=True)
    assert (
        lines[0]
        == "Limit                     Soft Limit           Hard Limit           Units     \n"
    )
    assert lines[8] == (
        "Max open files            200                  300                  files     \n"
    )
    assert lines[1].split("  ")[0] == "Max cpu time" and "unlimited" in lines[1]
    assert all(len(line) == 79 for line in lines)
