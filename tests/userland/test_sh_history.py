"""The shell's ``history`` and ``fc`` builtins (userland/sh/builtins_history.py).

The shell's command loop calls :func:`record` once per command line typed; these tests
call it directly, in a machine, then run the builtins as the shell would.
"""

from __future__ import annotations

import sys as host_sys
from pathlib import Path

from userland.libk import io as kio
from userland.sh.builtins_history import b_fc, b_history, history_of, record
from userland.sh.interp import Shell

host_sys.path.insert(0, str(Path(__file__).parents[1] / "kernel"))
from ksim import run_main  # noqa: E402

IO = {0: 0, 1: 1, 2: 2}


async def _session(argv: list[str]) -> int:
    sh = Shell("sh")
    sh.interactive = True
    sh.set_var("HOME", "/root")
    sh.set_var("HISTCONTROL", "ignoredups")
    for line in ("ls /\n", "echo one\n", "echo one\n", "  \n", "if true\nthen :\nfi\n"):
        await record(sh, line)
    await record(sh, "history\n")
    await kio.write_all(1, f"[{await b_history(sh, ['history'], IO)}]\n")
    await record(sh, "history 2\n")
    await kio.write_all(1, f"[{await b_history(sh, ['history', '2'], IO)}]\n")
    await record(sh, "fc -l -3\n")
    await kio.write_all(1, f"[{await b_fc(sh, ['fc', '-l', '-3'], IO)}]\n")
    await record(sh, "fc -l -nr ec\n")
    await kio.write_all(1, f"[{await b_fc(sh, ['fc', '-lnr', 'ec'], IO)}]\n")
    await record(sh, "fc -s one=two echo\n")
    await kio.write_all(1, f"[{await b_fc(sh, ['fc', '-s', 'one=two', 'echo'], IO)}]\n")
    for bad in (["history", "x"], ["history", "-z"], ["history", "-d", "99"], ["fc"]):
        builtin = b_history if bad[0] == "history" else b_fc
        await kio.write_all(1, f"[{await builtin(sh, bad, IO)}]\n")
    await b_history(sh, ["history", "-d", "1"], IO)
    await kio.write_all(1, f"first={history_of(sh).numbered()[0]}\n")
    await b_history(sh, ["history", "-c"], IO)
    await kio.write_all(1, f"[{await b_history(sh, ['history'], IO)}]\n")
    # A new shell starts with what the first wrote to ~/.sh_history.
    again = Shell("sh")
    again.set_var("HOME", "/root")
    await record(again, "pwd\n")
    await kio.write_all(1, f"again={history_of(again).lines}\n")
    return 0


def test_history_records_lists_and_fc() -> None:
    out = run_main(_session).output
    listing, rest = out.split("[0]\n", 1)
    assert listing == ("    1  ls /\n    2  echo one\n    3  if true\nthen :\nfi\n    4  history\n")
    two, rest = rest.split("[0]\n", 1)
    assert two == "    4  history\n    5  history 2\n"
    fc_l, rest = rest.split("[0]\n", 1)
    assert fc_l == "3\tif true\nthen :\nfi\n4\thistory\n5\thistory 2\n"
    fc_n, rest = rest.split("[0]\n", 1)
    assert fc_n.startswith("\tfc -l -3\n") and fc_n.endswith("\techo one\n")
    assert rest.startswith("echo two\ntwo\n[0]\n")  # fc -s: shown, then run
    assert "sh: history: x: numeric argument required\n[1]\n" in rest
    assert (
        "sh: history: -z: invalid option\nhistory: usage: history [-c] [-d offset] [n]\n[2]\n"
        in rest
    )
    assert "sh: history: 99: history position out of range\n[1]\n" in rest
    assert "sh: fc: no editor on this system; use fc -l or fc -s\n[1]\n" in rest
    assert "first=(1, 'echo one')\n" in rest  # -d 1 removed ls; numbers shift as in bash
    assert "\n[0]\nagain=['ls /', 'echo one'" in rest
    assert rest.endswith("'fc -s one=two echo', 'pwd']\n")  # the file has lines as typed
