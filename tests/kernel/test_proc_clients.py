"""Real Linux clients read the machine's /proc: a dump of it (walked with the host
client) given to psutil, and, when the host has them and may make a private mount
namespace, to procps's free, vmstat, pmap, ps and top, bind-mounted on /proc. Every
figure they print must be the machine's own."""

from __future__ import annotations

import os
import shutil
import subprocess
import warnings
from dataclasses import dataclass
from pathlib import Path

import psutil
import pytest
from ksim import MS, SECOND, machine, register
from procdump import snapshot

from kernel.abi import (
    MAP_ANONYMOUS,
    MAP_PRIVATE,
    MAP_SHARED,
    PR_SET_VMA,
    PR_SET_VMA_ANON_NAME,
    PROT_READ,
    PROT_WRITE,
    SpawnAttr,
)
from kernel.kernel import Kernel
from kernel.mm.vm import AddressSpace, Area
from kernel.proc import Process
from userland.libk import sys

PS = 4096
RW = PROT_READ | PROT_WRITE
TICK_NS = 10_000_000


async def reader(argv: list[str]) -> int:
    mem = await sys.mmu()
    a = await sys.mmap(0, 4 * PS, RW, MAP_SHARED, 3, 0)
    for i in range(3):
        mem.load8(a + i * PS)
    await sys.nanosleep(100 * SECOND)
    return 0


READER = register(reader)


async def worker(argv: list[str]) -> int:
    """Touches 64 pages of a 256-page area, names an arena, shares a memfd with a
    child that reads 3 of its 4 pages, and waits."""
    mem = await sys.mmu()
    a = await sys.mmap(0, 256 * PS, RW, MAP_PRIVATE | MAP_ANONYMOUS)
    for i in range(64):
        mem.store32(a + i * PS, i)
    arena = await sys.mmap(0, 4 * PS, RW, MAP_PRIVATE | MAP_ANONYMOUS)
    await sys.prctl(PR_SET_VMA, PR_SET_VMA_ANON_NAME, arena, 4 * PS, "arena")
    mem.fill(arena, 1, PS)
    fd = await sys.memfd_create("clients")
    await sys.ftruncate(fd, 4 * PS)
    s = await sys.mmap(0, 4 * PS, RW, MAP_SHARED, fd, 0)
    mem.fill(s, 2, 4 * PS)
    await sys.spawn(READER, ["reader"], None, None, [("dup2", fd, 3)], SpawnAttr())
    await sys.nanosleep(100 * SECOND)
    return 0


@dataclass
class Dump:
    kernel: Kernel
    root: Path
    proc: Process
    child: Process


@pytest.fixture(scope="module")
def dump(tmp_path_factory: pytest.TempPathFactory) -> Dump:
    k = machine(worker)
    k.run(until=50 * MS)
    root = tmp_path_factory.mktemp("proc")
    proc = k.procs.procs[2]
    child = next(p for p in k.procs.procs.values() if p.ppid == 2)
    snapshot(k, root, proc.pid)  # /proc/self of the dump names the worker
    return Dump(k, root, proc, child)


@pytest.fixture
def procfs(dump: Dump, monkeypatch: pytest.MonkeyPatch) -> Dump:
    monkeypatch.setattr(psutil, "PROCFS_PATH", str(dump.root))
    return dump


# ---------------------------------------------------------------------- the machine's figures
def area_rss(mm: AddressSpace, area: Area) -> int:
    zero = mm.frames.zero_page
    return sum(
        PS for v, p in mm.pt.items() if area.start <= v * PS < area.end and p.page is not zero
    )


def uss_pss(mm: AddressSpace) -> tuple[int, float]:
    pages = [p.page for p in mm.pt.values() if p.page is not mm.frames.zero_page]
    return sum(PS for p in pages if p.mapcount == 1), sum(PS / p.mapcount for p in pages)


def data_and_text(mm: AddressSpace) -> tuple[int, int]:
    data = sum(a.length for a in mm.areas if a.prot & PROT_WRITE and not a.shared)
    return data, mm.start_brk - 0x400000


def meminfo_kb(k: Kernel) -> dict[str, int]:
    fr = k.frames
    kinds = fr.by_kind
    wmin = k.vm.min_free_kbytes * 1024 // PS
    tmp = max(wmin // 4, fr.buddy.total_pages * 10 // 10000)
    return {
        "total": fr.buddy.total_pages * 4,
        "free": fr.free * 4,
        "available": (fr.free - (wmin + 2 * tmp)) * 4,  # no file LRU: tmpfs is shmem
        "shared": kinds["shmem"] * 4,
        "cached": (kinds["shmem"] + kinds["file"]) * 4,
    }


# ---------------------------------------------------------------------- psutil
def test_psutil_memory_info_is_the_processs(procfs: Dump) -> None:
    mm = procfs.proc.mm
    p = psutil.Process(procfs.proc.pid)
    info = p.memory_info()
    data, text = data_and_text(mm)
    assert info.rss == mm.resident * PS and info.vms == mm.size
    assert info.shared == (mm.rss["file"] + mm.rss["shmem"]) * PS
    assert (info.text, info.lib, info.data, info.dirty) == (text, 0, data, 0)
    assert info.rss >= 64 * PS


def test_psutil_memory_full_info_uses_smaps(procfs: Dump) -> None:
    for proc in (procfs.proc, procfs.child):
        p = psutil.Process(proc.pid)
        uss, pss = uss_pss(proc.mm)
        full = p.memory_full_info()
        assert full.uss == uss and full.swap == 0
        assert abs(full.pss - pss) < 1024
        assert p._proc._parse_smaps()[0] == uss  # the smaps fallback agrees
    child = psutil.Process(procfs.child.pid).memory_full_info()
    assert child.pss < child.rss  # it shares the memfd's pages with its parent


def test_psutil_memory_maps_lists_every_area(procfs: Dump) -> None:
    mm = procfs.proc.mm
    maps = psutil.Process(procfs.proc.pid).memory_maps(grouped=False)
    assert len(maps) == len(mm.areas)
    for m, area in zip(maps, mm.areas, strict=True):
        assert m.addr == f"{area.start:08x}-{area.end:08x}" and m.perms == area.perms
        assert m.size == area.length and m.rss == area_rss(mm, area)
        assert m.swap == 0
    paths = [m.path for m in maps]
    assert procfs.proc.exe in paths and "[anon:arena]" in paths and "[stack]" in paths
    assert "/memfd:clients" in paths  # psutil drops " (deleted)"
    grouped = {m.path: m for m in psutil.Process(procfs.proc.pid).memory_maps()}
    assert grouped["[anon]"].anonymous == 64 * PS


def test_psutil_virtual_and_swap_memory_are_the_machines(procfs: Dump) -> None:
    want = meminfo_kb(procfs.kernel)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a missing field is a warning: none may be
        vm = psutil.virtual_memory()
        swap = psutil.swap_memory()
    assert vm.total == want["total"] * 1024 and vm.free == want["free"] * 1024
    assert vm.available == want["available"] * 1024
    assert vm.used == vm.total - vm.available
    assert vm.shared == want["shared"] * 1024 and vm.cached == want["cached"] * 1024
    assert vm.buffers == 0 and vm.slab == 0
    assert vm.active + vm.inactive == (vm.shared + procfs.kernel.frames.by_kind["anon"] * PS)
    assert tuple(swap) == (0, 0, 0, 0.0, 0, 0)


def test_psutil_cpu_times_are_the_machines(procfs: Dump) -> None:
    k = procfs.kernel
    times = psutil.cpu_times()
    assert times.user == sum(c.user // TICK_NS for c in k.cpus) / 100
    assert times.system == sum(c.system // TICK_NS for c in k.cpus) / 100
    now = k.now()
    idle = sum(max(0, now - c.user - c.system) for c in k.cpus)
    assert abs(times.idle - idle / 1e9) <= 0.01 * len(k.cpus)
    proc = procfs.proc
    p = psutil.Process(proc.pid).cpu_times()
    assert p.user == (proc.utime + sum(t.utime for t in proc.threads)) // TICK_NS / 100
    assert psutil.Process(proc.pid).num_threads() == 1


# ---------------------------------------------------------------------- procps
def _procps_ready() -> str | None:
    """Why the procps checks cannot run here, or None."""
    if os.geteuid() != 0:
        return "needs root for a private mount namespace"
    missing = [
        t
        for t in ("unshare", "mount", "free", "vmstat", "pmap", "ps", "top")
        if not shutil.which(t)
    ]
    if missing:
        return f"no {', '.join(missing)} on this host"
    probe = subprocess.run(
        ["unshare", "-m", "--propagation", "private", "true"], capture_output=True, timeout=30
    )
    if probe.returncode:
        return "unshare -m does not work here"
    return None


def run_procps(root: Path, pid: int) -> dict[str, str]:
    """Run the tools with ``root`` bind-mounted on /proc; their outputs by name."""
    tools = {
        "free": "free -k",
        "vmstat": "vmstat",
        "pmap": f"pmap -x {pid}",
        # ps looks itself up by its own pid: give the shell that becomes ps one.
        "ps": f"sh -c 'ln -s {pid} /proc/$$ && exec ps -o pid=,rss=,vsz=,trs=,min_flt= -p {pid}'",
        "top": f"top -b -n 1 -p {pid}",
    }
    script = f"mount --bind {root} /proc || exit 99\n" + "".join(
        f"echo '@@ {name}'; {cmd} 2>&1; echo \"@@ rc $?\"\n" for name, cmd in tools.items()
    )
    r = subprocess.run(
        ["unshare", "-m", "--propagation", "private", "sh", "-c", script],
        capture_output=True,
        text=True,
        timeout=60,
    )
    if r.returncode == 99:
        pytest.skip(f"cannot bind-mount on /proc: {r.stderr.strip()}")
    out: dict[str, str] = {}
    for chunk in r.stdout.split("@@ ")[1:]:
        name, _, body = chunk.partition("\n")
        if name.startswith("rc "):
            tool = list(out)[-1]
            assert name == "rc 0", f"{tool} failed: {out[tool]}"
        else:
            out[name] = body
    return out


def test_procps_tools_read_the_dump(dump: Dump, tmp_path: Path) -> None:
    why = _procps_ready()
    if why:
        pytest.skip(why)
    root = tmp_path / "proc"
    shutil.copytree(dump.root, root, symlinks=True)
    proc, mm = dump.proc, dump.proc.mm
    out = run_procps(root, proc.pid)
    want = meminfo_kb(dump.kernel)
    # free -k: total used free shared buff/cache available
    mem = next(line for line in out["free"].splitlines() if line.startswith("Mem:")).split()
    total, used, free, shared, cache, avail = map(int, mem[1:7])
    assert (total, free, shared, cache, avail) == (
        want["total"],
        want["free"],
        want["shared"],
        want["cached"],
        want["available"],
    )
    assert used in (total - avail, total - free - cache)  # procps 4, procps 3.3
    swap = next(line for line in out["free"].splitlines() if line.startswith("Swap:"))
    assert swap.split()[1:] == ["0", "0", "0"]
    # vmstat: r b swpd free buff cache si so ...
    head, row = out["vmstat"].splitlines()[1:3]
    cols = dict(zip(head.split(), row.split(), strict=True))
    assert (int(cols["free"]), int(cols["cache"]), cols["swpd"], cols["buff"]) == (
        want["free"],
        want["cached"],
        "0",
        "0",
    )
    # pmap -x: a row per area, and the totals.
    lines = out["pmap"].splitlines()
    assert lines[0].startswith(f"{proc.pid}:")
    rows = [line.split() for line in lines[2:] if line[:1] in "0123456789abcdef" and line[0] != "-"]
    rows = [r for r in rows if len(r) >= 5]
    assert [int(r[0], 16) for r in rows] == [a.start for a in mm.areas]
    assert [int(r[1]) for r in rows] == [a.length // 1024 for a in mm.areas]
    assert [int(r[2]) for r in rows] == [area_rss(mm, a) // 1024 for a in mm.areas]
    totals = lines[-1].split()
    assert totals[:2] == ["total", "kB"]
    assert (int(totals[2]), int(totals[3])) == (mm.size // 1024, mm.resident * 4)
    # ps: the process's rss, vsz, text size and minor faults.
    first = out["ps"].splitlines()[0].split()
    text = data_and_text(mm)[1]
    assert [int(x) for x in first] == [
        proc.pid,
        mm.resident * 4,
        mm.size // 1024,
        text // 1024,
        mm.minflt,
    ]
    # top: the machine's memory in its header, the process's VIRT RES SHR in its row.
    top = out["top"].splitlines()
    assert any(line.startswith("MiB Mem") or line.startswith("KiB Mem") for line in top)
    row = next(line.split() for line in top if line.split()[:1] == [str(proc.pid)])
    shr = (mm.rss["file"] + mm.rss["shmem"]) * 4
    assert row[4:7] == [str(mm.size // 1024), str(mm.resident * 4), str(shr)]
