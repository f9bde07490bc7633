"""Resource limits: getrlimit/setrlimit/prlimit as Linux has them, and their enforcement.

RLIMIT_NOFILE (EMFILE, dup2's EBADF), RLIMIT_AS and RLIMIT_DATA (mmap, mremap, brk),
RLIMIT_STACK (stack growth, SIGSEGV past it), RLIMIT_NPROC and threads-max (EAGAIN at
spawn and thread_spawn; root is exempt from the first, never from the second), a shell
fork bomb, and the limits an image gives init.
"""

from __future__ import annotations

from typing import Any

import pytest
from ksim import MS, errno_of, image, machine, ok, register, run, run_main, shell

from kernel.abi import (
    EAGAIN,
    EBADF,
    EFAULT,
    EINVAL,
    EMFILE,
    ENOMEM,
    EPERM,
    ESRCH,
    F_DUPFD,
    MAP_ANONYMOUS,
    MAP_PRIVATE,
    MAP_SHARED,
    MREMAP_MAYMOVE,
    O_CLOEXEC,
    O_RDONLY,
    PROT_READ,
    PROT_WRITE,
    RLIM_INFINITY,
    RLIM_NLIMITS,
    RLIMIT_AS,
    RLIMIT_CORE,
    RLIMIT_CPU,
    RLIMIT_DATA,
    RLIMIT_MEMLOCK,
    RLIMIT_NOFILE,
    RLIMIT_NPROC,
    RLIMIT_STACK,
    SIGSEGV,
    SPAWN_DUP2,
    WIFSIGNALED,
    WTERMSIG,
    SpawnAttr,
)
from kernel.image import parse_image
from kernel.mm.vm import STACK_TOP
from userland.libk import sys

MiB = 1 << 20
INF = RLIM_INFINITY
ALICE = SpawnAttr(uid=1000, gid=1000)


def small(memory: int, **changes: Any) -> Any:
    """The default machine with less memory (its free regions follow)."""
    return image(memory=memory, memory_regions=(), **changes)


async def blocker(argv: list[str]) -> int:
    """Wait for end of file on stdin, then exit."""
    await sys.read(0, 1)
    return 0


BLOCKER = register(blocker)


@pytest.fixture
def few_programs(installed_programs: dict[str, Any]) -> None:
    """Boot 4 MiB machines with only the shipped programs and the blocker in /bin.

    Every registered program is a page of /bin; programs other test files registered
    earlier in the same worker would leave such a machine no room to boot.
    """
    installed_programs[BLOCKER.removeprefix("/bin/")] = blocker


pytestmark = pytest.mark.usefixtures("few_programs")


async def start_blockers(n: int, attr: SpawnAttr | None = None) -> tuple[int, list[int], int]:
    """Spawn up to ``n`` blockers on one pipe: (write end, pids, errno that stopped it)."""
    r, w = await sys.pipe(O_CLOEXEC)
    pids: list[int] = []
    err = 0
    for _ in range(n):
        try:
            pids.append(await sys.spawn(BLOCKER, ["b"], None, None, [(SPAWN_DUP2, r, 0)], attr))
        except Exception as e:  # noqa: BLE001 - the test looks at the errno
            err = getattr(e, "errno", -1)
            break
    await sys.close(r)
    return w, pids, err


async def release(w: int, pids: list[int]) -> None:
    await sys.close(w)
    for pid in pids:
        await sys.wait4(pid)


# ---------------------------------------------------------------------- the calls
def test_defaults_are_linux_init_limits() -> None:
    seen: dict[str, Any] = {}

    async def main(argv: list[str]) -> int:
        seen["all"] = [await sys.getrlimit(r) for r in range(RLIM_NLIMITS)]
        return 0

    k = machine(main)
    ok(run(k))
    limits = seen["all"]
    assert limits[RLIMIT_STACK] == (8 * MiB, INF)
    assert limits[RLIMIT_CORE] == (0, INF)
    assert limits[RLIMIT_NOFILE] == (1024, 4096)
    assert limits[RLIMIT_MEMLOCK] == (8 * MiB, 8 * MiB)
    assert limits[RLIMIT_NPROC] == (k.threads_max // 2, k.threads_max // 2)
    for r in (RLIMIT_CPU, RLIMIT_DATA, RLIMIT_AS):
        assert limits[r] == (INF, INF)


def test_setrlimit_rules_and_errors() -> None:
    seen: dict[str, Any] = {}

    async def user(argv: list[str]) -> int:
        seen["lower"] = await sys.setrlimit(RLIMIT_NOFILE, 100, 200)
        seen["raise_soft"] = await sys.setrlimit(RLIMIT_NOFILE, 200, 200)
        seen["raise_hard"] = await errno_of(sys.setrlimit(RLIMIT_NOFILE, 200, 201))
        seen["after"] = await sys.getrlimit(RLIMIT_NOFILE)
        seen["stack_inf"] = await sys.setrlimit(RLIMIT_STACK, INF, INF)  # hard was infinite
        return 0

    path = register(user)

    async def main(argv: list[str]) -> int:
        seen["soft_gt_hard"] = await errno_of(sys.setrlimit(RLIMIT_AS, 10, 5))
        seen["unknown"] = await errno_of(sys.setrlimit(RLIM_NLIMITS, 1, 1))
        seen["negative"] = await errno_of(sys.getrlimit(-1))
        seen["get_unknown"] = await errno_of(sys.getrlimit(RLIM_NLIMITS))
        seen["nofile_max"] = await errno_of(sys.setrlimit(RLIMIT_NOFILE, 1024, 1048577))
        seen["nofile_inf"] = await errno_of(sys.setrlimit(RLIMIT_NOFILE, 1024, INF))
        seen["root_raises"] = await sys.setrlimit(RLIMIT_NOFILE, 1024, 1048576)
        seen["root_nofile"] = await sys.getrlimit(RLIMIT_NOFILE)
        seen["unchanged"] = await sys.getrlimit(RLIMIT_AS)
        pid = await sys.spawn(path, [path], None, None, None, ALICE)
        _, seen["status"] = await sys.wait4(pid)
        return 0

    ok(run_main(main))
    assert seen["soft_gt_hard"] == EINVAL
    assert seen["unknown"] == seen["negative"] == seen["get_unknown"] == EINVAL
    assert seen["nofile_max"] == seen["nofile_inf"] == EPERM  # above fs.nr_open, even root
    assert seen["root_nofile"] == (1024, 1048576)
    assert seen["unchanged"] == (INF, INF)  # a refused call changes nothing
    assert seen["status"] == 0
    assert seen["lower"] == seen["raise_soft"] == seen["stack_inf"] == 0
    assert seen["raise_hard"] == EPERM
    assert seen["after"] == (200, 200)


def test_prlimit_targets_and_permissions() -> None:
    seen: dict[str, Any] = {}

    async def alice(argv: list[str]) -> int:
        init_pid, own_child = int(argv[1]), int(argv[2])
        seen["other_user"] = await errno_of(sys.prlimit(init_pid, RLIMIT_NOFILE, (10, 10)))
        seen["other_user_get"] = await errno_of(sys.prlimit(init_pid, RLIMIT_NOFILE))
        seen["same_user"] = await sys.prlimit(own_child, RLIMIT_NOFILE, (50, 60))
        seen["same_user_now"] = await sys.prlimit(own_child, RLIMIT_NOFILE)
        seen["raise_hard"] = await errno_of(sys.prlimit(own_child, RLIMIT_NOFILE, (60, 70)))
        return 0

    path = register(alice)

    async def main(argv: list[str]) -> int:
        seen["self"] = await sys.prlimit(0, RLIMIT_STACK, (4 * MiB, INF))
        seen["self_now"] = await sys.getrlimit(RLIMIT_STACK)
        seen["by_pid"] = await sys.prlimit(await sys.getpid(), RLIMIT_STACK)
        seen["esrch"] = await errno_of(sys.prlimit(99999, RLIMIT_STACK))
        seen["esrch_neg"] = await errno_of(sys.prlimit(-5, RLIMIT_STACK))
        seen["esrch_first"] = await errno_of(sys.prlimit(99999, RLIM_NLIMITS))
        seen["einval"] = await errno_of(sys.prlimit(0, RLIM_NLIMITS))
        for bad in ("x", (1,), (1, 2, 3), (1, "2"), (1.0, 2)):
            seen.setdefault("efault", []).append(await errno_of(sys.prlimit(0, RLIMIT_AS, bad)))
        seen["soft_gt_hard"] = await errno_of(sys.prlimit(0, RLIMIT_AS, (5, 4)))
        tid = await sys.thread_spawn(_sleeper, None)
        seen["by_tid"] = await sys.prlimit(tid, RLIMIT_STACK)  # a thread names its process
        w, pids, _ = await start_blockers(1, ALICE)
        seen["root_on_alice"] = await sys.prlimit(pids[0], RLIMIT_CORE, (0, 0))
        pid = await sys.spawn(path, [path, "1", str(pids[0])], None, None, None, ALICE)
        _, seen["status"] = await sys.wait4(pid)
        await release(w, pids)
        await sys.thread_join(tid)
        return 0

    ok(run_main(main))
    assert seen["self"] == (8 * MiB, INF)  # the old limits
    assert seen["self_now"] == seen["by_pid"] == seen["by_tid"] == (4 * MiB, INF)
    assert seen["esrch"] == seen["esrch_neg"] == seen["esrch_first"] == ESRCH
    assert seen["einval"] == seen["soft_gt_hard"] == EINVAL
    assert seen["efault"] == [EFAULT] * 5
    assert seen["root_on_alice"] == (0, INF)
    assert seen["status"] == 0
    assert seen["other_user"] == seen["other_user_get"] == EPERM
    assert seen["same_user"] == (1024, 4096)
    assert seen["same_user_now"] == (50, 60)
    assert seen["raise_hard"] == EPERM


async def _sleeper(arg: Any) -> int:
    await sys.nanosleep(MS)
    return 0


def test_children_inherit_limits() -> None:
    seen: dict[str, Any] = {}

    async def child(argv: list[str]) -> int:
        seen["child"] = await sys.getrlimit(RLIMIT_DATA)
        return 0

    path = register(child)

    async def main(argv: list[str]) -> int:
        await sys.setrlimit(RLIMIT_DATA, 3 * MiB, 5 * MiB)
        await sys.wait4(await sys.spawn(path, [path]))
        return 0

    ok(run_main(main))
    assert seen["child"] == (3 * MiB, 5 * MiB)


# ---------------------------------------------------------------------- enforcement
def test_nofile_limits_descriptors() -> None:
    seen: dict[str, Any] = {}

    async def main(argv: list[str]) -> int:
        await sys.setrlimit(RLIMIT_NOFILE, 5, 5)
        seen["fds"] = [await sys.open("/dev/null", O_RDONLY) for _ in range(2)]
        seen["emfile"] = await errno_of(sys.open("/dev/null", O_RDONLY))
        seen["dup"] = await errno_of(sys.dup(0))
        seen["dup2_over"] = await errno_of(sys.dup2(0, 5))
        seen["dup2_under"] = await sys.dup2(0, 4)
        seen["dupfd"] = await errno_of(sys.fcntl(0, F_DUPFD, 5))
        await sys.setrlimit(RLIMIT_NOFILE, 3, 5)  # below what is open: those stay open
        await sys.close(3)
        seen["reopen"] = await errno_of(sys.open("/dev/null", O_RDONLY))
        seen["still_open"] = len(await sys.read(4, 10)) >= 0
        await sys.setrlimit(RLIMIT_NOFILE, 5, 5)
        seen["again"] = await sys.open("/dev/null", O_RDONLY)
        return 0

    ok(run_main(main))
    assert seen["fds"] == [3, 4]
    assert seen["emfile"] == seen["dup"] == seen["reopen"] == EMFILE
    assert seen["dup2_over"] == EBADF
    assert seen["dup2_under"] == 4
    assert seen["dupfd"] == EINVAL
    assert seen["still_open"] and seen["again"] == 3


def test_address_space_limit() -> None:
    seen: dict[str, Any] = {}

    async def main(argv: list[str]) -> int:
        await sys.setrlimit(RLIMIT_AS, 64 * MiB, INF)
        anon = MAP_PRIVATE | MAP_ANONYMOUS
        a = await sys.mmap(0, 32 * MiB, PROT_READ, anon)
        seen["over"] = await errno_of(sys.mmap(0, 40 * MiB, PROT_READ, anon))
        seen["none_counts"] = await errno_of(sys.mmap(0, 40 * MiB, 0, anon))
        seen["grow"] = await errno_of(sys.mremap(a, 32 * MiB, 72 * MiB, MREMAP_MAYMOVE))
        top = await sys.brk(0)
        seen["brk_refused"] = await sys.brk(top + 40 * MiB) == top
        seen["brk_ok"] = await sys.brk(top + MiB) == top + MiB
        await sys.munmap(a, 32 * MiB)
        seen["after_munmap"] = await errno_of(sys.mmap(0, 40 * MiB, PROT_READ, anon))
        return 0

    ok(run_main(main))
    assert seen["over"] == seen["none_counts"] == seen["grow"] == ENOMEM
    assert seen["brk_refused"] and seen["brk_ok"]
    assert seen["after_munmap"] == 0


def test_data_limit_counts_private_writable_memory() -> None:
    seen: dict[str, Any] = {}

    async def main(argv: list[str]) -> int:
        await sys.setrlimit(RLIMIT_DATA, 4 * MiB, INF)
        rw = PROT_READ | PROT_WRITE
        anon = MAP_ANONYMOUS
        seen["private_rw"] = await errno_of(sys.mmap(0, 8 * MiB, rw, MAP_PRIVATE | anon))
        seen["private_ro"] = await errno_of(sys.mmap(0, 8 * MiB, PROT_READ, MAP_PRIVATE | anon))
        seen["shared_rw"] = await errno_of(sys.mmap(0, 8 * MiB, rw, MAP_SHARED | anon))
        seen["small_rw"] = await errno_of(sys.mmap(0, 2 * MiB, rw, MAP_PRIVATE | anon))
        top = await sys.brk(0)
        seen["brk_refused"] = await sys.brk(top + 3 * MiB) == top  # 2 MiB + 3 MiB > 4 MiB
        seen["brk_ok"] = await sys.brk(top + MiB) == top + MiB
        return 0

    ok(run_main(main))
    assert seen["private_rw"] == ENOMEM
    assert seen["private_ro"] == seen["shared_rw"] == seen["small_rw"] == 0
    assert seen["brk_refused"] and seen["brk_ok"]


def test_stack_grows_to_its_limit_and_no_further() -> None:
    seen: dict[str, Any] = {}

    async def toucher(argv: list[str]) -> int:
        depth = int(argv[1])
        mmu = await sys.mmu()
        mmu.store8(STACK_TOP - depth, 0x5A)
        seen[depth] = mmu.load8(STACK_TOP - depth)
        return 0

    path = register(toucher)

    async def touch(depth: int) -> int:
        pid = await sys.spawn(path, [path, str(depth)])
        return (await sys.wait4(pid))[1]

    async def main(argv: list[str]) -> int:
        seen["1M"] = await touch(MiB)
        seen["7.9M"] = await touch(8 * MiB - 4096)
        seen["9M"] = await touch(9 * MiB)
        await sys.setrlimit(RLIMIT_STACK, 256 * 1024, INF)  # children inherit it
        seen["200K"] = await touch(200 * 1024)
        seen["512K"] = await touch(512 * 1024)
        return 0

    r = run_main(main)
    ok(r)
    assert seen["1M"] == seen["7.9M"] == seen["200K"] == 0
    assert seen[MiB] == seen[8 * MiB - 4096] == 0x5A
    for key in ("9M", "512K"):
        assert WIFSIGNALED(seen[key]) and WTERMSIG(seen[key]) == SIGSEGV
    assert f"segfault at {STACK_TOP - 9 * MiB:x} error 6" in r.log


def test_nproc_counts_the_real_users_tasks() -> None:
    seen: dict[str, Any] = {}

    async def alice(argv: list[str]) -> int:
        w, pids, seen["stopped"] = await start_blockers(10)
        seen["spawned"] = len(pids)
        seen["thread"] = await errno_of(sys.thread_spawn(_sleeper, None))
        await sys.close(w)  # the blockers end, but stay zombies until reaped
        await sys.nanosleep(MS)
        seen["zombies_count"] = await errno_of(sys.spawn(BLOCKER, ["b"]))
        await sys.wait4(pids[0])
        w2, more, _ = await start_blockers(1)
        seen["after_reap"] = len(more)
        await release(w2, more)
        for pid in pids[1:]:
            await sys.wait4(pid)
        return 0

    path = register(alice)

    async def main(argv: list[str]) -> int:
        await sys.setrlimit(RLIMIT_NPROC, 3, 3)
        w, pids, seen["root_err"] = await start_blockers(5)  # root is exempt
        seen["root_spawned"] = len(pids)
        await release(w, pids)
        pid = await sys.spawn(path, [path], None, None, None, ALICE)
        _, seen["status"] = await sys.wait4(pid)
        # A process started as another user counts against that user, whoever asks.
        w, pids, seen["as_alice_err"] = await start_blockers(5, ALICE)
        seen["as_alice"] = len(pids)
        await release(w, pids)
        return 0

    ok(run_main(main))
    assert (seen["root_spawned"], seen["root_err"]) == (5, 0)
    assert seen["status"] == 0
    assert (seen["spawned"], seen["stopped"]) == (2, EAGAIN)  # alice herself is the third
    assert seen["thread"] == seen["zombies_count"] == EAGAIN
    assert seen["after_reap"] == 1
    assert (seen["as_alice"], seen["as_alice_err"]) == (3, EAGAIN)


def test_threads_max_binds_root_too() -> None:
    seen: dict[str, Any] = {}
    box: dict[str, Any] = {}

    async def main(argv: list[str]) -> int:
        w, pids, seen["err"] = await start_blockers(100)
        seen["tasks"] = len(box["k"].procs.threads)
        seen["thread"] = await errno_of(sys.thread_spawn(_sleeper, None))
        await release(w, pids)
        seen["after"] = await errno_of(sys.thread_spawn(_sleeper, None))
        return 0

    k = box["k"] = machine(main, info=small(4 * MiB))
    ok(run(k))
    assert k.threads_max == max(20, 4 * MiB // (16 * 1024 * 8)) == 32
    assert seen["err"] == seen["thread"] == EAGAIN
    assert seen["tasks"] == k.threads_max
    assert seen["after"] == 0


FORK_BOMB = "f() { f | f & }; f; sleep 0.01"


def test_fork_bomb_of_a_user_hits_nproc_and_root_carries_on() -> None:
    script = (
        f"su alice -c '{FORK_BOMB}' 2>/tmp/err &\n"
        "sleep 0.002; /bin/echo root can spawn during it; wait\n"
        "grep -c -e 'Cannot fork' -e 'Resource temporarily unavailable' /tmp/err\n"
        "/bin/echo still usable\n"
    )
    r = shell(script, info=small(4 * MiB, limits=((RLIMIT_NPROC, (8, 8)),)))
    ok(r)
    lines = r.output.splitlines()
    assert lines[0] == "root can spawn during it"
    assert int(lines[1]) > 0
    assert lines[-1] == "still usable"
    assert list(r.kernel.procs.threads) == [1]  # only init is left: the bomb is gone


def test_fork_bomb_of_root_hits_threads_max() -> None:
    script = (
        f"sh -c '{FORK_BOMB}' 2>/tmp/err\n"
        "grep -c -e 'Cannot fork' -e 'Resource temporarily unavailable' /tmp/err\n"
        "/bin/echo still usable\n"
    )
    r = shell(script, info=small(4 * MiB))
    ok(r)
    count, last = r.output.splitlines()[-2:]
    assert int(count) > 0 and last == "still usable"


# ---------------------------------------------------------------------- image defaults
def test_image_limits_and_vm_reach_the_machine() -> None:
    seen: dict[str, Any] = {}
    info = parse_image(
        "name: m\nmemory: 16MiB\n"
        "limits: {nofile: [64, 128], stack: 1MiB, core: unlimited, nproc: 100, as: 1GiB}\n"
        "vm: {overcommit_memory: 2, overcommit_ratio: 80}\n"
    )

    async def main(argv: list[str]) -> int:
        seen["all"] = [await sys.getrlimit(r) for r in range(RLIM_NLIMITS)]
        fds = []
        try:
            while True:
                fds.append(await sys.open("/dev/null", O_RDONLY))
        except Exception as e:  # noqa: BLE001
            seen["stop"] = getattr(e, "errno", -1)
        seen["highest"] = fds[-1]
        return 0

    k = machine(main, info=info)
    ok(run(k))
    limits = seen["all"]
    assert limits[RLIMIT_NOFILE] == (64, 128)
    assert limits[RLIMIT_STACK] == (MiB, MiB)
    assert limits[RLIMIT_CORE] == (INF, INF)
    assert limits[RLIMIT_NPROC] == (100, 100)
    assert limits[RLIMIT_AS] == (1 << 30, 1 << 30)
    assert limits[RLIMIT_DATA] == (INF, INF)  # the rest keep Linux's defaults
    assert (seen["stop"], seen["highest"]) == (EMFILE, 63)
    assert (k.vm.overcommit_memory, k.vm.overcommit_ratio) == (2, 80)
