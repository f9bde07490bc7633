"""Job-control builtins: ``jobs``, ``fg``, ``bg``, ``wait``, ``kill`` (with ``%job``) and
``trap``.

A job spec is ``%n`` (job number), ``%%``/``%+``/``%`` (the current job), ``%-`` (the
previous one), ``%str`` (the job whose command starts with str) or ``%?str`` (contains
it). ``trap`` is built on the kernel's SIG_CATCH: a caught signal only becomes pending
(and interrupts a blocking call with EINTR); the shell collects it with ``sigtake`` and
runs the trap between commands (see ``userland.sh.traps``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from kernel.abi import (
    EINTR,
    NSIG,
    SIGCONT,
    SIGNAL_NAMES,
    SIGTERM,
    TIOCSPGRP,
    Error,
    signal_number,
)
from userland.libk import sys
from userland.libk.proc import describe, exit_code

if TYPE_CHECKING:
    from userland.sh.interp import IO, Shell
    from userland.sh.jobs import Job


class JobSpecError(Exception):
    """A job spec that names no job; the message is what sh prints."""


def find_job(sh: Shell, spec: str) -> Job:
    """The job a ``%`` spec names.

    Raises:
        JobSpecError: no such job (or an ambiguous prefix).
    """
    body = spec[1:] if spec.startswith("%") else spec
    marks = sh.job_marks()
    if body in ("", "%", "+", "-"):
        want = "-" if body == "-" else "+"
        for job in sh.jobs:
            if marks.get(job.number) == want:
                return job
        raise JobSpecError(f"{spec}: no such job" if sh.jobs else "no current job")
    if body.isdigit():
        for job in sh.jobs:
            if job.number == int(body):
                return job
        raise JobSpecError(f"{spec}: no such job")
    if body.startswith("?"):
        hits = [j for j in sh.jobs if body[1:] in j.command]
    else:
        hits = [j for j in sh.jobs if j.command.startswith(body)]
    if len(hits) == 1:
        return hits[0]
    raise JobSpecError(f"{spec}: {'ambiguous' if hits else 'no such job'}")


async def b_jobs(sh: Shell, argv: list[str], io: IO) -> int:
    """``jobs [-l|-p] [job…]``: the background and stopped jobs."""
    await sh.reap_jobs(notify=False)
    flags = [a for a in argv[1:] if a.startswith("-") and a != "-"]
    specs = [a for a in argv[1:] if a not in flags]
    for f in flags:
        if f not in ("-l", "-p", "--"):
            await sh.error(f"jobs: Illegal option {f}", io)
            return 2
    try:
        jobs = [find_job(sh, s) for s in specs] if specs else list(sh.jobs)
    except JobSpecError as err:
        await sh.error(f"jobs: {err}", io)
        return 1
    marks = sh.job_marks()
    for job in jobs:
        if "-p" in flags:
            lead = job.pgid if job.group else (job.pids or [0])[0]
            await sh.write(io, 1, f"{lead}\n")
        else:
            await sh.write(io, 1, job.line(marks.get(job.number, " "), pid="-l" in flags))
    # a finished job is reported once, then forgotten
    for job in [j for j in jobs if j.state == "Done"]:
        if sh.interactive and job in sh.jobs:
            sh.jobs.remove(job)
    return 0


async def _continue(sh: Shell, job: Job) -> None:
    """Send SIGCONT to every process of a job."""
    targets = [-job.pgid] if job.group and job.pgid else job.pids
    for pid in targets:
        try:
            await sys.kill(pid, SIGCONT)
        except Error:
            pass


async def b_fg(sh: Shell, argv: list[str], io: IO) -> int:
    """``fg [job]``: continue a job in the foreground and wait for it."""
    if not sh.jobctl:
        await sh.error("fg: job control not enabled", io)
        return 2
    await sh.reap_jobs(notify=False)
    try:
        job = find_job(sh, argv[1] if len(argv) > 1 else "%%")
    except JobSpecError as err:
        await sh.error(f"fg: {err}", io)
        return 2
    await sh.write(io, 1, job.command + "\n")
    if job.state == "Done":
        sh.jobs.remove(job)
        return exit_code(job.status)
    try:
        await sys.ioctl(sh.tty_fd, TIOCSPGRP, job.pgid)
    except Error:
        pass
    job.state = "Running"
    await _continue(sh, job)
    members = [("pid", p) for p in job.pids]
    return await sh.wait_foreground(members, job.pgid, job.command, job)


async def b_bg(sh: Shell, argv: list[str], io: IO) -> int:
    """``bg [job…]``: continue stopped jobs in the background."""
    if not sh.jobctl:
        await sh.error("bg: job control not enabled", io)
        return 2
    status = 0
    for spec in argv[1:] or ["%%"]:
        try:
            job = find_job(sh, spec)
        except JobSpecError as err:
            await sh.error(f"bg: {err}", io)
            status = 2
            continue
        if job.state == "Running":
            continue
        job.state = "Running"
        sh.last_bg = job.pids[-1] if job.pids else sh.last_bg
        await sh.write(io, 1, f"[{job.number}] {job.command} &\n")
        await _continue(sh, job)
    return status


async def b_wait(sh: Shell, argv: list[str], io: IO) -> int:
    """``wait [pid|job…]``: wait for background jobs; the status is the last one's.

    A trapped signal ends the wait (status 128 + signal) after its trap ran.
    """
    status = 0
    jobs: list[Job] = []
    unknown = False
    for arg in argv[1:]:
        if arg.startswith("%"):
            try:
                jobs.append(find_job(sh, arg))
            except JobSpecError as err:
                await sh.error(f"wait: {err}", io)
                unknown = True
            continue
        if not arg.isdigit():
            await sh.error(f"wait: Illegal number: {arg}", io)
            return 2
        hit = [j for j in sh.jobs if int(arg) in j.pids]
        jobs.extend(hit)
        unknown = unknown or not hit
    if len(argv) == 1:
        jobs = list(sh.jobs)
    for job in jobs:
        fresh = bool(job.pids) and job.pids[-1] not in job.collected
        for pid in job.pids:
            while pid not in job.collected:
                try:
                    _, job.collected[pid] = await sys.wait4(pid, 0)
                except Error as err:
                    if err.errno == EINTR:
                        sigs = await sh.run_traps()
                        if sigs:
                            return 128 + sigs[-1]
                        continue
                    job.collected[pid] = 0
        if job.pids:
            job.status = job.collected[job.pids[-1]]
            message = describe(job.status) if fresh and len(argv) > 1 else ""
            if message:  # dash: a job `wait` saw killed (not one reaped before)
                await sh.write({2: 2}, 2, message + "\n")
        status = exit_code(job.status)
        if job in sh.jobs:
            sh.jobs.remove(job)
    if unknown:
        return 127  # POSIX: the last pid named is not a child of this shell
    return status if len(argv) > 1 else 0  # POSIX: wait with no operand is 0


def _signal_list() -> str:
    return "\n".join(SIGNAL_NAMES[n][3:] for n in range(1, NSIG) if n in SIGNAL_NAMES) + "\n"


async def b_kill(sh: Shell, argv: list[str], io: IO) -> int:
    """``kill [-s SIG | -SIG | -n NUM] pid|%job…`` and ``kill -l [status]``."""
    args = argv[1:]
    if not args:
        await sh.error("kill: usage: kill [-s sigspec | -signum | -sigspec] pid | job...", io)
        return 2
    if args[0] == "-l" or args[0] == "-L":
        if len(args) == 1:
            await sh.write(io, 1, _signal_list())
            return 0
        for item in args[1:]:
            try:
                if item.isdigit():
                    n = int(item)
                    n = n - 128 if n > 128 else n
                    if n not in SIGNAL_NAMES:
                        raise Error(22)
                    await sh.write(io, 1, SIGNAL_NAMES[n][3:] + "\n")
                else:
                    await sh.write(io, 1, f"{signal_number(item)}\n")
            except Error:
                await sh.error(f"kill: invalid signal number or name: {item}", io)
                return 1
        return 0
    sig = SIGTERM
    try:
        if args[0] in ("-s", "-n"):
            if len(args) < 2:
                await sh.error(f"kill: {args[0]} requires an argument", io)
                return 2
            sig = signal_number(args[1])
            args = args[2:]
        elif args[0].startswith("-") and args[0] != "--" and len(args[0]) > 1:
            sig = signal_number(args[0][1:])
            args = args[1:]
    except Error:
        bad = args[1] if args[0] in ("-s", "-n") else args[0][1:]
        await sh.error(f"kill: invalid signal number or name: {bad}", io)
        return 2
    if args and args[0] == "--":
        args = args[1:]
    if not args:
        await sh.error("kill: usage: kill [-s sigspec | -signum | -sigspec] pid | job...", io)
        return 2
    status = 0
    for target in args:
        targets: list[int]
        job = None
        if target.startswith("%"):
            try:
                job = find_job(sh, target)
            except JobSpecError as err:
                await sh.error(f"kill: {err}", io)
                status = 1
                continue
            targets = [-job.pgid] if job.group and job.pgid else list(job.pids)
            if not targets:
                continue  # every process of it could not start
        else:
            try:
                targets = [int(target)]
            except ValueError:
                await sh.error(f"kill: Illegal number: {target}", io)
                status = 2
                continue
        for pid in targets:
            try:
                await sys.kill(pid, sig)
            except Error as err:
                await sh.error(f"kill: ({abs(pid)}) - {err.message}", io)
                status = 1
                continue
            if job is not None and job.state == "Stopped" and sig != SIGCONT:
                try:
                    await sys.kill(pid, SIGCONT)  # so a stopped job sees the signal
                except Error:
                    pass  # the signal ended it already (SIGKILL)
    return status


JOB_BUILTINS = {
    "jobs": b_jobs,
    "fg": b_fg,
    "bg": b_bg,
    "wait": b_wait,
    "kill": b_kill,
}
