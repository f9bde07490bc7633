"""Served process and file tables (``man 7 objects``): table_serve(2), and the paths
that spawn(2) and open(2) take when a process's tables are served.

A process's ``tables`` is None while both of its tables are the kernel's (the fast
path: one attribute check in spawn and open), else a :class:`Tables` naming the
:class:`TableChannel` of each served one. A child gets its parent's tables, or the
ones its ``SpawnAttr`` hands it (``files``/``procs``: channel fds of tables the parent
serves), and keeps them for good: nothing can take a table back from a process.

* open(2) through a served file table sends OPEN_PATH and waits (no timeout; EINTR);
  the answer is an error, a descriptor of the server's (the caller gets a new
  descriptor for that open file, as a dup across processes) or "do it yourself".
* spawn(2) through a served process table sends SPAWN and waits likewise before the
  kernel spawns; its SPAWN_OPEN file actions are opens the caller makes for the child,
  so they go through the caller's file table (the shell's redirections are file
  actions; a server handing a child a new table is not asked about that child's
  actions: it makes them itself, and could not answer while it waits in spawn).
  EXIT tells the server when a process spawned through its table, or handed it, ends.

The record layouts are ``kernel.abi.tables``'s, over ``kernel.fs.served``'s channel.
"""

from __future__ import annotations

from collections.abc import Generator
from typing import TYPE_CHECKING, Any

from kernel.abi import EBADF, EINVAL, ENOENT, EPERM, O_CLOEXEC, O_RDWR, Error
from kernel.abi.serve import unpack_reply
from kernel.abi.tables import (
    OP_EXIT,
    OP_OPEN_PATH,
    OP_SPAWN,
    TABLE_FILES,
    TABLE_KINDS,
    TABLE_NAMES,
    TABLE_NO_REPLY,
    TABLE_OP_NAMES,
    TABLE_PROCS,
    path_payload,
    spawn_payload,
    unpack_fd,
)
from kernel.fs.file import File
from kernel.fs.served import Channel, Pending
from kernel.thread import SLEEPING, Sleep, WaitQueue

if TYPE_CHECKING:
    from kernel.kernel import Kernel
    from kernel.proc import Process
    from kernel.thread import Thread

#: spawn's private file action: install an open file a file table answered with.
SPAWN_FILE = "file"  # (SPAWN_FILE, fd, File); users cannot pass it (syscall checks)


class Tables:
    """A process's served tables (None for a kernel one)."""

    __slots__ = ("files", "procs")

    def __init__(self, files: TableChannel | None, procs: TableChannel | None) -> None:
        self.files = files
        self.procs = procs


class TableChannel(Channel):
    """A table server's channel (``table:[ino]`` in /proc/<pid>/fd): a served path's
    channel without a node, whose requests never time out."""

    __slots__ = ("kind",)

    def __init__(self, k: Kernel, uid: int, gid: int, server_pid: int, kind: int) -> None:
        super().__init__(k.pipefs, uid, gid, server_pid, f"table:{TABLE_NAMES[kind]}")
        self.kind = kind

    def outcome(self, p: Pending) -> Sleep | None:
        if p.done:
            if p.error:
                raise Error(p.error)
            return None
        return Sleep((p.wait,), None, "table")

    def write(self, t: Thread | None, f: File, data: bytes) -> int:
        """A reply; an OPEN_PATH one naming a descriptor takes its open file now, in
        the server's context (the server may close the descriptor right after)."""
        try:
            unique, error, payload = unpack_reply(data)
        except ValueError:
            raise Error(EINVAL, "table: malformed reply record") from None
        p = self.inflight.get(unique)
        if p is None:
            raise Error(ENOENT, "table: no request waits for that unique")
        if p.req.opcode == OP_OPEN_PATH and not error:
            try:
                fd = unpack_fd(payload)
            except ValueError:
                raise Error(EINVAL, "table: malformed open_path reply") from None
            if fd is not None:
                if t is None:
                    raise Error(EBADF)
                p.key = t.proc.fds.get(fd).get()  # (EBADF: the request stays in flight)
        del self.inflight[unique]
        p.done = True
        p.error = -error
        p.payload = payload
        self.fs.kernel.wake_all(p.wait)
        return len(data)

    def read(self, t: Thread | None, f: File, count: int) -> bytes:
        head = self.queue[0] if self.queue else None
        record = super().read(t, f, count)
        if head is not None and head.req.opcode in TABLE_NO_REPLY:  # (EXIT: no answer)
            self.inflight.pop(head.req.unique, None)
        return record

    def fdinfo(self, f: File) -> str:
        return (
            f"table:\t{TABLE_NAMES[self.kind]}\npending:\t{len(self.queue)}\n"
            f"inflight:\t{len(self.inflight)}\n"
        )

    def release(self, f: File) -> None:
        for p in list(self.queue) + list(self.inflight.values()):
            if p.req.opcode in TABLE_NO_REPLY:
                self.abandon(p)
        super().release(f)


def _wait(ch: TableChannel, p: Pending) -> Generator[Any, Any, Pending]:
    """Sleep until ``p`` is answered; EIO when the server goes, EINTR on a signal."""
    try:
        while (sl := ch.outcome(p)) is not None:
            yield sl
    except BaseException:
        ch.abandon(p)
        if isinstance(p.key, File):
            p.key.put()
            p.key = None
        raise
    return p


def _submit(ch: TableChannel, proc: Process, op: int, **fields: Any) -> Pending:
    """Queue a request on behalf of ``proc`` (its credentials and pid in the header)."""
    p = ch.submit(None, op, **fields)
    p.req.uid, p.req.gid, p.req.pid = proc.cred.euid, proc.cred.egid, proc.pid
    return p


# ------------------------------------------------------------------ system calls


def sys_table_serve(k: Kernel, t: Thread, kind: int) -> int:
    if kind not in TABLE_KINDS:
        raise Error(EINVAL, f"table_serve: unknown kind {kind}")
    proc = t.proc
    ch = TableChannel(k, proc.cred.euid, proc.cred.egid, proc.pid, kind)
    f = File(ch, O_RDWR, f"table:[{ch.ino}]")
    try:
        return proc.fds.install(f, cloexec=True)
    except Error:
        f.refs = 1
        f.put()
        raise


# ------------------------------------------------------------------ open(2)


def open_through(k: Kernel, t: Thread, path: str, flags: int, mode: int) -> Generator:
    """open(2) through the caller's served file table: the new fd, or None when the
    kernel is to open the path itself (no served file table, or "do it yourself")."""
    from kernel.sysfile import absolute, walker

    ch = t.proc.tables.files
    if ch is None:
        return None
    full = absolute(walker(k, t), path)
    p = _submit(ch, t.proc, OP_OPEN_PATH, offset=mode, flags=flags, payload=path_payload(full))
    yield from _wait(ch, p)
    f = p.key
    if f is None:
        return None
    p.key = None
    try:
        return t.proc.fds.install(f, cloexec=bool(flags & O_CLOEXEC))
    finally:
        f.put()


# ------------------------------------------------------------------ spawn(2)


def spawn_through(k: Kernel, parent: Process, *args: Any) -> Process:
    """exec.spawn for a parent with served tables or handing some: a Process, or
    :class:`kernel.kernel.Blocked` (the call waits for a server; its value the pid)."""
    from kernel.kernel import Blocked
    from kernel.syscall import drive

    gen = _spawn(k, parent, *args)
    try:
        sleep = gen.send(None)
    except StopIteration as stop:
        return stop.value

    def pid_of() -> Generator:
        proc = yield from drive(gen, sleep)
        return proc.pid

    outer = pid_of()
    raise Blocked(outer, outer.send(None))


def _handed(parent: Process, fd: int | None, kind: int) -> TableChannel | None:
    if fd is None:
        return None
    if not isinstance(fd, int) or isinstance(fd, bool) or fd < 0:
        raise Error(EBADF)
    ch = parent.fds.get(fd).inode
    if not isinstance(ch, TableChannel) or ch.kind != kind:
        raise Error(EINVAL, f"spawn: fd {fd} is not a {TABLE_NAMES[kind]} table's channel")
    if ch.server_pid != parent.pid:
        raise Error(EPERM, "spawn: a process hands its children only tables it serves")
    return ch


def _spawn(
    k: Kernel,
    parent: Process,
    path: str,
    argv: list[str],
    env: Any,
    cwd: str | None,
    actions: list[tuple[Any, ...]] | None,
    attr: Any,
) -> Generator:
    from kernel.exec import spawn
    from kernel.syscall import until_answered

    own = parent.tables
    files = own.files if own is not None else None
    procs = own.procs if own is not None else None
    handed = None
    if attr is not None:
        given = _handed(parent, attr.files, TABLE_FILES)
        files = given if given is not None else files
        handed = _handed(parent, attr.procs, TABLE_PROCS)
        procs = handed if handed is not None else procs
    mine = own.procs if own is not None else None  # the table the parent spawns through
    fh = 0
    if mine is not None:
        p = _submit(mine, parent, OP_SPAWN, payload=spawn_payload(path, list(argv)))
        yield from _wait(mine, p)
        fh = int.from_bytes(p.payload[:8], "little") if len(p.payload) >= 8 else 0
    opened: list[File] = []
    try:
        if own is not None and own.files is not None and actions:
            actions = yield from _open_actions(k, parent, own.files, cwd, actions, opened)
        proc = yield from until_answered(
            spawn, k, parent, path, argv, env, cwd, actions, attr, through=True
        )
    except Error as err:
        if mine is not None:  # the granted spawn failed: the server gets its slot back
            _exit_request(mine, 0, -err.errno, fh)
        raise
    finally:
        for f in opened:
            f.put()
    proc.tables = Tables(files, procs) if files is not None or procs is not None else None
    for ch, h in ((mine, fh), (handed, 0)):
        if ch is not None:
            _watch(proc, ch, h)
    return proc


def _open_actions(
    k: Kernel,
    parent: Process,
    ch: TableChannel,
    cwd: str | None,
    actions: list[tuple[Any, ...]],
    opened: list[File],
) -> Generator:
    """The file actions with each SPAWN_OPEN the file table answers with a descriptor
    made a SPAWN_FILE of that open file."""
    from kernel.abi import SPAWN_CHDIR, SPAWN_OPEN
    from kernel.fs.vfs import PathWalk
    from kernel.sysfile import absolute

    walk = PathWalk(k.root_ns, parent.cred, parent.cwd, parent)
    base = absolute(walk, cwd or ".")
    out = []
    for action in actions:
        if action[0] == SPAWN_CHDIR:
            base = _join(base, action[1])
        elif action[0] == SPAWN_OPEN:
            _, fd, apath, flags, mode = action
            payload = path_payload(_join(base, apath))
            p = _submit(ch, parent, OP_OPEN_PATH, offset=mode, flags=flags, payload=payload)
            yield from _wait(ch, p)
            if isinstance(p.key, File):
                opened.append(p.key)
                action = (SPAWN_FILE, fd, p.key)
                p.key = None
        out.append(action)
    return out


def _join(base: str, path: str) -> str:
    parts: list[str] = []
    for part in (path if path.startswith("/") else base + "/" + path).split("/"):
        if part == "..":
            if parts:
                parts.pop()
        elif part not in ("", "."):
            parts.append(part)
    return "/" + "/".join(parts)


# ------------------------------------------------------------------ EXIT


def _exit_request(ch: TableChannel, pid: int, status: int, fh: int) -> None:
    if ch.alive:
        p = ch.submit(None, OP_EXIT, offset=status, fh=fh)
        p.req.pid = pid


class _ExitWatch:
    """Sits in a thread's ``joiners`` queue (as an ``IoWaiter`` sits in queues): when
    the thread dies, EXIT goes to the table once the process has ended and its status
    is known (a timer at the same virtual instant, after exit_process is done)."""

    __slots__ = ("proc", "channel", "fh", "sleep_seq", "state")

    def __init__(self, proc: Process, channel: TableChannel, fh: int) -> None:
        self.proc = proc
        self.channel = channel
        self.fh = fh
        self.sleep_seq = 0
        self.state = SLEEPING

    def arm(self) -> None:
        for t in self.proc.threads:
            if t.joiners is None:
                t.joiners = WaitQueue("thread_join")
            t.joiners.add(self)  # type: ignore[arg-type] - it quacks as a sleeper
            return

    def on_wake(self, k: Kernel) -> None:
        self.sleep_seq += 1
        k.add_timer(k.now(), self.fire)

    def fire(self, deadline: int) -> None:
        from kernel.proc import ALIVE

        proc = self.proc
        if proc.state == ALIVE:  # only its main thread ended: watch another
            self.arm()
            return
        _exit_request(self.channel, proc.pid, proc.exit_status, self.fh)


def _watch(proc: Process, ch: TableChannel, fh: int) -> None:
    _ExitWatch(proc, ch, fh).arm()


def status_rows(proc: Process) -> list[tuple[str, object]]:
    """libk's ``FileTable:`` and ``ProcTable:`` rows of /proc/<pid>/status, for a
    process with a served table ("kernel" or "served by PID"); none otherwise."""
    tables = proc.tables
    if tables is None:
        return []
    rows: list[tuple[str, object]] = []
    for name, ch in (("FileTable", tables.files), ("ProcTable", tables.procs)):
        if ch is None:
            rows.append((name, "kernel"))
        else:
            rows.append((name, f"served by {ch.server_pid}{'' if ch.alive else ' (gone)'}"))
    return rows


__all__ = [
    "SPAWN_FILE",
    "Tables",
    "TableChannel",
    "sys_table_serve",
    "open_through",
    "spawn_through",
    "status_rows",
    "TABLE_OP_NAMES",
]
