"""The /proc memory files after real activity: maps, smaps, smaps_rollup, statm, the
memory fields of stat and status, mem, oom_score(_adj), limits, meminfo, vmstat,
buddyinfo and the vm sysctls, checked against the kernel's own records."""

from __future__ import annotations

import re
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st
from ksim import MS, SECOND, check, errno_of, machine, register, run_main, shell

from kernel.abi import (
    EACCES,
    EINVAL,
    EIO,
    ENOMEM,
    ESRCH,
    MAP_ANONYMOUS,
    MAP_FIXED,
    MAP_PRIVATE,
    MAP_SHARED,
    O_CREAT,
    O_RDONLY,
    O_RDWR,
    O_WRONLY,
    PR_SET_VMA,
    PR_SET_VMA_ANON_NAME,
    PROT_NONE,
    PROT_READ,
    PROT_WRITE,
    RLIMIT_NOFILE,
    Error,
    SpawnAttr,
)
from kernel.host import HostClient
from kernel.kernel import Kernel
from kernel.proc import Process
from userland.libk import io as kio
from userland.libk import sys

PS = 4096
RW = PROT_READ | PROT_WRITE
ANON = MAP_PRIVATE | MAP_ANONYMOUS
MAPS_LINE = re.compile(
    r"([0-9a-f]{8,})-([0-9a-f]{8,}) ([r-][w-][x-][sp]) ([0-9a-f]{8,}) "
    r"([0-9a-f]{2}):([0-9a-f]{2}) (\d+) (?:\s*(.*))?"
)


async def text(path: str) -> str:
    return (await kio.read_file(path)).decode()


def fields(block: str) -> dict[str, int]:
    """``Key:  value kB`` lines of a smaps block (or meminfo), values in kB."""
    out = {}
    for line in block.splitlines():
        m = re.fullmatch(r"(\w+(?:\(\w+\))?):\s+(\d+)(?: kB)?", line)
        if m:
            out[m[1]] = int(m[2])
    return out


def smaps_blocks(smaps: str) -> list[tuple[str, dict[str, int], str]]:
    """(maps line, fields, VmFlags) per area."""
    out = []
    for chunk in re.split(r"(?m)^(?=[0-9a-f]+-[0-9a-f]+ )", smaps):
        if chunk:
            head, _, rest = chunk.partition("\n")
            flags = re.search(r"(?m)^VmFlags: (.*)$", rest)
            out.append((head, fields(rest), flags[1] if flags else ""))
    return out


# ---------------------------------------------------------------------- a busy process
async def sharer_child(argv: list[str]) -> int:
    """Maps the memfd its parent passed as fd 3, reads two of its pages, and sleeps."""
    mem = await sys.mmu()
    a = await sys.mmap(0, 4 * PS, RW, MAP_SHARED, 3, 0)
    mem.load8(a)
    mem.load8(a + PS)
    await sys.nanosleep(100 * SECOND)
    return 0


SHARER_CHILD = register(sharer_child)


async def busy(argv: list[str]) -> int:
    """Heap, anonymous memory partly touched, a named area, shared anonymous memory, a
    memfd shared with a child, a private and a shared mapping of a file (then
    unlinked), a PROT_NONE guard; then sleeps."""
    mem = await sys.mmu()
    top = await sys.brk(0)
    await sys.brk(top + 3 * PS)
    mem.store8(top, 1)
    a = await sys.mmap(0, 8 * PS, RW, ANON)
    for i in range(3):
        mem.store8(a + i * PS, 7)
    mem.load8(a + 5 * PS)  # the zero page: resident nowhere
    named = await sys.mmap(0, 2 * PS, RW, ANON)
    await sys.prctl(PR_SET_VMA, PR_SET_VMA_ANON_NAME, named, 2 * PS, "busy-arena")
    mem.store8(named, 1)
    zero = await sys.mmap(0, PS, RW, MAP_SHARED | MAP_ANONYMOUS)
    mem.store8(zero, 1)
    fd = await sys.memfd_create("busy-shm")
    await sys.ftruncate(fd, 4 * PS)
    s = await sys.mmap(0, 4 * PS, RW, MAP_SHARED, fd, 0)
    mem.fill(s, 0x5A, 4 * PS)
    ffd = await sys.open("/tmp/busy.dat", O_RDWR | O_CREAT, 0o644)
    await sys.write(ffd, b"F" * 3 * PS)
    priv = await sys.mmap(0, 2 * PS, RW, MAP_PRIVATE, ffd, PS)  # the file's pages 1-2
    mem.load8(priv)  # the file's page, shared with the page cache
    mem.store8(priv + PS, 9)  # copy-on-write: the process's own page
    shared_file = await sys.mmap(0, PS, PROT_READ, MAP_SHARED, ffd, 0)
    mem.load8(shared_file)
    await sys.unlink("/tmp/busy.dat")
    await sys.mmap(0, PS, PROT_NONE, ANON)
    await sys.spawn(SHARER_CHILD, ["sharer"], None, None, [("dup2", fd, 3)], SpawnAttr())
    await sys.nanosleep(100 * SECOND)
    return 0


def busy_machine() -> tuple[Kernel, HostClient, Process, Process]:
    k = machine(busy)
    k.run(until=50 * MS)
    host = HostClient(k)
    procs = k.procs.procs
    return k, host, procs[2], next(p for p in procs.values() if p.ppid == 2)


def areas_by_name(maps: str) -> dict[str, re.Match[str]]:
    out = {}
    for line in maps.splitlines():
        m = MAPS_LINE.fullmatch(line)
        assert m, repr(line)
        out[m[8] or f"anon@{m[1]}"] = m
    return out


def test_maps_is_linuxs_format_with_every_kind_of_name() -> None:
    k, host, proc, _ = busy_machine()
    maps = host.read_file("/proc/2/maps").decode()
    lines = maps.splitlines()
    assert len(lines) == len(proc.mm.areas)
    for line, area in zip(lines, proc.mm.areas, strict=True):
        m = MAPS_LINE.fullmatch(line)
        assert m, line
        assert (int(m[1], 16), int(m[2], 16), m[3]) == (area.start, area.end, area.perms)
        if m[8]:
            assert line.index(m[8]) == 73  # seq_pad to 72 columns, then a space
        else:
            assert line.endswith(" 0 ")  # Linux leaves the separator
    names = areas_by_name(maps)
    exe = proc.exe
    assert {exe, "[heap]", "[stack]", "[anon:busy-arena]", "/dev/zero (deleted)"} <= set(names)
    assert "/memfd:busy-shm (deleted)" in names
    assert "/tmp/busy.dat (deleted)" in names  # unlinked while mapped
    text_line = names[exe]
    assert text_line[3] == "r-xp" and int(text_line[1], 16) == 0x400000
    st = host.stat(exe)
    assert int(text_line[7]) == st.st_ino
    assert int(text_line[5], 16) << 8 | int(text_line[6], 16) == st.st_dev
    private_file = next(a for a in proc.mm.areas if a.name == "/tmp/busy.dat" and not a.shared)
    line = next(x for x in lines if x.startswith(f"{private_file.start:08x}-"))
    assert MAPS_LINE.fullmatch(line)[4] == f"{PS:08x}"  # type: ignore[index]
    assert names["[heap]"].group(5, 6, 7) == ("00", "00", "0")


def test_smaps_adds_up_the_page_table() -> None:
    k, host, proc, child = busy_machine()
    blocks = smaps_blocks(host.read_file("/proc/2/smaps").decode())
    assert [b[0] + "\n" for b in blocks] == host.read_file("/proc/2/maps").decode().splitlines(
        keepends=True
    )
    by_name = {MAPS_LINE.fullmatch(h)[8] or h: (f, v) for h, f, v in blocks}  # type: ignore[index]
    anon = next(f for h, f, _ in blocks if h.endswith(" 0 ") and f["Size"] == 32)
    # 3 pages written, 1 read through the zero page (not counted), 4 untouched.
    assert (anon["Rss"], anon["Anonymous"], anon["Private_Dirty"], anon["Pss"]) == (12, 12, 12, 12)
    shm, flags = by_name["/memfd:busy-shm (deleted)"]
    # 4 pages; 2 of them mapped by the child as well.
    assert shm["Rss"] == 16 and shm["Anonymous"] == 0
    assert (shm["Shared_Dirty"], shm["Private_Dirty"]) == (8, 8)
    assert shm["Pss"] == 8 + 4 and shm["Pss_Dirty"] == 12
    assert flags.split() == ["rd", "wr", "sh", "mr", "mw", "me", "ms"]
    child_smaps = smaps_blocks(host.read_file(f"/proc/{child.pid}/smaps").decode())
    cshm = next(f for h, f, _ in child_smaps if h.endswith("/memfd:busy-shm (deleted)"))
    assert (cshm["Rss"], cshm["Shared_Dirty"], cshm["Private_Dirty"], cshm["Pss"]) == (8, 8, 0, 4)
    stack_flags = next(v for h, _, v in blocks if h.endswith("[stack]"))
    assert "gd" in stack_flags.split() and "ac" in stack_flags.split()
    # The private file mapping: page 1 is the file's (page cache), page 2 a private copy.
    pf = next(f for h, f, _ in blocks if h.endswith("/tmp/busy.dat (deleted)") and " rw-p " in h)
    assert pf["Rss"] == 8 and pf["Anonymous"] == 4
    # Every figure agrees with the kernel's records.
    mm = proc.mm
    assert sum(f["Rss"] for _, f, _ in blocks) == mm.resident * 4
    assert sum(f["Anonymous"] for _, f, _ in blocks) == mm.rss["anon"] * 4
    zero = k.frames.zero_page
    pss_bytes = sum(PS / p.page.mapcount for p in mm.pt.values() if p.page is not zero)
    assert abs(sum(f["Pss"] for _, f, _ in blocks) - pss_bytes / 1024) < len(blocks)
    assert all(f["Size"] * 1024 == a.length for (_, f, _), a in zip(blocks, mm.areas, strict=True))


def test_smaps_rollup_sums_smaps_under_one_header() -> None:
    _, host, proc, _ = busy_machine()
    blocks = smaps_blocks(host.read_file("/proc/2/smaps").decode())
    rollup = host.read_file("/proc/2/smaps_rollup").decode()
    head, _, rest = rollup.partition("\n")
    first, last = proc.mm.areas[0], proc.mm.areas[-1]
    assert head == f"{first.start:08x}-{last.end:08x} ---p 00000000 00:00 0".ljust(72) + (
        " [rollup]"
    )
    total = fields(rest)
    keys = [line.split(":")[0] for line in rest.splitlines()]
    assert keys[:6] == ["Rss", "Pss", "Pss_Dirty", "Pss_Anon", "Pss_File", "Pss_Shmem"]
    assert keys[-3:] == ["Swap", "SwapPss", "Locked"]
    for key in ("Rss", "Shared_Clean", "Shared_Dirty", "Private_Clean", "Private_Dirty"):
        assert total[key] == sum(f[key] for _, f, _ in blocks), key
    assert total["Anonymous"] == proc.mm.rss["anon"] * 4
    assert abs(total["Pss"] - sum(f["Pss"] for _, f, _ in blocks)) < len(blocks)
    assert abs(total["Pss_Anon"] + total["Pss_File"] + total["Pss_Shmem"] - total["Pss"]) <= 2
    assert total["Pss_Anon"] == total["Anonymous"]  # no anonymous page is shared


def test_statm_status_and_stat_show_the_same_memory() -> None:
    k, host, proc, child = busy_machine()
    size, resident, shared, txt, lib, data, dt = map(
        int, host.read_file("/proc/2/statm").decode().split()
    )
    mm = proc.mm
    assert (size * PS, resident, lib, dt) == (mm.size, mm.resident, 0, 0)
    assert shared == mm.rss["file"] + mm.rss["shmem"]
    status = fields(host.read_file("/proc/2/status").decode())
    assert status["VmSize"] == size * 4 and status["VmRSS"] == resident * 4
    assert status["RssAnon"] + status["RssFile"] + status["RssShmem"] == status["VmRSS"]
    assert status["RssAnon"] == mm.rss["anon"] * 4
    assert status["VmData"] + status["VmStk"] == data * 4
    assert status["VmExe"] == txt * 4 == 4
    assert status["VmStk"] == 132 and status["VmPTE"] == mm.pagetable_bytes() // 1024
    assert status["VmHWM"] >= status["VmRSS"] and status["VmPeak"] >= status["VmSize"]
    assert re.search(r"(?m)^VmRSS:\t +\d+ kB$", host.read_file("/proc/2/status").decode())
    stat = host.read_file("/proc/2/stat").decode().rpartition(")")[2].split()
    f = {i + 3: v for i, v in enumerate(stat)}  # proc(5)'s field numbers
    assert int(f[23]) == mm.size and int(f[24]) == mm.resident
    assert int(f[10]) == mm.minflt > 0 and int(f[12]) == mm.majflt
    assert f[25] == str((1 << 64) - 1)  # rsslim: RLIMIT_RSS, unlimited
    assert int(f[26]) == 0x400000 and int(f[27]) == 0x400000 + txt * PS
    assert int(f[47]) == mm.start_brk
    arg_start, arg_end, env_start, env_end = (int(f[n]) for n in (48, 49, 50, 51))
    assert int(f[28]) == arg_start < arg_end == env_start <= env_end
    # The strings really are there: read them through /proc/<pid>/mem.
    fd = host.open("/proc/2/mem", O_RDONLY)
    host.lseek(fd, arg_start, 0)
    assert host.read(fd, arg_end - arg_start) == host.read_file("/proc/2/cmdline")
    assert host.read(fd, env_end - env_start) == host.read_file("/proc/2/environ")
    host.close(fd)
    # allstat and the task files carry the same line.
    line = host.read_file("/proc/2/stat").decode()
    assert line in host.read_file("/proc/allstat").decode()
    assert host.read_file("/proc/2/task/2/stat").decode().split()[22:24] == line.split()[22:24]


def test_children_faults_reach_cminflt_and_zombies_show_no_memory() -> None:
    seen: dict[str, Any] = {}

    async def toucher(argv: list[str]) -> int:
        mem = await sys.mmu()
        a = await sys.mmap(0, 16 * PS, RW, ANON)
        for i in range(16):
            mem.store8(a + i * PS, 1)
        return 0

    prog = register(toucher)

    async def main(argv: list[str]) -> int:
        pid = await sys.spawn(prog, ["toucher"])
        await sys.nanosleep(10 * MS)
        seen["zombie"] = [await text(f"/proc/{pid}/{n}") for n in ("statm", "maps", "smaps")]
        seen["rollup"] = await errno_of(sys.open(f"/proc/{pid}/smaps_rollup"))
        fd = await sys.open(f"/proc/{pid}/mem")
        await sys.lseek(fd, 0x400000, 0)
        seen["mem"] = await sys.read(fd, 16)
        await sys.wait4(pid)
        seen["stat"] = (await text("/proc/self/stat")).rpartition(")")[2].split()
        return 0

    check(main)
    assert seen["zombie"] == ["0 0 0 0 0 0 0\n", "", ""]
    assert seen["rollup"] == ESRCH
    assert seen["mem"] == b""
    assert int(seen["stat"][11 - 3]) >= 16  # cminflt


OPS = st.lists(
    st.tuples(
        st.sampled_from(["map", "share", "touch", "read", "unmap", "protect"]),
        st.integers(0, 5),
        st.integers(1, 6),
    ),
    max_size=14,
)


@settings(derandomize=True, max_examples=40, deadline=None)
@given(OPS)
def test_the_memory_files_agree_whatever_the_process_did(ops: list[tuple[str, int, int]]) -> None:
    seen: dict[str, str] = {}

    async def main(argv: list[str]) -> int:
        mem = await sys.mmu()
        areas: list[tuple[int, int]] = []
        readonly: set[int] = set()
        for op, i, n in ops:
            if op in ("map", "share"):
                flags = ANON if op == "map" else MAP_SHARED | MAP_ANONYMOUS
                areas.append((await sys.mmap(0, n * PS, RW, flags), n))
            elif areas:
                addr, length = areas[i % len(areas)]
                page = addr + (n % length) * PS
                if op == "touch" and addr not in readonly:
                    mem.store8(page, n)
                elif op in ("read", "touch"):
                    mem.load8(page)
                elif op == "unmap":
                    await sys.munmap(addr, length * PS)
                    areas.remove((addr, length))
                    readonly.discard(addr)
                else:
                    await sys.mprotect(addr, length * PS, PROT_READ)
                    readonly.add(addr)
        for name in ("smaps", "smaps_rollup", "statm", "status", "maps"):
            seen[name] = await text(f"/proc/self/{name}")
        return 0

    check_ok = run_main(main)
    assert check_ok.status == 0, check_ok.log
    blocks = smaps_blocks(seen["smaps"])
    rollup = fields(seen["smaps_rollup"].partition("\n")[2])
    status = fields(seen["status"])
    size, resident, shared, *_ = map(int, seen["statm"].split())
    assert [b[0] for b in blocks] == seen["maps"].splitlines()
    for _, f, _ in blocks:
        parts = f["Shared_Clean"] + f["Shared_Dirty"] + f["Private_Clean"] + f["Private_Dirty"]
        assert parts == f["Rss"] <= f["Size"] and f["Pss"] <= f["Rss"]
    rss = sum(f["Rss"] for _, f, _ in blocks)
    assert rss == rollup["Rss"] == status["VmRSS"] == resident * 4
    assert sum(f["Size"] for _, f, _ in blocks) == status["VmSize"] == size * 4
    assert rollup["Anonymous"] == status["RssAnon"]
    assert status["RssShmem"] + status["RssFile"] == shared * 4
    assert rollup["Pss_Anon"] + rollup["Pss_File"] + rollup["Pss_Shmem"] <= rollup["Pss"] + 2


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


# ---------------------------------------------------------------------- machine-wide
def test_meminfo_and_vmstat_are_the_machines_figures() -> None:
    k, host, proc, child = busy_machine()
    mem = fields(host.read_file("/proc/meminfo").decode())
    fr = k.frames
    assert mem["MemTotal"] == fr.buddy.total_pages * 4 and mem["MemFree"] == fr.free * 4
    assert mem["AnonPages"] == fr.by_kind["anon"] * 4
    assert mem["Shmem"] == fr.by_kind["shmem"] * 4 == mem["Cached"]
    assert mem["Active"] == mem["Active(anon)"] + mem["Active(file)"]
    assert mem["Inactive"] == mem["Inactive(anon)"] + mem["Inactive(file)"]
    assert mem["Active(anon)"] + mem["Inactive(anon)"] == mem["AnonPages"] + mem["Shmem"]
    # Mapped: page-cache frames a page table maps, counted once however many map them.
    cached = {id(p.page): p.page for q in (proc, child) for p in q.mm.pt.values()}
    mapped = {i for i, p in cached.items() if p.cached}
    assert mem["Mapped"] >= len(mapped) * 4
    assert mem["Committed_AS"] == k.vm.committed * 4
    assert mem["CommitLimit"] == k.vm.commit_limit() * 4
    assert mem["KernelStack"] == len(k.procs.threads) * 16
    assert 0 < mem["MemAvailable"] < mem["MemFree"]
    assert mem["HugePages_Total"] == 0 and mem["Hugepagesize"] == 2048
    vm = dict(line.split() for line in host.read_file("/proc/vmstat").decode().splitlines())
    ev = fr.events
    assert int(vm["nr_free_pages"]) == fr.free and int(vm["nr_anon_pages"]) == fr.by_kind["anon"]
    assert int(vm["nr_mapped"]) * 4 == mem["Mapped"]
    assert int(vm["nr_shmem"]) == int(vm["nr_file_pages"]) == fr.by_kind["shmem"]
    assert int(vm["pgfault"]) == ev.pgfault > 0 and int(vm["pgalloc_normal"]) == ev.pgalloc
    assert int(vm["cow_fault"]) == ev.cow_fault >= 1
    assert vm["pswpin"] == vm["pswpout"] == vm["oom_kill"] == "0"
    assert int(vm["nr_inactive_anon"]) * 4 == mem["Inactive(anon)"]
    buddy = host.read_file("/proc/buddyinfo").decode()
    assert buddy.startswith("Node 0, zone   Normal ") and buddy.endswith(" \n")
    counts = [int(x) for x in buddy.split()[4:]]
    assert len(counts) == 11 and sum(c << i for i, c in enumerate(counts)) == fr.free
    assert buddy == "Node 0, zone   Normal " + "".join(f"{c:6d} " for c in counts) + "\n"


# ---------------------------------------------------------------------- sysctls
def test_vm_sysctls_are_root_writable_and_checked() -> None:
    seen: dict[str, Any] = {}

    async def put(path: str, value: bytes) -> int:
        fd = await sys.open(path, O_WRONLY)
        try:
            return await errno_of(sys.write(fd, value))
        finally:
            await sys.close(fd)

    async def user(argv: list[str]) -> int:
        seen["user_read"] = await text("/proc/sys/vm/overcommit_memory")
        seen["user_open"] = await errno_of(sys.open("/proc/sys/vm/overcommit_memory", O_WRONLY))
        return 0

    prog = register(user)

    async def main(argv: list[str]) -> int:
        vm = "/proc/sys/vm/"
        seen["bad"] = [
            await put(vm + "overcommit_memory", v) for v in (b"3", b"-1", b"x", b"1x", b"08")
        ]
        seen["empty"] = await put(vm + "overcommit_memory", b"")
        seen["two"] = await put(vm + "overcommit_memory", b"2\n")
        seen["huge"] = await errno_of(sys.mmap(0, 1 << 30, RW, ANON))
        seen["kbytes"] = await put(vm + "overcommit_kbytes", b"0x1000")
        seen["ratio_after_kbytes"] = await text(vm + "overcommit_ratio")
        seen["limit"] = fields(await text("/proc/meminfo"))["CommitLimit"]
        seen["ratio"] = await put(vm + "overcommit_ratio", b"  75 ")
        seen["kbytes_after_ratio"] = await text(vm + "overcommit_kbytes")
        seen["unsigned"] = await put(vm + "mmap_min_addr", b"-4096")
        seen["maps"] = await put(vm + "max_map_count", b"100")
        seen["threads"] = await put("/proc/sys/kernel/threads-max", b"19")
        seen["threads_ok"] = await put("/proc/sys/kernel/threads-max", b"1000")
        seen["values"] = [
            await text(vm + n) for n in ("overcommit_memory", "overcommit_ratio", "max_map_count")
        ]
        seen["threads_value"] = await text("/proc/sys/kernel/threads-max")
        pid = await sys.spawn(prog, ["user"], None, None, None, SpawnAttr(uid=1000, gid=1000))
        await sys.wait4(pid)
        seen["listing"] = await sys.getdents(await sys.open("/proc/sys/vm", 0o200000))
        return 0

    r = check(main)
    assert seen["bad"] == [EINVAL] * 5 and seen["empty"] == 0
    assert seen["two"] == 0 and seen["huge"] == ENOMEM
    assert seen["kbytes"] == 0 and seen["ratio_after_kbytes"] == "0\n"
    assert seen["limit"] == 4096
    assert seen["ratio"] == 0 and seen["kbytes_after_ratio"] == "0\n"
    assert seen["unsigned"] == EINVAL and seen["maps"] == 0
    assert seen["threads"] == EINVAL and seen["threads_ok"] == 0
    assert seen["values"] == ["2\n", "75\n", "100\n"] and seen["threads_value"] == "1000\n"
    assert r.kernel.vm.max_map_count == 100 and r.kernel.threads_max == 1000
    assert seen["user_read"] == "2\n" and seen["user_open"] == EACCES
    names = {d.d_name for d in seen["listing"]}
    assert {"overcommit_memory", "min_free_kbytes", "mmap_min_addr"} <= names


def test_the_shell_sets_a_sysctl_with_echo() -> None:
    r = shell(
        "echo 1 > /proc/sys/vm/overcommit_memory; cat /proc/sys/vm/overcommit_memory; "
        "echo 9 > /proc/sys/vm/overcommit_memory || echo refused; "
        "cat /proc/sys/vm/overcommit_memory"
    )
    assert r.output.splitlines()[0] == "1"
    assert "refused" in r.output and r.output.splitlines()[-1] == "1"
