# ruff: noqa: E501
"""tac, egrep/fgrep, grep's context lines (-A/-B/-C, -NUM) and /usr/bin/env: in a
machine, against GNU grep 3.8 and coreutils 9.1 recorded on a host (LC_ALL=C)."""

from __future__ import annotations

from test_bin_text_helpers import help_and_bad_option, machine

FILES = {"a": b"one two\nthree four\nfive six\nseven\neight nine\nten\n", "b": b"x\ny\nz"}

CASES = [
    ("grep -A1 e a", b"one two\nthree four\nfive six\nseven\neight nine\nten\n", b"", 0),
    ("grep -B1 -n five a", b"2-three four\n3:five six\n", b"", 0),
    ("grep -C1 seven a", b"five six\nseven\neight nine\n", b"", 0),
    ("grep -A1 -e one -e eight a", b"one two\nthree four\n--\neight nine\nten\n", b"", 0),
    ("grep -1 seven a", b"five six\nseven\neight nine\n", b"", 0),
    ("grep -A1 x a b", b"a:five six\na-seven\n--\nb:x\nb-y\n", b"", 0),
    ("grep -c -A1 e a", b"6\n", b"", 0),
    ("grep -A x e a", b"", b"grep: x: invalid context length argument\n", 2),
    ("grep -vA1 e a", b"", b"", 1),
    ("grep -m1 -A2 o a", b"one two\nthree four\nfive six\n", b"", 0),
    ("grep -n -C1 -H ten a", b"a-5-eight nine\na:6:ten\n", b"", 0),
    ("grep -B2 -A0 nine a", b"five six\nseven\neight nine\n", b"", 0),
    ("grep -o -A1 ee a", b"ee\n", b"", 0),
    ("tac a", b"ten\neight nine\nseven\nfive six\nthree four\none two\n", b"", 0),
    ("tac b", b"zy\nx\n", b"", 0),
    ("tac a b", b"ten\neight nine\nseven\nfive six\nthree four\none two\nzy\nx\n", b"", 0),
    ("tac -s e a", b"n\n\nteight ninen\neve six\nse four\nfivee two\nthreone", b"", 0),
    (
        "tac nofile; echo $?",
        b"1\n",
        b"tac: failed to open 'nofile' for reading: No such file or directory\n",
        0,
    ),
    ("printf 'a\\nb\\n' | tac -b", b"\n\nba", b"", 0),
    ("cat a | tac", b"ten\neight nine\nseven\nfive six\nthree four\none two\n", b"", 0),
    (
        "printf '#!/usr/bin/env sh\\necho hi from env\\n' > sc; chmod +x sc; ./sc",
        b"hi from env\n",
        b"",
        0,
    ),
    ("grep -o -A1 'ee\\|ten' a", b"ee\n--\nten\n", b"", 0),
    ("grep -o -C1 -n 'one\\|ten' a", b"1:one\n--\n6:ten\n", b"", 0),
    ("printf 'a1b22c\\n' | tac -r -s '[0-9][0-9]*'", b"c\n2b2a1", b"", 0),
]


def test_recorded_cases() -> None:
    results = machine([c for c, *_ in CASES], FILES)
    for (cmd, out, err, status), got in zip(CASES, results, strict=True):
        assert (got.out, got.err, got.status) == (out, err, status), cmd


def test_egrep_fgrep_warn_and_work() -> None:
    # GNU grep 3.8 and later warn on every run of egrep and fgrep.
    e, f, ls = machine(["egrep 'one|ten' a", "fgrep -c 'o.' a", "ls -l /usr/bin/env"], FILES)
    assert (e.out, e.status) == (b"one two\nten\n", 0)
    assert e.err == b"egrep: warning: egrep is obsolescent; using grep -E\n"
    assert (f.out, f.status) == (b"0\n", 1)
    assert f.err == b"fgrep: warning: fgrep is obsolescent; using grep -F\n"
    assert ls.out.rstrip().endswith(b"/usr/bin/env -> /bin/env")


def test_tac_usage() -> None:
    help_and_bad_option("tac")
