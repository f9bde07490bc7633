"""End-to-end: the real ``libk-tui --headless`` command, as a user runs it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

EXE = [sys.executable, "-m", "tui.cli"]


def run(*args: str, stdin: str = "", cwd: str | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [*EXE, *args], input=stdin, capture_output=True, text=True, timeout=60, cwd=cwd
    )


def test_the_issue_example_prints_hello_a_status_block_and_a_process_list() -> None:
    r = run("--headless", "-c", "echo hello | cat; cat /proc/1/status; ps")
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert lines[0] == "hello"
    assert "Name:\tinit" in lines
    assert "Pid:\t1" in lines and "PPid:\t0" in lines
    assert any(line.startswith("VmRSS:") for line in lines)
    header = lines.index("    PID TTY          TIME CMD")
    assert any(line.split()[-1] == "ps" for line in lines[header + 1 :])
    assert any(line.split()[-1] == "sh" for line in lines[header + 1 :])


def test_exit_status_is_the_shells() -> None:
    assert run("--headless", "-c", "exit 3").returncode == 3
    assert run("--headless", "-c", "false").returncode == 1
    r = run("--headless", "-c", "nope")
    assert r.returncode == 127
    assert "sh: 1: nope: not found" in r.stdout


def test_a_script_on_stdin() -> None:
    r = run("--headless", stdin="echo one\necho two >&2\nexit 4\necho never\n")
    assert r.stdout == "one\ntwo\n"
    assert r.returncode == 4


def test_stdin_reaches_the_machine_with_dash_c() -> None:
    r = run("--headless", "-c", "cat", stdin="typed at the console\n")
    assert r.stdout == "typed at the console\n"


def test_help_and_version() -> None:
    r = run("--help")
    assert r.returncode == 0 and "--headless" in r.stdout
    r = run("--version")
    assert r.returncode == 0 and r.stdout.startswith("libk-tui ")


def test_a_bad_image_is_reported_with_file_line_col_and_exit_2(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: m\ncpu: 4\n")
    r = run(str(bad), "--headless", "-c", "true")
    assert r.returncode == 2
    assert r.stderr.strip() == f"{bad}:2:1: unknown key 'cpu' in machine; did you mean 'cpus'?"
    assert "Traceback" not in r.stderr


def test_a_missing_image_file() -> None:
    r = run("/nope.yaml", "--headless", "-c", "true")
    assert r.returncode == 2
    assert r.stderr.strip() == "/nope.yaml:1:1: No such file or directory"


def test_runs_from_any_directory(tmp_path: Path) -> None:
    env = dict(os.environ)
    r = subprocess.run(
        [*EXE, "--headless", "-c", "echo ok"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=60,
        env=env,
    )
    assert r.stdout == "ok\n"


def test_sleep_in_fast_mode_skips_idle_time() -> None:
    r = run("--headless", "-c", "sleep 60; cat /proc/uptime")
    uptime = float(r.stdout.split()[0])
    assert 60.0 <= uptime < 61.0


def test_same_command_same_output_every_time() -> None:
    cmd = (
        "sleep 1 & ls -l /bin | cat; ps -ef; cat /proc/stat /proc/1/status /proc/meminfo "
        "/proc/loadavg /proc/uptime; dmesg; wait"
    )
    first, second = run("--headless", "-c", cmd), run("--headless", "-c", cmd)
    assert first.returncode == second.returncode == 0
    assert first.stdout == second.stdout


@pytest.mark.parametrize("flag", ["--realtime"])
def test_realtime_mode_runs_too(flag: str) -> None:
    r = run("--headless", flag, "--speed", "100", "-c", "sleep 1; echo woke")
    assert r.stdout == "woke\n"


def test_the_devices_and_modules_issue_line() -> None:
    """Issue #11's closing command: a module, its parameter, its device, CPUs 0 and 2-3
    online, a private mount inside a namespace and none outside it."""
    script = (
        "modprobe ramdisk rd_size=1024; lsmod; ls /sys/module/ramdisk/parameters;"
        " ls -l /dev/ram0; echo 0 > /sys/devices/system/cpu/cpu1/online;"
        " cat /sys/devices/system/cpu/online;"
        ' unshare -m sh -c "mount -t tmpfs none /mnt; grep /mnt /proc/self/mountinfo";'
        " grep -c /mnt /proc/self/mountinfo"
    )
    r = run("--headless", "-c", script)
    lines = r.stdout.splitlines()
    assert lines[:2] == ["Module                  Size  Used by", "ramdisk                16384  0"]
    assert lines[2].split() == ["max_part", "rd_nr", "rd_size"]
    assert lines[3].startswith("brw-rw---- 1 root root 1, 0 ") and lines[3].endswith("/dev/ram0")
    assert lines[4] == "0,2-3"
    assert lines[5].split()[3:] == ["/", "/mnt", "rw", "-", "tmpfs", "none", "rw"]
    assert lines[6:] == ["0"] and r.returncode == 1  # grep -c finds none outside
