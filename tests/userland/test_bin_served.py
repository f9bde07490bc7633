"""fortuned and firewall (issue #12 part 4) from the shell, through the headless
runner: a served device read with cat, and a firewall letting one request through,
refusing another and logging it."""

from __future__ import annotations

from tui.headless import run_command
from userland.bin import firewall, fortuned

PROGRAMS = {"fortuned": fortuned, "firewall": firewall}


def test_cat_reads_a_served_device_one_fortune_per_open() -> None:
    out, status = run_command(
        "printf 'one\\n%%\\ntwo\\nlines\\n%%\\n' > /tmp/f; fortuned -f /tmp/f -n 3 &"
        " sleep 0.1; cat /dev/fortune; cat /dev/fortune; ls -l /dev/fortune;"
        " echo added > /dev/fortune; wait; echo st=$?; ls /dev/fortune"
    )
    lines = out.splitlines()
    assert lines[:3] == ["one", "two", "lines"]
    assert lines[3].startswith("crw-rw-rw- 1 root root") and lines[3].endswith("/dev/fortune")
    assert "st=0" in lines
    assert "ls: cannot access '/dev/fortune': No such file or directory" in out


def test_fortuned_help_and_errors() -> None:
    out, status = run_command("fortuned --help; fortuned -x; echo st=$?; fortuned /proc/x")
    assert out.startswith("Usage: fortuned [OPTION]... [PATH]")
    assert "fortuned: invalid option -- 'x'" in out and "st=1" in out
    assert "fortuned: cannot serve /proc/x:" in out and status == 1


def test_firewall_allows_one_request_and_refuses_and_logs_another() -> None:
    out, status = run_command(
        "echo hello > /tmp/data;"
        " firewall -r 'deny write secret' /tmp/data -- sh -c"
        " 'cat /tmp/data; echo fine >> /tmp/data; echo secret >> /tmp/data; echo rc=$?';"
        " echo fw=$?; cat /tmp/data; dmesg | grep 'firewall:'"
    )
    assert "hello\n" in out and "rc=1" in out and "fw=0" in out
    assert "firewall: denied write of 7 bytes by pid" in out
    assert "echo: write error: Permission denied" in out
    assert out.count("hello\nfine\n") == 1  # the file: the allowed line in, not the refused
    assert "] firewall: denied write of 7 bytes" in out  # the kernel log has it too


def test_firewall_on_a_device_is_invisible_outside_the_child() -> None:
    out, status = run_command(
        "firewall -q -r 'deny read' /dev/zero -- sh -c"
        " 'head -c 3 /dev/zero; echo rc=$?; echo x > /dev/zero; echo w=$?';"
        " head -c 3 /dev/zero | od -An -c"
    )
    assert "Permission denied" in out and "rc=1" in out and "w=0" in out
    assert "\\0  \\0  \\0" in out  # the rest of the machine reads the real device


def test_firewall_help_and_errors() -> None:
    out, _ = run_command(
        "firewall --help; firewall -r 'maybe read' /dev/null -- true; echo a=$?;"
        " firewall /dev/null; echo b=$?; mkfifo /tmp/p; firewall /tmp/p -- true; echo c=$?;"
        " firewall /dev/null -- nosuchcmd; echo d=$?"
    )
    assert out.startswith("Usage: firewall [OPTION]... PATH -- COMMAND [ARG]...")
    assert "firewall: malformed rule 'maybe read'" in out and "a=1" in out
    assert "missing PATH or COMMAND" in out and "b=1" in out
    assert "/tmp/p: not a device, a regular file or a directory" in out and "c=1" in out
    assert "d=127" in out


def test_firewall_on_a_directory_hides_and_refuses_what_its_rules_deny() -> None:
    out, status = run_command(
        "mkdir -p /srv/docs; echo public > /srv/docs/a.txt; echo key > /srv/docs/s.key;"
        " ln -s docs/a.txt /srv/link;"
        " firewall -r 'deny lookup *.key; deny write' /srv -- sh -c"
        " 'ls -l /srv/docs; cat /srv/link; cat /srv/docs/s.key; echo rc=$?; find /srv;"
        " echo x >> /srv/docs/a.txt; cd /srv/docs && pwd';"
        " echo fw=$?; ls /srv/docs; cat /srv/docs/a.txt"
    )
    lines = out.splitlines()
    assert lines[:3] == ["total 1", lines[1], "public"] and lines[1].endswith(" a.txt")
    assert lines[1].startswith("-rw-r--r-- 1 root root 7 ")
    assert "firewall: denied lookup by pid" in out and "on /srv/docs/s.key" in out
    assert "cat: /srv/docs/s.key: Permission denied\nrc=1\n" in out
    assert "/srv\n/srv/docs\n/srv/docs/a.txt\n/srv/link\n" in out  # (s.key not listed)
    assert "denied write of 2 bytes" in out and "/srv/docs\nfw=0\n" in out
    assert out.endswith("a.txt  s.key\npublic\n")  # outside the child: the real tree


def test_a_served_file_in_a_namespace_has_its_mount_id_in_fdinfo() -> None:
    out, _ = run_command(
        "mkdir -p /srv; echo x > /srv/a; firewall /srv -- sh -c"
        " 'grep mnt_id /proc/self/fdinfo/0 < /srv/a; grep \" /srv \" /proc/self/mountinfo'"
    )
    fdinfo, mountinfo = out.splitlines()
    assert fdinfo.split()[1] == mountinfo.split()[0] != "0"
