"""jobserve (issue #12 part 5) from the shell, through the headless runner: three jobs
with -j 2, their output and a file one of them writes gathered with job prefixes, the
limit on processes running at once, and the usage errors."""

from __future__ import annotations

from tui.headless import run_command
from userland.bin import jobserve

PROGRAMS = {"jobserve": jobserve}


def test_three_jobs_output_and_a_written_file_are_gathered() -> None:
    out, status = run_command(
        "cd /tmp; jobserve -j 2 -o /tmp/all 'echo one; echo err >&2'"
        " 'echo two > out.txt; cat /etc/hostname >/dev/null; echo done2'"
        " 'printf \"a\\nb\"; exit 3'; echo st=$?; cat /tmp/all; ls /tmp"
    )
    lines = out.splitlines()
    assert "st=1" in lines
    assert 'jobserve: job 3 (printf "a\\nb"; exit 3) failed: status 3' in out
    got = sorted(ln for ln in lines if ln.startswith("["))
    assert got == sorted(
        ["[1] one", "[1] err", "[2 /tmp/out.txt] two", "[2] done2", "[3] a", "[3] b"]
    )
    assert lines[-1] == "all"  # ls /tmp: out.txt was gathered, not written


def test_at_most_n_processes_run_at_once() -> None:
    # each job runs two sleeps in the background: with -j 2, at most 2 sleep at once,
    # so 6 sleeps of 1 s take 3 s of virtual time (ps shows 2 sleeping)
    out, status = run_command(
        "jobserve -j 2 'sleep 1 & sleep 1 & wait' 'sleep 1 & sleep 1 & wait'"
        " 'sleep 1; sleep 1' & sleep 0.5; ps -o comm= | grep -c sleep;"
        " sleep 1; ps -o comm= | grep -c sleep; wait; echo st=$?"
    )
    lines = out.splitlines()
    assert lines[:2] == ["2", "2"] and "st=0" in lines


def test_usage_errors() -> None:
    out, status = run_command(
        "jobserve; echo st=$?; jobserve -j 0 x; echo st=$?; jobserve --help | head -1;"
        " jobserve -o /nonexistent/f x; echo st=$?"
    )
    assert "jobserve: missing command" in out and "st=2" in out
    assert "jobserve: invalid number of jobs: '0'" in out
    assert "Usage: jobserve [OPTION]... COMMAND..." in out
    assert "jobserve: /nonexistent/f: No such file or directory" in out
