"""The shell's lexer and parser: syntax errors with their lines and messages, incomplete
input (an interactive shell asks for more), and recovery after an error."""

from __future__ import annotations

import pytest
from test_sh_parser import SQ

from userland.sh import ast
from userland.sh.parser import IncompleteInput, Parser, ShSyntaxError, parse


def error(src: str) -> ShSyntaxError:
    with pytest.raises(ShSyntaxError) as info:
        parse(src)
    return info.value


# ------------------------------------------------------------------ errors


@pytest.mark.parametrize(
    ("src", "line", "message"),
    [
        ("echo a\nfi", 2, 'syntax error: unexpected "fi"'),
        ("if true; then\n  echo\nfi fi", 3, 'syntax error: unexpected "fi"'),
        ("if true; then\n  echo\n", 3, "syntax error: unexpected end of file"),
        ("echo a )", 1, 'syntax error: unexpected ")"'),
        (")", 1, 'syntax error: unexpected ")"'),
        ("\n&& x", 2, 'syntax error: unexpected "&&"'),
        ("|| x", 1, 'syntax error: unexpected "||"'),
        ("echo >\necho", 1, "syntax error: unexpected newline"),
        ("a;\n\necho $((1) ${x y}", 3, "syntax error: bad substitution"),
        ("echo ${}", 1, "syntax error: bad substitution"),
        ("echo ${x^}", 1, "syntax error: bad substitution"),
        ("echo ${#x:-y}", 1, "syntax error: bad substitution"),
        ("echo ${x:%y}", 1, "syntax error: bad substitution"),
        ("if true; then fi", 1, 'syntax error: unexpected "fi"'),
        ("if true; fi", 1, 'syntax error: unexpected "fi"'),
        ("while true; done", 1, 'syntax error: unexpected "done"'),
        ("{ }", 1, 'syntax error: unexpected "}"'),
        ("( )", 1, 'syntax error: unexpected ")"'),
        ("echo a;;", 1, 'syntax error: unexpected ";;"'),
        ("echo a ; ; b", 1, 'syntax error: unexpected ";"'),
        ("a | | b", 1, 'syntax error: unexpected "|"'),
        ("echo a (", 1, 'syntax error: unexpected "("'),
        ("echo (a)", 1, 'syntax error: unexpected "a"'),
        ("f() echo", 1, 'syntax error: unexpected "echo"'),
        ("for 1x in a; do :; done", 1, "syntax error: bad for loop variable"),
        ("case x y", 1, 'syntax error: unexpected "y"'),
        ("case x in a) b;; c d) e;; esac", 1, 'syntax error: unexpected "d"'),
        ("echo $(\n fi)", 2, 'syntax error: unexpected "fi"'),
        ("echo `fi`", 1, 'syntax error: unexpected "fi"'),
        ("cat <<EOF\n$(fi)\nEOF", 2, 'syntax error: unexpected "fi"'),
        ("echo <", 1, "syntax error: unexpected end of file"),
        ("cat <<\n", 1, "syntax error: unexpected newline"),
    ],
)
def test_syntax_errors(src: str, line: int, message: str):
    err = error(src)
    assert (str(err), err.line, err.message) == (message, line, message)


def test_unterminated_quotes_are_errors_in_a_script():
    err = error("echo a\necho 'abc\n")
    assert str(err) == "syntax error: unterminated quoted string"
    assert isinstance(err, IncompleteInput)
    assert str(error('echo "abc')) == "syntax error: unterminated quoted string"


@pytest.mark.parametrize(
    "src",
    [
        "echo 'abc",
        'echo "abc\n',
        "echo `abc",
        "echo $(ls",
        "echo $((1 +",
        "echo ${x",
        "echo ${x:-abc",
        "if true",
        "if true; then\n echo",
        "while a; do",
        "for i in a b",
        "case x in a) b",
        "{ a",
        "( a",
        "a |",
        "a |\n",
        "a &&",
        "a ||\n\n",
        "echo a \\\n",
        "f()",
        "f() \n",
        "cat <<EOF\n",
        "cat <<EOF\nbody\nEOF2\n",
        "! ",
    ],
)
def test_incomplete_input(src: str):
    with pytest.raises(IncompleteInput):
        Parser(src).parse_next()


def test_complete_lines_are_not_incomplete():
    for src in ("echo a\n", "echo 'a\nb'\n", "if a; then b; fi\n", "cat <<E\nx\nE\n", "echo \\"):
        assert Parser(src).parse_next() is not None, src


def test_incomplete_input_grows_into_a_command():
    lines = ["if true; then\n", "  echo 'multi\n", "line'\n", "fi\n"]
    buf = ""
    for i, line in enumerate(lines):
        buf += line
        try:
            node = Parser(buf).parse_next()
        except IncompleteInput:
            assert i < len(lines) - 1
            continue
        assert i == len(lines) - 1
        assert isinstance(node, ast.If)
        word = node.clauses[0][1].words[1]
        assert word.parts == (SQ("multi\nline"),) and word.line == 2


def test_parse_next_recovers_after_lexical_errors():
    parser = Parser(
        "echo ${x y}\necho b\ncat <<EOF\n$(fi)\nEOF\necho next\necho a; fi; echo c\necho d"
    )
    with pytest.raises(ShSyntaxError):
        parser.parse_next()
    assert parser.parse_next().words[1].source == "b"
    with pytest.raises(ShSyntaxError) as info:
        parser.parse_next()
    assert info.value.line == 4
    assert parser.parse_next().line == 6
    with pytest.raises(ShSyntaxError):
        parser.parse_next()
    node = parser.parse_next()
    assert (node.words[1].source, node.line) == ("d", 8)
    assert parser.parse_next() is None


def test_garbage_only_ever_raises_syntax_errors():
    import random

    pieces = list("ab \t\n;&|<>()'\"\\$`{}#~=*:-+%?!0") + [
        "if ", "then ", "fi", "do ", "done", "case ", " in ", "esac", "<<E\n", "\nE\n",
        "$(", "${", "$((", "))", "for ", "while ",
    ]  # fmt: skip
    rng = random.Random(7)
    for _ in range(3000):
        src = "".join(rng.choice(pieces) for _ in range(rng.randint(1, 30)))
        parser = Parser(src, complete=rng.random() < 0.5)
        for _ in range(100):
            try:
                if parser.parse_next() is None:
                    break
            except IncompleteInput:
                break
            except ShSyntaxError:
                continue
        else:
            pytest.fail(f"parse_next does not advance on {src!r}")
