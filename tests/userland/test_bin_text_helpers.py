"""Helpers for the text-utility tests (run commands in a machine and on the host), and
unit tests of userland/libk/text.py (the POSIX regex translation, line batching).

``machine(cmds, files)`` boots one machine, puts ``files`` into ``/tmp/t`` through the
host syscall client, runs every command there in turn (stdout, stderr and status of
each captured to files) and returns one :class:`Result` per command. ``host`` runs the
same commands with the host's GNU tools on the same files (``LC_ALL=C``), and
``compare`` asserts both agree.
"""

from __future__ import annotations

import os
import re
import subprocess
import tempfile
from dataclasses import dataclass

import pytest

from kernel import boot
from kernel.abi import O_CREAT, O_TRUNC, O_WRONLY
from kernel.host import HostClient
from tui.headless import quiet_console, run_machine
from userland.libk import text

WORK = "/tmp/t"
RESULTS = "/tmp/.results"
_BASE: list[object] = []


@dataclass
class Result:
    """What one command did: standard output, standard error, exit status."""

    out: bytes
    err: bytes
    status: int


def _base() -> object:
    if not _BASE:
        _BASE.append(boot.load(None))
    return _BASE[0]


def put_file(host: HostClient, path: str, data: bytes) -> None:
    """Write ``data`` to ``path`` inside the machine."""
    fd = host.call("open", path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
    try:
        view = memoryview(data)
        while view:
            view = view[host.call("write", fd, bytes(view[: 1 << 20])) :]
    finally:
        host.call("close", fd)


def machine(
    cmds: list[str], files: dict[str, bytes] | None = None, *, stdin: bytes | None = None
) -> list[Result]:
    """Run each command in ``/tmp/t`` of one fresh machine; return their results.

    Args:
        cmds: shell commands (each may be a pipeline or a list).
        files: name (relative to /tmp/t, directories made as needed) -> content.
        stdin: typed at the console (the commands' standard input), then end of input.
    """
    lines = [f"cd {WORK}"]
    for i, cmd in enumerate(cmds):
        lines.append(f"(\n{cmd}\n) > {RESULTS}/o{i} 2> {RESULTS}/e{i}; echo $? > {RESULTS}/s{i}")
    k = boot.boot(boot.with_init(_base(), ["/bin/sh", "-c", "\n".join(lines)]))  # type: ignore[arg-type]
    host = HostClient(k)
    for d in (WORK, RESULTS):
        host.call("mkdir", d, 0o777)
    for name, data in (files or {}).items():
        parts = name.split("/")
        for i in range(1, len(parts)):
            try:
                host.call("mkdir", "/".join([WORK, *parts[:i]]), 0o777)
            except Exception:  # already made for an earlier file
                pass
        put_file(host, f"{WORK}/{name}", data)
    quiet_console(k)
    console: list[bytes] = []
    pending = [stdin] if stdin else []
    run_machine(
        k,
        read_input=(lambda: pending.pop() if pending else None) if stdin else None,
        write_output=console.append,
    )
    assert k.panic_report is None, k.panic_report
    out = []
    for i in range(len(cmds)):
        status = host.read_file(f"{RESULTS}/s{i}").strip()
        assert status, f"no status for {cmds[i]!r}; console: {b''.join(console)!r}"
        out.append(
            Result(
                host.read_file(f"{RESULTS}/o{i}", 1 << 24),
                host.read_file(f"{RESULTS}/e{i}"),
                int(status),
            )
        )
    return out


def host(cmds: list[str], files: dict[str, bytes] | None = None) -> list[Result]:
    """Run each command with the host's tools in a directory holding ``files``."""
    out = []
    with tempfile.TemporaryDirectory() as d:
        for name, data in (files or {}).items():
            os.makedirs(os.path.dirname(os.path.join(d, name)), exist_ok=True)
            with open(os.path.join(d, name), "wb") as f:
                f.write(data)
        env = {"LC_ALL": "C", "PATH": os.environ.get("PATH", "/usr/bin:/bin")}
        for cmd in cmds:
            p = subprocess.run(
                ["sh", "-c", cmd], cwd=d, capture_output=True, env=env, stdin=subprocess.DEVNULL
            )
            out.append(Result(p.stdout, p.stderr, p.returncode))
    return out


def compare(
    cmds: list[str], files: dict[str, bytes] | None = None, *, stderr: bool = True
) -> list[Result]:
    """Assert the machine and the host print the same for every command."""
    got = machine(cmds, files)
    want = host(cmds, files)
    for cmd, g, w in zip(cmds, got, want, strict=True):
        assert g.out == w.out, f"stdout of {cmd!r}"
        assert g.status == w.status, f"status of {cmd!r}: {g.err!r} vs {w.err!r}"
        if stderr:
            assert g.err == w.err, f"stderr of {cmd!r}"
    return got


def help_and_bad_option(prog: str, bad_status: int = 1) -> None:
    """``--help`` prints a usage and exits 0; ``-@`` is an invalid option."""
    r_help, r_bad = machine([f"{prog} --help", f"{prog} -@ < /dev/null"])
    assert r_help.status == 0 and r_help.out.startswith(b"Usage: ")
    assert r_bad.status == bad_status
    assert r_bad.err == (
        f"{prog}: invalid option -- '@'\nTry '{prog} --help' for more information.\n".encode()
    )


# --- unit tests of userland/libk/text.py ---------------------------------------------


@pytest.mark.parametrize(
    ("pattern", "extended", "subject", "match"),
    [
        (rb"a\(b*\)c\1", False, b"xabbcbb", b"abbcbb"),
        (rb"a\{2,3\}", False, b"caaaa", b"aaa"),
        (rb"a{2}", False, b"a{2}", b"a{2}"),
        (rb"a{2}", True, b"aaa", b"aa"),
        (rb"*a", False, b"x*a", b"*a"),
        (rb"^*", False, b"*x", b"*"),
        (rb"a^b$c", False, b"a^b$c", b"a^b$c"),
        (rb"a|b", False, b"a|b", b"a|b"),
        (rb"a\|b", False, b"b", b"b"),
        (rb"a|b", True, b"b", b"b"),
        (rb"(ab)+", True, b"ababx", b"abab"),
        (rb"\(ab\)\+", False, b"ababx", b"abab"),
        (rb"[[:digit:]]+", True, b"ab123c", b"123"),
        (rb"[]a]*", False, b"]a]b", b"]a]"),
        (rb"[^[:space:]x]*", False, b"ab c", b"ab"),
        (rb"[a\]", False, b"\\", b"\\"),
        (rb"\<the\>", False, b"other the", b"the"),
        (rb"a.c", False, b"abc", b"abc"),
    ],
)
def test_translate(pattern: bytes, extended: bool, subject: bytes, match: bytes) -> None:
    m = text.compile_posix(pattern, extended=extended).search(subject)
    assert m is not None and m.group(0) == match


@pytest.mark.parametrize(
    ("pattern", "extended"),
    [(b"a\\(", False), (b"[abc", False), (b"(a", True), (b"a\\{1", False), (b"[[:nope:]]", True)],
)
def test_translate_errors(pattern: bytes, extended: bool) -> None:
    with pytest.raises(text.RegexError):
        text.compile_posix(pattern, extended=extended)


def test_split_lines() -> None:
    assert text.split_lines(b"") == []
    assert text.split_lines(b"a\nb") == [b"a", b"b"]
    assert text.split_lines(b"a\n\n") == [b"a", b""]


def test_classes_are_c_locale() -> None:
    assert re.fullmatch(rb"[a-z]+", text.CLASSES["lower"])
    assert len(text.CLASSES["punct"]) == 32
