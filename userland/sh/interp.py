"""The shell's interpreter: runs syntax trees with redirections, pipelines and jobs.

There is no fork. An external command is spawned with file actions that map the
shell's view of its descriptors (an *io map*: shell fd -> process fd) onto the child's
0, 1, 2…. Builtins and compound commands write through the io map too. A subshell
(``( … )``, a background job, a pipeline stage that is not a program) is a process of
its own: the shell re-executed with this one's state (``userland.sh.substate``).
Command substitution runs in a shell *thread* on a copy of the state, its output read
from a pipe, unless its body could tell (``userland.sh.subst.needs_process``).
"""

from __future__ import annotations

from typing import Any

from kernel.abi import (
    F_DUPFD,
    F_SETFD,
    FD_CLOEXEC,
    S_ISREG,
    X_OK,
    Error,
)
from userland.libk import io as kio
from userland.libk import sys
from userland.sh import ast
from userland.sh.arith import ArithError
from userland.sh.errors import CommandError, FunctionReturn, LoopControl, ShellExit
from userland.sh.expand import Expander, ExpansionError
from userland.sh.jobs import Job, JobsMixin, describe_job
from userland.sh.redirect import SHELL_FD_BASE, RedirectMixin
from userland.sh.subst import SubstMixin
from userland.sh.traps import TrapMixin

IO = dict[int, int | None]


# set -e looks at these (as dash: a compound command fails only through one of them,
# so `{ false && true; }` does not end the shell)
ERREXIT_KINDS = (ast.SimpleCommand, ast.Pipeline, ast.Subshell)
# special builtins whose non-zero status is always an error, which ends a script
FATAL_ERRORS = {"set", "shift", "export", "readonly", "unset", "break", "continue", "return"}


class ReadOnlyError(ExpansionError):
    """Assigning a read-only variable: fatal to a script, except inside a regular
    builtin (``read``, ``getopts``), which fails with status 2."""


class Shell(RedirectMixin, JobsMixin, SubstMixin, TrapMixin):
    """One shell (or subshell): variables, functions, options, and how to run things."""

    def __init__(self, name: str = "sh") -> None:
        self.name = name
        self.vars: dict[str, str] = {}
        self.exported: set[str] = set()
        self.positional: list[str] = []
        self.functions: dict[str, ast.FunctionDef] = {}
        self.options: set[str] = set()
        self.status = 0
        self.pid = 0
        self.pgid = 0
        self.last_bg = 0
        self.interactive = False
        self.jobctl = False
        self.cwd = "/"
        self.lineno = 0
        self.jobs: list[Job] = []
        self.hash: dict[str, str] = {}
        self.subshell = False
        self.loop_depth = 0
        self.func_depth = 0
        self.errexit_off = 0
        self.local_frames: list[dict[str, str | None]] = []
        self.readonly: set[str] = set()
        self.prefix_env: dict[str, str] = {}
        self.getopts_state = (1, -1)  # getopts: $OPTIND it set, offset in a cluster
        self.expander = Expander(self)
        self.tty_fd = 0
        self.subst_status: int | None = None  # of the last $( ) in this command
        self.aliases: dict[str, str] = {}
        self.traps: dict[int, str] = {}  # 0 is EXIT; "" means ignored
        self.catching = False  # some signal has a trap: collect pending ones
        self.job_counter = 0
        self.arith_cache: dict[str, tuple] = {}  # compiled $(( )) expressions by text
        # A subshell thread shares the process's descriptors: `exec 3>f` there changes
        # its io map (base_io, the one its commands run with) and owns the copies.
        self.base_io: IO | None = None
        self.exec_owned: list[int] = []

    # ------------------------------------------------------------------ variables
    def get(self, name: str) -> str | None:
        """A variable's value or None."""
        if name == "LINENO":
            return str(self.lineno)
        if name == "PWD" and "PWD" not in self.vars:
            return self.cwd
        return self.vars.get(name)

    def set_var(self, name: str, value: str, *, export: bool = False) -> None:
        """Assign a variable (and mark it exported); a read-only one is an error."""
        if name in self.readonly:
            raise ReadOnlyError(f"{name}: is read only")
        self.vars[name] = value
        if export:
            self.exported.add(name)
        if name == "PATH":
            self.hash.clear()

    def unset_var(self, name: str) -> None:
        """Unset a variable."""
        self.vars.pop(name, None)

    def environment(self, extra: dict[str, str] | None = None) -> dict[str, str]:
        """The environment for a spawned command: exported variables plus ``extra``."""
        env = {n: self.vars[n] for n in self.exported if n in self.vars}
        if extra:
            env.update(extra)
        return env

    def copy(self) -> Shell:
        """The state a subshell starts with."""
        sub = Shell(self.name)
        sub.vars = dict(self.vars)
        sub.exported = set(self.exported)
        sub.positional = list(self.positional)
        sub.functions = dict(self.functions)
        sub.options = set(self.options)
        sub.status = self.status
        sub.pid = self.pid
        sub.pgid = self.pgid
        sub.last_bg = self.last_bg
        sub.cwd = self.cwd
        sub.lineno = self.lineno
        sub.hash = dict(self.hash)
        sub.subshell = True
        sub.tty_fd = self.tty_fd
        sub.aliases = dict(self.aliases)
        sub.readonly = set(self.readonly)
        sub.getopts_state = self.getopts_state
        sub.arith_cache = self.arith_cache
        # a subshell keeps ignored signals ignored; other traps are reset (POSIX)
        sub.traps = {sig: a for sig, a in self.traps.items() if sig and not a}
        return sub

    async def exec_redirect(self, io: IO) -> None:
        """``exec`` with only redirections in a subshell thread: the descriptors are
        the whole process's, so the subshell changes its own io map instead (a copy of
        each new descriptor, closed when the subshell ends)."""
        base = self.base_io
        assert base is not None
        for fd, real in io.items():
            if real == base.get(fd, fd):
                continue
            if real is None:
                base[fd] = None
                continue
            dup = await sys.fcntl(real, F_DUPFD, SHELL_FD_BASE)
            await sys.fcntl(dup, F_SETFD, FD_CLOEXEC)
            self.exec_owned.append(dup)
            base[fd] = dup

    async def restore_fds(self) -> None:
        """A subshell ends: the descriptors its ``exec`` made are closed."""
        owned, self.exec_owned = self.exec_owned, []
        for fd in owned:
            try:
                await sys.close(fd)
            except Error:
                pass

    def abspath(self, path: str) -> str:
        """``path`` relative to the shell's working directory."""
        if path.startswith("/"):
            return path
        return (self.cwd.rstrip("/") + "/" + path) if self.cwd != "/" else "/" + path

    # ------------------------------------------------------------------ output
    async def write(self, io: IO, fd: int, text: str | bytes) -> None:
        """Write through the io map (a closed descriptor is EBADF)."""
        real = io.get(fd, fd)
        if real is None:
            raise Error(9)
        await kio.write_all(real, text)

    async def error(self, message: str, io: IO | None = None) -> None:
        """Print ``sh: LINE: message`` on standard error (as dash does, also when
        interactive, where LINE counts the lines typed)."""
        prefix = f"{self.name}: {self.lineno}: "
        try:
            await self.write(io or {2: 2}, 2, prefix + message + "\n")
        except Error:
            pass

    # ------------------------------------------------------------------ running
    async def run(self, node: ast.Node, io: IO) -> int:
        """Run a command node; sets and returns ``$?``."""
        kind = type(node)
        self.lineno = node.line
        try:
            status = await self._dispatch(kind, node, io)
        except (ExpansionError, ArithError) as err:
            # an expansion error in a redirection, a case word, a for list...
            await self.error(str(err), io)
            if not self.interactive:
                raise ShellExit(2) from None
            status = 2
        self.status = status
        if self.catching:
            await self.run_traps()
        if (
            status
            and "e" in self.options
            and not self.errexit_off
            and kind in ERREXIT_KINDS
            and not (kind is ast.Pipeline and node.negated)
        ):  # type: ignore[attr-defined]
            raise ShellExit(status)
        return status

    async def _dispatch(self, kind: type, node: Any, io: IO) -> int:
        """Run one node by its kind."""
        if kind is ast.SimpleCommand:
            status = await self.simple(node, io)  # type: ignore[arg-type]
        elif kind is ast.Sequence:
            status = 0
            for cmd in node.commands:  # type: ignore[attr-defined]
                status = await self.run(cmd, io)
        elif kind is ast.AndOr:
            self.errexit_off += 1
            try:
                status = await self.run(node.left, io)  # type: ignore[attr-defined]
            finally:
                self.errexit_off -= 1
            if (status == 0) == (node.op == "&&"):  # type: ignore[attr-defined]
                status = await self.run(node.right, io)  # type: ignore[attr-defined]
        elif kind is ast.Pipeline:
            status = await self.pipeline(node, io)  # type: ignore[arg-type]
        elif kind is ast.Background:
            status = await self.background(node, io)  # type: ignore[arg-type]
        else:
            status = await self.compound(node, io)
        return status

    async def compound(self, node: Any, io: IO) -> int:
        """Compound commands and function definitions."""
        from userland.sh import compound

        return await compound.run(self, node, io)

    async def run_body(self, node: ast.Node | None, io: IO) -> int:
        """Run an optional body (an empty one is status 0)."""
        return 0 if node is None else await self.run(node, io)

    async def condition(self, node: ast.Node, io: IO) -> int:
        """Run a condition: ``set -e`` does not apply inside it."""
        self.errexit_off += 1
        try:
            return await self.run(node, io)
        finally:
            self.errexit_off -= 1

    # ------------------------------------------------------------------ simple commands
    async def simple(self, cmd: ast.SimpleCommand, io: IO) -> int:
        """Assignments, expansion, redirections, then a function, builtin or program."""
        from userland.sh.builtins import BUILTINS, SPECIAL_BUILTINS

        self.subst_status = None
        try:
            argv = await self.expander.words(cmd.words)
            assigns = await self.assignments(cmd.assigns, bool(argv))
        except (ExpansionError, ArithError) as err:
            await self.error(str(err), io)
            if not self.interactive:
                raise ShellExit(2) from None
            return 2
        except CommandError as err:
            await self.error(err.message, io)
            return err.status
        if "x" in self.options and (argv or assigns):
            trace = " ".join([f"{n}={v}" for n, v in assigns] + argv)
            ps4 = self.get("PS4")
            await self.write(io, 2, f"{'+ ' if ps4 is None else ps4}{trace}\n")
        if not argv:
            for name, value in assigns:
                self.set_var(name, value, export="a" in self.options)
            if cmd.redirs:
                try:
                    _, opened = await self.redirect(cmd.redirs, io)
                except CommandError as err:
                    await self.error(err.message, io)
                    return err.status
                await self.close_all(opened)
            # POSIX: the status of the last command substitution, if there was one
            return self.subst_status if self.subst_status is not None else 0
        name = argv[0]
        try:
            rio, opened = await self.redirect(cmd.redirs, io)
        except CommandError as err:
            await self.error(err.message, io)
            if name in SPECIAL_BUILTINS and not self.interactive:
                raise ShellExit(err.status) from None
            return err.status
        try:
            if name in SPECIAL_BUILTINS:
                for n, v in assigns:
                    self.set_var(n, v)
                self.prefix_env = dict(assigns)  # what `pre=1 exec cmd` exports
                status = await SPECIAL_BUILTINS[name](self, argv, rio)
                if status and name in FATAL_ERRORS and not self.interactive:
                    raise ShellExit(status)  # a special builtin's error ends a script
                return status
            if name in self.functions:
                return await self.call_function(name, argv, rio, assigns)
            if name[:1] == "%" and self.jobctl and name not in BUILTINS:
                return await BUILTINS["fg"](self, ["fg", name], rio)
            for n, _ in assigns:
                if n in self.readonly:
                    raise ExpansionError(f"{n}: is read only")
            if name in BUILTINS:
                saved = {n: self.vars.get(n) for n, _ in assigns}
                for n, v in assigns:
                    self.vars[n] = v
                try:
                    return await BUILTINS[name](self, argv, rio)
                except ReadOnlyError as err:
                    await self.error(f"{name}: {err}", io)
                    return 2
                finally:
                    for n, old in saved.items():
                        if old is None:
                            self.vars.pop(n, None)
                        else:
                            self.vars[n] = old
            return await self.external(argv, rio, dict(assigns), describe_job(cmd))
        finally:
            await self.close_all(opened)

    async def assignments(
        self, items: tuple[ast.Assignment, ...], temporary: bool
    ) -> list[tuple[str, str]]:
        """Expand assignments left to right, each one seen by the next (``A=1 B=$A``):
        made for good without a command, else only while the others expand."""
        out: list[tuple[str, str]] = []
        saved: dict[str, str | None] = {}
        try:
            for a in items:
                value = await self.expander.word_string(a.value)
                out.append((a.name, value))
                if not temporary:
                    self.set_var(a.name, value, export="a" in self.options)
                    continue
                if a.name not in saved:
                    saved[a.name] = self.vars.get(a.name)
                self.vars[a.name] = value
        finally:
            for name, old in saved.items():
                if old is None:
                    self.vars.pop(name, None)
                else:
                    self.vars[name] = old
        return out

    async def call_function(
        self, name: str, argv: list[str], io: IO, assigns: list[tuple[str, str]]
    ) -> int:
        """Run a shell function with its own positional parameters."""
        fn = self.functions[name]
        saved_pos = self.positional
        self.positional = argv[1:]
        self.local_frames.append({})
        saved = {n: self.vars.get(n) for n, _ in assigns}
        # a temporary binding is exported to the commands the function runs
        exported = {n for n, _ in assigns if n not in self.exported}
        for n, v in assigns:
            self.vars[n] = v
        self.exported |= exported
        self.func_depth += 1
        try:
            return await self.run(fn.body, io)
        except FunctionReturn as ret:
            return ret.status
        finally:
            self.func_depth -= 1
            self.exported -= exported
            self.positional = saved_pos
            for n, old in {**saved, **self.local_frames.pop()}.items():
                if old is None:
                    self.vars.pop(n, None)
                else:
                    self.vars[n] = old

    async def find_command(self, name: str, *, executable: bool = True) -> str | None:
        """The path of a program: ``name`` itself if it has a slash, else a $PATH hit
        (remembered in the hash table; ``executable=False`` finds any regular file,
        for ``.``)."""
        if "/" in name:
            return name
        hit = self.hash.get(name)
        if hit is not None and executable:
            return hit
        for d in (self.get("PATH") or "/bin:/usr/bin").split(":"):
            path = f"{d or '.'}/{name}"
            try:
                st = await sys.stat(self.abspath(path))
            except Error:
                continue
            if S_ISREG(st.st_mode):
                if not executable:
                    return path
                try:
                    await sys.access(self.abspath(path), X_OK)
                except Error:
                    continue
                self.hash[name] = path
                return path
        return None

    # ------------------------------------------------------------------ pipelines, jobs


__all__ = ["IO", "CommandError", "FunctionReturn", "Job", "LoopControl", "Shell", "ShellExit"]
