# ruff: noqa: E501
"""sed: scripts run in a machine, against GNU sed's output recorded on a host (GNU sed
4.9, LC_ALL=C), so CI needs no host tools."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st
from test_bin_text_helpers import machine

from userland.libk.sedparse import Parser, Piece, SedError

FILES = {
    "a": b"one two\nthree four\nfive six\nseven\neight nine\nten\n",
    "b": b"x\ny\nz",
    "s": b"s/o/0/g\n2d\n",
}

CASES = [
    ("sed 's/o/0/' a", b"0ne two\nthree f0ur\nfive six\nseven\neight nine\nten\n", b"", 0),
    ("sed 's/o/0/g' a", b"0ne tw0\nthree f0ur\nfive six\nseven\neight nine\nten\n", b"", 0),
    ("sed 's/o/0/2' a", b"one tw0\nthree four\nfive six\nseven\neight nine\nten\n", b"", 0),
    ("sed -n 's/e/E/gp' a", b"onE two\nthrEE four\nfivE six\nsEvEn\nEight ninE\ntEn\n", b"", 0),
    (
        "sed 's/\\(t\\)\\(w\\)/\\2\\1/' a",
        b"one wto\nthree four\nfive six\nseven\neight nine\nten\n",
        b"",
        0,
    ),
    (
        "sed -E 's/(\\w+) (\\w+)/\\2 \\1/' a",
        b"two one\nfour three\nsix five\nseven\nnine eight\nten\n",
        b"",
        0,
    ),
    ("sed 's/T/X/I' a", b"one Xwo\nXhree four\nfive six\nseven\neighX nine\nXen\n", b"", 0),
    (
        "sed 's/.*/[&]/' a",
        b"[one two]\n[three four]\n[five six]\n[seven]\n[eight nine]\n[ten]\n",
        b"",
        0,
    ),
    ("sed 's/e/\\n/' a", b"on\n two\nthr\ne four\nfiv\n six\ns\nven\n\night nine\nt\nn\n", b"", 0),
    ("sed 2d a", b"one two\nfive six\nseven\neight nine\nten\n", b"", 0),
    ("sed '2,4d' a", b"one two\neight nine\nten\n", b"", 0),
    ("sed '$d' a", b"one two\nthree four\nfive six\nseven\neight nine\n", b"", 0),
    ("sed -n '$p' a", b"ten\n", b"", 0),
    ("sed -n '/three/,/seven/p' a", b"three four\nfive six\nseven\n", b"", 0),
    ("sed -n '/three/,+1p' a", b"three four\nfive six\n", b"", 0),
    ("sed '2!d' a", b"three four\n", b"", 0),
    ("sed -n '2,$!p' a", b"one two\n", b"", 0),
    ("sed 1~2d a", b"three four\nseven\nten\n", b"", 0),
    ("sed 0,/e/d a", b"three four\nfive six\nseven\neight nine\nten\n", b"", 0),
    (
        "sed 'a\\\nadded' a",
        b"one two\nadded\nthree four\nadded\nfive six\nadded\nseven\nadded\neight nine\nadded\nten\nadded\n",
        b"",
        0,
    ),
    (
        "sed '2i inserted' a",
        b"one two\ninserted\nthree four\nfive six\nseven\neight nine\nten\n",
        b"",
        0,
    ),
    ("sed '2,3c changed' a", b"one two\nchanged\nseven\neight nine\nten\n", b"", 0),
    ("sed 'y/abc/xyz/' a", b"one two\nthree four\nfive six\nseven\neight nine\nten\n", b"", 0),
    ("sed 3q a", b"one two\nthree four\nfive six\n", b"", 0),
    ("sed '3q5' a; echo $?", b"one two\nthree four\nfive six\n5\n", b"", 0),
    ("sed -n '=' a", b"1\n2\n3\n4\n5\n6\n", b"", 0),
    ("sed -n '$=' a b", b"9\n", b"", 0),
    ("sed p b", b"x\nx\ny\ny\nz\nz", b"", 0),
    ("sed -s -n '$p' a b", b"ten\nz", b"", 0),
    ("sed N a", b"one two\nthree four\nfive six\nseven\neight nine\nten\n", b"", 0),
    ("sed 'N;P;D' a", b"one two\nthree four\nfive six\nseven\neight nine\nten\n", b"", 0),
    ("sed '$!N;s/\\n/ /' a", b"one two three four\nfive six seven\neight nine ten\n", b"", 0),
    ("sed -n 'h;n;G;p' a", b"three four\none two\nseven\nfive six\nten\neight nine\n", b"", 0),
    ("sed -e 1d -e 2d a", b"five six\nseven\neight nine\nten\n", b"", 0),
    ("sed -f s a", b"0ne tw0\nfive six\nseven\neight nine\nten\n", b"", 0),
    ("sed '1!G;h;$!d' a", b"ten\neight nine\nseven\nfive six\nthree four\none two\n", b"", 0),
    ("sed = b", b"1\nx\n2\ny\n3\nz", b"", 0),
    (
        "sed 's/x/X/' nofile b; echo $?",
        b"X\ny\nz2\n",
        b"sed: can't read nofile: No such file or directory\n",
        0,
    ),
    ("sed 's/o/0' a", b"", b"sed: -e expression #1, char 5: unterminated `s' command\n", 1),
    ("sed 'k' a", b"", b"sed: -e expression #1, char 1: unknown command: `k'\n", 1),
    ("sed '/x' a", b"", b"sed: -e expression #1, char 2: unterminated address regex\n", 1),
    ("sed 's/a/b/q' a", b"", b"sed: -e expression #1, char 7: unknown option to `s'\n", 1),
    (
        "sed 'y/ab/c/' a",
        b"",
        b"sed: -e expression #1, char 7: strings for `y' command are different lengths\n",
        1,
    ),
    ("sed '{p' a", b"", b"sed: -e expression #1, char 0: unmatched `{'\n", 1),
    ("sed 'p}' a", b"", b"sed: -e expression #1, char 2: unexpected `}'\n", 1),
    ("sed 'b foo' a", b"", b"sed: can't find label for jump to `foo'\n", 4),
    ("sed -n '/[[:digit:]]/p;/[[:upper:]]/p' a", b"", b"", 0),
    ("sed 's/[aeiou]//g' a", b"n tw\nthr fr\nfv sx\nsvn\nght nn\ntn\n", b"", 0),
    ("sed -E 's/o+|e+/#/g' a", b"#n# tw#\nthr# f#ur\nfiv# six\ns#v#n\n#ight nin#\nt#n\n", b"", 0),
    (
        "sed 's/\\(.\\)\\1/<&>/' a",
        b"one two\nthr<ee> four\nfive six\nseven\neight nine\nten\n",
        b"",
        0,
    ),
    (
        "sed ':a;s/^.\\{1,10\\}$/ &/;ta' a",
        b"    one two\n three four\n   five six\n      seven\n eight nine\n        ten\n",
        b"",
        0,
    ),
    ("sed -n l b", b"x$\ny$\nz$\n", b"", 0),
    ("sed 's/\\w\\+/\\u&/g' a", b"One Two\nThree Four\nFive Six\nSeven\nEight Nine\nTen\n", b"", 0),
    ("sed 's/.*/\\U&/' a", b"ONE TWO\nTHREE FOUR\nFIVE SIX\nSEVEN\nEIGHT NINE\nTEN\n", b"", 0),
    (
        "sed '2{s/t/T/;p}' a",
        b"one two\nThree four\nThree four\nfive six\nseven\neight nine\nten\n",
        b"",
        0,
    ),
    ("sed -n '/one/{n;p}' a", b"three four\n", b"", 0),
    (
        "sed '1~3a\\\n--' a",
        b"one two\n--\nthree four\nfive six\nseven\n--\neight nine\nten\n",
        b"",
        0,
    ),
    ("sed -n '2{p;q}' a", b"three four\n", b"", 0),
    ("sed '$a end' b", b"x\ny\nz\nend\n", b"", 0),
    ("sed 'G' b", b"x\n\ny\n\nz\n\n", b"", 0),
    ("sed -n '/^$/!p' a", b"one two\nthree four\nfive six\nseven\neight nine\nten\n", b"", 0),
    ("sed 's/ /\\t/' a", b"one\ttwo\nthree\tfour\nfive\tsix\nseven\neight\tnine\nten\n", b"", 0),
    ("sed 's|/|:|g' a", b"one two\nthree four\nfive six\nseven\neight nine\nten\n", b"", 0),
    ("printf 'a/b/c\\n' | sed 's/\\//|/g'", b"a|b|c\n", b"", 0),
    ("printf 'hello\\n' | sed 's/l*/X/g'", b"XhXeXoX\n", b"", 0),
    ("printf 'abc\\n' | sed 's/b*/-/g'", b"-a-c-\n", b"", 0),
    ("printf 'a.b\\n' | sed -E 's/a|b/X/g'", b"X.X\n", b"", 0),
    ("sed --expression=2d a", b"one two\nfive six\nseven\neight nine\nten\n", b"", 0),
    ("sed -n -e '/two/ {' -e p -e '}' a", b"one two\n", b"", 0),
    ("sed 0,/t/d a", b"three four\nfive six\nseven\neight nine\nten\n", b"", 0),
    ("sed '$!d' b", b"z", b"", 0),
    (
        "sed 's/x/\\3/' a",
        b"",
        b"sed: -e expression #1, char 7: invalid reference \\3 on `s' command's RHS\n",
        1,
    ),
    ("sed -n '/t/{p' a", b"", b"sed: -e expression #1, char 0: unmatched `{'\n", 1),
    ("sed 2,1p a", b"one two\nthree four\nthree four\nfive six\nseven\neight nine\nten\n", b"", 0),
    ("sed -n '4,2p' a", b"seven\n", b"", 0),
    ("sed -n '/four/,3p' a", b"three four\nfive six\n", b"", 0),
    ("sed -n '2,/e/p' a", b"three four\nfive six\n", b"", 0),
    ("sed -n '$!{$!p}' b", b"x\ny\n", b"", 0),
    ("sed '2 s/e/E/' a", b"one two\nthrEe four\nfive six\nseven\neight nine\nten\n", b"", 0),
    ("sed '2,3 !d' a", b"three four\nfive six\n", b"", 0),
    ("sed -n 'x;p' a", b"\none two\nthree four\nfive six\nseven\neight nine\n", b"", 0),
    (
        "sed 's/e/E/w out' a; cat out",
        b"onE two\nthrEe four\nfivE six\nsEven\nEight nine\ntEn\nonE two\nthrEe four\nfivE six\nsEven\nEight nine\ntEn\n",
        b"",
        0,
    ),
    (
        "sed 2r b a",
        b"",
        b"sed: -e expression #1, char 2: missing filename in r/R/w/W commands\n",
        1,
    ),
    ("sed a\\\\foo b", b"x\nfoo\ny\nfoo\nz\nfoo\n", b"", 0),
    ("sed '1i\\  lead' b", b"  lead\nx\ny\nz", b"", 0),
    ("sed -n '/one/=' a", b"1\n", b"", 0),
    ("sed --posix -n 1p a", b"one two\n", b"", 0),
    ("sed 'q;p' a", b"one two\n", b"", 0),
    ("sed -n --quiet p b", b"x\ny\nz", b"", 0),
    ("sed -s 1d a b", b"three four\nfive six\nseven\neight nine\nten\ny\nz", b"", 0),
    (
        "sed -e 's/a/b/' -e 'y/a/' a",
        b"",
        b"sed: -e expression #2, char 4: unterminated `y' command\n",
        1,
    ),
    ("sed 'd d' a", b"", b"sed: -e expression #1, char 3: extra characters after command\n", 1),
    ("sed '5!!d' a", b"", b"sed: -e expression #1, char 3: multiple `!'s\n", 1),
    ("sed '1,2,3p' a", b"", b"sed: -e expression #1, char 4: unknown command: `,'\n", 1),
    ("sed ':a;N;$!ba;s/\\n/+/g' a", b"one two+three four+five six+seven+eight nine+ten\n", b"", 0),
    ("sed -n '/one/{s/o/0/gp}' a", b"0ne tw0\n", b"", 0),
    ("sed -i.bak 's/x/X/' b; cat b b.bak", b"X\ny\nzx\ny\nz", b"", 0),
    ("sed -i 1d a b; cat a b", b"three four\nfive six\nseven\neight nine\nten\ny\nz", b"", 0),
    ("sed -i p; echo $?", b"4\n", b"sed: no input files\n", 0),
]


def test_recorded_cases() -> None:
    results = machine([c for c, *_ in CASES], FILES)
    for (cmd, out, err, status), got in zip(CASES, results, strict=True):
        assert (got.out, got.err, got.status) == (out, err, status), cmd


def test_usage() -> None:
    no_script, bad = machine(["sed", "sed -@"])
    assert no_script.status == 1 and no_script.err.startswith(b"Usage: sed [OPTION]...")
    assert bad.status == 1 and bad.err.startswith(b"sed: invalid option -- '@'\nUsage: sed")
    (r,) = machine(["sed --help"])
    assert r.status == 0 and b"-i[SUFFIX], --in-place[=SUFFIX]" in r.out


_SCRIPT_CHARS = list("spdnNaicyqgGhHxDPlz=!{};/\\,$ 12\n&|^*.[]:abt-+~#IMwEe()")


@settings(derandomize=True, max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(_SCRIPT_CHARS), max_size=14), st.booleans())
def test_parser_never_crashes(chars: list[str], extended: bool) -> None:
    script = "".join(chars).encode() + b"\n"
    try:
        Parser(script, [Piece(0, "-e expression #1", False)], extended).parse()
    except SedError as err:
        assert str(err)


MORE_CASES = [
    ("mkdir -p d; sed p d; echo $?", b"4\n", b"sed: read error on d: Is a directory\n", 0),
    ("sed -i p d; echo $?", b"4\n", b"sed: couldn't edit d: not a regular file\n", 0),
    ("sed -i p nofile; echo $?", b"2\n", b"sed: can't read nofile: No such file or directory\n", 0),
    (
        "sed p nofile a; echo $?",
        b"one two\none two\nthree four\nthree four\nfive six\nfive six\nseven\nseven\neight nine\neight nine\nten\nten\n2\n",
        b"sed: can't read nofile: No such file or directory\n",
        0,
    ),
    ("sed -n '2,+p' a", b"three four\n", b"", 0),
    ("sed -n '1~p' a", b"one two\n", b"", 0),
    ("sed -n '/TWO/Ip' a", b"one two\n", b"", 0),
    ("sed 's/o/0/3g' a", b"one two\nthree four\nfive six\nseven\neight nine\nten\n", b"", 0),
    (
        "sed -E 's/(o)|(e)/[\\1\\2]/g' a",
        b"[o]n[e] tw[o]\nthr[e][e] f[o]ur\nfiv[e] six\ns[e]v[e]n\n[e]ight nin[e]\nt[e]n\n",
        b"",
        0,
    ),
    ("sed '/five/,$!d' a", b"five six\nseven\neight nine\nten\n", b"", 0),
    ("sed -n '\\,three,p' a", b"three four\n", b"", 0),
    (
        "sed 's/[[:space:]]/_/g' a",
        b"one_two\nthree_four\nfive_six\nseven\neight_nine\nten\n",
        b"",
        0,
    ),
    ("sed 'n;d' a", b"one two\nfive six\neight nine\n", b"", 0),
    ("sed '$!{h;d};x;G' a", b"eight nine\nten\n", b"", 0),
]


def test_more_recorded_cases() -> None:
    """Directories and missing files (statuses 4 and 2), +N and ~N addresses, I, Ng."""
    results = machine([c for c, *_ in MORE_CASES], FILES)
    for (cmd, out, err, status), got in zip(MORE_CASES, results, strict=True):
        assert (got.out, got.err, got.status) == (out, err, status), cmd


FILE_CASES = [
    ("sed 'R b' a", b"one two\nx\nthree four\ny\nfive six\nzseven\neight nine\nten\n", b"", 0),
    ("sed -n 'N;W out2' a; cat out2", b"one two\nfive six\neight nine\n", b"", 0),
    (
        "sed 'r b' a",
        b"one two\nx\ny\nzthree four\nx\ny\nzfive six\nx\ny\nzseven\nx\ny\nzeight nine\nx\ny\nzten\nx\ny\nz",
        b"",
        0,
    ),
    ("sed '$r b' a", b"one two\nthree four\nfive six\nseven\neight nine\nten\nx\ny\nz", b"", 0),
    ("sed 'a\\\nx' b", b"x\nx\ny\nx\nz\nx\n", b"", 0),
]


def test_file_commands() -> None:
    """r and R (their text is copied as it is, even without a last newline), W, w."""
    results = machine([c for c, *_ in FILE_CASES], FILES)
    for (cmd, out, err, status), got in zip(FILE_CASES, results, strict=True):
        assert (got.out, got.err, got.status) == (out, err, status), cmd
