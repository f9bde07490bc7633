"""``jobserve [-j N] [-o FILE] CMD...``: a job server over served tables (man 7 objects).

Runs each CMD as ``sh -c CMD`` with a process table that limits how many processes of
all the jobs' trees run at once to N (as GNU make's jobserver, but the jobs need not
know: every spawn they make is a SPAWN request this server answers when a slot is
free) and a file table that gathers their output: each job's standard output and
error, and every file a job's process opens for writing, arrive here as pipes, and
their lines go to FILE (or standard output) prefixed with the job's number. Opens for
reading, and of /dev, /proc and /sys, pass through ("do it yourself").

Slots: each job holds one; a process's first running child shares its parent's slot
(the parent is usually waiting for it: a shell running a command, as make's implicit
token), every further one needs a free slot of its own.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from kernel.abi import (
    O_ACCMODE,
    O_CLOEXEC,
    O_CREAT,
    O_RDONLY,
    O_TRUNC,
    O_WRONLY,
    POLLIN,
    SPAWN_DUP2,
    WEXITSTATUS,
    WIFEXITED,
    WTERMSIG,
    Error,
    SpawnAttr,
)
from kernel.abi import serve as proto
from kernel.abi import tables as tb
from userland.libk import io as kio
from userland.libk import sys, text

USAGE = """Usage: jobserve [OPTION]... COMMAND...
Run each COMMAND with 'sh -c', at most N processes of all the jobs at once, and
gather their output (standard output and error, and files they write) into one
place, each line prefixed with its job's number.

  -j N        run at most N processes at once (default 1)
  -o FILE     write the gathered output to FILE instead of standard output
      --help  display this help and exit
"""

PASS_THROUGH = ("/dev/", "/proc/", "/sys/")


@dataclass
class Stream:
    """A pipe whose write end a job's process has: its lines, prefixed."""

    job: int
    label: str
    buf: bytes = b""


@dataclass
class Jobs:
    """The job server's state (one per run; programs share the interpreter)."""

    cmds: list[str]
    slots: int
    out: int
    files: int = -1
    procs: int = -1
    next_job: int = 0
    top: dict[int, int] = field(default_factory=dict)  # running job pid -> job number
    used: int = 0  # slots in use
    lent: set[int] = field(default_factory=set)  # pids whose slot a child shares
    grants: dict[int, tuple[int, bool]] = field(default_factory=dict)  # fh -> (caller, shared)
    next_fh: int = 1
    held: list[proto.ServeRequest] = field(default_factory=list)
    streams: dict[int, Stream] = field(default_factory=dict)
    owner: dict[int, int] = field(default_factory=dict)  # pid -> job number
    failed: int = 0


async def _emit(j: Jobs, s: Stream, data: bytes, final: bool = False) -> None:
    s.buf += data
    *lines, s.buf = s.buf.split(b"\n")
    if final and s.buf:
        lines.append(s.buf)
        s.buf = b""
    if lines:
        head = f"[{s.job}] " if not s.label else f"[{s.job} {s.label}] "
        await kio.write_all(j.out, b"".join(head.encode() + ln + b"\n" for ln in lines))


async def _start_job(j: Jobs) -> None:
    j.next_job += 1
    n = j.next_job
    rd, wr = await sys.pipe(O_CLOEXEC)
    actions = [(SPAWN_DUP2, wr, 1), (SPAWN_DUP2, wr, 2)]
    attr = SpawnAttr(files=j.files, procs=j.procs)
    try:
        pid = await sys.spawn("/bin/sh", ["sh", "-c", j.cmds[n - 1]], None, None, actions, attr)
    except Error as err:
        await kio.warn("jobserve", f"job {n}: cannot run sh: {err.message}")
        await sys.close(rd)
        j.failed += 1
        return
    finally:
        await sys.close(wr)
    j.used += 1
    j.top[pid] = n
    j.owner[pid] = n
    j.streams[rd] = Stream(n, "")


async def _job_of(j: Jobs, pid: int) -> int:
    """The job a process belongs to: its nearest ancestor that is a job's process."""
    seen = []
    while pid > 1 and pid not in j.owner:
        seen.append(pid)
        try:
            text = (await kio.read_file(f"/proc/{pid}/status")).decode()
        except Error:
            break
        ppid = [ln.split()[1] for ln in text.splitlines() if ln.startswith("PPid:")]
        pid = int(ppid[0]) if ppid else 0
    n = j.owner.get(pid, 0)
    for p in seen:
        j.owner[p] = n
    return n


async def _open_path(j: Jobs, req: proto.ServeRequest) -> None:
    path = tb.unpack_path(req.payload)
    payload = b""
    rd = wr = -1
    if req.flags & O_ACCMODE != O_RDONLY and not path.startswith(PASS_THROUGH):
        rd, wr = await sys.pipe(O_CLOEXEC)
        payload = tb.fd_payload(wr)
        j.streams[rd] = Stream(await _job_of(j, req.pid), path)
    try:
        await sys.write(j.files, proto.pack_reply(req.unique, 0, payload))
    except Error:  # the opener gave up (a signal): nobody will write the pipe
        if rd >= 0:
            del j.streams[rd]
            await sys.close(rd)
    finally:
        if wr >= 0:
            await sys.close(wr)


async def _grant(j: Jobs) -> None:
    """Answer the held spawns that have a slot, oldest first; then start new jobs."""
    for req in list(j.held):
        shared = req.pid not in j.lent
        if not shared and j.used >= j.slots:
            continue
        j.held.remove(req)
        fh = j.next_fh
        j.next_fh += 1
        if shared:
            j.lent.add(req.pid)
        else:
            j.used += 1
        j.grants[fh] = (req.pid, shared)
        try:
            await sys.write(j.procs, proto.pack_reply(req.unique, 0, fh.to_bytes(8, "little")))
        except Error:  # the spawner gave up (a signal): no process, give the slot back
            _release(j, fh)
    while j.next_job < len(j.cmds) and j.used < j.slots and not j.held:
        await _start_job(j)


def _release(j: Jobs, fh: int) -> None:
    caller, shared = j.grants.pop(fh, (0, False))
    if shared:
        j.lent.discard(caller)
    elif caller:
        j.used -= 1


async def _exit(j: Jobs, req: proto.ServeRequest) -> None:
    if req.fh:
        _release(j, req.fh)
        return
    n = j.top.pop(req.pid, 0)
    if not n:
        return
    j.used -= 1
    status = req.offset
    await sys.wait4(req.pid)
    if not (WIFEXITED(status) and WEXITSTATUS(status) == 0):
        j.failed += 1
        how = f"status {WEXITSTATUS(status)}" if WIFEXITED(status) else f"signal {WTERMSIG(status)}"
        await kio.warn("jobserve", f"job {n} ({j.cmds[n - 1]}) failed: {how}")


async def serve(j: Jobs) -> None:
    """Run the jobs and serve their tables until every job and its output is done."""
    j.files = await sys.table_serve(tb.TABLE_FILES)
    j.procs = await sys.table_serve(tb.TABLE_PROCS)
    await _grant(j)
    while j.top or j.streams or j.next_job < len(j.cmds):
        fds = [j.files, j.procs, *j.streams]
        revents = await sys.poll([(fd, POLLIN) for fd in fds], -1)
        for fd, ev in zip(fds, revents, strict=True):
            if not ev:
                continue
            if fd in (j.files, j.procs):
                req = proto.unpack_request(await sys.read(fd, proto.SERVE_REQ_MAX))
                if req.opcode == tb.OP_OPEN_PATH:
                    await _open_path(j, req)
                elif req.opcode == tb.OP_SPAWN:
                    j.held.append(req)
                elif req.opcode == tb.OP_EXIT:
                    await _exit(j, req)
            else:
                data = await sys.read(fd, 65536)
                s = j.streams[fd]
                await _emit(j, s, data, final=not data)
                if not data:
                    del j.streams[fd]
                    await sys.close(fd)
        await _grant(j)
    await sys.close(j.files)
    await sys.close(j.procs)


async def main(argv: list[str]) -> int:
    """Entry point."""
    opts = await text.options("jobserve", argv, "j:o:", USAGE, status=2, permute=False)
    if isinstance(opts, int):
        return opts
    try:
        slots = int(opts.value("j", "1") or "")
        if slots < 1:
            raise ValueError
    except ValueError:
        await kio.warn("jobserve", f"invalid number of jobs: '{opts.value('j')}'")
        return 2
    if not opts.operands:
        return await text.usage_error("jobserve", "missing command", 2)
    out = 1
    target = opts.value("o")
    if target is not None:
        try:
            out = await sys.open(target, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o666)
        except Error as err:
            await kio.warn("jobserve", f"{target}: {err.message}")
            return 2
    j = Jobs(list(opts.operands), slots, out)
    await serve(j)
    return 1 if j.failed else 0
