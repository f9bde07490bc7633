"""Tests for the shell's lexer and parser (userland/sh/lexer.py, parser.py, ast.py):
simple commands, pipelines and lists, compound commands, and parse_next.

Words and here-documents are in test_sh_parser_words.py, errors and incomplete input in
test_sh_parser_errors.py.
"""

from __future__ import annotations

import pytest

from userland.sh import ast
from userland.sh.parser import Parser, ShSyntaxError, parse

L = ast.Literal
SQ = ast.SingleQuoted
DQ = ast.DoubleQuoted
P = ast.Param


def one(src: str) -> ast.Node:
    """Parse a program holding exactly one command and return it."""
    prog = parse(src)
    assert len(prog.commands) == 1, prog
    return prog.commands[0]


def simple(src: str) -> ast.SimpleCommand:
    node = one(src)
    assert isinstance(node, ast.SimpleCommand), node
    return node


def parts(src: str, index: int = 1) -> tuple[ast.Part, ...]:
    """The parts of word ``index`` of a simple command."""
    return simple(src).words[index].parts


def sources(cmd: ast.SimpleCommand) -> list[str]:
    return [w.source for w in cmd.words]


# ------------------------------------------------------------------ simple commands


def test_simple_command_words_and_redirections_anywhere():
    cmd = simple("echo a >out b 2>>log <in c")
    assert sources(cmd) == ["echo", "a", "b", "c"]
    assert [(r.op, r.fd, r.target.source) for r in cmd.redirs] == [
        (">", 1, "out"),
        (">>", 2, "log"),
        ("<", 0, "in"),
    ]


def test_all_redirection_operators_and_io_numbers():
    cmd = simple("cmd 3<>f >|g 2>&1 >&2 1>&- <&3 10>x")
    got = [(r.op, r.fd, r.target.source) for r in cmd.redirs]
    assert got == [
        ("<>", 3, "f"),
        (">|", 1, "g"),
        (">&", 2, "1"),
        (">&", 1, "2"),
        (">&", 1, "-"),
        ("<&", 0, "3"),
        (">", 10, "x"),
    ]
    assert sources(cmd) == ["cmd"]


def test_io_number_must_touch_the_operator():
    cmd = simple("echo 2 >x")
    assert sources(cmd) == ["echo", "2"]
    assert cmd.redirs[0].fd == 1
    assert sources(simple("echo a2>x")) == ["echo", "a2"]


def test_assignments_before_command_and_alone():
    cmd = simple("A=1 B=2 cmd C=3")
    assert [(a.name, a.value.source) for a in cmd.assigns] == [("A", "1"), ("B", "2")]
    assert sources(cmd) == ["cmd", "C=3"]
    alone = simple("X=hello Y=")
    assert alone.words == ()
    assert [(a.name, a.value.parts) for a in alone.assigns] == [("X", (L("hello"),)), ("Y", ())]
    sub = simple('A=$(date) B="x y"').assigns
    assert isinstance(sub[0].value.parts[0], ast.CommandSub)
    assert sub[1].value.parts == (DQ((L("x y"),)),)


def test_not_assignments():
    assert simple("1A=x").assigns == ()
    assert simple('"A"=x').assigns == ()
    assert simple("A\\=x").assigns == ()
    assert simple("=x").assigns == ()


def test_assignment_with_redirection_first():
    cmd = simple(">f A=1 cmd")
    assert [a.name for a in cmd.assigns] == ["A"]
    assert sources(cmd) == ["cmd"]


def test_reserved_words_as_arguments():
    cmd = simple("echo if then else elif fi do done case esac while until for in { } !")
    assert len(cmd.words) == 17
    assert sources(simple("{echo}")) == ["{echo}"]


def test_quoted_reserved_word_is_a_command_name():
    assert sources(simple('"if" a')) == ['"if"', "a"]


def test_comments_only_at_word_start():
    assert sources(simple("echo a#b # comment here")) == ["echo", "a#b"]
    assert parse("# only a comment\n\n  # another\n").commands == ()
    assert sources(simple("echo '#x' \\#y")) == ["echo", "'#x'", "\\#y"]


def test_line_continuation():
    assert sources(simple("echo a \\\n  b")) == ["echo", "a", "b"]
    cmd = simple("ec\\\nho x")
    assert cmd.words[0].literal == "echo"
    node = one("if \\\ntrue; then :; fi")
    assert isinstance(node, ast.If)
    assert parts('echo "a\\\nb"') == (DQ((L("ab"),)),)
    assert parts("echo 'a\\\nb'") == (SQ("a\\\nb"),)


# ------------------------------------------------------------------ pipelines and lists


def test_pipelines_and_negation():
    node = one("! a | b |\n c")
    assert isinstance(node, ast.Pipeline) and node.negated
    assert [c.words[0].source for c in node.commands] == ["a", "b", "c"]
    neg = one("! true")
    assert isinstance(neg, ast.Pipeline) and neg.negated and len(neg.commands) == 1
    assert isinstance(one("a | b"), ast.Pipeline)
    assert isinstance(one("a"), ast.SimpleCommand)


def test_and_or_is_left_associative():
    node = one("a && b || c")
    assert isinstance(node, ast.AndOr) and node.op == "||"
    assert isinstance(node.left, ast.AndOr) and node.left.op == "&&"
    assert node.right.words[0].source == "c"
    node = one("a &&\n\n b")
    assert node.right.line == 3


def test_lists_with_separators_and_background():
    prog = parse("a; b & c\nd &")
    a, b, c, d = prog.commands
    assert isinstance(b, ast.Background) and b.command.words[0].source == "b"
    assert isinstance(d, ast.Background)
    assert [n.line for n in prog.commands] == [1, 1, 1, 2]
    assert isinstance(one("a && b &"), ast.Background)


# ------------------------------------------------------------------ compound commands


def test_subshell_vs_group():
    sub = one("(a; b) >out")
    assert isinstance(sub, ast.Subshell)
    assert isinstance(sub.body, ast.Sequence) and sub.redirs[0].op == ">"
    grp = one("{ a; b; } 2>/dev/null")
    assert isinstance(grp, ast.BraceGroup)
    assert grp.redirs[0].fd == 2
    grp = one("{\n a\n}")
    assert isinstance(grp.body, ast.SimpleCommand)


def test_if_elif_else():
    node = one("if a; then b; elif c\nthen d; else e; fi")
    assert isinstance(node, ast.If)
    assert [(c.words[0].source, b.words[0].source) for c, b in node.clauses] == [
        ("a", "b"),
        ("c", "d"),
    ]
    assert node.else_body.words[0].source == "e"
    assert one("if a; then b; fi").else_body is None


def test_while_and_until():
    node = one("while a; do b; done")
    assert isinstance(node, ast.While) and not node.until
    node = one("until a\ndo\n b\ndone > f")
    assert node.until and node.redirs[0].target.source == "f"


def test_for_forms():
    node = one("for i in 1 2 $x; do echo $i; done")
    assert node.name == "i" and [w.source for w in node.words] == ["1", "2", "$x"]
    for src in ("for i; do :; done", "for i do :; done", "for i\ndo :; done"):
        node = one(src)
        assert [w.parts for w in node.words] == [(DQ((P("@"),)),)], src
    assert one("for i in; do :; done").words == ()
    assert [w.source for w in one("for i in do done\ndo :; done").words] == ["do", "done"]
    assert one("for i\nin a\ndo :; done").words[0].source == "a"


def test_case():
    node = one("case $x in\n  a|b) echo ab;;\n  (c) echo c ;;\n  *) ;;\n  d) echo d\nesac")
    assert isinstance(node, ast.Case) and node.word.source == "$x"
    pats = [[p.source for p in item.patterns] for item in node.items]
    assert pats == [["a", "b"], ["c"], ["*"], ["d"]]
    assert node.items[2].body is None
    assert [item.line for item in node.items] == [2, 3, 4, 5]
    assert one("case x in esac").items == ()
    node = one("case x in (esac) echo weird;; 'a'|\"b\") :;; esac")
    assert node.items[0].patterns[0].source == "esac"
    assert node.items[1].patterns[0].parts == (SQ("a"),)
    node = one("case x\nin\nx)\n  a\n  b\n;;\nesac")
    assert isinstance(node.items[0].body, ast.Sequence)


def test_function_definitions():
    node = one("f() { echo hi; }")
    assert isinstance(node, ast.FunctionDef) and node.name == "f"
    assert isinstance(node.body, ast.BraceGroup)
    node = one("g ()\n(\n  echo sub\n) >log")
    assert isinstance(node.body, ast.Subshell) and node.body.redirs[0].target.source == "log"
    node = one("h() if a; then b; fi")
    assert isinstance(node.body, ast.If)


def test_nested_compound_commands():
    src = (
        "while read a; do\n"
        "  if [ $a = x ]; then\n"
        "    for i in 1 2; do\n"
        "      case $i in\n"
        "        1) (echo one) ;;\n"
        "        *) { echo other; } ;;\n"
        "      esac\n"
        "    done\n"
        "  fi\n"
        "done\n"
    )
    loop = one(src)
    if_node = loop.body
    for_node = if_node.clauses[0][1]
    case = for_node.body
    assert for_node.line == 3 and case.line == 4
    assert isinstance(case.items[0].body, ast.Subshell)
    assert isinstance(case.items[1].body, ast.BraceGroup)
    assert case.items[1].body.body.line == 6


def test_builtins_are_simple_commands():
    for src in ("break 2", "continue", "return 1", "local a=1 b"):
        assert isinstance(one(src), ast.SimpleCommand)


# ------------------------------------------------------------------ parse_next


def test_parse_next_returns_commands_one_by_one_with_lines():
    src = "echo a\n\n# comment\nfor i in 1 2; do\n  echo $i\ndone\nx=1; y=2\necho b"
    parser = Parser(src)
    got = []
    while (node := parser.parse_next()) is not None:
        got.append(node)
    assert [type(n).__name__ for n in got] == ["SimpleCommand", "For", "Sequence", "SimpleCommand"]
    assert [n.line for n in got] == [1, 4, 7, 8]
    assert got[1].body.line == 5
    assert parser.parse_next() is None


def test_parse_next_stops_before_a_later_error():
    parser = Parser("echo one\necho two\nfi\necho four\n")
    assert parser.parse_next().words[1].source == "one"
    assert parser.parse_next().words[1].source == "two"
    with pytest.raises(ShSyntaxError) as info:
        parser.parse_next()
    assert (info.value.line, str(info.value)) == (3, 'syntax error: unexpected "fi"')
    node = parser.parse_next()
    assert node.words[1].source == "four" and node.line == 4


def test_parse_next_first_line_offset():
    node = Parser("\n\necho x", first_line=10).parse_next()
    assert node.line == 12


def test_ast_is_reusable_and_parsing_is_fast():
    prog = parse("i=0; while [ $i -lt 10000 ]; do i=$((i+1)); done")
    loop = prog.commands[1]
    assert isinstance(loop, ast.While)
    assert parse("i=0; while [ $i -lt 10000 ]; do i=$((i+1)); done") == prog
    script = "".join(
        f'if [ "$x" = {i} ]; then echo "n=${{n:-0}} $(date)" >>log; fi\n' for i in range(2000)
    )
    assert len(parse(script).commands) == 2000
