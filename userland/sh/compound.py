"""Compound commands: groups, subshells, if, while/until, for, case, function definitions."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from userland.libk import checkpoint
from userland.sh import ast
from userland.sh.expand import pattern_regex

if TYPE_CHECKING:
    from userland.sh.interp import IO, Shell


async def run(sh: Shell, node: Any, io: IO) -> int:
    """Run one compound command (with its redirections) or define a function."""
    from userland.sh.interp import CommandError

    kind = type(node)
    if kind is ast.FunctionDef:
        sh.functions[node.name] = node
        return 0
    redirs = getattr(node, "redirs", ())
    opened: list[int] = []
    if redirs:
        try:
            io, opened = await sh.redirect(redirs, io)
        except CommandError as err:
            await sh.error(err.message, io)
            return err.status
    try:
        if kind is ast.BraceGroup:
            return await sh.run(node.body, io)
        if kind is ast.Subshell:
            return await subshell(sh, node, io)
        if kind is ast.If:
            for cond, body in node.clauses:
                if await sh.condition(cond, io) == 0:
                    return await sh.run(body, io)
            return await sh.run_body(node.else_body, io)
        if kind is ast.While:
            return await loop_while(sh, node, io)
        if kind is ast.For:
            return await loop_for(sh, node, io)
        if kind is ast.Case:
            return await case(sh, node, io)
        raise CommandError(f"cannot run {kind.__name__}")
    finally:
        if opened:
            await sh.close_all(opened)


async def subshell(sh: Shell, node: ast.Subshell, io: IO) -> int:
    """``( … )``: the body runs in a process of its own (a re-executed shell with this
    one's state, see :mod:`userland.sh.substate`), waited for as a foreground job."""
    from userland.sh import substate
    from userland.sh.interp import CommandError
    from userland.sh.jobs import describe_job

    try:
        pid = await substate.spawn(sh, node.body, io)
    except CommandError as err:
        await sh.error(err.message, io)
        return err.status
    return await sh.wait_foreground([("pid", pid)], pid, describe_job(node))


async def loop_while(sh: Shell, node: ast.While, io: IO) -> int:
    """``while``/``until`` with break and continue."""
    from userland.sh.interp import LoopControl

    status = 0
    sh.loop_depth += 1
    try:
        while True:
            await checkpoint()
            try:
                cond = await sh.condition(node.cond, io)
            except LoopControl as lc:  # break/continue in the condition
                if lc.levels > 1:
                    lc.levels -= 1
                    raise
                if lc.kind == "break":
                    break
                continue
            if (cond == 0) == node.until:
                break
            status, broke = await iteration(sh, node.body, io, status)
            if broke:
                break
    finally:
        sh.loop_depth -= 1
    return status


async def loop_for(sh: Shell, node: ast.For, io: IO) -> int:
    """``for name in words``."""

    items = await sh.expander.words(node.words)
    status = 0
    sh.loop_depth += 1
    try:
        for item in items:
            await checkpoint()
            sh.set_var(node.name, item)
            status, broke = await iteration(sh, node.body, io, status)
            if broke:
                break
    finally:
        sh.loop_depth -= 1
    return status


async def iteration(sh: Shell, body: ast.Node, io: IO, status: int) -> tuple[int, bool]:
    """Run a loop body once: its status, and whether ``break`` ends this loop.

    ``break n``/``continue n`` with n > 1 go on to the enclosing loop.
    """
    from userland.sh.interp import LoopControl

    try:
        return await sh.run(body, io), False
    except LoopControl as lc:
        if lc.levels > 1:
            lc.levels -= 1
            raise
        return 0, lc.kind == "break"  # the loop's status is break's/continue's: 0


async def case(sh: Shell, node: ast.Case, io: IO) -> int:
    """``case word in pattern) …;; esac``."""
    word = await sh.expander.word_string(node.word)
    for item in node.items:
        for pat in item.patterns:
            chunks = await sh.expander.pattern_chunks(pat)
            if pattern_regex(chunks).match(word):
                return await sh.run_body(item.body, io)
    return 0
