"""text.options: the GNU getopt boilerplate of the utilities (usage errors, --help)."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parents[1] / "kernel"))

from ksim import ok, register, shell  # noqa: E402

from userland.libk import io as kio  # noqa: E402
from userland.libk import text  # noqa: E402

USAGE = "Usage: demo [-a] [-b X] [FILE]...\n"


async def plain(argv: list[str]) -> int:
    """GNU style: the Try hint, status 1."""
    opts = await text.options("demo", argv, "ab:", USAGE, long={"all": "a"})
    if isinstance(opts, int):
        return opts
    await kio.write_all(1, f"seen={opts.seen} operands={opts.operands}\n")
    return 0


async def procps(argv: list[str]) -> int:
    """procps style: the usage after the message, status 2, -h asks for help too."""
    opts = await text.options(
        "demo", argv, "ah", USAGE, status=2, hint=USAGE.rstrip("\n"), help_flags="h"
    )
    return opts if isinstance(opts, int) else 0


def test_options_answers_as_gnu_tools_do() -> None:
    p, q = register(plain), register(procps)
    r = shell(
        f"{p} -a --all -b 5 x -- -y; echo rc=$?; {p} --help 2>/dev/null; echo rc=$?;"
        f" {p} -x 2>&1 >/dev/null; echo rc=$?; {p} --nope 2>&1; echo rc=$?;"
        f" {p} -b 2>&1; echo rc=$?; {p} -h 2>&1; echo rc=$?;"
        f" {q} -h 2>/dev/null; echo rc=$?; {q} -z 2>&1 >/dev/null; echo rc=$?"
    )
    ok(r)
    assert r.output.splitlines() == [
        "seen=[('a', None), ('a', None), ('b', '5')] operands=['x', '-y']",
        "rc=0",
        USAGE.rstrip("\n"),
        "rc=0",
        "demo: invalid option -- 'x'",
        "Try 'demo --help' for more information.",
        "rc=1",
        "demo: unrecognized option '--nope'",
        "Try 'demo --help' for more information.",
        "rc=1",
        "demo: option requires an argument -- 'b'",
        "Try 'demo --help' for more information.",
        "rc=1",
        "demo: invalid option -- 'h'",
        "Try 'demo --help' for more information.",
        "rc=1",
        USAGE.rstrip("\n"),
        "rc=0",
        "demo: invalid option -- 'z'",
        USAGE.rstrip("\n"),
        "rc=2",
    ]
