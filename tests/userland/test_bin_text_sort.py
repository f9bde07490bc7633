"""sort: compared with the host's GNU sort (LC_ALL=C) on the same files."""

from __future__ import annotations

from test_bin_text_helpers import compare, help_and_bad_option

FILES = {
    "words": b"banana\napple\nCherry\napple\n  date\nBanana\n\xe9clair\n\ncherry\n10\n9\n-1\n",
    "nums": b"10\n9\n-3\n2.5\n  7\nabc\n0\n-0\n1e3\n+4\n007\n3\n3\n",
    "human": b"2K\n1G\n500\n3M\n1K\n-2K\n0\n",
    "table": b"bob:25:rome:b\nann:31:paris:a\ncarl:25:oslo:c\ndave:7:rome:d\nann:4:lima:e\neve\n",
    "ws": b"x  3 b\ny 10 a\nz 3  c\nw  1 a\n",
    "months": b"Mar x\njan y\nDEC z\nfoo w\nfeb v\n",
    "sorted": b"a\nb\nb\nc\n",
}


def test_help_and_bad_option() -> None:
    help_and_bad_option("sort", 2)


def test_whole_line_orders() -> None:
    compare(
        [
            "sort words",
            "sort -r words",
            "sort -f words",
            "sort -u words",
            "sort -fu words",
            "sort -b words",
            "sort -d words",
            "sort -n nums",
            "sort -rn nums",
            "sort -un nums",
            "sort -g nums",
            "sort -h human",
            "sort -M months",
            "sort words nums",
            "sort < words",
            "cat words | sort -r -",
        ],
        FILES,
    )


def test_keys() -> None:
    compare(
        [
            "sort -t : -k 2 table",
            "sort -t : -k 2,2 table",
            "sort -t : -k 2,2n table",
            "sort -t : -k 2n -k 1,1 table",
            "sort -t : -k 3,3 -k 2,2nr table",
            "sort -t : -k 1,1 -u table",
            "sort -t : -s -k 3,3 table",
            "sort -t : -k 1.2,1.3 table",
            "sort -t : -r -k 2,2n table",
            "sort -k 2 ws",
            "sort -k 2n ws",
            "sort -k 2,2n -k 3 ws",
            "sort -b -k 2 ws",
            "sort -k 2b,2 ws",
            "sort -k 3,3 -k 1r ws",
            "sort -k 1.2b ws",
        ],
        FILES,
    )


def test_check_output_and_errors() -> None:
    compare(
        [
            "sort -c sorted; echo $?",
            "sort -c words",
            "sort -C words",
            "sort -cu sorted",
            "sort -o out words; cat out",
            "sort -o words words; cat words",
            "sort nope",
            "sort -k 0 words",
            "sort -k x words",
            "sort -t ab words",
            "sort -k1.0 words",
            "sort -k 1,1x words",
            "sort -n -g words",
        ],
        FILES,
    )
