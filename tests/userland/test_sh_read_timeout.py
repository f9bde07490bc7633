"""The shell's ``read -t TIMEOUT`` (bash's option; dash has none): the line must come
within TIMEOUT seconds of virtual time, waited for with poll(2), on the console, a pipe,
a FIFO and a socket; status 142 on timeout with what came so far in the names, ``-t 0``
only looks, ``$TMOUT`` is the default. Expected outputs are bash 5.2's for the same
commands."""

from __future__ import annotations

import pytest

from tui.headless import run_command
from userland.sh.builtins_io import parse_timeout


def sh(cmd: str, stdin: bytes | None = None) -> str:
    return run_command(cmd, stdin=stdin)[0]


@pytest.mark.parametrize(
    ("text", "ns"),
    [
        ("2", 2_000_000_000),
        ("0.5", 500_000_000),
        (".25", 250_000_000),
        ("1.", 1_000_000_000),
        ("+1", 1_000_000_000),
        ("0", 0),
        ("", 0),
        ("1.1234567891", 1_123_456_789),
    ],
)
def test_timeouts_bash_accepts(text: str, ns: int) -> None:
    assert parse_timeout(text) == ns


@pytest.mark.parametrize("text", ["abc", "-1", "0x10", "1e1", " 1", "1.5.2"])
def test_timeouts_bash_refuses(text: str) -> None:
    assert parse_timeout(text) is None


def test_a_pipe_that_stays_silent_times_out_with_142() -> None:
    assert sh('x=old; sleep 3 | { read -t 1 x; echo "$? [$x]"; }') == "142 []\n"


def test_what_came_before_the_timeout_is_kept_and_split() -> None:
    out = sh('{ printf "abc def"; sleep 3; } | { read -t 1.5 x y; echo "$? [$x] [$y]"; }')
    assert out == "142 [abc] [def]\n"


def test_a_line_in_time_is_read_as_without_t() -> None:
    assert sh('{ sleep 1; echo "in time"; } | { read -t 2 x; echo "$? [$x]"; }') == "0 [in time]\n"
    assert sh('read -t 1 x < /dev/null; echo "$? [$x]"') == "1 []\n"


def test_t0_only_looks() -> None:
    assert sh('x=old; { echo abc; sleep 1; } | { sleep 0.5; read -t 0 x; echo "$? [$x]"; }') == (
        "0 [old]\n"
    )
    assert sh('x=old; sleep 1 | { read -t 0 x; echo "$? [$x]"; }') == "1 [old]\n"
    assert sh("read -t 0 x < /dev/null; echo $?") == "0\n"  # end of file: a read returns


def test_bad_timeouts_and_a_missing_one() -> None:
    assert sh("read -t abc x; echo $?") == "sh: 1: read: abc: invalid timeout specification\n1\n"
    assert sh("read -t -1 x; echo $?") == "sh: 1: read: -1: invalid timeout specification\n1\n"
    assert sh("read -t; echo $?") == "sh: 1: read: -t: option requires an argument\n2\n"


def test_options_combine() -> None:
    cmd = "{ printf 'a\\\\b'; sleep 2; } | { read -rt1 x; printf '%s [%s]\\n' $? \"$x\"; }"
    assert sh(cmd) == "142 [a\\b]\n"


def test_tmout_is_the_default() -> None:
    assert sh('TMOUT=1; sleep 3 | { read x; echo "$? [$x]"; }') == "142 []\n"
    assert sh('TMOUT=0; { sleep 1; echo late; } | { read x; echo "$? [$x]"; }') == "0 [late]\n"


def test_console() -> None:
    assert sh('read -t 1 x; echo "$? [$x]"', stdin=b"typed\n") == "0 [typed]\n"


def test_fifo() -> None:
    out = sh(
        "mkfifo /tmp/f; exec 3<>/tmp/f; "
        'read -t 1 x <&3; echo "$? [$x]"; '
        '(sleep 1; echo late > /tmp/f) & read -t 5 x <&3; echo "$? [$x]"; '
        'printf part > /tmp/f; read -t 0.5 x <&3; echo "$? [$x]"'
    )
    assert out == "142 []\n0 [late]\n142 [part]\n"


def test_socket() -> None:
    out = sh(
        'nc -lU /tmp/s | { read -t 0.5 x; echo "$? [$x]"; read -t 5 y; echo "$? [$y]"; } & '
        "sleep 1; echo hi | nc -U /tmp/s; wait"
    )
    assert out == "142 []\n0 [hi]\n"
