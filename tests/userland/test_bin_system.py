"""System utilities through the headless runner: identity, date, env, which, su, uname,
hostname, mount, sleep, time, kill, clear/reset; every /bin program's --help and page."""

from __future__ import annotations

import re
import shutil
import subprocess

import pytest

from tui.headless import run_command

SEP = "@@"


def sh(cmd: str) -> tuple[str, int]:
    return run_command(cmd)


def chunks(cmd_list: list[str]) -> list[str]:
    """Run commands in one boot; each one's output (stdout+stderr) and status."""
    script = "; ".join(f'{c} 2>&1; echo "{SEP}$?"' for c in cmd_list)
    out, _ = sh(script)
    parts = out.split(SEP)
    results = []
    for i in range(len(cmd_list)):
        body = parts[i]
        if i:
            body = body.split("\n", 1)[1] if "\n" in body else ""
        status = parts[i + 1].split("\n", 1)[0]
        results.append(f"{body}[{status}]")
    return results


def test_id_whoami_variants() -> None:
    got = chunks(
        [
            "id",
            "id -u",
            "id -un",
            "id -g",
            "id -gn",
            "id -G",
            "id -Gn",
            "id alice",
            "id -u alice",
            "id nope",
            "id -n",
            "id -u -g",
            "id -x",
            "whoami",
            "cd /tmp; su alice -c whoami",
            "cd /tmp; su alice -c id",
            "whoami extra",
        ]
    )
    assert got == [
        "uid=0(root) gid=0(root) groups=0(root)\n[0]",
        "0\n[0]",
        "root\n[0]",
        "0\n[0]",
        "root\n[0]",
        "0\n[0]",
        "root\n[0]",
        "uid=1000(alice) gid=1000(alice) groups=1000(alice)\n[0]",
        "1000\n[0]",
        "id: 'nope': no such user\n[1]",
        "id: cannot print only names or real IDs in default format\n[1]",
        'id: cannot print "only" of more than one choice\n[1]',
        "id: invalid option -- 'x'\nTry 'id --help' for more information.\n[1]",
        "root\n[0]",
        "alice\n[0]",
        "uid=1000(alice) gid=1000(alice) groups=1000(alice)\n[0]",
        "whoami: extra operand 'extra'\nTry 'whoami --help' for more information.\n[1]",
    ]


def test_id_shape_matches_host() -> None:
    host = subprocess.run(["id"], capture_output=True, text=True).stdout.strip()
    shape = r"uid=\d+\(\w+\) gid=\d+\(\w+\) groups=\d+\(\w+\)(,\d+\(\w+\))*"
    assert re.fullmatch(shape, host)
    assert re.fullmatch(shape, sh("id")[0].strip())


def test_uname_and_hostname() -> None:
    got = chunks(
        [
            "uname",
            "uname -s -n -r",
            "uname -a",
            "uname -m -o",
            "uname -p",
            "hostname",
            "hostname box.example; hostname; hostname -s; uname -n",
            "cd /tmp; su alice -c 'hostname evil'",
            "hostname a b",
            "uname x",
        ]
    )
    assert got[0] == "libk\n[0]"
    assert re.fullmatch(r"libk libk \d+\.\d+\.\d+\n\[0\]", got[1])
    # uname -a: kernel, node, release, version (#1 SMP ...), machine, operating system
    assert re.fullmatch(r"libk libk \S+ #1 SMP .+ sim64 libk\n\[0\]", got[2])
    assert got[3] == "sim64 libk\n[0]"
    assert got[4] == "unknown\n[0]"
    assert got[5] == "libk\n[0]"
    assert got[6] == "box.example\nbox\nbox.example\n[0]"
    assert got[7] == "hostname: you must be root to change the host name\n[1]"
    assert got[8].startswith("hostname: too many arguments") and got[8].endswith("[1]")
    assert got[9].startswith("uname: extra operand 'x'") and got[9].endswith("[1]")


def test_uname_a_field_count_like_host() -> None:
    host = subprocess.run(["uname", "-s", "-n", "-m"], capture_output=True, text=True).stdout
    ours = sh("uname -s -n -m")[0]
    assert len(host.split()) == len(ours.split()) == 3


DATE_FORMATS = [
    "%Y-%m-%d %H:%M:%S",
    "%a %A %b %B %h",
    "%c",
    "%D %F %T %R %r",
    "%e|%-d|%_m|%05Y|%^a|%#b",
    "%j %U %W %V %G %g %u %w",
    "%s %N %z %:z %Z %%",
    "%I %l %k %p %P %C %y",
    "%x %X",
]


@pytest.mark.skipif(shutil.which("date") is None, reason="needs the host's GNU date")
def test_date_formats_match_host_date() -> None:
    stamps = [0, 1_767_225_600, 1_798_761_599, 951_782_400, 1_234_567_890]
    cmds = [f"date -u -d @{n} '+{f}'" for n in stamps for f in DATE_FORMATS]
    ours = sh("; ".join(cmds))[0].splitlines()
    host = []
    for n in stamps:
        for f in DATE_FORMATS:
            res = subprocess.run(
                ["date", "-u", "-d", f"@{n}", f"+{f}"],
                capture_output=True,
                text=True,
                env={"LC_ALL": "C", "TZ": "UTC"},
            )
            host.append(res.stdout.rstrip("\n"))
    assert ours == host


@pytest.mark.skipif(shutil.which("date") is None, reason="needs the host's GNU date")
def test_date_default_rfc_iso_match_host() -> None:
    n = 1_795_255_380  # a Saturday in November 2026
    ours = sh(f"date -d @{n}; date -R -d @{n}; date -I -d @{n}; date -Iseconds -d @{n}")[0]
    host = ""
    for extra in ([], ["-R"], ["-I"], ["-Iseconds"]):
        host += subprocess.run(
            ["date", "-u", *extra, "-d", f"@{n}"],
            capture_output=True,
            text=True,
            env={"LC_ALL": "C", "TZ": "UTC"},
        ).stdout
    assert ours == host
    assert ours.splitlines()[0] == "Sat Nov 21 10:03:00 UTC 2026"


def test_date_clock_options_and_errors() -> None:
    got = chunks(
        [
            "date",
            "sleep 90; date +%s",
            "date -d '2026-03-04 05:06:07' +%s",
            "date -d yesterday +%F",
            "date -d '2 days ago' +%F",
            "date -d nonsense",
            "date -r /etc/motd +%Y",
            "date -r /nope",
            "date -Ibogus",
            "date -R +%s",
            "date now",
        ]
    )
    assert got[0] == "Thu Jan  1 00:00:00 UTC 2026\n[0]"
    assert got[1] == "1767225690\n[0]"
    assert got[2] == "1772600767\n[0]"
    assert got[3] == "2025-12-31\n[0]"
    assert got[4] == "2025-12-30\n[0]"
    assert got[5] == "date: invalid date 'nonsense'\n[1]"
    assert got[6] == "2026\n[0]"
    assert got[7] == "date: /nope: No such file or directory\n[1]"
    assert got[8].startswith("date: invalid argument 'bogus' for '--iso-8601'")
    assert got[8].endswith("[1]")
    assert got[9] == "date: multiple output formats specified\n[1]"
    assert got[10].startswith("date: invalid date 'now'") and got[10].endswith("[1]")


def test_env() -> None:
    got = chunks(
        [
            "env -i A=1 B=two",
            "env -i - C=3",
            "env -u HOME | grep -c '^HOME='",
            "env -i PATH=/bin sh -c 'echo $PATH $HOME'",
            "FOO=bar env | grep FOO",
            "env nope",
            "env /etc/motd",
            "env -i sh -c 'exit 7'",
            "env -i -0 X=1 | od -c | head -1",
            "env -x",
        ]
    )
    assert got[0] == "A=1\nB=two\n[0]"
    assert got[1] == "C=3\n[0]"
    assert got[2] == "0\n[1]"
    assert got[3] == "/bin\n[0]"
    assert got[4] == "FOO=bar\n[0]"
    assert got[5] == "env: 'nope': No such file or directory\n[127]"
    assert got[6] == "env: '/etc/motd': Permission denied\n[126]"
    assert got[7] == "[7]"
    assert got[9].startswith("env: invalid option -- 'x'") and got[9].endswith("[125]")


def test_env_passes_on_a_signal_death() -> None:
    out, _ = sh("env sh -c 'kill -9 $$'; echo $?")
    assert out.endswith("137\n")


def test_which() -> None:
    got = chunks(["which ls sh", "which nope", "which ls nope", "which -a ls", "which /bin/ls"])
    assert got == [
        "/bin/ls\n/bin/sh\n[0]",
        "[1]",
        "/bin/ls\n[1]",
        "/bin/ls\n[0]",
        "/bin/ls\n[0]",
    ]
    out, _ = sh("PATH=/usr/bin:/bin:/sbin; export PATH; cp /bin/ls /tmp/ls; "
                "PATH=/tmp:/bin which -a ls")  # fmt: skip
    assert out == "/tmp/ls\n/bin/ls\n"


def test_su() -> None:
    got = chunks(
        [
            "cd /tmp; su alice -c 'echo $HOME $USER $LOGNAME $SHELL; pwd'",
            "su - alice -c 'pwd; echo $PATH; id -un'",
            "su -l alice -c 'ps -o args= -p $$'",
            "su nope",
            "su alice -c 'exit 5'",
            "cd /tmp; su alice -c 'su -c whoami'",
            "su -x",
            "su -s /bin/nope alice",
        ]
    )
    assert got[0] == "/home/alice alice alice /bin/sh\n/tmp\n[0]"
    assert got[1] == "/home/alice\n/bin:/usr/bin\nalice\n[0]"
    assert got[2].startswith("-sh -c ps -o args=") and got[2].endswith("[0]")
    assert got[3] == (
        "su: user nope does not exist or the user entry does not contain all the "
        "required fields\n[1]"
    )
    assert got[4] == "[5]"
    assert got[5] == "Password: \nsu: Authentication failure\n[1]"  # root has a password
    assert got[6].startswith("su: invalid option -- 'x'") and got[6].endswith("[1]")
    assert got[7].endswith("[127]")


def test_mount_and_umount() -> None:
    got = chunks(
        [
            "mount",
            "mount -t proc",
            "mkdir -p /mnt; mount -t tmpfs -o mode=700 none /mnt; mount | grep /mnt; ls -ld /mnt",
            "umount -v /mnt",
            "umount /mnt",
            "mount -t foo x /mnt",
            "mount -t tmpfs x /nope",
            "cd /tmp && umount /tmp",
            "cd /; su alice -c 'mount -t tmpfs x /mnt'",
            "cd /; su alice -c 'umount /proc'",
            "mount -r -t proc proc /mnt; mount -t proc | tail -1; umount /mnt",
            "mount /mnt",
            "umount",
        ]
    )
    assert "rootfs on / type tmpfs (rw)\n" in got[0]
    assert "proc on /proc type proc (rw)\n" in got[0]
    assert "devtmpfs on /dev type devtmpfs (rw)\n" in got[0]
    assert got[1] == "proc on /proc type proc (rw)\n[0]"
    assert got[2].startswith("none on /mnt type tmpfs (rw,mode=700)\ndrwx------ ")
    assert got[3] == "umount: /mnt unmounted\n[0]"
    assert got[4] == "umount: /mnt: not mounted.\n[32]"
    assert got[5] == "mount: /mnt: unknown filesystem type 'foo'.\n[32]"
    assert got[6] == "mount: /nope: mount point does not exist.\n[32]"
    assert got[7] == "umount: /tmp: target is busy.\n[32]"
    assert got[8] == "mount: /mnt: must be superuser to use mount.\n[32]"
    assert got[9] == "umount: /proc: must be superuser to unmount.\n[32]"
    assert got[10] == "proc on /mnt type proc (ro)\n[0]"
    assert got[11] == "mount: /mnt: can't find in /etc/fstab.\n[1]"
    assert got[12].startswith("umount: bad usage") and got[12].endswith("[1]")


def test_sleep() -> None:
    got = chunks(
        [
            "sleep 1m 30s; date +%s",
            "sleep 0.5 .5; date +%s.%N",
            "sleep 1h; date +%T",
            "sleep 1d; date +%F",
            "sleep",
            "sleep x y",
            "sleep -1",
            "/bin/sleep --help | head -1",
        ]
    )
    assert got[0] == "1767225690\n[0]"
    assert got[1].startswith("1767225691.0")
    assert got[2] == "01:01:31\n[0]"
    assert got[3] == "2026-01-02\n[0]"
    assert got[4] == "sleep: missing operand\nTry 'sleep --help' for more information.\n[1]"
    assert got[5] == (
        "sleep: invalid time interval 'x'\nsleep: invalid time interval 'y'\n"
        "Try 'sleep --help' for more information.\n[1]"
    )
    assert got[6] == "sleep: invalid option -- '1'\nTry 'sleep --help' for more information.\n[1]"
    assert got[7] == "Usage: sleep NUMBER[SUFFIX]...\n[0]"


def test_sleep_infinity_until_killed() -> None:
    out, _ = sh("sleep inf & sleep 100; kill $!; wait $!; echo $?")
    assert out == "Terminated\n143\n"  # dash: wait reports the job it saw killed


def test_time() -> None:
    got = chunks(
        [
            "time sleep 61.5",
            "time -p sleep 1.25",
            "time sh -c 'exit 3'",
            "time nope",
            "time -o /tmp/t sleep 2; cat /tmp/t",
            "time -a -o /tmp/t -p true; tail -3 /tmp/t",
            "time sh -c 'kill -9 $$'",
            "time",
        ]
    )
    # /bin/time: the shell has no time keyword, so these run the program.
    assert got[0] == "\nreal\t1m1.500s\nuser\t0m0.000s\nsys\t0m0.000s\n[0]"
    assert got[1] == "real 1.25\nuser 0.00\nsys 0.00\n[0]"
    assert got[2].endswith("[3]")
    assert got[3] == "time: 'nope': No such file or directory\n[127]"
    assert got[4] == "\nreal\t0m2.000s\nuser\t0m0.000s\nsys\t0m0.000s\n[0]"
    assert got[5] == "real 0.00\nuser 0.00\nsys 0.00\n[0]"
    assert got[6].startswith("Command terminated by signal 9\n") and got[6].endswith("[137]")
    assert got[7].startswith("time: missing program to run") and got[7].endswith("[125]")


def test_time_counts_cpu_of_a_busy_child() -> None:
    out, _ = sh("time -p sh -c 'i=0; while [ $i -lt 300 ]; do i=$((i+1)); done'")
    user = float(re.search(r"^user (\S+)$", out, re.M).group(1))
    real = float(re.search(r"^real (\S+)$", out, re.M).group(1))
    assert user + float(re.search(r"^sys (\S+)$", out, re.M).group(1)) <= real + 0.01


def test_kill() -> None:
    got = chunks(
        [
            "/bin/kill -l",
            "/bin/kill -L | head -1",
            "/bin/kill -l 9; /bin/kill -l 137; /bin/kill -l KILL; /bin/kill -l sigterm",
            "/bin/kill -l FOO",
            "/bin/kill 99999",
            "/bin/kill -s FOO 1",
            "sleep 100 & /bin/kill -s KILL $!; wait $!",
            "sleep 100 & /bin/kill -9 $!; wait $!",
            "sleep 100 & /bin/kill -USR1 $!; wait $!",
            "sleep 100 & /bin/kill $!; wait $!",
            "/bin/kill",
            "/bin/kill abc",
            "/bin/kill -- -99",
        ]
    )
    assert got[0] == (
        "HUP INT QUIT ILL TRAP ABRT BUS FPE KILL USR1 SEGV USR2 PIPE ALRM TERM CHLD CONT\n"
        "STOP TSTP TTIN TTOU URG WINCH SYS\n[0]"
    )
    assert got[1] == " 1) SIGHUP\t 2) SIGINT\t 3) SIGQUIT\t 4) SIGILL\t 5) SIGTRAP\n[0]"
    assert got[2] == "KILL\nKILL\n9\n15\n[0]"
    assert got[3] == "kill: unknown signal name FOO\n[1]"
    assert got[4] == "kill: (99999): No such process\n[1]"
    assert got[5] == "kill: unknown signal name FOO\n[1]"
    assert got[6:10] == ["[137]", "[137]", "[138]", "[143]"]
    assert got[10].startswith("Usage:") and got[10].endswith("[2]")
    assert got[11] == 'kill: cannot find process "abc"\n[1]'
    assert got[12] == "kill: (-99): No such process\n[1]"


def test_clear_and_reset() -> None:
    got = chunks(["clear | od -c | head -1", "clear -x | od -c | head -1", "reset; echo"])
    assert got[0].startswith("0000000 033   [   H 033   [   2   J 033   [   3   J")
    assert got[1].startswith("0000000 033   [   H 033   [   2   J\n")
    assert got[2] == "\x1bc\n[0]"


def test_dmesg() -> None:
    got = chunks(["dmesg | head -1", "dmesg -t | head -1", "dmesg -z", "dmesg extra"])
    assert re.fullmatch(r"\[\s+0\.000000\] libk version \S+ .*\n\[0\]", got[0])
    assert got[1].startswith("libk version ")
    assert got[2].startswith("dmesg: invalid option -- 'z'") and got[2].endswith("[1]")
    assert got[3].startswith("dmesg: bad usage") and got[3].endswith("[1]")


def test_every_program_answers_help_and_has_a_manual_page(installed_programs: object) -> None:
    script = (
        # init is left out: it is the machine's pid 1, and would start a console shell.
        "for p in /bin/*; do n=${p##*/}; [ $n = init ] && continue; "
        '$p --help > /dev/null 2>&1; echo "$n help=$?"; '
        'man -w $n > /dev/null 2>&1; echo "$n man=$?"; done'
    )
    out, _ = sh(script)
    results = dict(line.split(" ", 1) for line in out.splitlines() if " " in line)
    lines = out.splitlines()
    programs = sorted({line.split()[0] for line in lines})
    assert len(programs) > 40
    bad = []
    for name in programs:
        # false exits 1 even for --help, as GNU coreutils' false does.
        want_help = "help=1" if name == "false" else "help=0"
        if f"{name} {want_help}" not in lines:
            bad.append(f"{name}: --help gave {[x for x in lines if x.startswith(name + ' help')]}")
        if f"{name} man=0" not in lines:
            bad.append(f"{name}: no manual page")
    assert not bad, "\n".join(bad)
    assert results  # the loop ran
