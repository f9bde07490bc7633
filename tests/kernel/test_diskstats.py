"""/proc/diskstats and /sys/block in Linux's formats after known I/O through dd, requests
in flight, and the Linux clients that read them: psutil, the machine's own vmstat -d,
and procps's vmstat -d on the host when it has one and may bind-mount on /proc."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import psutil
import pytest
from ksim import MS, discard, machine, shell

from kernel.abi import EACCES, O_WRONLY, Error
from kernel.dev.block import BLOCK_MAJOR, READ, BlkRequest
from kernel.host import HostClient
from kernel.kernel import Kernel

IO = "dd if=/dev/blk0 of=/dev/null bs=4096 count=100; dd if=/dev/zero of=/dev/blk0 bs=1024 count=7"
SYS = "/sys/block/blk0"


@pytest.fixture(scope="module")
def after_io() -> tuple[Kernel, dict[str, str]]:
    """A machine that did 100 reads of 4 KiB and 7 writes of 1 KiB, and what its files
    said then (each file's text, by path)."""
    files = [
        "/proc/diskstats",
        f"{SYS}/stat",
        f"{SYS}/size",
        f"{SYS}/dev",
        f"{SYS}/ro",
        f"{SYS}/removable",
        f"{SYS}/inflight",
        f"{SYS}/queue/logical_block_size",
        f"{SYS}/queue/hw_sector_size",
        f"{SYS}/queue/nr_requests",
        f"{SYS}/queue/rotational",
        "/sys/dev/block/254:0/size",
        "/proc/mounts",
    ]
    script = f"{IO} 2>/dev/null; " + "; ".join(f"echo '@@ {p}'; cat {p}" for p in files)
    script += "; echo '@@ ls'; ls /sys /sys/block /sys/kernel; readlink /sys/dev/block/254:0"
    for cmd in ("vmstat -d", "vmstat -D", "vmstat -p blk0", "vmstat -d -w"):
        script += f"; echo '@@ {cmd}'; {cmd}"
    r = shell(script)
    assert r.status == 0, r.output
    out = {}
    for chunk in r.output.split("@@ ")[1:]:
        name, _, body = chunk.partition("\n")
        out[name] = body
    return r.kernel, out


def test_diskstats_counts_the_requests(after_io: tuple[Kernel, dict[str, str]]) -> None:
    k, out = after_io
    fields = k.block["blk0"].stats.fields(k.now())
    assert out["/proc/diskstats"] == f" 254       0 blk0 {' '.join(map(str, fields))}\n"
    # 100 reads of 8 sectors, 7 writes of 2: Linux's field order.
    assert fields[0:3] == [100, 0, 800] and fields[4:7] == [7, 0, 14]
    assert fields[8] == 0 and fields[11:15] == [0, 0, 0, 0]
    # Serial requests of 50 us + 1 us/KiB: 5.4 ms reading, busy 5.76 ms, queue of one.
    assert fields[3] == 5 and fields[7] == 0 and fields[9] == 5 and fields[10] == 5


def test_sysfs_block_files(after_io: tuple[Kernel, dict[str, str]]) -> None:
    k, out = after_io
    fields = k.block["blk0"].stats.fields(k.now())
    assert out[f"{SYS}/stat"] == " ".join(f"{v:8d}" for v in fields) + "\n"
    assert out[f"{SYS}/stat"].startswith("     100        0      800        5        7")
    assert out[f"{SYS}/size"] == out["/sys/dev/block/254:0/size"] == f"{4 * 1024 * 2}\n"
    assert out[f"{SYS}/dev"] == f"{BLOCK_MAJOR}:0\n"
    assert out[f"{SYS}/ro"] == out[f"{SYS}/removable"] == "0\n"
    assert out[f"{SYS}/inflight"] == "       0        0\n"
    assert out[f"{SYS}/queue/logical_block_size"] == out[f"{SYS}/queue/hw_sector_size"] == "512\n"
    assert out[f"{SYS}/queue/nr_requests"] == f"{k.block['blk0'].costs.depth}\n"
    assert out[f"{SYS}/queue/rotational"] == "0\n"
    assert "sysfs /sys sysfs rw,nosuid,nodev,noexec,relatime 0 0\n" in out["/proc/mounts"]
    listing = out["ls"].split()
    assert listing[:8] == ["/sys:", "block", "bus", "class", "dev", "devices", "kernel", "module"]
    assert listing[8:10] == ["/sys/block:", "blk0"]
    # Linux's layout: the disk lives under its parent device, the rest link to it.
    assert listing[-1] == "../../devices/platform/libkblk.0/block/blk0"


def test_sysfs_inode_numbers_and_writes() -> None:
    one, two = machine(["/bin/sleep", "1"]), machine(["/bin/sleep", "1"])
    a, b = HostClient(one), HostClient(two)
    a.lstat(f"{SYS}/queue/rotational")  # looked up in another order: same numbers
    assert a.lstat(f"{SYS}/stat").st_ino == b.lstat(f"{SYS}/stat").st_ino
    assert a.lstat("/sys").st_ino != a.lstat(f"{SYS}/stat").st_ino
    with pytest.raises(Error) as err:
        a.open(f"{SYS}/ro", O_WRONLY)
    assert err.value.errno == EACCES
    discard(one)
    discard(two)


def test_requests_in_flight_show() -> None:
    k = machine(["/bin/sleep", "10"])
    k.run(until=10 * MS)
    dev = k.block["blk0"]
    for _ in range(3):  # 4 MiB each: 50 us + 4096 us, on three channels at once
        dev.submit(BlkRequest(READ, 0, dev.size))
    start = k.now()
    k.run(until=start + 2 * MS)
    host = HostClient(k)
    mid = host.read_file("/proc/diskstats").split()[3:]
    assert host.read_file(f"{SYS}/inflight") == b"       3        0\n"
    assert [int(v) for v in mid[:4] + mid[8:11]] == [0, 0, 0, 0, 3, 2, 6]
    k.run(until=start + 5 * MS)
    end = [int(v) for v in host.read_file("/proc/diskstats").split()[3:]]
    assert end[:4] == [3, 0, 3 * 8192, 12] and end[8:11] == [0, 4, 12]
    discard(k)


def test_psutil_reads_diskstats(
    after_io: tuple[Kernel, dict[str, str]], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _, out = after_io
    (tmp_path / "diskstats").write_text(out["/proc/diskstats"])
    monkeypatch.setattr(psutil, "PROCFS_PATH", str(tmp_path))
    got = psutil.disk_io_counters(perdisk=True)
    assert list(got) == ["blk0"]
    c = got["blk0"]
    assert (c.read_count, c.write_count) == (100, 7)
    assert (c.read_bytes, c.write_bytes) == (100 * 4096, 7 * 1024)
    assert (c.read_time, c.write_time, c.busy_time) == (5, 0, 5)
    assert (c.read_merged_count, c.write_merged_count) == (0, 0)


def test_vmstat_d_prints_the_disk(after_io: tuple[Kernel, dict[str, str]]) -> None:
    _, out = after_io
    lines = out["vmstat -d"].splitlines()
    assert lines[0].startswith("disk- ------------reads------------")
    assert (
        lines[2]
        == "blk0     100      0     800       5      7      0      14       0      0      0"
    )
    assert out["vmstat -D"].splitlines()[:3] == [
        "            1 disks",
        "            0 partitions",
        "          100 total reads",
    ]
    assert out["vmstat -p blk0"].splitlines()[1].split() == ["100", "800", "7", "14"]
    assert out["vmstat -d -w"].splitlines()[2].split()[1:4] == ["100", "0", "800"]


def _procps_ready() -> str | None:
    if os.geteuid() != 0:
        return "needs root for a private mount namespace"
    if not all(shutil.which(t) for t in ("unshare", "mount", "vmstat")):
        return "no procps vmstat on this host"
    probe = subprocess.run(["unshare", "-m", "--propagation", "private", "true"], timeout=30)
    return "unshare -m does not work here" if probe.returncode else None


def test_procps_vmstat_reads_the_same(
    after_io: tuple[Kernel, dict[str, str]], tmp_path: Path
) -> None:
    why = _procps_ready()
    if why:
        pytest.skip(why)
    _, out = after_io
    proc, block = tmp_path / "proc", tmp_path / "sys" / "block" / "blk0"
    proc.mkdir()
    block.mkdir(parents=True)
    (proc / "diskstats").write_text(out["/proc/diskstats"])
    (block / "stat").write_text(out[f"{SYS}/stat"])  # procps 4 asks /sys/block: a disk?
    script = (
        f"mount --bind {proc} /proc && mount --bind {tmp_path / 'sys'} /sys || exit 99\n"
        "vmstat -d; vmstat -p blk0; vmstat -d -w\n"
    )
    r = subprocess.run(
        ["unshare", "-m", "--propagation", "private", "sh", "-c", script],
        capture_output=True,
        text=True,
        timeout=60,
    )
    if r.returncode == 99:
        pytest.skip(f"cannot bind-mount on /proc: {r.stderr.strip()}")
    assert r.returncode == 0, r.stderr
    mine = out["vmstat -d"] + out["vmstat -p blk0"] + out["vmstat -d -w"]
    assert r.stdout == mine
