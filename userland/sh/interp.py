"""The shell's interpreter: runs syntax trees with redirections, pipelines and jobs.

There is no fork. An external command is spawned with file actions that map the
shell's view of its descriptors (an *io map*: shell fd -> process fd) onto the child's
0, 1, 2…. Builtins and compound commands write through the io map too, so a pipeline
stage that is not an external command runs in a shell *thread* (with a copy of the
shell's state, as a subshell would have) and connects to its neighbours through
pipes; command substitution runs the same way, its output read from a pipe.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from kernel.abi import (
    EACCES,
    ENOENT,
    ENOEXEC,
    O_APPEND,
    O_CLOEXEC,
    O_CREAT,
    O_RDONLY,
    O_RDWR,
    O_TRUNC,
    O_WRONLY,
    S_ISDIR,
    S_ISREG,
    SIGINT,
    SIGQUIT,
    SIGTSTP,
    SIGTTIN,
    SIGTTOU,
    SPAWN_CLOSE,
    SPAWN_DUP2,
    TIOCSPGRP,
    WIFSTOPPED,
    WUNTRACED,
    X_OK,
    Error,
    SpawnAttr,
)
from userland.libk import io as kio
from userland.libk import proc as kproc
from userland.libk import sys
from userland.sh import ast
from userland.sh.arith import ArithError, evaluate
from userland.sh.expand import Expander, ExpansionError, pattern_regex

IO = dict[int, int | None]
JOB_SIGNALS = (SIGINT, SIGQUIT, SIGTSTP, SIGTTIN, SIGTTOU)


class ShellExit(Exception):  # noqa: N818 - control flow
    """``exit``: unwind to the top of this shell (or subshell)."""

    def __init__(self, status: int) -> None:
        super().__init__(status)
        self.status = status


class LoopControl(Exception):  # noqa: N818 - control flow
    """``break n`` / ``continue n``."""

    def __init__(self, kind: str, levels: int) -> None:
        super().__init__(kind, levels)
        self.kind = kind
        self.levels = levels


class FunctionReturn(Exception):  # noqa: N818 - control flow
    """``return n``."""

    def __init__(self, status: int) -> None:
        super().__init__(status)
        self.status = status


class CommandError(Exception):
    """An error the shell reports as ``sh: LINE: message`` (status given)."""

    def __init__(self, message: str, status: int = 2) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


@dataclass(slots=True)
class Job:
    """A background or stopped job."""

    number: int
    pids: list[int]
    pgid: int
    command: str
    state: str = "Running"
    status: int = 0
    threads: list[int] = field(default_factory=list)


class Shell:
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
        self.expander = Expander(self)
        self.tty_fd = 0

    # ------------------------------------------------------------------ variables
    def get(self, name: str) -> str | None:
        """A variable's value or None."""
        if name == "LINENO":
            return str(self.lineno)
        if name == "PWD" and "PWD" not in self.vars:
            return self.cwd
        return self.vars.get(name)

    def set_var(self, name: str, value: str, *, export: bool = False) -> None:
        """Assign a variable (and mark it exported)."""
        self.vars[name] = value
        if export:
            self.exported.add(name)
        if name == "PATH":
            self.hash.clear()

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
        return sub

    def abspath(self, path: str) -> str:
        """``path`` relative to the shell's working directory."""
        if path.startswith("/"):
            return path
        return (self.cwd.rstrip("/") + "/" + path) if self.cwd != "/" else "/" + path

    # ------------------------------------------------------------------ output
    async def write(self, io: IO, fd: int, text: str | bytes) -> None:
        """Write through the io map (a closed descriptor is EBADF)."""
        real = io.get(fd, fd if fd > 2 else None)
        if real is None:
            raise Error(9)
        await kio.write_all(real, text)

    async def error(self, message: str, io: IO | None = None) -> None:
        """Print ``sh: LINE: message`` on standard error."""
        prefix = f"{self.name}: " if self.interactive else f"{self.name}: {self.lineno}: "
        try:
            await self.write(io or {2: 2}, 2, prefix + message + "\n")
        except Error:
            pass

    # ------------------------------------------------------------------ running
    async def run(self, node: ast.Node, io: IO) -> int:
        """Run a command node; sets and returns ``$?``."""
        kind = type(node)
        self.lineno = node.line
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
        self.status = status
        if (
            status
            and "e" in self.options
            and not self.errexit_off
            and kind not in (ast.AndOr, ast.Sequence)
            and not (kind is ast.Pipeline and node.negated)
        ):  # type: ignore[attr-defined]
            raise ShellExit(status)
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

        try:
            argv = await self.expander.words(cmd.words)
            assigns = [(a.name, await self.expander.word_string(a.value)) for a in cmd.assigns]
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
            await self.write(io, 2, f"+ {trace}\n")
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
            return self.status if cmd.words else 0
        name = argv[0]
        try:
            rio, opened = await self.redirect(cmd.redirs, io)
        except CommandError as err:
            await self.error(err.message, io)
            return err.status
        try:
            if name in SPECIAL_BUILTINS:
                for n, v in assigns:
                    self.set_var(n, v)
                return await SPECIAL_BUILTINS[name](self, argv, rio)
            if name in self.functions:
                return await self.call_function(name, argv, rio, assigns)
            if name in BUILTINS:
                saved = {n: self.vars.get(n) for n, _ in assigns}
                for n, v in assigns:
                    self.vars[n] = v
                try:
                    return await BUILTINS[name](self, argv, rio)
                finally:
                    for n, old in saved.items():
                        if old is None:
                            self.vars.pop(n, None)
                        else:
                            self.vars[n] = old
            return await self.external(argv, rio, dict(assigns), _describe_job(cmd))
        finally:
            await self.close_all(opened)

    async def call_function(
        self, name: str, argv: list[str], io: IO, assigns: list[tuple[str, str]]
    ) -> int:
        """Run a shell function with its own positional parameters."""
        fn = self.functions[name]
        saved_pos = self.positional
        self.positional = argv[1:]
        self.local_frames.append({})
        saved = {n: self.vars.get(n) for n, _ in assigns}
        for n, v in assigns:
            self.vars[n] = v
        self.func_depth += 1
        try:
            return await self.run(fn.body, io)
        except FunctionReturn as ret:
            return ret.status
        finally:
            self.func_depth -= 1
            self.positional = saved_pos
            for n, old in {**saved, **self.local_frames.pop()}.items():
                if old is None:
                    self.vars.pop(n, None)
                else:
                    self.vars[n] = old

    async def find_command(self, name: str) -> str | None:
        """The path of a program: ``name`` itself if it has a slash, else a $PATH hit."""
        if "/" in name:
            return name
        hit = self.hash.get(name)
        if hit is not None:
            return hit
        for d in (self.get("PATH") or "/bin:/usr/bin").split(":"):
            path = f"{d or '.'}/{name}"
            try:
                st = await sys.stat(self.abspath(path))
            except Error:
                continue
            if S_ISREG(st.st_mode):
                try:
                    await sys.access(self.abspath(path), X_OK)
                except Error:
                    continue
                self.hash[name] = path
                return path
        return None

    def spawn_actions(self, io: IO) -> list[tuple[Any, ...]]:
        """File actions that give a child the descriptors of an io map."""
        actions: list[tuple[Any, ...]] = []
        moves = {fd: src for fd, src in io.items() if src is not None and src != fd}
        closes = [fd for fd, src in io.items() if src is None]
        if any(src in moves for src in moves.values()):
            temps = []
            for i, (fd, src) in enumerate(sorted(moves.items())):
                actions.append((SPAWN_DUP2, src, 500 + i))
                temps.append((500 + i, fd))
            for tmp, fd in temps:
                actions.append((SPAWN_DUP2, tmp, fd))
            actions.extend((SPAWN_CLOSE, tmp) for tmp, _ in temps)
        else:
            actions.extend((SPAWN_DUP2, src, fd) for fd, src in sorted(moves.items()))
        actions.extend((SPAWN_CLOSE, fd) for fd in closes)
        return actions

    def spawn_attr(self, *, pgid: int | None, foreground: bool, background: bool) -> SpawnAttr:
        """Process-group and signal attributes for a job's process."""
        if self.jobctl:
            return SpawnAttr(
                pgroup=pgid or 0, foreground=foreground and pgid is None, sigdefault=JOB_SIGNALS
            )
        if background:
            return SpawnAttr(sigignore=(SIGINT, SIGQUIT))
        return SpawnAttr()

    async def start(
        self,
        argv: list[str],
        io: IO,
        extra_env: dict[str, str] | None = None,
        *,
        pgid: int | None = None,
        foreground: bool = True,
        background: bool = False,
    ) -> int:
        """Spawn an external command; return its pid.

        Raises:
            CommandError: not found (127) or cannot execute (126).
        """
        name = argv[0]
        path = await self.find_command(name)
        if path is None:
            raise CommandError(f"{name}: not found", 127)
        try:
            return await sys.spawn(
                self.abspath(path),
                argv,
                self.environment(extra_env),
                self.cwd,
                self.spawn_actions(io),
                self.spawn_attr(pgid=pgid, foreground=foreground, background=background),
            )
        except Error as err:
            self.hash.pop(name, None)
            if err.errno == ENOENT:
                raise CommandError(f"{name}: not found", 127) from None
            if err.errno in (EACCES, ENOEXEC):
                raise CommandError(f"{name}: {err.message}", 126) from None
            raise CommandError(f"{name}: {err.message}", 126) from None

    async def external(
        self, argv: list[str], io: IO, extra_env: dict[str, str], command: str
    ) -> int:
        """Run a program in the foreground and wait for it."""
        try:
            pid = await self.start(argv, io, extra_env)
        except CommandError as err:
            await self.error(err.message, io)
            return err.status
        return await self.wait_foreground([("pid", pid)], pid, command)

    async def wait_foreground(self, members: list[tuple[str, int]], pgid: int, command: str) -> int:
        """Wait for a foreground job; give the terminal back; report crashes and stops.

        ``members`` are the job's stages in order: ``("pid", pid)`` for a process,
        ``("tid", tid)`` for a shell thread, ``("status", n)`` for a stage that could
        not start. The job's status is the last stage's (with ``pipefail``, the last
        non-zero one).
        """
        stopped = False
        statuses: list[int] = []
        pids: list[int] = []
        for kind, ident in members:
            if kind == "pid":
                pids.append(ident)
                try:
                    _, st = await sys.wait4(ident, WUNTRACED if self.jobctl else 0)
                except Error:
                    st = 0
                if WIFSTOPPED(st):
                    stopped = True
            elif kind == "tid":
                try:
                    result = await sys.thread_join(ident)
                except Error:
                    result = 0
                st = (result & 0xFF) << 8 if isinstance(result, int) else 0
            else:
                st = (ident & 0xFF) << 8
            statuses.append(st)
        if self.jobctl and pids:
            try:
                await sys.ioctl(self.tty_fd, TIOCSPGRP, self.pgid)
            except Error:
                pass
        if stopped:
            job = self.add_job(pids, pgid, command, "Stopped")
            await self.write({2: 2}, 2, f"[{job.number}]+  Stopped                 {command}\n")
            return 128 + SIGTSTP
        status = statuses[-1] if statuses else 0
        if "pipefail" in self.options:
            status = next((st for st in reversed(statuses) if kproc.exit_code(st)), status)
        message = kproc.describe(status)
        if message:
            await self.write({2: 2}, 2, message + "\n")
        return kproc.exit_code(status)

    # ------------------------------------------------------------------ redirections
    async def redirect(self, redirs: tuple[ast.Redirection, ...], io: IO) -> tuple[IO, list[int]]:
        """Apply redirections to a copy of ``io``; return it and the fds to close after."""
        if not redirs:
            return io, []
        new = dict(io)
        opened: list[int] = []
        try:
            for r in redirs:
                if type(r) is ast.HereDoc:
                    body = r.body
                    text = (
                        body.parts[0].text
                        if r.quoted and body and body.parts
                        else (await self.expander.word_string(body))
                    )  # type: ignore[union-attr]
                    new[r.fd] = await self.here_document(text, opened)
                    continue
                target = await self.expander.word_string(r.target)
                op = r.op
                if op in ("<&", ">&"):
                    if target == "-":
                        new[r.fd] = None
                    elif target.isdigit():
                        src = new.get(int(target), int(target) if int(target) <= 2 else None)
                        if src is None:
                            raise CommandError(f"{target}: Bad file descriptor", 2)
                        try:
                            await sys.fcntl(src, 1)
                        except Error:
                            raise CommandError(f"{target}: Bad file descriptor", 2) from None
                        new[r.fd] = src
                    else:
                        raise CommandError(f"{target}: bad number", 2)
                    continue
                flags = {
                    "<": O_RDONLY,
                    ">": O_WRONLY | O_CREAT | O_TRUNC,
                    ">|": O_WRONLY | O_CREAT | O_TRUNC,
                    ">>": O_WRONLY | O_CREAT | O_APPEND,
                    "<>": O_RDWR | O_CREAT,
                }[op]
                if op == ">" and "C" in self.options:
                    flags |= 0o200  # O_EXCL: noclobber
                try:
                    fd = await sys.open(self.abspath(target), flags | O_CLOEXEC, 0o666)
                except Error as err:
                    verb = "open" if op == "<" else "create"
                    msg = err.message
                    if err.errno == ENOENT and op != "<":
                        msg = "Directory nonexistent"
                    raise CommandError(f"cannot {verb} {target}: {msg}", 2) from None
                opened.append(fd)
                new[r.fd] = fd
        except BaseException:
            await self.close_all(opened)
            raise
        return new, opened

    async def here_document(self, text: str, opened: list[int]) -> int:
        """A pipe whose read end holds ``text`` (a thread feeds bodies over 64 KiB)."""
        r, w = await sys.pipe(O_CLOEXEC)
        opened.append(r)
        data = text.encode()
        if len(data) <= 60000:
            await kio.write_all(w, data)
            await sys.close(w)
        else:

            async def feed(_arg: Any) -> int:
                try:
                    await kio.write_all(w, data)
                except Error:
                    pass
                await sys.close(w)
                return 0

            await sys.thread_spawn(feed, None)
        return r

    async def close_all(self, fds: list[int]) -> None:
        """Close descriptors the shell opened for a command."""
        for fd in fds:
            try:
                await sys.close(fd)
            except Error:
                pass

    # ------------------------------------------------------------------ pipelines, jobs
    def is_external(self, node: ast.Node) -> bool:
        """Will this pipeline stage run as a program (not a builtin or function)?"""
        from userland.sh.builtins import BUILTINS, SPECIAL_BUILTINS

        if type(node) is not ast.SimpleCommand or not node.words:
            return False
        name = node.words[0].literal
        return (
            name is not None
            and name not in BUILTINS
            and name not in SPECIAL_BUILTINS
            and name not in self.functions
        )

    async def run_in_thread(self, node: ast.Node, io: IO, owned: list[int]) -> int:
        """Run ``node`` in a subshell thread; it closes ``owned`` fds when done."""
        sub = self.copy()

        async def body(_arg: Any) -> int:
            try:
                status = await sub.run(node, io)
            except ShellExit as ex:
                status = ex.status
            except (LoopControl, FunctionReturn):
                status = sub.status
            except Error as err:
                await sub.error(err.message, io)
                status = 1
            finally:
                await sub.close_all(owned)
            return status

        return await sys.thread_spawn(body, None)

    async def pipeline(self, node: ast.Pipeline, io: IO) -> int:
        """Connect the stages with pipes, start them all, wait for the job."""
        cmds = node.commands
        if len(cmds) == 1:
            status = (
                await self.condition(cmds[0], io) if node.negated else await self.run(cmds[0], io)
            )
            return int(not status) if node.negated else status
        members: list[tuple[str, int]] = []
        pgid: int | None = None
        prev: int | None = None
        try:
            for i, cmd in enumerate(cmds):
                stage = dict(io)
                owned: list[int] = []
                if prev is not None:
                    stage[0] = prev
                    owned.append(prev)
                    prev = None
                if i < len(cmds) - 1:
                    prev, w = await sys.pipe(O_CLOEXEC)
                    stage[1] = w
                    owned.append(w)
                if not self.is_external(cmd):
                    members.append(("tid", await self.run_in_thread(cmd, stage, owned)))
                    continue
                try:
                    pid = await self.start_simple(cmd, stage, pgid=pgid)  # type: ignore[arg-type]
                    members.append(("pid", pid))
                    if pgid is None and self.jobctl:
                        pgid = pid
                except CommandError as err:
                    await self.error(err.message, io)
                    members.append(("status", err.status))
                finally:
                    await self.close_all(owned)
        finally:
            if prev is not None:
                await self.close_all([prev])
        status = await self.wait_foreground(members, pgid or 0, _describe_job(node))
        return int(not status) if node.negated else status

    async def start_simple(
        self,
        cmd: ast.SimpleCommand,
        io: IO,
        *,
        pgid: int | None = None,
        foreground: bool = True,
        background: bool = False,
    ) -> int:
        """Expand and redirect an external simple command and spawn it.

        Raises:
            CommandError: expansion, redirection or spawn failed.
        """
        try:
            argv = await self.expander.words(cmd.words)
            assigns = {a.name: await self.expander.word_string(a.value) for a in cmd.assigns}
        except (ExpansionError, ArithError) as err:
            raise CommandError(str(err), 2) from None
        sio, opened = await self.redirect(cmd.redirs, io)
        try:
            return await self.start(
                argv, sio, assigns, pgid=pgid, foreground=foreground, background=background
            )
        finally:
            await self.close_all(opened)

    async def background(self, node: ast.Background, io: IO) -> int:
        """``cmd &``: start it, remember it as a job, don't wait."""
        cmd = node.command
        devnull = -1
        if not self.jobctl:
            try:
                devnull = await sys.open("/dev/null", O_RDONLY | O_CLOEXEC)
                io = {**io, 0: devnull}
            except Error:
                pass
        try:
            if self.is_external(cmd):
                pid = await self.start_simple(
                    cmd,
                    io,
                    foreground=False,  # type: ignore[arg-type]
                    background=True,
                )
                job = self.add_job([pid], pid, _describe_job(cmd))
                self.last_bg = pid
            else:
                tid = await self.run_in_thread(cmd, io, [])
                job = self.add_job([], 0, _describe_job(cmd))
                job.threads.append(tid)
                self.last_bg = tid
        except CommandError as err:
            await self.error(err.message, io)
            return err.status
        finally:
            if devnull >= 0:
                await self.close_all([devnull])
        if self.interactive:
            await self.write({2: 2}, 2, f"[{job.number}] {self.last_bg}\n")
        return 0

    def add_job(self, pids: list[int], pgid: int, command: str, state: str = "Running") -> Job:
        """Record a job under the lowest free job number."""
        used = {j.number for j in self.jobs}
        n = 1
        while n in used:
            n += 1
        job = Job(n, pids, pgid, command, state)
        self.jobs.append(job)
        return job

    async def reap_jobs(self, *, notify: bool) -> None:
        """Collect finished background jobs; interactive shells print ``Done`` lines."""
        from kernel.abi import WNOHANG

        for job in list(self.jobs):
            done = True
            for pid in job.pids:
                try:
                    got, st = await sys.wait4(pid, WNOHANG)
                except Error:
                    continue
                if got == 0:
                    done = False
                else:
                    job.status = st
            for tid in job.threads:
                try:
                    await sys.thread_join(tid)
                except Error:
                    pass
            if done and job.state != "Stopped":
                self.jobs.remove(job)
                if notify and self.interactive:
                    code = kproc.exit_code(job.status)
                    word = "Done" if code == 0 else kproc.describe(job.status) or f"Exit {code}"
                    await self.write({2: 2}, 2, f"[{job.number}]+  {word:<22}  {job.command}\n")

    # ------------------------------------------------------------------ substitutions
    async def command_substitution(self, part: ast.CommandSub) -> str:
        """``$(…)``: run the body in a subshell thread, read what it prints."""
        if part.body is None:
            return ""
        r, w = await sys.pipe(O_CLOEXEC)
        tid = await self.run_in_thread(part.body, {0: 0, 1: w, 2: 2}, [w])
        try:
            data = await kio.read_all(r)
        finally:
            await sys.close(r)
        try:
            result = await sys.thread_join(tid)
            self.status = result if isinstance(result, int) else 0
        except Error:
            pass
        return data.decode(errors="replace").rstrip("\n")

    async def arithmetic(self, part: ast.Arith) -> str:
        """``$((…))``: expand the parts, then evaluate."""
        text = "".join(
            p.text if type(p) is ast.Literal else await self._arith_part(p) for p in part.parts
        )
        return str(evaluate(text, self.get, lambda n, v: self.set_var(n, v)))

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


def _describe_job(node: ast.Node) -> str:
    """A short text for a job: its words, as typed."""
    if type(node) is ast.SimpleCommand:
        return " ".join(w.source for w in node.words) or "(assignment)"
    if type(node) is ast.Pipeline:
        return " | ".join(_describe_job(c) for c in node.commands)
    if type(node) is ast.AndOr:
        return f"{_describe_job(node.left)} {node.op} {_describe_job(node.right)}"
    return f"({type(node).__name__.lower()} at line {node.line})"
