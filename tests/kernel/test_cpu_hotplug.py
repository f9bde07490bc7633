"""CPU hotplug through /sys/devices/system/cpu and the quantum in /sys/kernel/sched."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from kernel.dev.cpu import cpulist, set_online
from kernel.host import HostClient
from tests.kernel.ksim import machine, run, shell

CPU = "/sys/devices/system/cpu"


def test_cpulist_format() -> None:
    assert cpulist([0, 2, 3]) == "0,2-3"
    assert cpulist([0, 1, 2, 3]) == "0-3"
    assert cpulist([]) == ""
    assert cpulist([1, 3]) == "1,3"


def test_offline_lists_proc_and_log_follow() -> None:
    r = shell(
        f"echo 0 > {CPU}/cpu1/online; cat {CPU}/online {CPU}/offline {CPU}/cpu1/online;"
        " grep -c processor /proc/cpuinfo; grep ^cpu1 /proc/stat; echo stat=$?;"
        f" echo 0 > {CPU}/cpu1/online; echo again=$?;"
        f" echo 1 > {CPU}/cpu1/online; cat {CPU}/online"
    )
    assert r.output.splitlines()[:6] == ["0,2-3", "1", "0", "3", "stat=1", "again=0"]
    assert r.output.splitlines()[6] == "0-3"
    assert "smpboot: CPU 1 is now offline" in r.log
    assert "smpboot: Booting Node 0 Processor 1" in r.log


def test_bad_values_cpu0_and_non_root() -> None:
    r = shell(
        f"echo 2 > {CPU}/cpu1/online; echo a=$?; echo x > {CPU}/cpu1/online; echo b=$?;"
        f" test -e {CPU}/cpu0/online; echo c=$?;"
        " echo 0 > /sys/kernel/sched/base_slice_ns; echo d=$?"
    )
    assert "a=1" in r.output and "b=1" in r.output and "c=1" in r.output and "d=1" in r.output
    assert "Invalid argument" in r.output


def test_offline_with_running_threads_moves_them_and_none_is_lost() -> None:
    script = (
        "for i in 1 2 3 4 5 6 7 8; do"
        " (i=0; while [ $i -lt 200 ]; do i=$((i+1)); done; echo done) & done; wait"
    )
    k = machine(["/bin/sh", "-c", script])
    for _ in range(200):  # let the children spread over the CPUs
        k.run(budget=200)
        if k.cpus[1].runq or k.cpus[1].current is not None:
            break
    assert k.cpus[1].runq or k.cpus[1].current is not None
    set_online(k, 1, False)
    set_online(k, 2, False)
    assert not k.cpus[1].runq and k.cpus[1].current is None
    r = run(k)
    assert r.output.count("done") == 8
    assert k.cpus[1].online is False


def test_online_again_takes_work_and_quantum_changes_switches() -> None:
    def switches(quantum: str) -> int:
        r = shell(
            f"echo 0 > {CPU}/cpu1/online; echo 0 > {CPU}/cpu2/online; echo 0 > {CPU}/cpu3/online;"
            f" echo {quantum} > /sys/kernel/sched/base_slice_ns;"
            " for i in 1 2; do (i=0; while [ $i -lt 1000 ]; do i=$((i+1)); done) & done; wait"
        )
        assert [c.ctxt for c in r.kernel.cpus][2:] == [0, 0]  # offline: nothing ran there
        return sum(c.ctxt for c in r.kernel.cpus)

    assert switches("10000") > switches("1000000000")
    r = shell(
        f"echo 0 > {CPU}/cpu1/online; echo 1 > {CPU}/cpu1/online;"
        " for i in 1 2 3 4; do (i=0; while [ $i -lt 100 ]; do i=$((i+1)); done) & done; wait"
    )
    assert r.kernel.cpus[1].ctxt > 0


def test_issue_line_via_headless() -> None:
    r = subprocess.run(
        [
            sys.executable,
            "-m",
            "tui.cli",
            "--headless",
            "-c",
            f"echo 0 > {CPU}/cpu1/online; cat {CPU}/online",
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert r.stdout.splitlines()[-1] == "0,2-3"


def test_nproc_counts_online_cpus_as_coreutils_does() -> None:
    r = shell(
        "nproc; nproc --all; echo 0 > /sys/devices/system/cpu/cpu2/online; nproc;"
        " nproc --all; nproc --ignore=5; OMP_NUM_THREADS=7 nproc; nproc -x; nproc --ignore=z"
    )
    assert r.output.splitlines() == [
        "4",
        "4",
        "3",
        "4",
        "1",
        "7",
        "nproc: invalid option -- 'x'",
        "Try 'nproc --help' for more information.",
        "nproc: invalid number: 'z'",
    ]


@pytest.mark.skipif(shutil.which("lscpu") is None, reason="util-linux's lscpu is not installed")
def test_util_linux_lscpu_reads_the_cpu_directory(tmp_path: Path) -> None:
    """A real client: util-linux's lscpu, pointed at a copy of the machine's
    /sys/devices/system/cpu and /proc/cpuinfo with --sysroot, sees CPU 1 offline."""
    from procdump import dump_proc

    k = machine(["/bin/sh", "-c", "echo 0 > /sys/devices/system/cpu/cpu1/online; sleep 1"])
    run(k)
    host = HostClient(k)
    assert dump_proc(host, "/sys/devices/system/cpu", tmp_path / "sys/devices/system/cpu") == []
    (tmp_path / "proc").mkdir()
    (tmp_path / "proc/cpuinfo").write_bytes(host.read_file("/proc/cpuinfo"))
    out = subprocess.run(
        ["lscpu", "--sysroot", str(tmp_path)], capture_output=True, text=True, check=True
    ).stdout
    fields = {
        k.strip(): v.strip() for k, _, v in (line.partition(":") for line in out.splitlines())
    }
    assert fields["CPU(s)"] == "4"
    assert fields["On-line CPU(s) list"] == "0,2,3"
    assert fields["Off-line CPU(s) list"] == "1"
