"""strace (system calls of a command, through trace_read) and man (the manual)."""

from __future__ import annotations

import re

import pytest

from tui.headless import run_command


def sh(cmd: str) -> str:
    return run_command(cmd)[0]


def test_strace_lines_like_linux() -> None:
    out = sh("strace cat /etc/motd /nope > /dev/null 2> /tmp/tr; echo status=$?; cat /tmp/tr")
    lines = out.splitlines()
    assert lines[0] == "status=1"
    assert 'open("/etc/motd", O_RDONLY) = 3' in lines
    assert any(
        re.fullmatch(r'read\(3, "Welcome to libk, a small Unix-li"\.\.\., \d+\) = \d+', line)
        for line in lines
    ), out
    assert 'open("/nope", O_RDONLY) = -1 ENOENT (No such file or directory)' in lines
    assert 'write(2, "cat: /nope: No such file or dire"..., 38) = 38' in lines
    assert lines[-1] == "+++ exited with 1 +++"


def test_strace_formats_flags_signals_and_strings() -> None:
    out = sh(
        "strace -e trace=open -s 64 sh -c 'echo hi > /tmp/x' 2>&1; "
        "strace -e kill /bin/kill -USR1 99999 2>&1; "
        "strace -e sigaction time true 2>&1 | head -1; "
        "strace -s 2 -e write echo 'a\tb' 2>&1; "
        "strace -f -e fcntl,ioctl sh -c 'ls > /tmp/y' 2>&1 | grep -v '^+++'"
    )
    assert re.search(r'^open\("/tmp/x", O_WRONLY\|O_CREAT\|O_TRUNC(\|O_CLOEXEC)?, 0666\) = \d+$',
                     out, re.M), out  # fmt: skip
    assert "kill(99999, SIGUSR1) = -1 ESRCH (No such process)\n" in out
    assert "sigaction(SIGINT, SIG_IGN) = 0\n" in out
    assert 'write(1, "a\\t"..., 4) = 4\n' in out
    assert re.search(r"^fcntl\(\d+, F_[A-Z]+", out, re.M), out
    assert re.search(r"^\[pid +\d+\] ioctl\(1, TIOCGWINSZ, NULL\) = -1 ENOTTY", out, re.M), out


def test_strace_follows_children_and_filters() -> None:
    out = sh(
        "strace -f -e trace=open,spawn,wait4 sh -c 'cat /etc/hostname; exit 3' 2>/tmp/tr; "
        "echo status=$?; cat /tmp/tr"
    )
    lines = out.splitlines()
    assert lines[0] == "libk" and lines[1] == "status=3"
    assert re.fullmatch(r'spawn\("/bin/cat", \["cat", "/etc/hostname"\], .*\) = (\d+)', lines[2])
    child = re.fullmatch(r".* = (\d+)", lines[2]).group(1)
    assert lines[3] == f'[pid {child:>5}] open("/etc/hostname", O_RDONLY) = 3'
    assert lines[4] == f"wait4({child}, [{{WIFEXITED(s) && WEXITSTATUS(s) == 0}}], 0) = {child}"
    assert lines[5] == "+++ exited with 3 +++"
    assert len(lines) == 6


def test_strace_summary_table() -> None:
    out = sh("strace -c cat /etc/motd /nope > /dev/null 2> /tmp/c; cat /tmp/c")
    lines = out.splitlines()
    assert lines[0] == "cat: /nope: No such file or directory"
    assert lines[1] == "% time     seconds  usecs/call     calls    errors syscall"
    assert lines[2] == "------ ----------- ----------- --------- --------- ----------------"
    assert lines[-2] == lines[2]
    rows = {line.split()[-1]: line.split() for line in lines[3:-2]}
    assert rows["open"][3:5] == ["2", "1"]  # two calls, one error
    assert rows["close"][3] == "1"
    total = lines[-1].split()
    assert total[0] == "100.00" and total[-1] == "total"
    assert int(total[3]) == sum(int(r[3]) for r in rows.values())
    assert sum(float(r[0]) for r in rows.values()) == pytest.approx(100, abs=0.1)


def test_strace_options_and_errors() -> None:
    out = sh(
        "strace -o /tmp/o -q echo hi; echo s=$?; grep -c write /tmp/o; tail -1 /tmp/o; "
        "strace sh -c 'kill -9 $$' 2>&1 | tail -1; "
        "strace -T true 2>&1 | tail -1; "
        "strace nope; echo s=$?; strace -e trace=bogus true; echo s=$?; "
        "strace; echo s=$?; strace -x 2>&1 | head -1"
    )
    lines = out.splitlines()
    assert lines[:3] == ["hi", "s=0", "1"]
    assert lines[3].startswith('write(1, "hi\\n", 3) = 3')
    assert lines[4] == "+++ killed by SIGKILL +++"
    assert lines[5] == "+++ exited with 0 +++"
    assert lines[6:8] == ["strace: 'nope': No such file or directory", "s=127"]
    assert lines[8:10] == ["strace: invalid system call 'bogus'", "s=1"]
    assert lines[10].startswith("strace: must have PROG [ARGS]")
    assert "s=1" in lines[11:]
    assert lines[-1] == "strace: invalid option -- 'x'"


def test_strace_timing_column() -> None:
    out = sh("strace -T -e nanosleep sleep 1.5 2>&1")
    assert re.search(r"^nanosleep\(1500000000\) = 0 <1\.50\d{4}>$", out, re.M), out


def test_man_page_layout() -> None:
    out = sh("man uname | cat")
    lines = out.splitlines()
    assert re.fullmatch(r"UNAME\(1\) +libk Manual +UNAME\(1\)", lines[0])
    assert len(lines[0]) == 80
    assert lines[0].index("libk Manual") in (34, 35)
    assert lines[1] == ""
    assert lines[2] == "NAME"
    assert lines[3] == "       uname - print system information"
    assert re.fullmatch(r"libk \S+ +UNAME\(1\)", lines[-1]) and len(lines[-1]) == 80
    assert "\x1b[" not in out


def test_man_headings_bold_on_a_terminal() -> None:
    out = sh("man 1 uname")
    assert "\x1b[1mNAME\x1b[0m\n" in out
    assert "\x1b[1mSYNOPSIS\x1b[0m\n" in out
    assert "       uname [-asnrvmpio]\n" in out


def test_man_sections_search_and_errors() -> None:
    out = sh(
        "man -w read; man -w 2 read; man -w kill; man -a -w kill; "
        "man open | head -1; "
        "man -f uname; man -k 'host name'; "
        "man nope; echo s=$?; man 9 read; echo s=$?; man -k zzzz; echo s=$?; man; echo s=$?"
    )
    lines = out.splitlines()
    assert lines[0] == "/usr/share/man/man2/read.2"
    assert lines[1] == "/usr/share/man/man2/read.2"
    assert lines[2] == "/usr/share/man/man1/kill.1"
    assert lines[3:5] == ["/usr/share/man/man1/kill.1", "/usr/share/man/man2/kill.2"]
    assert any(re.fullmatch(r"OPEN\(2\) +libk Manual +OPEN\(2\)", line) for line in lines)
    assert "uname (1)            - print system information" in lines
    assert "hostname (1)         - show or set the host name" in lines
    assert "No manual entry for nope" in lines
    assert "No manual entry for read in section 9" in lines
    assert "zzzz: nothing appropriate." in lines
    assert re.findall(r"^s=(\d+)$", out, re.M) == ["16", "16", "16", "1"]
    assert "What manual page do you want?" in lines


def test_strace_names_memory_calls_arguments() -> None:
    out = sh("strace -e trace=mmap,munmap,mmu memhog -q --shared --hold 0 8K")
    assert re.search(
        r"mmap\(NULL, 8192, PROT_READ\|PROT_WRITE, MAP_SHARED\|MAP_ANONYMOUS, -1, 0\) "
        r"= 0x7f[0-9a-f]+",
        out,
    )
    assert re.search(r"munmap\(0x7f[0-9a-f]+, 8192\) = 0", out)
    assert "mmu() = <MMU>" in out
