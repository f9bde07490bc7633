"""The /proc memory files of a process after real activity: maps, smaps, smaps_rollup,
statm, and the memory fields of stat and status, checked against the kernel's own records.

mem, oom_score_adj and limits are in test_procmem_mem.py, meminfo, vmstat and the vm
sysctls in test_procmem_sysctl.py.
"""

from __future__ import annotations

import re
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st
from ksim import MS, SECOND, check, errno_of, machine, register, run_main

from kernel.abi import (
    ESRCH,
    MAP_ANONYMOUS,
    MAP_PRIVATE,
    MAP_SHARED,
    O_CREAT,
    O_RDONLY,
    O_RDWR,
    PR_SET_VMA,
    PR_SET_VMA_ANON_NAME,
    PROT_NONE,
    PROT_READ,
    PROT_WRITE,
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
