"""The unparser: a subshell's code travels as text, so ``parse(unparse(t)) == t``.

Checked over every script of the dash table and over fuzzed token soup (hypothesis):
whatever parses, unparses to text that parses to the same tree (line numbers
included; backquotes come back as ``$( )`` and here-documents with a delimiter of the
unparser's choosing).
"""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from test_sh_dash import GROUPS
from test_sh_fuzz import TOKENS

from userland.sh import ast
from userland.sh.parser import IncompleteInput, Parser, ShSyntaxError
from userland.sh.unparse import one_line, unparse


def parse_all(text: str, first_line: int = 1) -> list[ast.Node]:
    parser = Parser(text, complete=True, first_line=first_line)
    nodes = []
    while (node := parser.parse_next()) is not None:
        nodes.append(node)
    return nodes


def shape(x: Any) -> Any:
    """A tree as nested tuples: the node kinds and fields, ``source`` only for words
    (a backquote becomes a ``$( )`` of the same body)."""
    if isinstance(x, (list, tuple)):
        return tuple(shape(i) for i in x)
    if dataclasses.is_dataclass(x):
        name = "CommandSub" if type(x) is ast.Backquote else type(x).__name__
        keep = [
            f.name
            for f in dataclasses.fields(x)
            if f.name != "source" or type(x) is ast.Word and "`" not in x.source
        ]
        if type(x) is ast.HereDoc:
            keep.remove("delimiter")  # chosen anew, not to occur in the body
        if type(x) is ast.Word and not x.parts:
            keep.remove("line")  # an empty here-document at the end: no line of its own
        return (name, tuple((k, shape(getattr(x, k))) for k in keep))
    return x


def commands(nodes: list[ast.Node]) -> list[Any]:
    """The top-level commands (the shell parses and runs one line's worth at a time, so
    a list split over lines by a here-document comes back as two: the same commands)."""
    out = []
    for node in nodes:
        out.extend(node.commands if type(node) is ast.Sequence else [node])
    return [shape(n) for n in out]


def round_trip(script: str) -> None:
    for node in parse_all(script):
        again = parse_all(unparse(node), node.line)
        assert commands(again) == commands([node]), unparse(node)


ALL = [script for cases in GROUPS.values() for script, _, _ in cases]


@pytest.mark.parametrize("script", ALL)
def test_dash_table_round_trips(script: str) -> None:
    try:
        parse_all(script)
    except ShSyntaxError:
        return
    round_trip(script)


def test_here_documents_and_compounds_round_trip() -> None:
    round_trip(
        "f() {\n  cat <<E | (read x; echo $x)\nhi $HOME\n\\$x\nE\n}\n"
        "case $1 in\n a|b) cat <<'Q' ;;\nlit $x\nQ\n *) ;;\nesac\n"
        "for i in 1 2; do while :; do break; done & done >/dev/null 2>&1\n"
        "if ! a; then (b) elif c; then { d; } else e; fi <in\n"
    )


def test_one_line_is_how_jobs_shows_a_job() -> None:
    node = parse_all("while true; do :; done")[0]
    assert one_line(node) == "while true; do :; done"
    assert one_line(parse_all("( sleep 5; echo a ) >f")[0]) == "( sleep 5; echo a ) >f"


@settings(derandomize=True, max_examples=800, deadline=None)
@given(st.lists(st.sampled_from(TOKENS), max_size=25).map("".join))
def test_fuzzed_scripts_round_trip(src: str) -> None:
    try:
        parse_all(src)
    except (ShSyntaxError, IncompleteInput):
        return
    round_trip(src)
