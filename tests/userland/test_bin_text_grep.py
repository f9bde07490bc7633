"""grep: compared with the host's GNU grep on the same files."""

from __future__ import annotations

from test_bin_text_helpers import compare, machine

FILES = {
    "a": b"hello world\nHello World\nfoo bar\nfoobar baz\n(paren) [bracket] {brace}\n"
    b"a.b a*b a+b a?b a|b\nabcabc\nthe end\n\nlast line no newline",
    "b": b"nothing here\nfoo\n",
    "c": b"no match at all\n",
    "bin": b"text\x00binary\nfoo\n",
    "pats": b"foo\nend\n",
}


def test_basic_flags() -> None:
    compare(
        [
            "grep foo a",
            "grep -i hello a",
            "grep -v o a",
            "grep -n o a",
            "grep -c o a b c",
            "grep -l foo a b c",
            "grep -L foo a b c",
            "grep -q foo a; echo $?",
            "grep -q nomatch a; echo $?",
            "grep -h foo a b",
            "grep -H foo a",
            "grep -w foo a",
            "grep -x foo b",
            "grep -o 'o.' a",
            "grep -on 'o' b",
            "grep -ow 'foo\\w*' a",
            "grep -e foo -e end a",
            "grep -f pats a",
            "grep -m 1 o a",
            "grep '' c",
            "grep -c '' a",
            "grep foo < a",
            "grep foo - < a",
            "cat a | grep -c o",
            "grep -in 'WORLD$' a",
        ],
        FILES,
    )


def test_regex_dialects() -> None:
    compare(
        [
            "grep 'a.b' a",
            "grep 'a\\.b' a",
            "grep 'a*b' a",
            "grep -o 'a+b' a",
            "grep -o 'a\\+b' a",
            "grep -E -o 'a\\+b' a",
            "grep -E 'a|b$' a",
            "grep 'a|b' a",
            "grep -o '\\(abc\\)\\1' a",
            "grep -E -o '(abc)\\1' a",
            "grep -o '[[:upper:]][[:lower:]]*' a",
            "grep -o '[^a-z ]' a",
            "grep -F 'a.b' a",
            "grep -F -x 'foo' b",
            "grep -F -e '(paren)' -e '[bracket]' a",
            "grep -o 'b\\{2,\\}\\|c\\{1\\}' a",
            "grep -E -o '(ab|abcabc)' a",
            "grep -oE 'ab|abcd' a",
            "grep -o '^.' a",
            "grep '\\<the\\>' a",
            "grep -E '{brace}' a",
            "grep -o 'o[[:space:]]w' a",
        ],
        FILES,
    )


def test_errors_and_status() -> None:
    compare(
        [
            "grep foo nope a",
            "grep -s foo nope a",
            "grep -q foo nope a",
            "grep foo /tmp",
            "grep 'a\\{1' a",
            "grep '[abc' a",
            "grep -E '(a' a",
            "grep",
            "grep -@",
            "grep -c foo bin",
            "grep binary bin",
            "grep -a binary bin",
            "grep --help | head -n 1",
        ],
        FILES,
    )


def test_recursive() -> None:
    tree = {"d/x": b"hit\n", "d/y": b"miss\n", "d/e/z": b"hit\n"}
    got = machine(
        ["grep -r hit d", "cd d && grep -rn hit", "grep -rl hit .", "grep -rc hit d"], tree
    )
    assert got[0].out == b"d/e/z:hit\nd/x:hit\n"
    assert got[1].out == b"e/z:1:hit\nx:1:hit\n"
    assert got[2].out == b"./d/e/z\n./d/x\n"
    assert got[3].out == b"d/e/z:1\nd/x:1\nd/y:0\n"


def test_inverted_count_of_empty_pattern() -> None:
    # GNU grep 3.8 prints nothing here (it skips a search that cannot select a line);
    # POSIX and older GNU versions print the count, 0.
    (r,) = machine(["grep -vc '' c"], FILES)
    assert (r.out, r.status) == (b"0\n", 1)
