"""expr: compared with the host's GNU expr."""

from __future__ import annotations

from test_bin_text_helpers import compare


def test_expr() -> None:
    cases = [
        "1 + 2",
        "7 - 10",
        "6 '*' 7",
        "7 / 2",
        "-7 / 2",
        "7 % -3",
        "-7 % 3",
        "123456789012345678901234567890 + 1",
        "2 + 3 '*' 4",
        "'(' 2 + 3 ')' '*' 4",
        "3 '<' 10",
        "abc '<' abd",
        "10 '<' 9a",
        "a = a",
        "a '!=' a",
        "5 '>=' 5",
        "0 '|' x",
        "'' '|' 0",
        "a '&' b",
        "a '&' 0",
        "abcdef : 'abc'",
        "abcdef : 'b'",
        "abcdef : 'a\\(.*\\)f'",
        "abc : 'x\\(.\\)'",
        "match hello 'h.*l'",
        "length hello",
        "length ''",
        "substr hello 2 3",
        "substr hello 0 3",
        "substr hello 4 10",
        "index hello lo",
        "index hello z",
        "+ length",
        "0",
        "''",
        "-0",
        "1 / 0",
        "a + 1",
        "1 +",
        "1 2",
        "'(' 1",
        "",
        "')'",
        "abc : '\\('",
        "--help | head -n 1",
    ]
    results = compare([f"expr {c}; echo $?" for c in cases])
    assert results[0].out == b"3\n0\n"
