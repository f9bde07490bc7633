"""Jobs: starting programs, pipelines, background jobs, waiting, and job notices.

Every stage of a pipeline and every background job is a process: a program, or for
a builtin, a function or a compound command a subshell process (the shell re-executed
with this one's state, :mod:`userland.sh.substate`). Only command substitution may run
in a shell thread on a copy of the state, where no one can tell the difference.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from kernel.abi import (
    EACCES,
    EAGAIN,
    EINTR,
    ENOENT,
    ENOEXEC,
    ENOMEM,
    O_CLOEXEC,
    O_RDONLY,
    SIGINT,
    SIGQUIT,
    SIGTSTP,
    SIGTTIN,
    SIGTTOU,
    TIOCSPGRP,
    WCONTINUED,
    WIFCONTINUED,
    WIFSTOPPED,
    WNOHANG,
    WUNTRACED,
    Error,
    SpawnAttr,
)
from userland.libk import proc as kproc
from userland.libk import sys
from userland.sh import ast
from userland.sh.arith import ArithError
from userland.sh.errors import CommandError, FunctionReturn, LoopControl, ShellExit
from userland.sh.expand import ExpansionError

if TYPE_CHECKING:
    from userland.sh.interp import IO

JOB_SIGNALS = (SIGINT, SIGQUIT, SIGTSTP, SIGTTIN, SIGTTOU)


@dataclass(slots=True)
class Job:
    """A background or stopped job."""

    number: int
    pids: list[int]
    pgid: int
    command: str
    state: str = "Running"
    status: int = 0
    collected: dict[int, int] = field(default_factory=dict)  # pid -> wait status
    order: int = 0  # recency, for the current (+) and previous (-) job
    group: bool = False  # the job has its own process group (job control)

    def line(self, mark: str, *, pid: bool = False) -> str:
        """The job as ``jobs`` prints it: ``[1]+  Running                 sleep 9 &``."""
        state = self.state
        if state == "Done":
            code = kproc.exit_code(self.status)
            state = "Done" if code == 0 else kproc.describe(self.status) or f"Done({code})"
        command = self.command + (" &" if self.state == "Running" else "")
        if pid:  # jobs -l: each further process of a pipeline on a line of its own (dash)
            first = self.pids[0] if self.pids else 0
            more = "".join(f"{'':<6}{p}\n" for p in self.pids[1:])
            return f"[{self.number}]{mark} {first} {state:<24}{command}\n{more}"
        return f"[{self.number}]{mark}  {state:<24}{command}\n"


class JobsMixin:
    """The job half of :class:`userland.sh.interp.Shell`."""

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
        if not name:  # dash: the $PATH search meets directories ("/bin/" + "")
            raise CommandError(": Permission denied", 127)
        path = await self.find_command(name)
        if path is None:
            raise CommandError(f"{name}: not found", 127)
        env = self.environment(extra_env)
        actions = self.spawn_actions(io)
        attr = self.spawn_attr(pgid=pgid, foreground=foreground, background=background)
        try:
            try:
                return await sys.spawn(self.abspath(path), argv, env, self.cwd, actions, attr)
            except Error as err:
                if err.errno != ENOEXEC:
                    raise
                # POSIX: an executable file that is not a program (no #!) is a script
                # for the shell, run as `sh path args…` (dash does so after ENOEXEC)
                script = ["/bin/sh", path, *argv[1:]]
                return await sys.spawn("/bin/sh", script, env, self.cwd, actions, attr)
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

    async def wait_foreground(
        self, members: list[tuple[str, int]], pgid: int, command: str, job: Job | None = None
    ) -> int:
        """Wait for a foreground job; give the terminal back; report crashes and stops.

        ``members`` are the job's stages in order: ``("pid", pid)`` for a process,
        ``("status", n)`` for a stage that could not start. The job's status is the
        last stage's (with ``pipefail``, the last non-zero one). ``job`` is the known
        job being continued by ``fg``.
        """
        stopped = False
        statuses: list[int] = []
        pids: list[int] = []
        for kind, ident in members:
            if kind == "pid":
                pids.append(ident)
                if job is not None and ident in job.collected:
                    st = job.collected[ident]
                else:
                    st = await self.wait_pid(ident, WUNTRACED if self.jobctl else 0)
                if WIFSTOPPED(st):
                    stopped = True
                elif job is not None:
                    job.collected[ident] = st
            else:
                st = (ident & 0xFF) << 8
            statuses.append(st)
        if self.jobs:
            await self.poll_jobs()  # sh collects every ended child while it waits
        if self.jobctl and pids:
            try:
                await sys.ioctl(self.tty_fd, TIOCSPGRP, self.pgid)
            except Error:
                pass
        if stopped:
            if job is None:
                job = self.add_job(pids, pgid, command, "Stopped")
                job.group = self.jobctl
            else:
                job.state = "Stopped"
                job.order = self.next_order()
            await self.write({2: 2}, 2, job.line("+"))
            return 128 + SIGTSTP
        if job is not None and job in self.jobs:
            self.jobs.remove(job)
        status = statuses[-1] if statuses else 0
        if "pipefail" in self.options:
            status = next((st for st in reversed(statuses) if kproc.exit_code(st)), status)
        message = kproc.describe(status)
        if message:
            await self.write({2: 2}, 2, message + "\n")
        return kproc.exit_code(status)

    async def wait_pid(self, pid: int, options: int) -> int:
        """wait4 one child, running traps when a caught signal interrupts the wait."""
        while True:
            try:
                _, st = await sys.wait4(pid, options)
                return st
            except Error as err:
                if err.errno != EINTR:
                    return 0
                await self.run_traps()

    def next_order(self) -> int:
        """A fresh recency stamp for a job."""
        self.job_counter += 1
        return self.job_counter

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
        sub.base_io = io = dict(io)

        async def body(_arg: Any) -> int:
            try:
                status = await sub.run(node, io)
            except ShellExit as ex:
                status = ex.status
            except (LoopControl, FunctionReturn):
                status = sub.status
            except RecursionError:
                await sub.error("recursion too deep", io)
                status = 2
            except Error as err:
                await sub.error(err.message, io)
                status = 1
            finally:
                await sub.restore_fds()
                await sub.close_all(owned)
            return status

        try:
            return await sys.thread_spawn(body, None)
        except Error as err:
            await self.close_all(owned)  # the thread that would have closed them never ran
            if err.errno in (EAGAIN, ENOMEM):
                raise CommandError("Cannot fork") from None  # dash's words
            raise

    async def pipeline(self, node: ast.Pipeline, io: IO) -> int:
        """Connect the stages with pipes, start them all, wait for the job."""
        cmds = node.commands
        if len(cmds) == 1:
            status = (
                await self.condition(cmds[0], io) if node.negated else await self.run(cmds[0], io)
            )
            return int(not status) if node.negated else status
        members, pgid = await self.start_stages(cmds, io)
        status = await self.wait_foreground(members, pgid, describe_job(node))
        return int(not status) if node.negated else status

    async def start_stages(
        self, cmds: tuple[ast.Node, ...], io: IO, *, background: bool = False
    ) -> tuple[list[tuple[str, int]], int]:
        """Start a pipeline's stages, each a process (a program, or a subshell for a
        builtin, function or compound command), in one process group under job control.
        Returns the members for :meth:`wait_foreground` and the group."""
        from userland.sh import substate

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
                try:
                    place = {"pgid": pgid, "foreground": not background, "background": background}
                    if self.is_external(cmd):
                        pid = await self.start_simple(cmd, stage, **place)  # type: ignore[arg-type]
                    else:
                        pid = await substate.spawn(self, cmd, stage, **place)  # type: ignore[arg-type]
                    members.append(("pid", pid))
                    if pgid is None and self.jobctl:
                        pgid = pid
                except CommandError as err:
                    await self.error(err.message, io)
                    members.append(("status", err.status))
                except GeneratorExit:  # the machine is going away: no more system calls
                    owned.clear()
                    prev = None
                    raise
                finally:
                    await self.close_all(owned)
        finally:
            if prev is not None:
                await self.close_all([prev])
        return members, pgid or 0

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
        """``cmd &``: start it, remember it as a job, don't wait. Every stage of a
        pipeline is a process of the job and ``$!`` is the last one's pid (dash); any
        other command that is not a program runs in a subshell process."""
        cmd = node.command
        devnull = -1
        if not self.jobctl:
            try:
                devnull = await sys.open("/dev/null", O_RDONLY | O_CLOEXEC)
                io = {**io, 0: devnull}
            except Error:
                pass
        try:
            if type(cmd) is ast.Pipeline and len(cmd.commands) > 1 and not cmd.negated:
                members, pgid = await self.start_stages(cmd.commands, io, background=True)
                pids = [ident for kind, ident in members if kind == "pid"]
                if not pids:
                    return members[-1][1] if members else 0
                job = self.add_job(pids, pgid or pids[0], describe_job(cmd))
            else:
                place = {"foreground": False, "background": True}
                if self.is_external(cmd):
                    pid = await self.start_simple(cmd, io, **place)  # type: ignore[arg-type]
                else:
                    from userland.sh import substate

                    pid = await substate.spawn(self, cmd, io, **place)  # type: ignore[arg-type]
                job = self.add_job([pid], pid, describe_job(cmd))
            job.group = self.jobctl
            self.last_bg = job.pids[-1]
        except CommandError as err:
            await self.error(err.message, io)
            return err.status
        except GeneratorExit:  # the machine is going away: no more system calls
            devnull = -1
            raise
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
        job.order = self.next_order()
        self.jobs.append(job)
        return job

    async def poll_jobs(self) -> None:
        """Collect the processes of background jobs that have ended, without waiting;
        notice the ones that stopped (``Stopped`` in ``jobs``, whoever sent the stop:
        ``kill -STOP`` as well as ^Z) and the ones continued (``Running`` again, as
        bash shows after ``kill -CONT``)."""
        options = WNOHANG | WUNTRACED | WCONTINUED
        for job in self.jobs:
            if job.state == "Done":
                continue
            for pid in job.pids:
                if pid in job.collected:
                    continue
                try:
                    got, st = await sys.wait4(pid, options)
                except Error:
                    job.collected[pid] = 0
                    continue
                if got and WIFSTOPPED(st):
                    if job.state != "Stopped":
                        job.state = "Stopped"
                        job.order = self.next_order()
                elif got and WIFCONTINUED(st):
                    job.state = "Running"
                elif got:
                    job.collected[pid] = st
            if len(job.collected) == len(job.pids):
                job.state = "Done"
                job.status = job.collected[job.pids[-1]] if job.pids else 0

    async def reap_jobs(self, *, notify: bool) -> None:
        """Collect ended background jobs, so none stays a zombie. An interactive shell
        prints a ``Done`` line and forgets the job; a script keeps its status for
        ``wait``."""
        await self.poll_jobs()
        if not (notify and self.interactive):
            return
        marks = self.job_marks()
        for job in [j for j in self.jobs if j.state == "Done"]:
            self.jobs.remove(job)
            await self.write({2: 2}, 2, job.line(marks.get(job.number, " ")))

    def job_marks(self) -> dict[int, str]:
        """Job number -> ``+`` (current job) or ``-`` (previous job)."""
        ranked = sorted(self.jobs, key=lambda j: (j.state == "Stopped", j.order), reverse=True)
        marks = {}
        if ranked:
            marks[ranked[0].number] = "+"
        if len(ranked) > 1:
            marks[ranked[1].number] = "-"
        return marks


def describe_job(node: ast.Node) -> str:
    """A short text for a job: its words, as typed."""
    if type(node) is ast.SimpleCommand:
        return " ".join(w.source for w in node.words) or "(assignment)"
    if type(node) is ast.Pipeline:
        return " | ".join(describe_job(c) for c in node.commands)
    if type(node) is ast.AndOr:
        return f"{describe_job(node.left)} {node.op} {describe_job(node.right)}"
    from userland.sh.unparse import one_line

    try:
        return one_line(node)
    except ValueError:
        return f"({type(node).__name__.lower()} at line {node.line})"
