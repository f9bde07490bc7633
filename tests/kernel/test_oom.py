"""The OOM killer: when frames run out it logs Linux's lines and kills the process with
the most points (resident pages, shifted by oom_score_adj); init is never chosen, the
machine carries on, and every frame and every committed page comes back when the
processes have gone (a hypothesis property, with OOM kills among the random workloads).
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from ksim import errno_of, image, machine, ok, register, run

from kernel.abi import (
    ENOSPC,
    MAP_ANONYMOUS,
    MAP_POPULATE,
    MAP_PRIVATE,
    MAP_SHARED,
    MREMAP_MAYMOVE,
    O_CLOEXEC,
    O_CREAT,
    O_RDONLY,
    O_WRONLY,
    PROT_READ,
    PROT_WRITE,
    SIGKILL,
    SPAWN_DUP2,
    WIFSIGNALED,
    WTERMSIG,
    Error,
)
from userland.libk import sys

MiB = 1 << 20
PAGE = 4096
RW = PROT_READ | PROT_WRITE
PRIVATE = MAP_PRIVATE | MAP_ANONYMOUS
SHARED = MAP_SHARED | MAP_ANONYMOUS
KILLED = re.compile(
    r"Out of memory: Killed process (\d+) \((\S+)\) total-vm:\d+kB, anon-rss:\d+kB, "
    r"file-rss:\d+kB, shmem-rss:\d+kB, UID:(\d+) pgtables:\d+kB oom_score_adj:(-?\d+)"
)


def small(memory: int = 8 * MiB) -> Any:
    """The default machine with less memory (its free regions follow)."""
    return image(memory=memory, memory_regions=())


async def hog(argv: list[str]) -> int:
    """``hog PAGES HOLD``: map PAGES private pages and store to each; with HOLD, say
    so on stdout and wait for end of file on stdin."""
    pages, hold = int(argv[1]), argv[2] == "1"
    mmu = await sys.mmu()
    addr = await sys.mmap(0, pages * PAGE, RW, PRIVATE)
    for i in range(pages):
        mmu.store8(addr + i * PAGE, 1)
    if hold:
        await sys.write(1, b"r")
        await sys.read(0, 1)
    return 0


HOG = register(hog)
COMM = HOG.rsplit("/", 1)[-1][:15]


@pytest.fixture(autouse=True)
def _bin_holds_the_shipped_programs_and_ours(installed_programs: dict[str, Any]) -> None:
    """Each program in /bin is a page of these small machines: /bin holds what the
    project ships and this module's programs, not every program the tests that ran
    before in this process registered, so what is free does not depend on them (under
    pytest-xdist, on which tests a worker ran first)."""
    installed_programs[HOG.rsplit("/", 1)[-1]] = hog
    installed_programs[WORKER.rsplit("/", 1)[-1]] = worker


async def set_adj(pid: int | str, adj: int) -> None:
    """Write /proc/PID/oom_score_adj, as Linux's choom(1) does."""
    fd = await sys.open(f"/proc/{pid}/oom_score_adj", O_WRONLY)
    await sys.write(fd, f"{adj}\n".encode())
    await sys.close(fd)


async def read_proc(path: str) -> str:
    fd = await sys.open(path, O_RDONLY)
    data = await sys.read(fd, 4096)
    await sys.close(fd)
    return data.decode()


class Lab:
    """Starts hogs from a test's main program, with their oom_score_adj."""

    def __init__(self) -> None:
        self.holds: dict[int, int] = {}  # pid -> the write end of its stdin

    async def start(self, pages: int, *, hold: bool, adj: int = 0) -> int:
        r, w = await sys.pipe(O_CLOEXEC)
        ready_r, ready_w = await sys.pipe(O_CLOEXEC)
        actions = [(SPAWN_DUP2, r, 0), (SPAWN_DUP2, ready_w, 1)]
        pid = await sys.spawn(HOG, ["hog", str(pages), "1" if hold else "0"], None, None, actions)
        if adj:
            await set_adj(pid, adj)
        await sys.close(r)
        await sys.close(ready_w)
        if hold:
            await sys.read(ready_r, 1)  # its pages are touched (or it died trying)
        await sys.close(ready_r)
        self.holds[pid] = w
        return pid

    async def finish(self, pid: int) -> int:
        """End a hog (close its stdin) and collect its wait status."""
        await sys.close(self.holds.pop(pid))
        return (await sys.wait4(pid))[1]


def kills(log: str) -> list[tuple[int, str]]:
    return [(int(m[1]), m[2]) for m in KILLED.finditer(log)]


def killed_by(status: int, sig: int) -> bool:
    return WIFSIGNALED(status) and WTERMSIG(status) == sig


# ---------------------------------------------------------------------- the OOM killer
def test_oom_kills_a_process_that_touches_more_than_exists() -> None:
    box: dict[str, Any] = {}
    seen: dict[str, Any] = {}
    lab = Lab()

    async def main(argv: list[str]) -> int:
        k = box["k"]
        before = (k.frames.free, k.vm.committed)
        pid = await lab.start(1700, hold=False)
        seen["pid"] = pid
        seen["status"] = await lab.finish(pid)
        echo = await sys.spawn("/bin/echo", ["echo", "after the kill"])
        seen["echo"] = (await sys.wait4(echo))[1]
        seen["conserved"] = (k.frames.free, k.vm.committed) == before
        return 0

    k = box["k"] = machine(main, info=small())
    r = run(k)
    ok(r)
    assert killed_by(seen["status"], SIGKILL)
    assert seen["echo"] == 0 and "after the kill" in r.output
    assert seen["conserved"]
    log = r.log
    pid = seen["pid"]
    assert kills(log) == [(pid, COMM)]
    assert f"{COMM} invoked oom-killer: gfp_mask=0x140dca(" in log
    assert "Tasks state (memory values in pages):" in log
    assert (
        "[  pid  ]   uid  tgid total_vm      rss pgtables_bytes swapents oom_score_adj name" in log
    )
    assert re.search(r"\[      1\]     0     1 +\d+ +\d+ +\d+ +0 +0 init\n", log)
    assert re.search(rf"\[ +{pid}\]     0 +{pid} +\d+ +\d+ +\d+ +0 +0 {COMM}\n", log)
    assert "oom-kill:constraint=CONSTRAINT_NONE,nodemask=(null)," in log
    assert f"global_oom,task_memcg=/,task={COMM},pid={pid},uid=0" in log
    assert k.frames.events.oom_kill == 1


def test_the_victim_is_the_largest_not_the_faulting_one() -> None:
    box: dict[str, Any] = {}
    seen: dict[str, Any] = {}
    lab = Lab()

    async def main(argv: list[str]) -> int:
        holder = await lab.start(1024, hold=True)
        grower = await lab.start(900, hold=False)
        seen["grower"] = await lab.finish(grower)
        seen["holder"] = await lab.finish(holder)
        seen["pids"] = (holder, grower)
        return 0

    box["k"] = machine(main, info=small())
    r = run(box["k"])
    ok(r)
    holder, grower = seen["pids"]
    assert seen["grower"] == 0  # it got the holder's frames
    assert killed_by(seen["holder"], SIGKILL)
    assert kills(r.log) == [(holder, COMM)]
    assert f"{COMM} invoked oom-killer" in r.log


def test_oom_score_adj_exempts_and_prefers() -> None:
    box: dict[str, Any] = {}
    seen: dict[str, Any] = {}
    lab = Lab()

    async def main(argv: list[str]) -> int:
        holder = await lab.start(1024, hold=True, adj=-1000)  # never chosen
        grower = await lab.start(900, hold=False)
        seen["exempt"] = (holder, grower, await lab.finish(grower), await lab.finish(holder))
        tiny = await lab.start(4, hold=True, adj=1000)  # chosen first, however small
        holder = await lab.start(1024, hold=True)
        grower = await lab.start(900, hold=False)
        seen["first"] = (tiny, holder, await lab.finish(grower))
        seen["first"] += (await lab.finish(tiny), await lab.finish(holder))
        return 0

    box["k"] = machine(main, info=small())
    r = run(box["k"])
    ok(r)
    holder, grower, grower_st, holder_st = seen["exempt"]
    assert killed_by(grower_st, SIGKILL) and holder_st == 0
    tiny, holder2, grower2_st, tiny_st, holder2_st = seen["first"]
    assert grower2_st == 0
    assert killed_by(tiny_st, SIGKILL) and killed_by(holder2_st, SIGKILL)
    assert kills(r.log) == [(grower, COMM), (tiny, COMM), (holder2, COMM)]
    assert "oom_score_adj:1000" in r.log


def test_init_is_never_chosen_and_the_kernel_does_not_panic() -> None:
    box: dict[str, Any] = {}
    seen: dict[str, Any] = {}
    lab = Lab()

    async def main(argv: list[str]) -> int:
        k = box["k"]
        await set_adj("self", -1000)
        seen["init_points"] = k.oom.badness(k.procs.procs[1])
        seen["init_score"] = k.oom.score(k.procs.procs[1])
        grower = await lab.start(1700, hold=False, adj=-1000)  # nothing may be chosen
        seen["status"] = await lab.finish(grower)
        return 0

    box["k"] = machine(main, info=small())
    r = run(box["k"])
    ok(r)  # init and the machine lived on
    assert seen["init_points"] is None and seen["init_score"] == 0
    assert "Out of memory and no killable processes..." in r.log
    assert killed_by(seen["status"], SIGKILL)  # the allocation failed: its process ends
    assert kills(r.log) == []


def test_oom_score_is_linux_scaled_badness() -> None:
    box: dict[str, Any] = {}
    seen: dict[str, Any] = {}
    lab = Lab()

    async def main(argv: list[str]) -> int:
        k = box["k"]
        plain = await lab.start(100, hold=True)
        lowered = await lab.start(100, hold=True, adj=-500)
        p, q = k.procs.procs[plain], k.procs.procs[lowered]
        total = k.frames.buddy.total_pages
        seen["points"] = (k.oom.badness(p), p.mm.resident + p.mm.pagetable_bytes() // PAGE)
        seen["lowered"] = (k.oom.badness(q), seen["points"][1] - 500 * total // 1000)
        seen["scores"] = (k.oom.score(p), k.oom.score(q))
        seen["proc"] = tuple(
            [int(await read_proc(f"/proc/{x}/oom_score")) for x in (plain, lowered)]
        )
        seen["expect"] = tuple(
            int((1000 + int(b * 1000 / total)) * 2 / 3)
            for b in (k.oom.badness(p), k.oom.badness(q))
        )
        await lab.finish(plain)
        await lab.finish(lowered)
        return 0

    box["k"] = machine(main, info=small())
    ok(run(box["k"]))
    points, expected_points = seen["points"]
    assert points == expected_points >= 100
    assert seen["lowered"][0] == seen["lowered"][1] < 0  # negative points are allowed
    assert seen["scores"] == seen["expect"] == seen["proc"]
    assert seen["scores"][0] > 666 > seen["scores"][1] > 0


def test_full_memory_gives_enospc_on_tmpfs_and_kills_a_populating_process() -> None:
    box: dict[str, Any] = {}
    seen: dict[str, Any] = {}
    lab = Lab()

    async def populater(argv: list[str]) -> int:
        await sys.mmap(0, 512 * PAGE, RW, PRIVATE | MAP_POPULATE)
        return 0

    path = register(populater)

    async def main(argv: list[str]) -> int:
        k = box["k"]
        before = (k.frames.free, k.vm.committed)
        holder = await lab.start(k.frames.free - 64, hold=True, adj=-1000)
        fd = await sys.open("/tmp/x", O_WRONLY | O_CREAT, 0o644)
        seen["enospc"] = await errno_of(sys.write(fd, bytes(MiB)))
        seen["page"] = await sys.write(fd, b"a page fits")
        pid = await sys.spawn(path, [path])
        seen["populater"] = (await sys.wait4(pid))[1]
        seen["holder"] = await lab.finish(holder)
        seen["write_after"] = await sys.write(fd, bytes(MiB))
        await sys.close(fd)
        await sys.unlink("/tmp/x")
        seen["conserved"] = (k.frames.free, k.vm.committed) == before
        return 0

    box["k"] = machine(main, info=small())
    r = run(box["k"])
    ok(r)
    assert seen["enospc"] == ENOSPC
    assert seen["page"] == len(b"a page fits")
    assert killed_by(seen["populater"], SIGKILL)
    assert seen["holder"] == 0
    assert seen["write_after"] == MiB
    assert seen["conserved"]


# ---------------------------------------------------------------------- frames come back
OPS = st.lists(
    st.one_of(
        st.tuples(st.just("map"), st.integers(1, 96), st.booleans(), st.booleans()),
        st.tuples(st.just("touch"), st.integers(0, 7), st.integers(0, 95), st.booleans()),
        st.tuples(st.just("unmap"), st.integers(0, 7)),
        st.tuples(st.just("brk"), st.integers(-8, 24)),
        st.tuples(st.just("remap"), st.integers(0, 7), st.integers(1, 128)),
        st.tuples(st.just("child"), st.integers(0, 1700)),
    ),
    max_size=24,
)
_plans: list[list[tuple[Any, ...]]] = []


async def worker(argv: list[str]) -> int:
    """Run the plan ``argv[1]`` names: maps, stores, unmaps, brk, mremap and children
    that touch memory (some get killed by the OOM killer)."""
    mmu = await sys.mmu()
    areas: list[tuple[int, int]] = []
    children = []
    for op in _plans[int(argv[1])]:
        try:
            if op[0] == "map":
                _, pages, shared, populate = op
                flags = (SHARED if shared else PRIVATE) | (MAP_POPULATE if populate else 0)
                areas.append((await sys.mmap(0, pages * PAGE, RW, flags), pages))
            elif op[0] == "touch" and areas:
                addr, pages = areas[op[1] % len(areas)]
                where = addr + op[2] % pages * PAGE
                if op[3]:
                    mmu.store8(where, 7)
                else:
                    mmu.load8(where)
            elif op[0] == "unmap" and areas:
                addr, pages = areas.pop(op[1] % len(areas))
                await sys.munmap(addr, pages * PAGE)
            elif op[0] == "brk":
                await sys.brk(await sys.brk(0) + op[1] * PAGE)
            elif op[0] == "remap" and areas:
                i = op[1] % len(areas)
                addr, pages = areas[i]
                areas[i] = (
                    await sys.mremap(addr, pages * PAGE, op[2] * PAGE, MREMAP_MAYMOVE),
                    op[2],
                )
            elif op[0] == "child":
                children.append(await sys.spawn(HOG, ["hog", str(op[1]), "0"]))
        except Error:
            pass
    for pid in children:
        await sys.wait4(pid)
    return 0


WORKER = register(worker)


@settings(derandomize=True, max_examples=20, deadline=None)
@given(plan=OPS)
def test_every_frame_and_commitment_comes_back(plan: list[tuple[Any, ...]]) -> None:
    box: dict[str, Any] = {}
    seen: dict[str, Any] = {}
    _plans.append(plan)
    index = len(_plans) - 1

    async def main(argv: list[str]) -> int:
        k = box["k"]
        before = (k.frames.free, k.vm.committed, dict(k.frames.by_kind))
        pid = await sys.spawn(WORKER, ["worker", str(index)])
        seen["status"] = (await sys.wait4(pid))[1]
        seen["after"] = (k.frames.free, k.vm.committed, dict(k.frames.by_kind))
        seen["before"] = before
        return 0

    box["k"] = machine(main, info=small())
    ok(run(box["k"]))
    assert seen["after"] == seen["before"]
    assert seen["status"] == 0 or killed_by(seen["status"], SIGKILL)
