"""The /proc files Linux tools open besides the process and memory ones: each file's
format as Linux writes it, then the real clients on a dump of the machine's /proc:
psutil (``io_counters``, ``disk_partitions``, ``num_fds``, ``virtual_memory``), and,
when the host lets us (root, ``unshare -m``, a C compiler), procps's ``free`` and lsof
(whose r/w/u comes from the fd links' mode bits: a host symlink has no mode, so a small
preloaded library gives lsof the machine's ones)."""

from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import psutil
import pytest
from ksim import MS, SECOND, machine, shell
from procdump import snapshot

from kernel.abi import (
    O_CREAT,
    O_RDONLY,
    O_RDWR,
    O_WRONLY,
    OP_READ,
    OP_WRITE,
    S_IFLNK,
)
from kernel.host import HostClient
from kernel.kernel import Kernel
from kernel.proc import Process
from userland.libk import sys

WRITTEN = b"x" * 1000
NS = {
    "cgroup": 4026531835,
    "ipc": 4026531839,
    "mnt": 4026531840,
    "net": 4026531992,
    "pid": 4026531836,
    "user": 4026531837,
    "uts": 4026531838,
}


async def worker(argv: list[str]) -> int:
    """Opens a file for writing (fd 3), one for reading (4), one for both (5); writes
    and reads with write(2), read(2) and do_io, then waits."""
    w = await sys.open("/tmp/out", O_WRONLY | O_CREAT, 0o644)
    await sys.write(w, WRITTEN)
    r = await sys.open("/etc/hostname", O_RDONLY, 0)
    await sys.read(r, 100)
    rw = await sys.open("/tmp/out", O_RDWR, 0)
    await sys.do_io(rw, OP_WRITE, b"abcd", 0)
    await sys.do_io(rw, OP_READ, 10, 0)
    await sys.nanosleep(100 * SECOND)
    return 0


@dataclass
class Dump:
    kernel: Kernel
    host: HostClient
    root: Path
    proc: Process


@pytest.fixture(scope="module")
def dump(tmp_path_factory: pytest.TempPathFactory) -> Dump:
    k = machine(worker)
    k.run(until=50 * MS)
    root = tmp_path_factory.mktemp("proc")
    proc = k.procs.procs[2]
    snapshot(k, root, proc.pid)
    return Dump(k, HostClient(k), root, proc)


@pytest.fixture
def procfs(dump: Dump, monkeypatch: pytest.MonkeyPatch) -> Dump:
    monkeypatch.setattr(psutil, "PROCFS_PATH", str(dump.root))
    return dump


def text(d: Dump, path: str) -> str:
    return d.host.read_file(path).decode()


# ---------------------------------------------------------------------- formats
def test_io_counts_bytes_and_calls(dump: Dump) -> None:
    hostname = text(dump, "/etc/hostname").encode()
    lines = text(dump, "/proc/2/io").splitlines()
    names = [line.split(": ")[0] for line in lines]
    assert names == [
        "rchar",
        "wchar",
        "syscr",
        "syscw",
        "read_bytes",
        "write_bytes",
        "cancelled_write_bytes",
    ]
    values = {line.split(": ")[0]: int(line.split(": ")[1]) for line in lines}
    assert values["wchar"] == len(WRITTEN) + 4 and values["syscw"] == 2
    assert values["rchar"] == min(100, len(hostname)) + 10 and values["syscr"] == 2
    assert oct(dump.host.lstat("/proc/2/io").st_mode & 0o777) == "0o400"


def test_fd_links_carry_the_open_mode(dump: Dump) -> None:
    modes = {fd: dump.host.lstat(f"/proc/2/fd/{fd}").st_mode for fd in (0, 3, 4, 5)}
    assert modes == {0: S_IFLNK | 0o700, 3: S_IFLNK | 0o300, 4: S_IFLNK | 0o500, 5: S_IFLNK | 0o700}
    assert dump.host.readlink("/proc/2/fd/4") == "/etc/hostname"


def test_mounts_use_linuxs_names(dump: Dump) -> None:
    mounts = text(dump, "/proc/mounts")
    assert "proc /proc proc rw 0 0\n" in mounts
    assert "devtmpfs /dev devtmpfs rw 0 0\n" in mounts
    assert "tmpfs /tmp tmpfs rw,mode=1777 0 0\n" in mounts
    assert "sysfs /sys sysfs " in mounts
    assert "procfs" not in mounts and "devfs " not in mounts
    assert text(dump, "/proc/2/mounts") == mounts
    assert all(len(line.split()) == 6 for line in mounts.splitlines())


def test_root_cgroup_and_namespaces(dump: Dump) -> None:
    h = dump.host
    assert h.readlink("/proc/2/root") == "/"
    assert h.stat("/proc/2/root").st_ino == h.stat("/").st_ino
    assert text(dump, "/proc/2/cgroup") == "0::/\n"
    assert sorted(h.listdir("/proc/2/ns")) == sorted(NS)
    assert h.lstat("/proc/2/ns").st_mode & 0o777 == 0o511
    for name, ino in NS.items():
        assert h.readlink(f"/proc/2/ns/{name}") == f"{name}:[{ino}]"
        assert h.stat(f"/proc/2/ns/{name}").st_ino == ino
        assert h.readlink(f"/proc/1/ns/{name}") == f"{name}:[{ino}]"  # one namespace each


def test_tty_drivers_locks_and_kernel_sysctls(dump: Dump) -> None:
    drivers = text(dump, "/proc/tty/drivers").splitlines()
    assert drivers[0] == "/dev/tty             /dev/tty        5       0 system:/dev/tty"
    assert drivers[1] == "/dev/console         /dev/console    5       1 system:console"
    assert any(line.split()[-1] == "pty:slave" for line in drivers)
    assert text(dump, "/proc/locks") == ""
    k = dump.kernel
    from kernel.kernel import RELEASE

    assert text(dump, "/proc/sys/kernel/pid_max") == f"{k.procs.pid_max}\n"
    assert text(dump, "/proc/sys/kernel/osrelease") == f"{RELEASE}\n"
    assert text(dump, "/proc/sys/kernel/ostype") == "libk\n"
    assert text(dump, "/proc/sys/kernel/hostname") == f"{k.hostname}\n"


def test_cpuinfo_blocks_end_with_a_blank_line(dump: Dump) -> None:
    cpuinfo = text(dump, "/proc/cpuinfo")
    assert cpuinfo.endswith("\n\n") and not cpuinfo.endswith("\n\n\n")
    blocks = cpuinfo.split("\n\n")[:-1]
    assert len(blocks) == len(dump.kernel.cpus)
    assert all(b.startswith(f"processor\t: {i}\n") for i, b in enumerate(blocks))


def test_meminfo_available_counts_reclaimable_cache(dump: Dump) -> None:
    info = {
        line.split(":")[0]: int(line.split()[1])
        for line in text(dump, "/proc/meminfo").splitlines()
    }
    k = dump.kernel
    fr = k.frames
    wmin = k.vm.min_free_kbytes * 1024 // fr.page_size
    tmp = max(wmin >> 2, fr.buddy.total_pages * 10 // 10000)
    low, high = wmin + tmp, wmin + 2 * tmp
    file = fr.by_kind["file"]
    pages = fr.free - high + file - min(file // 2, low)
    assert info["MemAvailable"] == max(0, pages) * fr.page_size // 1024
    assert info["MemAvailable"] <= info["MemTotal"]
    # tmpfs pages (Shmem) cannot be dropped: Linux leaves them out of MemAvailable.
    assert info["Cached"] >= info["Shmem"] > 0


def test_hostname_and_pid_max_are_writable_by_root_only() -> None:
    r = shell(
        "echo box > /proc/sys/kernel/hostname; hostname; cat /proc/sys/kernel/hostname; "
        "echo 5000 > /proc/sys/kernel/pid_max; cat /proc/sys/kernel/pid_max; "
        "echo 7 > /proc/sys/kernel/pid_max; echo $?; "
        "echo x > /proc/sys/kernel/osrelease; echo $?; "
        "su alice -c 'echo y > /proc/sys/kernel/hostname'; echo $?; "
        "su alice -c 'cat /proc/1/io'; echo $?; "
        "su alice -c 'readlink /proc/1/ns/mnt'; echo $?; hostname"
    )
    assert r.output.splitlines() == [
        "box",
        "box",
        "5000",
        "sh: 1: echo: write error: Invalid argument",  # pid_max 7 < RESERVED_PIDS
        "1",
        "sh: 1: echo: write error: Permission denied",  # osrelease is read-only
        "1",
        "sh: 1: cannot create /proc/sys/kernel/hostname: Permission denied",
        "2",
        "cat: /proc/1/io: Permission denied",  # the ptrace rule
        "1",
        "1",  # readlink of another user's ns link: EACCES
        "box",
    ]


# ---------------------------------------------------------------------- psutil
def test_psutil_io_counters_fds_and_partitions(procfs: Dump) -> None:
    proc = procfs.proc
    p = psutil.Process(proc.pid)
    io = p.io_counters()
    assert (io.read_count, io.write_count) == (proc.syscr, proc.syscw)
    assert (io.read_chars, io.write_chars) == (proc.rchar, proc.wchar)
    assert (io.read_bytes, io.write_bytes) == (0, 0)
    assert p.num_fds() == len(proc.fds.files) == 6
    parts = {(d.device, d.mountpoint, d.fstype) for d in psutil.disk_partitions(all=True)}
    assert ("proc", "/proc", "proc") in parts
    assert ("devtmpfs", "/dev", "devtmpfs") in parts
    assert ("tmpfs", "/tmp", "tmpfs") in parts
    vm = psutil.virtual_memory()
    meminfo = text(procfs, "/proc/meminfo")
    avail = next(line for line in meminfo.splitlines() if line.startswith("MemAvailable:"))
    assert vm.available == int(avail.split()[1]) * 1024 <= vm.total


# ---------------------------------------------------------------------- procps, lsof
SHIM = r"""
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* lstat64 of a path listed in $LIBK_FDMODES ("path octal-mode" lines) gets that mode:
   a host symlink cannot carry the machine's fd link modes. */
static int mode_of(const char *path) {
    const char *file = getenv("LIBK_FDMODES");
    char line[4096], p[4096];
    unsigned m;
    FILE *f;
    if (!file || !(f = fopen(file, "r"))) return -1;
    while (fgets(line, sizeof line, f))
        if (sscanf(line, "%4095s %o", p, &m) == 2 && !strcmp(p, path)) { fclose(f); return m; }
    fclose(f);
    return -1;
}

int lstat64(const char *path, struct stat64 *st) {
    static int (*real)(const char *, struct stat64 *);
    if (!real) real = dlsym(RTLD_NEXT, "lstat64");
    int rc = real(path, st);
    int m;
    if (rc == 0 && S_ISLNK(st->st_mode) && (m = mode_of(path)) >= 0)
        st->st_mode = S_IFLNK | m;
    return rc;
}
"""


def _host_tools_ready(*tools: str) -> str | None:
    """Why the host cannot run ``tools`` on a dump bind-mounted on /proc, or None."""
    if os.geteuid() != 0:
        return "needs root for a private mount namespace"
    missing = [t for t in ("unshare", "mount", *tools) if not shutil.which(t)]
    if missing:
        return f"no {', '.join(missing)} on this host"
    probe = subprocess.run(
        ["unshare", "-m", "--propagation", "private", "true"], capture_output=True, timeout=30
    )
    return "unshare -m does not work here" if probe.returncode else None


def on_dump(root: Path, script: str, env: dict[str, str] | None = None) -> str:
    """Run ``script`` with ``root`` bind-mounted on /proc in a private namespace."""
    r = subprocess.run(
        [
            "unshare",
            "-m",
            "--propagation",
            "private",
            "sh",
            "-c",
            f"mount --bind {root} /proc || exit 99\n{script}",
        ],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, **(env or {})},
    )
    if r.returncode == 99:
        pytest.skip(f"cannot bind-mount on /proc: {r.stderr.strip()}")
    return r.stdout + r.stderr


def test_lsof_shows_the_open_modes(dump: Dump, tmp_path: Path) -> None:
    why = _host_tools_ready("lsof", "gcc")
    if why:
        pytest.skip(why)
    shim = tmp_path / "fdmodes.so"
    (tmp_path / "fdmodes.c").write_text(SHIM)
    cc = subprocess.run(
        ["gcc", "-shared", "-fPIC", "-o", str(shim), str(tmp_path / "fdmodes.c"), "-ldl"],
        capture_output=True,
        text=True,
    )
    if cc.returncode:
        pytest.skip(f"cannot build the lstat shim: {cc.stderr[:200]}")
    pid = dump.proc.pid
    modes = tmp_path / "modes"
    modes.write_text(
        "".join(
            f"/proc/{pid}/fd/{fd} {dump.host.lstat(f'/proc/{pid}/fd/{fd}').st_mode & 0o777:o}\n"
            for fd in dump.host.listdir(f"/proc/{pid}/fd")
        )
    )
    out = on_dump(
        dump.root,
        f"lsof -n -w -p {pid}",
        {"LD_PRELOAD": str(shim), "LIBK_FDMODES": str(modes)},
    )
    rows = {line.split()[3]: line for line in out.splitlines() if len(line.split()) > 3}
    assert {"0u", "1u", "2u", "3w", "4r", "5u"} <= set(rows), out
    assert rows["4r"].endswith("/etc/hostname")
    assert "cwd" in rows and "rtd" in rows and "txt" in rows


def test_free_shows_the_machines_available(dump: Dump, tmp_path: Path) -> None:
    why = _host_tools_ready("free")
    if why:
        pytest.skip(why)
    out = on_dump(dump.root, "free -k")
    mem = next(line for line in out.splitlines() if line.startswith("Mem:")).split()
    meminfo = text(dump, "/proc/meminfo")
    avail = next(line for line in meminfo.splitlines() if line.startswith("MemAvailable:"))
    assert int(mem[6]) == int(avail.split()[1])
