"""cat, head, tail, wc, tee, rev, nl: compared with the host's GNU tools on the same bytes."""

from __future__ import annotations

import pytest
from test_bin_text_helpers import compare, help_and_bad_option, machine

SAMPLE = b"one two\n\tthree\n\n\n\nfour \x01 five\xff\nsix\n" + b"".join(
    b"line %d\n" % i for i in range(30)
)
FILES = {
    "s": SAMPLE,
    "nonl": b"alpha\nbeta",
    "empty": b"",
    "blank": b"\n\nx\n\n\n",
    "words": b"  a b\tc\n\x80 \x01d\r\n" * 5,
}


@pytest.mark.parametrize("prog", ["cat", "head", "tail", "wc", "tee", "rev", "nl"])
def test_help_and_bad_option(prog: str) -> None:
    help_and_bad_option(prog)


def test_cat() -> None:
    compare(
        [
            "cat s nonl empty",
            "cat -n s nonl",
            "cat -b blank s",
            "cat -s blank",
            "cat -E nonl blank",
            "cat -A s",
            "cat -vT s",
            "cat -et s",
            "cat - < s",
            "cat nonl - nonl < blank",
            "cat -ns blank blank",
            "cat nope s",
            "cat /tmp",
        ],
        FILES,
    )


def test_head() -> None:
    compare(
        [
            "head s",
            "head -n 3 s",
            "head -3 s",
            "head -c 10 s",
            "head -c 1K s",
            "head -n -30 s",
            "head -c -100 s",
            "head -n 0 s",
            "head nonl s",
            "head -q -n1 nonl s",
            "head -v -n1 s",
            "head -n 2 - < s",
            "head -n 1 nope s",
            "head -n abc s",
            "head -c 3x s",
        ],
        FILES,
    )


def test_head_stops_reading() -> None:
    (r,) = machine(["yes | head -n 3; echo done"])
    assert r.out == b"y\ny\ny\ndone\n"


def test_tail() -> None:
    compare(
        [
            "tail s",
            "tail -n 3 s",
            "tail -3 s",
            "tail -n +35 s",
            "tail -n +1 nonl",
            "tail -c 7 s",
            "tail -c +300 s",
            "tail -n 1 nonl",
            "tail -n 0 s",
            "tail nonl s",
            "tail -q -n1 nonl s",
            "tail -n 2 < s",
            "cat s | tail -n 2",
            "tail -n 1 nope s",
            "tail -n x s",
            "tail blank",
        ],
        FILES,
    )


def test_tail_follow_sees_appended_lines() -> None:
    (r,) = machine(
        [
            "tail -f -n 1 f > out & pid=$!; sleep 2; echo new >> f; sleep 2; echo more >> f; "
            "sleep 2; kill $pid; wait $pid; echo status=$?; cat out"
        ],
        {"f": b"old1\nold2\n"},
    )
    assert r.out == b"status=143\nold2\nnew\nmore\n"


def test_wc() -> None:
    compare(
        [
            "wc s",
            "wc -l s",
            "wc -w words",
            "wc -c s nonl",
            "wc -m s",
            "wc -L s words",
            "wc -lwcL s",
            "wc < s",
            "wc -l < s",
            "cat s | wc",
            "cat s | wc -c",
            "wc s nonl empty words",
            "wc nope s",
            "wc s nope",
            "wc /tmp",
            "wc -c - < s",
        ],
        FILES,
    )


def test_tee() -> None:
    (r,) = machine(["tee a b < s > c; tee -a a < nonl > /dev/null; cat a; echo; cat b c"], FILES)
    assert r.out == SAMPLE + b"alpha\nbeta\n" + SAMPLE * 2
    r1, r2 = machine(["echo hi | tee /nope/x out; echo $?; cat out", "echo x | tee - | cat"])
    assert r1.out == b"hi\n1\nhi\n"
    assert r1.err == b"tee: /nope/x: No such file or directory\n"
    assert r2.out == b"x\nx\n"


def test_yes() -> None:
    compare(["yes | head -n 3", "yes a b | head -n 2", "yes -- -x | head -c 20", "yes --x"], FILES)


def test_rev() -> None:
    # util-linux rev rejects bytes past 0x7f even under LC_ALL=C: compare on ASCII.
    ascii_files = {"a": SAMPLE.replace(b"\xff", b"~"), "nonl": FILES["nonl"], "blank": b"\n\nx\n"}
    compare(["rev a nonl blank", "rev < a", "rev nope a"], ascii_files)
    (r,) = machine(["rev s"], FILES)
    assert r.out.splitlines()[5] == b"\xffevif \x01 ruof"


def test_nl() -> None:
    pages = b"h1\n\\:\\:\\:\nhead\n\\:\\:\nbody\n\nbody2\n\\:\nfoot\n\\:\\:\\:\nh2\n\\:\\:\nb3\n"
    compare(
        [
            "nl s",
            "nl -b a blank",
            "nl -ba -n ln -w 3 -s : s",
            "nl -n rz blank s",
            "nl -v 5 -i 10 s",
            "nl -w 1 -v 12345 nonl",
            "nl pages",
            "nl -p -ha -fa pages",
            "nl -b p^l s",
            "nl -b x s",
            "nl -n xx s",
            "nl nope s",
            "nl -d @ pages",
        ],
        {**FILES, "pages": pages},
    )
