"""Fuzzing the shell: no input reaches Python's error machinery.

The parser alone (fast, many examples) may only raise its own syntax errors; whole
scripts run through ``sh -c`` on a machine must never crash the shell (a crash is an
uncaught exception: the kernel logs a segfault and the shell dies with status 139).
"""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from kernel import boot
from tui.headless import quiet_console, run_machine
from userland.sh.arith import ArithError, evaluate
from userland.sh.expand import pattern_regex
from userland.sh.parser import IncompleteInput, Parser, ShSyntaxError

TOKENS = [
    "echo", ":", "printf", "set", "shift", "local", "export", "unset", "readonly",
    "getopts", "cd", "umask", "eval", "return", "break", "continue", "exit", "test", "[",
    "x=", "y=1", "IFS=:", "$", "${", "}", "$((", "))", "$(", ")", "(", "`", "'", '"', "\\",
    "[", "]", "[:alpha:]", "[!", "*", "?", "!", "-", "#", "%", "%%", "##", ":-", ":=", ":?",
    ":+", "=", ";", "&&", "||", "|", "&", ">", "<", ">&", "<&", "<<", "<<-", "EOF", "\n",
    " ", " ", " ", "case", "in", "esac", ";;", "for", "do", "done", "if", "then", "else",
    "elif", "fi", "{", "}", "0", "1", "2", "3", "-1", "x", "y", "@", "*", "#", "?", "/",
    "~", "/tmp/fz", "-u", "-e", "-f", "-C", "<<", "+", "<<(", "1/0", "i++", ")(",
]  # fmt: skip

scripts = st.lists(st.sampled_from(TOKENS), max_size=30).map("".join)


@settings(derandomize=True, max_examples=1500, deadline=None)
@given(scripts)
def test_the_parser_raises_only_syntax_errors(src: str) -> None:
    parser = Parser(src, complete=True, first_line=1, aliases={})
    try:
        while parser.parse_next() is not None:
            pass
    except (ShSyntaxError, IncompleteInput):
        pass


ARITH = [
    "1", "0", "-", "+", "*", "/", "%", "**", "<<", ">>", "&", "|", "^", "~", "!", "(", ")",
    "?", ":", ",", "=", "+=", "<<=", "==", "!=", "<", ">=", "&&", "||", "x", "y", "0x1f",
    "017", "08", "9223372036854775807", "99999999999999999999", " ", "64", "-1", "1e3",
]  # fmt: skip


@settings(derandomize=True, max_examples=1500, deadline=None)
@given(st.lists(st.sampled_from(ARITH), max_size=20).map("".join))
def test_arithmetic_raises_only_its_errors(expr: str) -> None:
    env = {"x": "3", "y": "0x10"}
    try:
        value = evaluate(expr, env.get, env.__setitem__)
    except ArithError:
        return
    assert -(1 << 63) <= value < (1 << 63)  # 64-bit, as dash's intmax_t


PATTERN = [*"[]!^-\\:*?ab9_.\n\x01\x00é→", "[:alpha:]", "[:digit:]", "[:x", "[:bad:]"]
pattern_texts = st.lists(st.sampled_from(PATTERN), max_size=12).map("".join)


@settings(derandomize=True, max_examples=800, deadline=None)
@given(st.lists(st.tuples(pattern_texts, st.booleans()), max_size=4), st.text(max_size=6))
def test_any_pattern_compiles(pattern: list[tuple[str, bool]], word: str) -> None:
    pattern_regex(pattern).match(word)  # bracket expressions never make a bad regex


def sq(text: str) -> str:
    return "'" + text.replace("'", "'\\''") + "'"


def run_scripts(sources: list[str]) -> tuple[str, str]:
    """Run each source with ``sh -c`` on one machine; return (console, kernel log)."""
    driver = "cd /tmp; " + "".join(f"sh -c {sq(s)} </dev/null; " for s in sources) + "echo END"
    k = boot.boot(boot.with_init(boot.load(None), ["/bin/sh", "-c", driver]))
    quiet_console(k)
    out: list[bytes] = []
    run_machine(k, read_input=None, write_output=out.append)
    return b"".join(out).decode(errors="replace"), k.log.render()


@settings(derandomize=True, max_examples=12, deadline=None)
@given(st.lists(scripts, min_size=25, max_size=25))
def test_no_script_crashes_the_shell(sources: list[str]) -> None:
    # no loops that may not end: for lists are finite, while/until are not generated
    out, log = run_scripts(sources)
    assert "segfault" not in log, log
    assert out.endswith("END\n")


def test_known_crashes_are_errors() -> None:
    out, log = run_scripts(
        [
            "if ''; then echo T; else echo F; fi",
            "echo $(( 5 << -1 ))",
            "echo hi > /tmp/f$((1/0))",
            "case $((1/0)) in *) ;; esac",
            "case ${undef?msg} in *) ;; esac",
            "set -u; case $undef in *) ;; esac",
            "while break; do :; done",
            "return",
            "fun() { echo x; } > /tmp/g$((i++)); fun",
            'x=$(exec 3>&1); echo "x=$x"',
            "x() { x; }; x",
        ]
    )
    assert "segfault" not in log, log
    assert out.endswith("END\n")
