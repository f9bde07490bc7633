"""diff: hunks compared with the host's GNU diff on the same files."""

from __future__ import annotations

import random
import re

from test_bin_text_helpers import compare, help_and_bad_option, host, machine

A = b"".join(b"line %d\n" % i for i in range(1, 21))
FILES = {
    "a": A,
    "b": A.replace(b"line 3\n", b"line three\n")
    .replace(b"line 10\n", b"")
    .replace(b"line 17\n", b"line 17\nextra\n"),
    "c": A + b"tail without newline",
    "d": A + b"other tail",
    "e": b"",
    "f": b"a\nb\nc\na\nb\nb\na\n",
    "g": b"c\nb\na\nb\na\nc\n",
    "bin": b"\x00\x01",
}


def _random_files() -> dict[str, bytes]:
    rng = random.Random(3)
    out = {}
    for n in range(6):
        lines = [b"%d\n" % rng.randrange(6) for _ in range(rng.randrange(5, 30))]
        out[f"r{n}"] = b"".join(lines)
    return out


def test_help_and_bad_option() -> None:
    help_and_bad_option("diff", 2)


def test_normal_format() -> None:
    files = {**FILES, **_random_files()}
    compare(
        [
            "diff a b",
            "diff b a",
            "diff a a",
            "diff a c",
            "diff c d",
            "diff e a",
            "diff a e",
            "diff r0 r1",
            "diff r2 r3",
            "diff -q a b",
            "diff -s a a",
            "diff a bin",
            "diff a nope",
            "diff a",
            "diff - b < a",
        ],
        files,
    )


def _strip_headers(out: bytes) -> bytes:
    return b"\n".join(out.split(b"\n")[2:])


def test_unified_format() -> None:
    files = {**FILES, **_random_files()}
    cmds = [
        "diff -u a b",
        "diff -u a c",
        "diff -u c d",
        "diff -U 1 a b",
        "diff -U 0 a b",
        "diff -u e a",
        "diff -u r0 r1",
        "diff -U 2 r2 r3",
    ]
    got, want = machine(cmds, files), host(cmds, files)
    for cmd, g, w in zip(cmds, got, want, strict=True):
        assert _strip_headers(g.out) == _strip_headers(w.out), cmd
        assert g.status == w.status == 1, cmd
    stamp = rb"\t\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{9} \+0000\n"
    assert re.match(rb"--- a" + stamp + rb"\+\+\+ b" + stamp, got[0].out)


def _edit_distance(a: list[bytes], b: list[bytes]) -> int:
    lcs = [[0] * (len(b) + 1) for _ in range(len(a) + 1)]
    for i in range(len(a) - 1, -1, -1):
        for j in range(len(b) - 1, -1, -1):
            lcs[i][j] = lcs[i + 1][j + 1] + 1 if a[i] == b[j] else max(lcs[i + 1][j], lcs[i][j + 1])
    return len(a) + len(b) - 2 * lcs[0][0]


def test_ambiguous_edits_are_still_shortest() -> None:
    # Where several shortest scripts exist, GNU's middle-snake search may pick another
    # one than ours; ours must still be a shortest script.
    files = {**FILES, **_random_files()}
    pairs = [("f", "g"), ("r4", "r5"), ("r1", "r4"), ("r5", "r2")]
    got = machine([f"diff {x} {y}" for x, y in pairs], files)
    for (x, y), r in zip(pairs, got, strict=True):
        changed = [ln for ln in r.out.splitlines() if ln[:2] in (b"< ", b"> ")]
        assert r.status == 1
        assert len(changed) == _edit_distance(files[x].splitlines(), files[y].splitlines())
