"""Substitutions that need the shell: ``$( … )``, ``$(( … ))``, ``~user`` and globbing."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from kernel.abi import (
    O_CLOEXEC,
    O_RDONLY,
    S_ISDIR,
    Error,
)
from userland.libk import io as kio
from userland.libk import sys
from userland.libk.proc import exit_code
from userland.sh import ast
from userland.sh.arith import evaluate
from userland.sh.expand import pattern_regex

if TYPE_CHECKING:
    pass

# builtins whose effect belongs to the process, not to the shell's state
PROCESS_BUILTINS = frozenset(
    {"umask", "ulimit", "exec", "trap", "kill", "wait", "jobs", "fg", "bg"}
)


def needs_process(node: Any, functions: dict[str, Any]) -> bool:
    """Must this substitution's body run in a process (not a shell thread) to behave
    as in a forked subshell? Yes if it runs a builtin that changes the process (umask,
    ulimit, exec, trap…), a function (whose body may), a command whose name is not
    known before expansion, or starts a background job."""
    kind = type(node)
    if kind is ast.SimpleCommand:
        if not node.words:
            return False
        name = node.words[0].literal
        return name is None or name in PROCESS_BUILTINS or name in functions
    if kind is ast.Background or kind is ast.FunctionDef:
        return True
    if kind is ast.Sequence or kind is ast.Pipeline:
        return any(needs_process(c, functions) for c in node.commands)
    if kind is ast.AndOr:
        return needs_process(node.left, functions) or needs_process(node.right, functions)
    if kind is ast.If:
        parts = [n for pair in node.clauses for n in pair] + [node.else_body]
        return any(n is not None and needs_process(n, functions) for n in parts)
    if kind is ast.While:
        return needs_process(node.cond, functions) or needs_process(node.body, functions)
    if kind is ast.Case:
        return any(i.body is not None and needs_process(i.body, functions) for i in node.items)
    body = getattr(node, "body", None)  # ( ), { }, for
    return body is not None and needs_process(body, functions)


class SubstMixin:
    """The substitution half of :class:`userland.sh.interp.Shell`."""

    async def command_substitution(self, part: ast.CommandSub) -> str:
        """``$(…)``: run the body in a subshell, read what it prints.

        The subshell is a shell thread on a copy of the state (fast) unless the body
        could change what belongs to the process (umask, limits, signal dispositions,
        descriptors by ``exec``), run a function or start a background job: then it is
        a process of its own, as ``( … )`` is (see :func:`needs_process`).
        """
        if part.body is None:
            return ""
        r, w = await sys.pipe(O_CLOEXEC)
        pid = 0
        try:
            if needs_process(part.body, self.functions):
                from userland.sh import substate

                try:
                    pid = await substate.spawn(self, part.body, {0: 0, 1: w, 2: 2})
                finally:
                    await sys.close(w)
                tid = 0
            else:
                tid = await self.run_in_thread(part.body, {0: 0, 1: w, 2: 2}, [w])
            data = await kio.read_all(r)
        finally:
            await sys.close(r)
        if pid:
            self.status = self.subst_status = exit_code(await self.wait_pid(pid, 0))
            return data.decode(errors="replace").rstrip("\n")
        try:
            result = await sys.thread_join(tid)
            self.status = self.subst_status = result if isinstance(result, int) else 0
        except Error:
            pass
        return data.decode(errors="replace").rstrip("\n")

    async def arithmetic(self, part: ast.Arith) -> str:
        """``$((…))``: expand the parts, then evaluate."""
        text = "".join(
            [p.text if type(p) is ast.Literal else await self._arith_part(p) for p in part.parts]
        )
        return str(evaluate(text, self.get, self.set_var, self.arith_cache))

    async def _arith_part(self, p: Any) -> str:
        fields = await self.expander.chunks((p,), quoted=True)
        return "".join(t for f in fields for t, _, _ in f)

    async def user_home(self, user: str) -> str | None:
        """A user's home directory from /etc/passwd."""
        try:
            text = (await kio.read_file("/etc/passwd")).decode()
        except Error:
            return None
        for line in text.splitlines():
            f = line.split(":")
            if len(f) >= 6 and f[0] == user:
                return f[5]
        return None

    async def glob(self, chunks: list[tuple[str, bool, bool]]) -> list[str]:
        """Pathname expansion of one field; sorted matches, or [] for none."""
        # Split the field's chunks into path components, keeping quoting.
        comps: list[list[tuple[str, bool]]] = [[]]
        for text, quoted, _ in chunks:
            pieces = text.split("/")
            for i, piece in enumerate(pieces):
                if i:
                    comps.append([])
                if piece:
                    comps[-1].append((piece, quoted))
        absolute = chunks[0][0].startswith("/") if chunks else False
        bases = ["/" if absolute else ""]
        if absolute:
            comps = comps[1:]
        for ci, comp in enumerate(comps):
            last = ci == len(comps) - 1
            if not comp:
                bases = [b + "/" if b and not b.endswith("/") else b for b in bases]
                continue
            active = any(not q and any(c in t for c in "*?[") for t, q in comp)
            nxt: list[str] = []
            for base in bases:
                if not active:
                    path = base + "".join(t for t, _ in comp)
                    if last:
                        nxt.append(path)
                    else:
                        nxt.append(path + "/")
                    continue
                rx = pattern_regex(comp)
                dirpath = self.abspath(base or ".")
                try:
                    names = await _listdir(dirpath)
                except Error:
                    continue
                show_hidden = comp[0][0].startswith(".")
                for name in sorted(names):
                    if name.startswith(".") and not show_hidden:
                        continue
                    if name in (".", ".."):
                        continue
                    if rx.match(name):
                        if last:
                            nxt.append(base + name)
                        else:
                            try:
                                st = await sys.stat(self.abspath(base + name))
                            except Error:
                                continue
                            if S_ISDIR(st.st_mode):
                                nxt.append(base + name + "/")
            bases = nxt
            if not bases:
                return []
        out = []
        for b in bases:
            try:
                await sys.lstat(self.abspath(b.rstrip("/") or "/"))
            except Error:
                continue
            out.append(b)
        return sorted(out)


async def _listdir(path: str) -> list[str]:
    from kernel.abi import O_DIRECTORY

    fd = await sys.open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
    names: list[str] = []
    try:
        while True:
            batch = await sys.getdents(fd)
            if not batch:
                return names
            names.extend(d.d_name for d in batch)
    finally:
        await sys.close(fd)
