"""seq, uniq, cut, tr: compared with the host's GNU tools on the same bytes."""

from __future__ import annotations

import pytest
from test_bin_text_helpers import compare, help_and_bad_option, machine

FILES = {
    "dups": b"a\na\nA\nb  x\nc  x\nc  x\n\n\nd\nd\nd\ne",
    "table": b"name:age:city\nann:31:paris\nbob::rome\nno delimiter here\n:x:\n"
    + b"tab\tsep\tline\n",
    "text": b"Hello, World!\n\tTabs\tand   spaces  \n\x00\x7f\xff bytes\naabbccddeeff\n",
}


@pytest.mark.parametrize("prog", ["uniq", "cut", "tr"])
def test_help_and_bad_option(prog: str) -> None:
    help_and_bad_option(prog)


def test_seq() -> None:
    compare(
        [
            "seq 5",
            "seq 3 7",
            "seq 10 -3 1",
            "seq 1 0.5 3",
            "seq 0.1 0.1 0.5",
            "seq 1 2.50",
            "seq -w 8 0.5 10",
            "seq -w -3 2",
            "seq -w 1 10",
            "seq 1e2 1e2 3e2",
            "seq -s, 5",
            "seq -s ' : ' -f '%03g' 3",
            "seq -f 'a%%%gb' 2",
            "seq -f %.2e 1 2",
            "seq 5 1",
            "seq 1 0 3",
            "seq x",
            "seq",
            "seq 1 2 3 4",
            "seq -w -f %g 3",
            "seq -f x 2",
            "seq -f %d 2",
            "seq -- -2 0",
            "seq 100000 | tail -n 1",
        ],
        FILES,
    )
    help_and_bad_option("seq")


def test_uniq() -> None:
    compare(
        [
            "uniq dups",
            "uniq -c dups",
            "uniq -d dups",
            "uniq -u dups",
            "uniq -D dups",
            "uniq -i dups",
            "uniq -ic dups",
            "uniq -f 1 dups",
            "uniq -s 1 -c dups",
            "uniq -w 1 dups",
            "uniq < dups",
            "uniq dups out; cat out",
            "uniq nope",
            "uniq dups a b",
            "uniq -w x dups",
            "uniq -cD dups",
        ],
        FILES,
    )


def test_cut() -> None:
    compare(
        [
            "cut -d : -f 1 table",
            "cut -d : -f 2- table",
            "cut -d: -f1,3 table",
            "cut -d : -f 3,1 table",
            "cut -d : -f -2 -s table",
            "cut -f 2 table",
            "cut -c 1-3,5 table",
            "cut -b 2- table text",
            "cut -c -4 < table",
            "cut -d : --complement -f 2 table",
            "cut -b 1-2,5-6 --output-delimiter=@ table",
            "cut -d : -f 1,3 --output-delimiter=' | ' table",
            "cut -f 0 table",
            "cut table",
            "cut -b1 -f1 table",
            "cut -d ab -f1 table",
            "cut -c 3-1 table",
            "cut -f x table",
            "cut -b 1 nope table",
            "cut -f - table",
            "cut -b 1 -d : table",
        ],
        FILES,
    )


def test_tr() -> None:
    compare(
        [
            "tr a-z A-Z < text",
            "tr '[:lower:]' '[:upper:]' < text",
            "tr '[:upper:]' '[:lower:]' < text",
            "tr -d '[:space:]' < text",
            "tr -d 'a-c\\000' < text",
            "tr -s ' ' < text",
            "tr -s 'a-f' < text",
            "tr -s 'a-c' 'x' < text",
            "tr -c 'a-z\\n' '?' < text",
            "tr -cd '[:alnum:]\\n' < text",
            "tr -ds ' ' 'a-f' < text",
            "tr 'abc' 'x' < text",
            "tr -t 'abcdef' 'xy' < text",
            "tr 'a-f' '[x*]' < text",
            "tr 'a-f' 'A[-*2]BC' < text",
            "tr '\\t\\n' ' _' < text",
            "tr '\\101-\\132' '*' < text",
            "tr '[=a=]' z < text",
            "tr",
            "tr a",
            "tr -d a b c",
            "tr z-a x",
            "tr '[:nope:]' x",
        ],
        FILES,
    )


def test_tr_squeeze_spans_reads() -> None:
    (r,) = machine(["yes aaaa | head -c 200000 | tr -d '\\n' | tr -s a | wc -c"])
    assert r.out.strip() == b"1"
