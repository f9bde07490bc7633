"""The shell's lexer and parser: words (quotes, escapes, parameters, command and
arithmetic substitutions, tildes) and here-documents."""

from __future__ import annotations

import pytest
from test_sh_parser import DQ, SQ, L, P, parts, simple, sources

from userland.sh import ast
from userland.sh.parser import IncompleteInput, Parser, parse

E = ast.Escaped


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
