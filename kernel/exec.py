"""The program loader: executables, spawn, and pid 1.

An executable is a regular file with an x bit whose first line is either the libk
magic (``\\x7fLBK <name>``, a tiny ELF naming a program of ``kernel.programs``, the
registry of the ``libk.programs`` entry-point group) or ``#!interpreter [arg]``. The
loader resolves only registered names, so nothing inside the machine can make the host
import an arbitrary module. There is no fork (a coroutine cannot be cloned): processes
are made by spawn, which also takes the file actions and attributes posix_spawn has.
"""

from __future__ import annotations

import inspect
from typing import TYPE_CHECKING, Any

from kernel.abi import (
    CLONE_NEWNS,
    E2BIG,
    EACCES,
    EAGAIN,
    EINVAL,
    ENOEXEC,
    ENOMEM,
    ENOTDIR,
    EPERM,
    RLIM_INFINITY,
    RLIMIT_NOFILE,
    RLIMIT_NPROC,
    RLIMIT_STACK,
    S_ISUID,
    SIG_IGN,
    SPAWN_CHDIR,
    SPAWN_CLOSE,
    SPAWN_DUP2,
    SPAWN_OPEN,
    TLS,
    Error,
    SpawnAttr,
)
from kernel.fs.file import FdTable
from kernel.fs.mount import enter_copy, namespace, switch_namespace
from kernel.fs.vfs import FileInode, PathWalk, permitted
from kernel.mm.mmap import setup_program
from kernel.mm.vm import AddressSpace
from kernel.proc import ALIVE, Cred, Process, default_rlimits
from kernel.programs import (  # noqa: F401 - the registry, as the loader's callers know it
    MAGIC,
    PROGRAM_ALIASES,
    SETUID_PROGRAMS,
    ProgramMain,
    broken_reason,
    executable_image,
    find_program,
    program_names,
    register_program,
)
from kernel.thread import Thread

if TYPE_CHECKING:
    from kernel.kernel import Kernel

MAX_INTERPRETER_DEPTH = 4
ARG_MAX = 128 * 1024


class Loaded:
    """A program ready to start."""

    __slots__ = ("main", "argv", "exe", "setuid", "image")

    def __init__(
        self, main: ProgramMain, argv: list[str], exe: str, setuid: int | None, image: FileInode
    ) -> None:
        self.main = main
        self.argv = argv
        self.exe = exe
        self.setuid = setuid
        self.image = image  # the executable file, mapped as the program's text


def load(walk: PathWalk, path: str, argv: list[str], depth: int = 0) -> Loaded:
    """Resolve ``path`` to a program and the argv it starts with.

    Raises:
        Error: ENOENT, EACCES (not executable, a directory, not a regular file),
            ENOEXEC (unknown format or unregistered program), ELOOP (interpreters nest
            too deep).
    """
    inode = walk.resolve(path)
    if inode.is_dir or not isinstance(inode, FileInode):
        raise Error(EACCES)
    if not permitted(inode, walk.cred, 1):
        raise Error(EACCES)
    head = inode.cache.read(0, 256)
    first = head.split(b"\n", 1)[0]
    if head.startswith(MAGIC):
        name = first[len(MAGIC) :].decode(errors="replace").strip()
        main = find_program(name)
        if main is None:
            why = broken_reason(name)
            raise Error(
                ENOEXEC,
                f"Exec format error (program '{name}' "
                + (f"cannot be loaded: {why})" if why else "is not registered)"),
            )
        setuid = inode.uid if inode.mode & S_ISUID else None
        return Loaded(main, argv, path, setuid, inode)
    if head.startswith(b"#!"):
        if depth >= MAX_INTERPRETER_DEPTH:
            from kernel.abi import ELOOP

            raise Error(ELOOP)
        words = first[2:].decode(errors="replace").strip().split(None, 1)
        if not words:
            raise Error(ENOEXEC)
        interp = words[0]
        new_argv = [interp, *words[1:], path, *argv[1:]]
        loaded = load(walk, interp, new_argv, depth + 1)
        return loaded
    raise Error(ENOEXEC)


def spawn(
    k: Kernel,
    parent: Process | None,
    path: str,
    argv: list[str],
    env: dict[str, str] | None,
    cwd: str | None,
    actions: list[tuple[Any, ...]] | None,
    attr: SpawnAttr | None,
    *,
    cred: Cred | None = None,
    through: bool = False,
) -> Process:
    """Create a process running the program at ``path``.

    The child inherits the parent's credentials, working directory, umask, mount
    namespace, ignored signals and descriptors (but not close-on-exec ones); then
    ``cwd``, the file ``actions`` and ``attr`` apply, in that order.

    Raises:
        Error: whatever loading or a file action fails with; nothing is left behind.
    """
    from kernel.fs.pipe import FifoInode
    from kernel.sysfile import open_file

    # Served tables (kernel.systable, man 7 objects): one check while they are the kernel's.
    if (
        parent is not None
        and not through
        and (
            parent.tables is not None
            or (attr is not None and (attr.files is not None or attr.procs is not None))
        )
    ):
        from kernel.systable import spawn_through

        return spawn_through(k, parent, path, argv, env, cwd, actions, attr)
    attr = attr or SpawnAttr()
    if (
        sum(len(a) + 1 for a in argv) + sum(len(a) + len(b) + 2 for a, b in (env or {}).items())
        > ARG_MAX
    ):
        raise Error(E2BIG)
    pcred = parent.cred if parent is not None else (cred or Cred())
    child_cred = pcred.copy()
    if attr.uid is not None or attr.gid is not None or attr.groups is not None:
        if not pcred.is_root:
            raise Error(EPERM)
        if attr.uid is not None:
            child_cred.uid = child_cred.euid = attr.uid
        if attr.gid is not None:
            child_cred.gid = child_cred.egid = attr.gid
        if attr.groups is not None:
            child_cred.groups = tuple(attr.groups)
    if parent is not None:
        # A process started as another user counts against that user's limit, and the
        # caller's privilege no longer covers it (Linux: set_user and execve).
        check_task_limits(k, None if child_cred.uid != pcred.uid else pcred, child_cred.uid, parent)
    elif len(k.procs.threads) >= k.threads_max:
        raise Error(EAGAIN)
    if attr.unshare & ~CLONE_NEWNS:
        raise Error(EINVAL)
    if attr.unshare and not pcred.is_root:
        raise Error(EPERM)  # creating namespaces: root only (no user namespaces)
    ns = namespace(parent, k.root_ns)
    walk = PathWalk(ns, child_cred, parent.cwd if parent is not None else ns.root, parent)
    if cwd is not None:
        walk.cwd = _chdir(walk, cwd)
    # As posix_spawn: the file actions see every descriptor (as a forked child would),
    # then the close-on-exec ones close when the program starts.
    fds = parent.fds.copy() if parent is not None else FdTable()
    umask = parent.umask if parent is not None else 0o022
    try:
        for action in actions or ():
            kind = action[0]
            if kind == SPAWN_OPEN:
                _, fd, apath, flags, mode = action
                f = open_file(k, None, walk, apath, flags, mode, umask)
                if isinstance(f.inode, FifoInode):  # (a spawn cannot wait: O_NONBLOCK's rule)
                    try:
                        f.inode.open_now(f)
                    except Error:
                        f.refs = 1
                        f.put()
                        raise
                fds.install(f, fd=fd)
            elif kind == SPAWN_DUP2:
                _, old, new = action
                f = fds.get(old)
                if old != new:
                    fds.install(f, fd=new)
                else:
                    fds.cloexec.discard(new)
            elif kind == "file":  # an open a served file table answered (kernel.systable)
                fds.install(action[2], fd=action[1])
            elif kind == SPAWN_CLOSE:
                if action[1] in fds.files:
                    fds.close(action[1])
            elif kind == SPAWN_CHDIR:
                walk.cwd = _chdir(walk, action[1])
            else:
                raise Error(EINVAL)
        loaded = load(walk, path, list(argv))
        fds.close_on_exec()
    except BaseException:
        fds.close_all()
        raise
    if loaded.setuid is not None and not _traced_by_unprivileged(parent, attr):
        child_cred.euid = loaded.setuid
    return _create(k, parent, loaded, env, walk, fds, child_cred, umask, attr)


def _traced_by_unprivileged(parent: Process | None, attr: SpawnAttr | None) -> bool:
    """Will the child be traced by a process that is not root? Then a set-user-ID
    program runs with the caller's ids, as Linux ignores the bit under ptrace (else
    ``strace su`` would show /etc/shadow to anyone)."""
    if parent is None:
        return False
    tracer = parent if attr is not None and attr.trace else None
    if tracer is None and parent.tracer is not None and parent.trace_follow:
        tracer = parent.tracer
    return tracer is not None and tracer.cred.euid != 0


def tasks_of(k: Kernel, uid: int) -> int:
    """Processes and threads whose real user is ``uid``, zombies included until they
    are reaped (Linux's per-user count that RLIMIT_NPROC limits)."""
    return sum(1 for t in k.procs.threads.values() if t.proc.cred.uid == uid)


def check_task_limits(k: Kernel, caller: Cred | None, uid: int, limits: Process) -> None:
    """May one more task (process or thread) be made for real user ``uid``?

    Linux's checks in copy_process: the machine-wide ``threads-max`` binds everyone,
    root included; RLIMIT_NPROC (the soft limit of ``limits``) binds every user but
    root, and a caller with root privilege (``caller``, None when the caller's privilege
    does not count) is exempt as well.

    Raises:
        Error: EAGAIN when a limit is reached.
    """
    tasks = len(k.procs.threads)  # every task, zombies included (Linux's nr_threads)
    if tasks >= k.threads_max:
        raise Error(EAGAIN)
    limit = limits.rlimits[RLIMIT_NPROC][0]
    if (
        uid != 0
        and tasks >= limit  # (fewer tasks in all: no need to count the user's)
        and limit != RLIM_INFINITY
        and not (caller is not None and caller.is_root)
        and tasks_of(k, uid) >= limit
    ):
        raise Error(EAGAIN)


def _chdir(walk: PathWalk, path: str) -> Any:
    mnt, inode = walk.resolve_mount(path)
    if not inode.is_dir:
        raise Error(ENOTDIR)
    # Staying in the directory one is already in needs no search permission (a shell
    # passes its cwd explicitly; after su, that can be a directory the new user may not
    # enter, which Linux's inherited cwd allows too).
    if inode is not walk.cwd and not permitted(inode, walk.cred, 1):
        raise Error(EACCES)
    walk.cwd_mnt = mnt
    return inode


def _create(
    k: Kernel,
    parent: Process | None,
    loaded: Loaded,
    env: dict[str, str] | None,
    walk: PathWalk,
    fds: FdTable,
    cred: Cred,
    umask: int,
    attr: SpawnAttr,
) -> Process:
    exe = _absolute(walk, loaded.exe)
    env = dict(env) if env is not None else dict(parent.env if parent else {})
    rlimits = [list(r) for r in parent.rlimits] if parent is not None else default_rlimits(k)
    mm = AddressSpace(k.frames, k, stack_limit=min(rlimits[RLIMIT_STACK][0], 1 << 40))
    argv = "".join(a + "\0" for a in loaded.argv).encode(errors="surrogateescape")
    envp = "".join(f"{a}={b}\0" for a, b in env.items()).encode(errors="surrogateescape")
    try:
        setup_program(mm, loaded.image, exe, argv + envp, len(argv))
        if parent is not None and parent.state != ALIVE:  # the OOM killer chose the parent
            raise Error(ENOMEM)
    except Error:
        mm.release()
        fds.close_all()
        raise
    coro = loaded.main(list(loaded.argv))
    if not inspect.iscoroutine(coro):
        mm.release()
        fds.close_all()
        raise Error(ENOEXEC, "Exec format error (a program's main must be async)")
    procs = k.procs
    pid = procs.alloc_id()
    if parent is None:
        pgid = sid = pid
    else:
        pgid, sid = parent.pgid, parent.sid
    if attr.setsid:
        pgid = sid = pid
    elif attr.pgroup is not None:
        if attr.pgroup == 0:
            pgid = pid
        elif procs.session_has_group(sid, attr.pgroup):
            pgid = attr.pgroup
        else:
            coro.close()
            mm.release()
            fds.close_all()
            raise Error(EPERM)
    sigdisp = {s: d for s, d in (parent.sigdisp.items() if parent else ()) if d == SIG_IGN}
    for s in attr.sigdefault:
        sigdisp.pop(s, None)
    for s in attr.sigignore:
        sigdisp[s] = SIG_IGN
    comm = loaded.exe.rsplit("/", 1)[-1][:15]
    now = k.now()
    proc = Process(
        pid=pid,
        ppid=parent.pid if parent else 0,
        pgid=pgid,
        sid=sid,
        comm=comm,
        argv=list(loaded.argv),
        env=env,
        exe=exe,
        cred=cred,
        fds=fds,
        cwd=walk.cwd,
        cwd_mnt=walk.cwd_mnt,
        mm=mm,
        umask=umask,
        sigdisp=sigdisp,
        start_time=now,
        parent=parent,
        counters=[0] * len(k.table),
        ctty=None if attr.setsid or parent is None else parent.ctty,
        rlimits=rlimits,
        oom_score_adj=parent.oom_score_adj if parent is not None else 0,
    )
    mm.owner = proc
    fds.limit = rlimits[RLIMIT_NOFILE][0]
    _enter_namespace(k, parent, proc, attr)
    t = Thread(
        tid=pid,
        proc=proc,
        coro=coro,
        name=comm,
        is_main=True,
        start_time=now,
        cpu=parent.threads[0].cpu if parent and parent.threads else 0,
        tls=TLS(pid, proc.runtime),
    )
    proc.threads.append(t)
    procs.procs[pid] = proc
    procs.threads[pid] = t
    procs.created += 1
    if parent is not None:
        parent.children[pid] = proc
    # Descriptors opened by the actions before the child had a session: a session
    # leader that has the console open now acquires it, as if it had opened it itself.
    if attr.setsid:
        for f in fds.files.values():
            driver = getattr(f.inode, "driver", None)
            if driver is not None and hasattr(driver, "acquire") and proc.ctty is None:
                driver.open(t, f)
    if attr.foreground and proc.ctty is not None:
        proc.ctty.pgrp = pgid
    k.tracing.spawned(parent, proc, attr.trace)
    k.make_runnable(t)
    return proc


def _enter_namespace(k: Kernel, parent: Process | None, proc: Process, attr: SpawnAttr) -> None:
    """The child joins its parent's mount namespace and root, or a copy of the
    namespace with ``attr.unshare`` (CLONE_NEWNS)."""
    ns = namespace(parent, k.root_ns)
    ns.ids.sweep()  # frees the namespaces whose last process has gone
    proc.chroot(parent.fs_root if parent is not None else None)
    if attr.unshare & CLONE_NEWNS:
        enter_copy(proc, ns, attr.propagation)
    else:
        switch_namespace(proc, ns)


def _absolute(walk: PathWalk, path: str) -> str:
    if path.startswith("/"):
        return path
    base = walk.path_of(walk.cwd)
    return (base.rstrip("/") + "/" + path) if base != "/" else "/" + path


def exec_init(k: Kernel) -> None:
    """Discover the registered programs and install /bin from them."""
    from kernel.fs.vfs import DirInode

    names = program_names()
    root = k.root_ns.root
    bindir = root.children.get("bin")
    if not isinstance(bindir, DirInode):
        bindir = root.make_child("dir", "bin", 0o755, 0, 0)
    for name in names:
        if name not in bindir.children:
            mode = 0o4755 if name in SETUID_PROGRAMS else 0o755
            bindir.make_child("file", name, mode, 0, 0)
            node = bindir.children[name]
            node.set_contents(executable_image(name))  # type: ignore[attr-defined]
    for alias, name in PROGRAM_ALIASES.items():
        if name in names and alias not in bindir.children:
            bindir.make_child("symlink", alias, 0o777, 0, 0, target=name)
    sbin = root.children.get("sbin")
    if not isinstance(sbin, DirInode):
        sbin = root.make_child("dir", "sbin", 0o755, 0, 0)
    if "init" not in sbin.children and "init" in names:
        sbin.make_child("symlink", "init", 0o777, 0, 0, target="/bin/init")
    usr = root.children.get("usr")
    if not isinstance(usr, DirInode):
        usr = root.make_child("dir", "usr", 0o755, 0, 0)
    usrbin = usr.children.get("bin")
    if not isinstance(usrbin, DirInode):
        usrbin = usr.make_child("dir", "bin", 0o755, 0, 0)
    if "env" not in usrbin.children and "env" in names:
        usrbin.make_child("symlink", "env", 0o777, 0, 0, target="/bin/env")
    k.log(f"exec: {len(names)} programs registered in /bin")


def userinit(k: Kernel) -> Process:
    """Start pid 1: /sbin/init with the console on descriptors 0, 1 and 2."""
    from kernel.abi import O_RDWR

    init = k.info.init
    argv = ["/sbin/init", "-u", init.user, "--" + init.on_exit, "--", *init.argv]
    env = {"PATH": "/bin:/sbin:/usr/bin", "HOME": "/", "TERM": "libk"}
    actions = [(SPAWN_OPEN, 0, "/dev/console", O_RDWR, 0), (SPAWN_DUP2, 0, 1), (SPAWN_DUP2, 0, 2)]
    return spawn(k, None, "/sbin/init", argv, env, "/", actions, SpawnAttr())
