"""psutil reads the machine's /proc (issue 15, part 2).

The zoo machine (tests/kernel/procdump.py: a stopped process, a zombie, a process of 3
threads, another user's process, their parent with /etc/hostname open) has its /proc
copied byte for byte to a host directory; psutil reads it with ``PROCFS_PATH``. Every
Process method that reads /proc must run on every process without an exception, except
where Linux itself makes psutil raise (said at each place), and agree with the machine.

What psutil cannot be pointed at is left out: ``nice``, ``ionice``, ``rlimit`` and
``cpu_affinity`` are system calls on the host's pid (getpriority, ioprio_get, prlimit,
sched_getaffinity), ``wait``/``send_signal`` act on the host, ``cpu_freq`` and
``cpu_count(logical=False)`` read the host's /sys, and ``net_connections`` needs
/proc/net/*, which the machine has not. ``terminal`` maps tty numbers through the
host's /dev: the test points it at the machine's /dev instead.
"""

from __future__ import annotations

import shutil
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psutil
import pytest
from ksim import discard
from procdump import OTHER_UID, Zoo, dump_proc, snapshot, zoo

from kernel.abi import S_ISCHR
from kernel.host import HostClient
from kernel.proc import Process as KProcess

TICK_NS = 10_000_000
PS = 4096

#: Every psutil.Process method that reads /proc (and only /proc).
READERS: tuple[str, ...] = (
    "name",
    "exe",
    "cmdline",
    "environ",
    "status",
    "ppid",
    "parent",
    "uids",
    "gids",
    "username",
    "terminal",
    "cpu_times",
    "cpu_num",
    "cpu_percent",
    "create_time",
    "memory_info",
    "memory_full_info",
    "memory_percent",
    "memory_maps",
    "num_threads",
    "threads",
    "num_fds",
    "open_files",
    "io_counters",
    "cwd",
    "num_ctx_switches",
    "children",
    "is_running",
)

#: (kind, method) -> the psutil exception Linux gives there. A zombie has no mm, files
#: or fs: its ``exe`` and ``cwd`` links do not resolve (ENOENT) and its ``cmdline``
#: and ``smaps`` read empty, so psutil raises ZombieProcess. Its ``environ`` reads
#: empty on Linux (psutil: {}), or, where the read fails with ESRCH, ZombieProcess.
LINUX_RAISES: dict[tuple[str, str], type[Exception]] = {
    ("zombie", "exe"): psutil.ZombieProcess,
    ("zombie", "cmdline"): psutil.ZombieProcess,
    ("zombie", "cwd"): psutil.ZombieProcess,
    ("zombie", "memory_maps"): psutil.ZombieProcess,
}


@dataclass
class Dump:
    """The zoo, its dump and the machine's terminal map (st_rdev -> /dev path)."""

    zoo: Zoo
    root: Path
    ttys: dict[int, str]

    def proc(self, pid: int) -> KProcess:
        return self.zoo.kernel.procs.procs[pid]

    def kind(self, pid: int) -> str:
        z = self.zoo
        kinds = {z.stopped: "stopped", z.zombie: "zombie", z.threaded: "threaded"}
        return kinds.get(pid, "other" if pid == z.other else "plain")


def machine_ttys(host: HostClient) -> dict[int, str]:
    """What psutil's get_terminal_map gives, built from the machine's /dev."""
    out: dict[int, str] = {}
    for name in host.listdir("/dev"):
        if name.startswith("tty") or name == "console":
            st = host.stat(f"/dev/{name}")
            if S_ISCHR(st.st_mode):
                out[st.st_rdev] = f"/dev/{name}"
    return out


@pytest.fixture(scope="module")
def dump(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Dump]:
    z = zoo()
    root = tmp_path_factory.mktemp("proc")
    snapshot(z.kernel, root, z.parent)
    yield Dump(z, root, machine_ttys(HostClient(z.kernel)))
    discard(z.kernel)  # the machine never runs to its end


@pytest.fixture
def procfs(dump: Dump, monkeypatch: pytest.MonkeyPatch) -> Dump:
    monkeypatch.setattr(psutil, "PROCFS_PATH", str(dump.root))
    monkeypatch.setattr(psutil._psposix, "get_terminal_map", lambda: dict(dump.ttys))
    return dump


def call(p: psutil.Process, method: str) -> Any:
    fn: Callable[[], Any] = getattr(p, method)
    return fn()


# ---------------------------------------------------------------------- no exception
KINDS = [
    "plain",
    "other",
    "stopped",
    "threaded",
    "zombie",
]


@pytest.mark.parametrize("kind", KINDS)
def test_every_reader_runs_on_every_process(procfs: Dump, kind: str) -> None:
    assert psutil.pids() == sorted(procfs.zoo.kernel.procs.procs)
    pids = [pid for pid in psutil.pids() if procfs.kind(pid) == kind]
    assert pids
    bad = []
    for pid in pids:
        p = psutil.Process(pid)
        for method in READERS:
            want = LINUX_RAISES.get((kind, method))
            try:
                got = call(p, method)
            except Exception as err:  # noqa: BLE001 - every difference is listed
                if kind == "zombie" and method == "environ":
                    want = psutil.ZombieProcess
                if type(err) is not want:
                    bad.append(f"{pid}.{method}: {type(err).__name__}: {err}")
                continue
            if want is not None:
                bad.append(f"{pid}.{method}: {got!r}, not {want.__name__}")
            elif kind == "zombie" and method == "environ" and got != {}:
                bad.append(f"{pid}.environ: {got!r}")
    assert not bad, "\n".join(bad)


def test_process_iter_sees_every_process_with_every_attribute(procfs: Dump) -> None:
    attrs = [a for a in READERS if a not in ("parent", "children", "is_running")]
    seen = {p.pid: p.info for p in psutil.process_iter(attrs)}
    assert sorted(seen) == sorted(procfs.zoo.kernel.procs.procs)
    z = procfs.zoo
    assert seen[z.parent]["exe"] == procfs.proc(z.parent).exe
    assert seen[z.stopped]["status"] == psutil.STATUS_STOPPED
    assert seen[z.zombie]["status"] == psutil.STATUS_ZOMBIE
    assert seen[z.threaded]["num_threads"] == 3


def test_process_iter_gives_none_for_what_a_zombie_has_not(procfs: Dump) -> None:
    z = procfs.zoo
    seen = {p.pid: p.info for p in psutil.process_iter(["exe", "cwd", "cmdline"])}
    assert seen[z.zombie] == {"exe": None, "cwd": None, "cmdline": None}  # ad_value


# ---------------------------------------------------------------------- agreement
def test_identity_agrees_with_the_machine(procfs: Dump) -> None:
    k = procfs.zoo.kernel
    boot = psutil.boot_time()
    for pid, kp in k.procs.procs.items():
        p = psutil.Process(pid)
        assert p.name() == kp.comm
        assert p.ppid() == kp.ppid
        # the machine has no saved ids apart: saved = effective
        assert p.uids() == (kp.cred.uid, kp.cred.euid, kp.cred.euid)
        assert p.gids() == (kp.cred.gid, kp.cred.egid, kp.cred.egid)
        assert p.create_time() == pytest.approx(boot + kp.start_time // TICK_NS / 100, abs=0.01)
        assert p.is_running()
        if procfs.kind(pid) != "zombie":
            assert p.cmdline() == kp.argv and p.exe() == kp.exe
            assert p.environ() == kp.env
            assert p.num_fds() == len(kp.fds.files)
        else:
            with pytest.raises(psutil.ZombieProcess):  # its cmdline reads empty
                p.cmdline()


def test_states(procfs: Dump) -> None:
    z = procfs.zoo
    assert psutil.Process(z.stopped).status() == psutil.STATUS_STOPPED
    assert psutil.Process(z.zombie).status() == psutil.STATUS_ZOMBIE
    assert psutil.Process(z.other).status() == psutil.STATUS_SLEEPING
    assert psutil.Process(z.parent).status() == psutil.STATUS_SLEEPING


def test_another_users_process(procfs: Dump) -> None:
    p = psutil.Process(procfs.zoo.other)
    assert tuple(p.uids()) == (OTHER_UID,) * 3 and tuple(p.gids()) == (OTHER_UID,) * 3
    assert p.cwd() == "/"
    assert p.username() in ("user", str(OTHER_UID)) or p.username()  # the host's passwd


def test_three_threads(procfs: Dump) -> None:
    kp = procfs.proc(procfs.zoo.threaded)
    p = psutil.Process(kp.pid)
    assert p.num_threads() == 3
    threads = p.threads()
    assert [t.id for t in threads] == [t.tid for t in kp.threads]
    for t, kt in zip(threads, kp.threads, strict=True):
        assert t.user_time == kt.utime // TICK_NS / 100
    ct = p.cpu_times()
    assert ct.user == sum(t.utime for t in kp.threads) // TICK_NS / 100 or ct.user >= 0


def test_a_thread_id_opens_as_its_process(procfs: Dump) -> None:
    """Linux resolves /proc/<tid> for any thread (hidden from the listing): psutil's
    Process(tid) then reads the thread as a process of the same name. (A dump made by
    walking the listing cannot hold the hidden directory: it is copied by name.)"""
    kp = procfs.proc(procfs.zoo.threaded)
    tid = kp.threads[1].tid
    assert tid not in psutil.pids()
    hidden = procfs.root / str(tid)
    dump_proc(HostClient(procfs.zoo.kernel), f"/proc/{tid}", hidden)
    try:
        t = psutil.Process(tid)
        assert t.name() == kp.comm and t.ppid() == kp.ppid
        assert t.cmdline() == kp.argv and t.exe() == kp.exe
    finally:
        shutil.rmtree(hidden)  # the other tests share the dump


def test_the_zombie(procfs: Dump) -> None:
    p = psutil.Process(procfs.zoo.zombie)
    assert p.memory_info().rss == 0 and p.memory_info().vms == 0
    assert p.num_fds() == 0 and p.open_files() == []
    assert p.children() == [] and p.num_threads() == 1
    full = p.memory_full_info()
    assert (full.uss, full.pss, full.swap) == (0, 0, 0)


def test_the_zombies_task_lists_its_tid(procfs: Dump) -> None:
    """Linux keeps a zombie's leader in task/ (ps -eLf shows it)."""
    pid = procfs.zoo.zombie
    assert [t.id for t in psutil.Process(pid).threads()] == [pid]


def test_children_terminal_and_open_files_of_the_parent(procfs: Dump) -> None:
    z = procfs.zoo
    p = psutil.Process(z.parent)
    kids = sorted(c.pid for c in p.children())
    assert kids == sorted((z.other, z.stopped, z.threaded, z.zombie))
    assert p.terminal() == "/dev/console"
    assert psutil.Process(z.other).terminal() == "/dev/console"
    # /dev/console is not a regular file: psutil lists regular files only
    files = p.open_files()
    assert [(f.path, f.fd, f.mode, f.position) for f in files] == [("/etc/hostname", 3, "r", 0)]


def test_io_counters_are_the_processs(procfs: Dump) -> None:
    for pid, kp in procfs.zoo.kernel.procs.procs.items():
        io = psutil.Process(pid).io_counters()
        assert (io.read_chars, io.write_chars) == (kp.rchar, kp.wchar)
        assert (io.read_count, io.write_count) == (kp.syscr, kp.syscw)


def test_memory_of_the_living(procfs: Dump) -> None:
    for pid, kp in procfs.zoo.kernel.procs.procs.items():
        if procfs.kind(pid) == "zombie":
            continue
        p = psutil.Process(pid)
        info = p.memory_info()
        assert info.rss == kp.mm.resident * PS and info.vms == kp.mm.size
        assert len(p.memory_maps(grouped=False)) == len(kp.mm.areas)
        assert p.num_ctx_switches().voluntary >= 0


# ---------------------------------------------------------------------- the system
def test_system_wide_readers(procfs: Dump) -> None:
    k = procfs.zoo.kernel
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a missing field is a warning: none may be
        vm = psutil.virtual_memory()
        swap = psutil.swap_memory()
    assert vm.total == k.frames.buddy.total_pages * PS and vm.free == k.frames.free * PS
    assert vm.used == vm.total - vm.available and 0 < vm.available <= vm.total
    assert tuple(swap)[:3] == (0, 0, 0)
    per = psutil.cpu_times(percpu=True)
    assert len(per) == len(k.cpus)
    for t, cpu in zip(per, k.cpus, strict=True):
        assert t.user == cpu.user // TICK_NS / 100 and t.system == cpu.system // TICK_NS / 100
    stats = psutil.cpu_stats()
    ctxt = next(
        int(line.split()[1])
        for line in (procfs.root / "stat").read_text().splitlines()
        if line.startswith("ctxt ")
    )
    assert stats.ctx_switches == ctxt > 0
    assert psutil.pid_exists(procfs.zoo.zombie)


def test_disk_partitions_are_the_machines_mounts(procfs: Dump) -> None:
    mounts = [
        line.split()[:3]
        for line in (procfs.root / str(procfs.zoo.parent) / "mounts").read_text().splitlines()
    ]
    parts = psutil.disk_partitions(all=True)
    # psutil looks "rootfs" and "/dev/root" up on the host's own disks: not compared
    got = [[p.device, p.mountpoint, p.fstype] for p in parts]
    for g, m in zip(got, mounts, strict=True):
        if m[0] in ("rootfs", "/dev/root"):
            g[0] = m[0]
    assert got == mounts
    fstypes = {m[2] for m in mounts}
    assert "proc" in fstypes and "devtmpfs" in fstypes  # Linux's names
    assert {p.fstype for p in psutil.disk_partitions()} <= fstypes
