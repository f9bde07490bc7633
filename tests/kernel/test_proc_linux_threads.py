"""Status lines, threads, zombies and stat's address fields as Linux shows them
(issue 15): the format rules as unit assertions on the zoo machine's /proc
(tests/kernel/procdump.py), psutil over a dump of it, and procps/psmisc over the dump
bind-mounted on /proc (skipped as tests/kernel/test_proc_clients.py skips them).
"""

from __future__ import annotations

import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import psutil
import pytest
from ksim import discard
from procdump import Zoo, dump_proc, snapshot, zoo
from test_proc_clients import _procps_ready

from kernel.abi import ENOENT, ESRCH, Error
from kernel.fs.procinfo import status_text
from kernel.host import HostClient
from kernel.mm.fault import copy_from
from kernel.proc import Process as KProcess

#: A status line as Linux prints it: the key, a colon, a TAB, the value.
STATUS_LINE = re.compile(r"^[A-Za-z_]\w*:\t")
#: A Vm*/Rss* line: the size in kB right-aligned in 8 columns.
KB_LINE = re.compile(r"^(Vm\w+|Rss\w+|HugetlbPages):\t[ \d]{7}\d kB$")


@pytest.fixture(scope="module")
def z() -> Iterator[Zoo]:
    zz = zoo()
    yield zz
    discard(zz.kernel)  # the machine never runs to its end


@pytest.fixture(scope="module")
def host(z: Zoo) -> HostClient:
    return HostClient(z.kernel)


@pytest.fixture(scope="module")
def dump(z: Zoo, tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("proc")
    snapshot(z.kernel, root, z.parent)
    return root


@pytest.fixture
def procfs(dump: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setattr(psutil, "PROCFS_PATH", str(dump))
    return dump


def kproc(z: Zoo, pid: int) -> KProcess:
    return z.kernel.procs.procs[pid]


def text(host: HostClient, path: str) -> str:
    return host.read_file(path).decode()


def stat_fields(host: HostClient, path: str) -> list[str]:
    """stat's fields, numbered from 1 as proc(5) does (index 0 unused)."""
    line = text(host, path)
    head, _, rest = line.rpartition(")")
    pid, _, comm = head.partition(" (")
    return ["", pid, f"({comm})", *rest.split()]


def tids(z: Zoo) -> list[int]:
    return [t.tid for t in kproc(z, z.threaded).threads]


# ---------------------------------------------------------------------- status lines
def test_status_text_puts_a_tab_after_every_colon() -> None:
    assert status_text([("Name", "sh"), ("Groups", "")]) == "Name:\tsh\nGroups:\t\n"


def test_every_status_line_is_key_colon_tab(z: Zoo, host: HostClient) -> None:
    for pid in (z.parent, z.other, z.stopped, z.threaded, z.zombie):
        for line in text(host, f"/proc/{pid}/status").splitlines():
            assert STATUS_LINE.match(line), (pid, line)
            if line.startswith(("Vm", "Rss", "Huge")):
                assert KB_LINE.match(line), (pid, line)
    vm = [x for x in text(host, f"/proc/{z.threaded}/status").splitlines() if x[:2] == "Vm"]
    assert vm[0].startswith("VmPeak:\t") and len(vm) == 12


def test_groups_end_with_a_space_per_group(z: Zoo, host: HostClient) -> None:
    for pid in (z.parent, z.other):
        groups = kproc(z, pid).cred.groups
        line = next(x for x in text(host, f"/proc/{pid}/status").splitlines() if "Groups" in x)
        assert line == "Groups:\t" + "".join(f"{g} " for g in groups)


# ---------------------------------------------------------------------- threads
def test_a_threads_tid_resolves_hidden_from_the_listing(z: Zoo, host: HostClient) -> None:
    leader, *others = tids(z)
    listed = host.listdir("/proc")
    assert str(leader) in listed and not any(str(t) in listed for t in others)
    kp = kproc(z, z.threaded)
    for tid in others:
        status = dict(x.split(":\t", 1) for x in text(host, f"/proc/{tid}/status").splitlines())
        assert (status["Tgid"], status["Pid"], status["Name"]) == (str(kp.pid), str(tid), kp.comm)
        assert host.read_file(f"/proc/{tid}/cmdline") == host.read_file(f"/proc/{kp.pid}/cmdline")
        assert host.readlink(f"/proc/{tid}/exe") == kp.exe
        assert stat_fields(host, f"/proc/{tid}/stat")[1] == str(tid)


def test_task_directories_show_the_processs_files(z: Zoo, host: HostClient) -> None:
    pid = z.threaded
    shared = ("cmdline", "environ", "maps", "statm")
    for tid in tids(z):
        task = f"/proc/{pid}/task/{tid}"
        names = set(host.listdir(task))
        assert {"cwd", "exe", "fd", "fdinfo", "root", *shared} <= names
        for name in shared:
            assert host.read_file(f"{task}/{name}") == host.read_file(f"/proc/{pid}/{name}")
        for link in ("cwd", "exe", "root"):
            assert host.readlink(f"{task}/{link}") == host.readlink(f"/proc/{pid}/{link}")
        assert host.listdir(f"{task}/fd") == host.listdir(f"/proc/{pid}/fd")


def test_threads_take_the_processs_name_and_exit_signal_minus_one(z: Zoo, host: HostClient) -> None:
    pid = z.threaded
    comm = kproc(z, pid).comm
    leader, *others = tids(z)
    for tid in (leader, *others):
        assert text(host, f"/proc/{pid}/task/{tid}/comm") == comm + "\n"
        f = stat_fields(host, f"/proc/{pid}/task/{tid}/stat")
        assert f[2] == f"({comm})"
        assert f[38] == ("17" if tid == leader else "-1")  # exit_signal
    assert stat_fields(host, f"/proc/{pid}/stat")[38] == "17"


# ---------------------------------------------------------------------- zombies
def test_a_zombie_keeps_its_task_loses_exe_and_environ(z: Zoo, host: HostClient) -> None:
    pid = z.zombie
    assert host.listdir(f"/proc/{pid}/task") == [str(pid)]
    assert stat_fields(host, f"/proc/{pid}/task/{pid}/stat")[3] == "Z"
    with pytest.raises(Error) as err:
        host.readlink(f"/proc/{pid}/exe")
    assert err.value.errno == ENOENT
    with pytest.raises(Error) as err:
        host.read_file(f"/proc/{pid}/environ")
    assert err.value.errno == ESRCH
    f = stat_fields(host, f"/proc/{pid}/stat")
    assert f[26:29] == ["0", "0", "0"] and f[45:52] == ["0"] * 7


# ---------------------------------------------------------------------- stat's addresses
def test_stat_addresses_agree_with_maps_and_memory(z: Zoo, host: HostClient) -> None:
    for pid in (z.parent, z.threaded, z.stopped):
        kp = kproc(z, pid)
        f = [int(x) if i > 3 else 0 for i, x in enumerate(stat_fields(host, f"/proc/{pid}/stat"))]
        start_code, end_code, start_stack = f[26:29]
        start_data, end_data, start_brk, arg_start, arg_end, env_start, env_end = f[45:52]
        areas = [x.split() for x in text(host, f"/proc/{pid}/maps").splitlines()]
        spans = {a[-1]: tuple(int(n, 16) for n in a[0].split("-")) for a in areas if len(a) > 5}
        assert spans[kp.exe] == (start_code, end_code)
        lo, hi = spans["[stack]"]
        assert lo <= start_stack == arg_start < arg_end <= env_start < env_end < hi
        assert start_data == end_data == end_code and start_brk == kp.mm.start_brk
        mm = kp.mm
        assert copy_from(mm, arg_start, arg_end - arg_start) == host.read_file(
            f"/proc/{pid}/cmdline"
        )
        assert copy_from(mm, env_start, env_end - env_start) == host.read_file(
            f"/proc/{pid}/environ"
        )


# ---------------------------------------------------------------------- psutil
def test_psutil_threads_zombie_and_memory(z: Zoo, procfs: Path) -> None:
    kp = kproc(z, z.threaded)
    p = psutil.Process(z.threaded)
    assert sorted(t.id for t in p.threads()) == sorted(tids(z))
    assert p.num_threads() == 3 and p.name() == kp.comm
    assert p.memory_info().rss == kp.mm.resident * 4096 and p.memory_info().vms == kp.mm.size
    zp = psutil.Process(z.zombie)
    assert zp.status() == psutil.STATUS_ZOMBIE
    assert [t.id for t in zp.threads()] == [z.zombie]
    with pytest.raises(psutil.Error):
        zp.environ()
    with pytest.raises(psutil.ZombieProcess):
        zp.exe()  # readlink ENOENT on a zombie, as on Linux


def test_psutil_opens_a_thread_id_as_its_process(
    z: Zoo, host: HostClient, dump: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """psutil.Process(tid) reads /proc/<tid> (a listing-walk dump cannot hold a hidden
    entry: this one adds it)."""
    root = tmp_path / "proc"
    shutil.copytree(dump, root, symlinks=True)
    tid = tids(z)[1]
    dump_proc(host, f"/proc/{tid}", root / str(tid))
    monkeypatch.setattr(psutil, "PROCFS_PATH", str(root))
    kp = kproc(z, z.threaded)
    t = psutil.Process(tid)
    assert t.name() == kp.comm and t.ppid() == kp.ppid
    assert t.cmdline() == kp.argv and t.exe() == kp.exe


# ---------------------------------------------------------------------- procps, psmisc
def run_tools(root: Path, cmds: dict[str, str]) -> dict[str, str]:
    """Each command as pid 1 of a private pid and mount namespace with ``root`` on
    /proc (procps looks itself up by its pid: there pid 1 is the machine's init)."""
    out: dict[str, str] = {}
    for name, cmd in cmds.items():
        r = subprocess.run(
            ["unshare", "-m", "-p", "-f", "--propagation", "private", "sh", "-c"]
            + [f"mount --bind {root} /proc || exit 99\nexec {cmd}"],
            capture_output=True,
            text=True,
            timeout=60,
        )
        if r.returncode == 99:
            pytest.skip(f"cannot bind-mount on /proc: {r.stderr.strip()}")
        assert r.returncode == 0, (name, r.stdout, r.stderr)
        out[name] = r.stdout
    return out


@pytest.fixture(scope="module")
def tools(z: Zoo, dump: Path) -> Iterator[dict[str, str]]:
    why = _procps_ready() or next(
        (f"no {t} on this host" for t in ("pstree", "prtstat", "pwdx") if not shutil.which(t)),
        None,
    )
    if why:
        pytest.skip(why)
    yield run_tools(
        dump,
        {
            "aux": "ps aux",
            "eLf": "ps -ww -eLf",
            "top": "top -b -n1 -w 200",
            "pstree": "pstree -p",
            "prtstat": f"prtstat {z.threaded}",
            "pwdx": f"pwdx {z.parent}",
            "pidof": "pidof sleep",
        },
    )


def test_ps_aux_shows_sizes_and_threads(z: Zoo, tools: dict[str, str]) -> None:
    rows = {int(x.split()[1]): x.split() for x in tools["aux"].splitlines()[1:]}
    kp = kproc(z, z.threaded)
    vsz, rss, stat = rows[z.threaded][4], rows[z.threaded][5], rows[z.threaded][7]
    assert (int(vsz), int(rss)) == (kp.mm.size // 1024, kp.mm.resident * 4)
    assert "l" in stat and rows[z.zombie][7].startswith("Z") and rows[z.stopped][7][0] == "T"


def test_ps_elf_lists_each_thread_and_the_zombie(z: Zoo, tools: dict[str, str]) -> None:
    rows = [x.split(None, 9) for x in tools["eLf"].splitlines()[1:]]
    threaded = [r for r in rows if r[1] == str(z.threaded)]
    assert sorted(int(r[3]) for r in threaded) == sorted(tids(z))
    assert {r[5] for r in threaded} == {"3"}  # NLWP
    assert {r[7] for r in threaded} == {"console"}
    assert {r[9] for r in threaded} == {" ".join(kproc(z, z.threaded).argv)}
    assert any(r[1] == r[3] == str(z.zombie) and "<defunct>" in r[9] for r in rows)


def test_top_pstree_prtstat_pwdx_pidof(z: Zoo, tools: dict[str, str]) -> None:
    top = {x.split()[0]: x.split() for x in tools["top"].splitlines() if x.split()[:1] != []}
    kp = kproc(z, z.threaded)
    assert top[str(z.threaded)][4:6] == [str(kp.mm.size // 1024), str(kp.mm.resident * 4)]
    for tid in tids(z)[1:]:
        assert f"{{{kp.comm}}}({tid})" in tools["pstree"]
    assert "Threads: 3" in tools["prtstat"]
    assert f"Code Start:  {kp.mm.start_code:#x}" in tools["prtstat"]
    assert f"Stack Start: {kp.mm.start_stack:#x}" in tools["prtstat"]
    assert tools["pwdx"].strip() == f"{z.parent}: /root"
    assert sorted(tools["pidof"].split()) == sorted([str(z.other), str(z.stopped)])
