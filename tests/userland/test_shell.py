"""The first shell, through the headless runner: what issue #2 asks of it."""

from __future__ import annotations

import pytest

from tui.headless import run_command


def sh(cmd: str, stdin: bytes | None = None) -> str:
    return run_command(cmd, stdin=stdin)[0]


@pytest.mark.parametrize(
    ("cmd", "expected"),
    [
        ("echo a; echo b", "a\nb\n"),
        ("true && echo yes; false && echo no", "yes\n"),
        ("false || echo fallback; true || echo never", "fallback\n"),
        ("echo hello | cat | cat", "hello\n"),
        (
            "echo 'single $HOME' \"double $HOME\" back\\ slash",
            "single $HOME double /root back slash\n",
        ),
        ('X=1; echo $X ${X}y "$X"', "1 1y 1\n"),
        ("A=outer; A=inner sh -c 'echo $A'; echo $A", "inner\nouter\n"),
        ("export A=exported; sh -c 'echo $A'", "exported\n"),
        ("echo one > /tmp/f; echo two >> /tmp/f; cat < /tmp/f", "one\ntwo\n"),
        ("cat /nope 2> /tmp/err; cat /tmp/err", "cat: /nope: No such file or directory\n"),
        ("cat /nope 2>&1 | cat", "cat: /nope: No such file or directory\n"),
        ("echo $?; false; echo $?", "0\n1\n"),
        ("sleep 1 & wait; echo done", "done\n"),
        ("x='a   b'; echo $x; echo \"$x\"", "a b\na   b\n"),
        ('echo "it\'s" \'say "hi"\'', 'it\'s say "hi"\n'),
        ("echo ${UNSET:-default} ${#HOME}", "default 5\n"),
        ("i=0; while true; do i=$((i+1)); case $i in 3) break;; esac; echo w$i; done", "w1\nw2\n"),
        ("x=4; echo $((x * (2 + 3) % 7)) $(( x > 3 ))", "6 1\n"),
        (
            "for i in 1 2 3; do for j in a b; do case $i$j in 2a) continue 2;; 3a) break 2;; esac; "
            "echo $i$j; done; done",
            "1a\n1b\n",
        ),
        ("echo $(echo inner | cat) `echo back`", "inner back\n"),
        ("x=$(false); echo $?; y=$(true); echo $?", "1\n0\n"),
        ("exec 3>/tmp/fd3; echo to3 >&3; cat /tmp/fd3", "to3\n"),
        ("cat <<E\nhere $HOME\nE\ncat <<'Q'\nraw $HOME\nQ", "here /root\nraw $HOME\n"),
        ("f() { local x=in; echo $x; }; x=out; f; echo $x", "in\nout\n"),
        ("v=a.tar.gz; echo ${v%.gz} ${v%%.*} ${v#*.} ${v##*.}", "a.tar a tar.gz gz\n"),
        ("echo /bin/sl* /bin/s[hu] /nope*", "/bin/sleep /bin/sh /bin/su /nope*\n"),
        ("( cd /tmp; pwd ); pwd", "/tmp\n/root\n"),
        ('f() { echo "args: $#, $1"; return 3; }; f one two; echo $?', "args: 2, one\n3\n"),
    ],
)
def test_shell_features(cmd: str, expected: str) -> None:
    assert sh(cmd) == expected


def test_background_job_and_dollar_bang() -> None:
    out = sh("sleep 5 & echo started; kill $!; wait $!; echo status=$?")
    assert out == "started\nTerminated\nstatus=143\n"  # as dash: `wait` saw it killed


def test_not_found_and_permission_denied() -> None:
    out, status = run_command("nope; echo $?; echo x > /tmp/s; /tmp/s; echo $?")
    assert out == "sh: 1: nope: not found\n127\nsh: 1: /tmp/s: Permission denied\n126\n"


def test_syntax_error_is_reported_with_the_line_and_stops_the_script() -> None:
    out, status = run_command("echo before\nif true; then echo x; fi fi\necho after")
    assert out == 'before\nsh: 2: syntax error: unexpected "fi"\n'
    assert status == 2


def test_scripts_with_shebang_run_and_get_arguments() -> None:
    out = sh(
        "/home/alice/hello.sh | cat; echo 'echo \"args: $1 $2\"' > /tmp/s.sh; "
        "sh /tmp/s.sh three four"
    )
    assert out.startswith("hello, world!\n")
    assert out.endswith("args: three four\n")


def test_redirect_failure_message() -> None:
    out, _ = run_command("echo x > /nope/f; echo status=$?")
    assert out == "sh: 1: cannot create /nope/f: Directory nonexistent\nstatus=2\n"


def test_utilities() -> None:
    out = sh("ls /bin | cat")
    assert out.split() == sorted(out.split())
    assert {
        "cat",
        "dmesg",
        "echo",
        "false",
        "init",
        "kill",
        "ls",
        "ps",
        "sh",
        "sleep",
        "true",
    } <= set(out.split())
    assert sh("kill -l 15") == "TERM\n"
    assert sh("kill 99999; echo $?") == "sh: 1: kill: (99999) - No such process\n1\n"
    assert "Run /sbin/init as init process" in sh("dmesg")


def test_a_script_leaves_no_zombies_and_wait_keeps_statuses() -> None:
    out = sh(
        "sleep 1 & sleep 2; ps | cat; (exit 3) & sleep 1; wait $!; echo $?; wait 4242; echo $?"
    )
    assert "sleep" not in out and "defunct" not in out
    assert out.endswith("3\n127\n")


def test_ps_marks_zombies_defunct() -> None:
    out = sh("e2e_zombie_maker")
    assert "<defunct>" in out


async def _zombie_maker(argv: list[str]) -> int:
    from userland.libk import io, sys

    await sys.spawn("/bin/true", ["true"])
    await sys.nanosleep(1_000_000)
    pid = await sys.spawn("/bin/ps", ["ps"])
    await sys.wait4(pid)
    await io.write_all(1, "")
    return 0


def setup_module() -> None:
    from kernel.exec import register_program

    register_program("e2e_zombie_maker", _zombie_maker)


def test_kill_job_run_by_a_subshell_process_kills_it() -> None:
    out = sh(
        "while true; do :; done & sleep 0.01; jobs; kill %1; echo rc=$?; sleep 0.01; jobs; "
        "{ while :; do :; done; } & p=$!; kill %%; wait $p; echo status=$?"
    )
    assert out == (
        "[1]+  Running                 while true; do :; done &\n"
        "rc=0\n"
        "[1]+  Terminated              while true; do :; done\n"
        "Terminated\n"
        "status=143\n"
    )


# --------------------------------------------------------------------------- subshells
def test_a_background_pipeline_is_processes_and_dollar_bang_the_last() -> None:
    out = sh(
        "sleep 100 | cat & jobs -l; jobs -p; echo $!; kill $! && echo killed; wait $!; "
        "echo st=$?; ps -o pid,comm | grep -c ' cat$'"
    )
    lines = out.splitlines()
    first, second = int(lines[0].split()[1]), int(lines[1])
    assert lines[0].startswith("[1]+ ") and "Running" in lines[0]
    assert lines[0].endswith("sleep 100 | cat &")
    assert second == first + 1  # the pipeline's second process, on a line of its own
    assert lines[2:] == [str(first), str(second), "killed", "Terminated", "st=143", "0"]


def test_a_subshell_is_a_process_with_the_parents_state() -> None:
    out = sh(
        "set -u; x=1; readonly r=2; f() { echo f$1; }; trap '' HUP; "
        "(echo $x $r $- $(( PPID > 0 )); f a; trap; r=3) 2>&1; echo st=$?; "
        "echo $$ > /tmp/pp; (echo $$) > /tmp/pp2; read a < /tmp/pp; read b < /tmp/pp2; "
        "[ $a = $b ] && echo same-dollar-dollar; (ps -o pid,comm | grep -c ' sh$')"
    )
    assert out == (
        "1 2 u 1\nfa\ntrap -- '' HUP\nsh: 1: r: is read only\nst=2\nsame-dollar-dollar\n2\n"
    )


def test_a_fork_bomb_meets_the_process_limit() -> None:
    # each subshell is a process: the bomb meets RLIMIT_NPROC (spawn fails with EAGAIN)
    # and the shell says what dash says; the machine and this shell live on
    out = sh(
        "ulimit -p 30; f() { f | f & }; f 2>/tmp/bomb; sleep 0.01; "
        'read line </tmp/bomb; echo "$line"'
    )
    assert out == "sh: 1: Cannot fork\n"
