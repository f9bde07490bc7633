"""Tests for the shell's lexer and parser (userland/sh/lexer.py, parser.py, ast.py)."""

from __future__ import annotations

import pytest

from userland.sh import ast
from userland.sh.parser import IncompleteInput, Parser, ShSyntaxError, parse

L = ast.Literal
SQ = ast.SingleQuoted
DQ = ast.DoubleQuoted
E = ast.Escaped
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


def error(src: str) -> ShSyntaxError:
    with pytest.raises(ShSyntaxError) as info:
        parse(src)
    return info.value


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


# ------------------------------------------------------------------ words


def test_nested_quotes():
    (dq,) = parts("""echo "a'b'$(echo "c d")" """)
    assert isinstance(dq, DQ)
    lit, sub = dq.parts
    assert lit == L("a'b'")
    assert isinstance(sub, ast.CommandSub)
    assert sub.source == 'echo "c d"'
    assert sub.body.words[1].parts == (DQ((L("c d"),)),)


def test_word_part_kinds():
    ps = parts("""echo a'b c'"d $x"\\*e""")
    assert ps == (L("a"), SQ("b c"), DQ((L("d "), P("x"))), E("*"), L("e"))


def test_double_quote_backslashes():
    assert parts(r'echo "a\$b\c\"\\"') == (DQ((L('a$b\\c"\\'),)),)
    assert parts('echo ""') == (DQ(()),)


def test_dollar_at_and_specials():
    assert parts('echo "$@"') == (DQ((P("@"),)),)
    got = parts("echo $?$$$!$#$@$*$-$0$9$10")
    names = [p.name if isinstance(p, P) else p.text for p in got]
    assert names == ["?", "$", "!", "#", "@", "*", "-", "0", "9", "1", "0"]
    assert parts("echo ${10}") == (P("10"),)


def test_lone_dollar_is_literal():
    assert parts("echo $ a$ $/") == (L("$"),)
    assert parts('echo "a$"') == (DQ((L("a$"),)),)


def test_braced_parameter_operators():
    for src, op, colon in [
        ("${x:-w}", "-", True),
        ("${x-w}", "-", False),
        ("${x:=w}", "=", True),
        ("${x=w}", "=", False),
        ("${x:?w}", "?", True),
        ("${x?w}", "?", False),
        ("${x:+w}", "+", True),
        ("${x+w}", "+", False),
        ("${x%w}", "%", False),
        ("${x%%w}", "%%", False),
        ("${x#w}", "#", False),
        ("${x##w}", "##", False),
    ]:
        (p,) = parts(f"echo {src}")
        assert (p.name, p.op, p.colon, p.arg.parts) == ("x", op, colon, (L("w"),)), src


def test_parameter_length_and_hash_forms():
    assert parts("echo ${#x}") == (P("x", "#len"),)
    assert parts("echo ${#}") == (P("#"),)
    assert parts("echo ${##}") == (P("#", "#len"),)
    assert parts("echo ${#-}") == (P("-", "#len"),)
    (p,) = parts("echo ${#:-none}")
    assert (p.name, p.op, p.colon) == ("#", "-", True)
    (p,) = parts("echo ${x:?}")
    assert p.arg.parts == ()


def test_parameter_argument_is_a_word():
    (p,) = parts("echo ${x:-a b 'c d' $y}")
    assert p.arg.parts == (L("a b "), SQ("c d"), L(" "), P("y"))
    (p,) = parts("echo ${x:-$(echo y)}")
    assert isinstance(p.arg.parts[0], ast.CommandSub)
    assert p.arg.parts[0].body.words[1].source == "y"
    (p,) = parts("echo ${x:-${y:-z}}")
    assert p.arg.parts == (P("y", "-", ast.Word((L("z"),), "z", 1), True),)
    (p,) = parts("echo ${HOME:-~/x}")
    assert p.arg.parts == (ast.TildePrefix(""), L("/x"))


def test_parameter_argument_inside_double_quotes():
    (dq,) = parts("""echo "${x:-'a' b}" """)
    assert dq.parts[0].arg.parts == (L("'a' b"),)
    (dq,) = parts("""echo "${x#'a'*}" """)
    assert dq.parts[0].arg.parts == (SQ("a"), L("*"))
    (dq,) = parts('echo "${x%\\}}"')
    assert dq.parts[0].arg.parts == (E("}"),)
    (dq,) = parts('echo "${x:-"q r"}"')
    assert dq.parts[0].arg.parts == (DQ((L("q r"),)),)


def test_command_substitution_with_case_and_parens():
    (sub,) = parts("echo $(case x in a) echo a;; (b) echo b;; esac)")
    assert isinstance(sub.body, ast.Case)
    assert len(sub.body.items) == 2
    (sub,) = parts("echo $( (cd /; ls) | wc -l )")
    assert isinstance(sub.body, ast.Pipeline)
    assert isinstance(sub.body.commands[0], ast.Subshell)
    (sub,) = parts("echo $(echo ')' \")\" \\))")
    assert [w.source for w in sub.body.words] == ["echo", "')'", '")"', "\\)"]
    (sub,) = parts("echo $()")
    assert sub.body is None and sub.source == ""


def test_command_substitution_spanning_lines_and_comment():
    prog = parse("x=$(\n  echo a # a comment )\n  echo b\n)\necho after")
    assign = prog.commands[0].assigns[0]
    sub = assign.value.parts[0]
    assert isinstance(sub.body, ast.Sequence)
    assert [c.line for c in sub.body.commands] == [2, 3]
    assert prog.commands[1].line == 5


def test_backquotes():
    (bq,) = parts("echo `echo \\`echo hi\\``")
    assert isinstance(bq, ast.Backquote) and isinstance(bq, ast.CommandSub)
    assert bq.source == "echo `echo hi`"
    inner = bq.body.words[1].parts[0]
    assert isinstance(inner, ast.Backquote)
    assert inner.body.words[1].source == "hi"
    (dq,) = parts('echo "`echo \\"x\\"`"')
    assert dq.parts[0].source == 'echo "x"'
    (bq,) = parts("echo `echo \\$HOME \\\\ \\n`")
    assert bq.source == "echo $HOME \\ \\n"


def test_arithmetic():
    (ar,) = parts("echo $((1 + $x * (2 - 3)))")
    assert isinstance(ar, ast.Arith)
    assert ar.source == "1 + $x * (2 - 3)"
    assert ar.parts == (L("1 + "), P("x"), L(" * (2 - 3)"))
    (ar,) = parts("echo $((i+1))")
    assert ar.parts == (L("i+1"),)
    (ar,) = parts("echo $(( $((1+2)) * ${y:-3} ))")
    assert isinstance(ar.parts[1], ast.Arith)
    assert ar.parts[3].op == "-"
    (dq,) = parts('echo "$((2*3))"')
    assert isinstance(dq.parts[0], ast.Arith)


def test_dollar_double_paren_that_is_a_command_substitution():
    (sub,) = parts("echo $((echo a); (echo b))")
    assert isinstance(sub, ast.CommandSub)
    assert isinstance(sub.body, ast.Sequence)


def test_tilde_prefixes():
    assert parts("echo ~") == (ast.TildePrefix(""),)
    assert parts("echo ~/x") == (ast.TildePrefix(""), L("/x"))
    assert parts("echo ~bob/x") == (ast.TildePrefix("bob"), L("/x"))
    assert parts('echo ~"bob"/x') == (L("~"), DQ((L("bob"),)), L("/x"))
    assert parts("echo a~ a=~") == (L("a~"),)
    (a,) = simple("PATH=~/bin:~bob/b:/x~:~").assigns
    assert a.value.parts == (
        ast.TildePrefix(""),
        L("/bin:"),
        ast.TildePrefix("bob"),
        L("/b:/x~:"),
        ast.TildePrefix(""),
    )
    (a,) = simple('A=~"x"').assigns
    assert a.value.parts == (L("~"), DQ((L("x"),)))


def test_word_helpers():
    cmd = simple("""cat "E"OF plain 'q' \\x $y""")
    quoted, plain, sq, esc, param = cmd.words[1:]
    assert quoted.is_quoted() and sq.is_quoted() and esc.is_quoted()
    assert not plain.is_quoted() and not param.is_quoted()
    assert quoted.unquoted_text() == "EOF"
    assert plain.literal == "plain" and quoted.literal is None and param.literal is None
    assert param.source == "$y"
    assert ast.remove_quotes("""a'b c'"d\\"e"\\f""") == 'ab cd"ef'


# ------------------------------------------------------------------ here-documents


def test_here_doc_basic_and_expansions():
    cmd = simple('cat <<EOF\nhello $name\n$(echo x) \\$y "q"\nEOF\n')
    (doc,) = cmd.redirs
    assert isinstance(doc, ast.HereDoc)
    assert (doc.fd, doc.delimiter, doc.quoted, doc.strip_tabs) == (0, "EOF", False, False)
    body = doc.body.parts
    assert body[0] == L("hello ")
    assert body[1] == P("name")
    assert body[2] == L("\n")
    assert isinstance(body[3], ast.CommandSub)
    assert body[4] == L(' $y "q"\n')
    assert doc.body.line == 2


def test_here_doc_quoted_delimiters_disable_expansion():
    for delim in ("'EOF'", '"EOF"', "\\EOF", "E'O'F"):
        (doc,) = simple(f"cat <<{delim}\n$x `y` \\z\nEOF\n").redirs
        assert doc.quoted and doc.delimiter == "EOF", delim
        assert doc.body.parts == (L("$x `y` \\z\n"),)


def test_here_doc_strip_tabs():
    (doc,) = simple("cat <<-END\n\tone\n\t\ttwo\n  three\n\tEND\n").redirs
    assert doc.strip_tabs
    assert doc.body.parts == (L("one\ntwo\n  three\n"),)


def test_multiple_here_docs_on_one_line():
    prog = parse("cat <<A 3<<-'B'; cat <<C\na1\nA\n\tb1\n\tB\nc1 $x\nC\necho end\n")
    first, second, last = prog.commands
    a, b = first.redirs
    (c,) = second.redirs
    assert (a.body.source, a.body.line) == ("a1\n", 2)
    assert (b.fd, b.body.source, b.body.line) == (3, "b1\n", 4)
    assert c.body.parts == (L("c1 "), P("x"), L("\n"))
    assert last.line == 8


def test_here_doc_inside_function_and_compound_commands():
    src = (
        "f() {\n"
        "  cat <<EOF\n"
        "  in f\n"
        "EOF\n"
        "  while read l; do echo $l; done <<-X\n"
        "\tline\n"
        "\tX\n"
        "}\n"
        "f\n"
    )
    prog = parse(src)
    func, call = prog.commands
    assert isinstance(func, ast.FunctionDef)
    cat, loop = func.body.body.commands
    assert cat.redirs[0].body.source == "  in f\n"
    assert isinstance(loop, ast.While)
    assert loop.redirs[0].body.source == "line\n"
    assert call.line == 9


def test_here_doc_in_command_substitution():
    (sub,) = simple("echo $(cat <<EOF\ninside )\nEOF\n) after").words[1].parts
    assert sub.body.redirs[0].body.source == "inside )\n"
    assert sources(simple("echo $(cat <<EOF\nx\nEOF\n) after")) == [
        "echo",
        "$(cat <<EOF\nx\nEOF\n)",
        "after",
    ]


def test_here_doc_delimiter_missing_runs_to_end_of_input():
    (doc,) = simple("cat <<EOF\nline 1\nline 2").redirs
    assert doc.body.source == "line 1\nline 2"
    (doc,) = simple("cat <<EOF").redirs
    assert doc.body.parts == ()


def test_here_doc_delimiter_missing_is_incomplete_interactively():
    with pytest.raises(IncompleteInput):
        Parser("cat <<EOF\nline\n").parse_next()
    with pytest.raises(IncompleteInput):
        Parser("cat <<EOF").parse_next()


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
