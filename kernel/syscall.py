"""The system-call table: the ABI's specs bound to their handlers.

``kernel.abi.SYSCALLS`` says what each call is (number, name, arguments, whether it
blocks); the ``sys*`` modules hold the handlers, named ``sys_<name>``. This module binds
the two once, at boot, into ``kernel.table`` (indexed by number) with argument
validation in front of each handler, so bad arguments become errno values and never
tracebacks. The same entries serve userland (through the run loop), the host client,
strace-style tracing (``kernel.trace_hook``) and the manual pages.
"""

from __future__ import annotations

from collections.abc import Callable, Generator
from typing import TYPE_CHECKING, Any

from kernel.abi import (
    EBADF,
    EFAULT,
    EINVAL,
    EIO,
    ENAMETOOLONG,
    NSIG,
    SIGKILL,
    SIGSTOP,
    SYSCALLS,
    Arg,
    Error,
    SpawnAttr,
    SyscallSpec,
)
from kernel.fs.vfs import Restart
from kernel.kernel import Blocked

if TYPE_CHECKING:
    from kernel.kernel import Kernel


INT_MIN = -(1 << 63)
INT_MAX = (1 << 63) - 1
UINT_MAX = (1 << 64) - 1
FD_MAX = (1 << 31) - 1
PATH_MAX = 4096
NAME_MAX = 255


def _is_int(v: Any) -> bool:
    return type(v) is int or (isinstance(v, int) and not isinstance(v, bool))


def _check_int(v: Any) -> int:
    if type(v) is not int:
        if not _is_int(v):
            raise Error(EINVAL)
        v = int(v)
    if not INT_MIN <= v <= INT_MAX:
        raise Error(EINVAL)
    return v


def _check_uint(v: Any) -> int:
    if type(v) is not int:
        if not _is_int(v):
            raise Error(EINVAL)
        v = int(v)
    if not 0 <= v <= UINT_MAX:
        raise Error(EINVAL)
    return v


def _check_fd(v: Any) -> int:
    if type(v) is not int:
        if not _is_int(v):
            raise Error(EBADF)
        v = int(v)
    if not 0 <= v <= FD_MAX:
        raise Error(EBADF)
    return v


def _check_str(v: Any) -> str:
    if type(v) is not str:
        if not isinstance(v, str):
            raise Error(EFAULT)
        v = str(v)
    if "\0" in v:
        raise Error(EINVAL)
    return v


def _check_path(v: Any) -> str:
    """A path name: EFAULT if not a str, ENAMETOOLONG past PATH_MAX (with its NUL) or
    for a component past NAME_MAX, as Linux's getname and path walk say."""
    v = _check_str(v)
    if len(v) >= PATH_MAX:
        raise Error(ENAMETOOLONG)
    if len(v) > NAME_MAX and any(len(part) > NAME_MAX for part in v.split("/")):
        raise Error(ENAMETOOLONG)
    return v


def _check_bytes(v: Any) -> Any:
    if type(v) is bytes:
        return v
    if isinstance(v, bytearray | memoryview):
        return bytes(v)
    raise Error(EFAULT)


def _check_strs(v: Any) -> list[str]:
    if not isinstance(v, list | tuple) or not all(type(x) is str for x in v):
        raise Error(EFAULT)
    if any("\0" in x for x in v):
        raise Error(EINVAL)
    return list(v)


def _check_env(v: Any) -> Any:
    if v is None:
        return None
    if not isinstance(v, dict) or not all(
        type(a) is str and type(b) is str and "=" not in a for a, b in v.items()
    ):
        raise Error(EFAULT)
    return dict(v)


_ACTION_SHAPES: dict[str, tuple[type, ...]] = {
    "open": (int, str, int, int),
    "dup2": (int, int),
    "close": (int,),
    "chdir": (str,),
}


def _check_actions(v: Any) -> Any:
    if v is None:
        return None
    if not isinstance(v, list | tuple):
        raise Error(EINVAL, "spawn: file actions must be a list of tuples")
    for action in v:
        shape = _ACTION_SHAPES.get(action[0]) if isinstance(action, tuple) and action else None
        if (
            shape is None
            or len(action) != len(shape) + 1
            or not all(
                _is_int(x) if t is int else type(x) is t
                for x, t in zip(action[1:], shape, strict=True)
            )
        ):
            raise Error(EINVAL, f"spawn: malformed file action {action!r}")
        kind = action[0]
        fds = (action[1], action[2]) if kind == "dup2" else (action[1],) if kind != "chdir" else ()
        if any(fd < 0 for fd in fds):
            raise Error(EBADF)
        path = action[2] if kind == "open" else action[1] if kind == "chdir" else ""
        if "\0" in path:
            raise Error(EINVAL)
    return list(v)


def _check_attr(v: Any) -> Any:
    if v is None:
        return None
    if not isinstance(v, SpawnAttr):
        raise Error(EINVAL)
    ok = (
        (v.pgroup is None or (_is_int(v.pgroup) and v.pgroup >= 0))
        and all(_is_int(x) and 0 < x < NSIG for x in v.sigdefault)
        and all(_is_int(x) and 0 < x < NSIG and x not in (SIGKILL, SIGSTOP) for x in v.sigignore)
        and all(x is None or (_is_int(x) and x >= 0) for x in (v.uid, v.gid))
        and (v.groups is None or all(_is_int(x) and x >= 0 for x in v.groups))
        and isinstance(v.setsid, bool)
        and isinstance(v.foreground, bool)
        and v.trace in (0, 1, 2)
    )
    if not ok:
        raise Error(EINVAL, "spawn: malformed attributes")
    return v


def _check_obj(v: Any) -> Any:
    return v


def _optional(check: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """The check of an optional argument: None passes, anything else is checked."""

    def optional(v: Any) -> Any:
        return None if v is None else check(v)

    return optional


CHECKS: dict[str, Callable[[Any], Any]] = {
    "int": _check_int,
    "uint": _check_uint,
    "fd": _check_fd,
    "str": _check_str,
    "path": _check_path,
    "bytes": _check_bytes,
    "strs": _check_strs,
    "env": _check_env,
    "actions": _check_actions,
    "attr": _check_attr,
    "obj": _check_obj,
}


def make_entry(k: Kernel, spec: SyscallSpec, handler: Callable[..., Any]) -> Callable[..., Any]:
    """Wrap a handler: fill defaults, validate arguments, and for a blocking call run
    its kernel half to its first sleep (raising Blocked) or to its result."""
    args: tuple[Arg, ...] = spec.args
    nmax = len(args)
    nreq = sum(1 for a in args if a.default is ...)
    defaults = tuple(a.default for a in args[nreq:])
    checks = tuple(_optional(CHECKS[a.kind]) if a.optional else CHECKS[a.kind] for a in args)
    name = spec.name

    def bad_count(n: int) -> Error:
        want = str(nmax) if nreq == nmax else f"{nreq} to {nmax}"
        return Error(EINVAL, f"{name}: takes {want} arguments, got {n}")

    if nmax == 0 and not spec.blocks:

        def entry(t: Any, a: tuple[Any, ...]) -> Any:
            if a:
                raise bad_count(len(a))
            return handler(k, t)

    elif not spec.blocks:

        def entry(t: Any, a: tuple[Any, ...]) -> Any:
            n = len(a)
            if n != nmax:
                if n < nreq or n > nmax:
                    raise bad_count(n)
                a = a + defaults[n - nreq :]
            try:
                return handler(k, t, *[c(v) for c, v in zip(checks, a, strict=True)])
            except Restart as r:  # (a try costs nothing until something raises)
                raise restart(entry, t, a, r) from None

    else:

        def entry(t: Any, a: tuple[Any, ...]) -> Any:
            n = len(a)
            if n != nmax:
                if n < nreq or n > nmax:
                    raise bad_count(n)
                a = a + defaults[n - nreq :]
            gen = handler(k, t, *[c(v) for c, v in zip(checks, a, strict=True)])
            try:
                sleep = gen.send(None)
            except StopIteration as stop:
                return stop.value
            except Restart as r:
                raise restart(entry, t, a, r) from None
            raise Blocked(gen, sleep)

    entry.name = name  # type: ignore[attr-defined]
    entry.spec = spec  # type: ignore[attr-defined]
    return entry


class Restarting(Blocked):
    """A call that waits to start over (:func:`restart`); ``restart`` is why."""

    __slots__ = ("restart",)

    def __init__(self, gen: Any, sleep: Any, restart: Restart) -> None:
        super().__init__(gen, sleep)
        self.restart = restart


def restart(entry: Callable[..., Any], t: Any, a: tuple[Any, ...], r: Restart) -> Blocked:
    """The call ``entry(t, a)`` raised :class:`~kernel.fs.vfs.Restart` ``r`` before
    changing anything: a kernel half that sleeps on ``r.sleep`` and then makes the call
    again (and again, while it restarts), going on with the call's own kernel half if it
    blocks. A signal in the sleep ends the call with EINTR; a deadline in the sleep (a
    server's timeout) lets the next attempt see the EIO; a source that died meanwhile
    ends it with EIO."""
    gen = _restarted(entry, t, a, r)
    return Restarting(gen, gen.send(None), r)


def _restarted(entry: Callable[..., Any], t: Any, a: tuple[Any, ...], r: Restart) -> Generator:
    answers = []  # (the questions this call waited for: spent when it ends)
    try:
        while True:
            answers.append(r.answer)
            yield r.sleep
            if r.source is not None and not r.source.alive:
                raise Error(EIO)
            try:
                return entry(t, a)
            except Restarting as again:  # it must wait again: the same loop, not a new one
                again.gen.close()  # (closed, it spends nothing: its question is ours now)
                r = again.restart
            except Blocked as blk:  # it blocks for its own reasons: go on with its half
                return (yield from drive(blk.gen, blk.sleep))
    except GeneratorExit:  # closed unfinished: its answers age out at their deadlines
        answers.clear()
        raise
    finally:
        _spend(answers)


def _spend(answers: list[Any]) -> None:
    for answer in answers:
        if answer is not None:
            answer.spent = True


def until_answered(fn: Callable[..., Any], *args: Any, **kw: Any) -> Generator:
    """``fn(*args, **kw)`` inside a kernel half that may already have slept (so the entry
    cannot start the call over): a :class:`~kernel.fs.vfs.Restart` it raises (a walk
    into a served tree) sleeps here and calls ``fn`` again. ``fn`` must not have
    changed anything when it raises Restart, as for the entries' restarts; a source
    that died meanwhile is EIO."""
    answers = []
    try:
        while True:
            try:
                return fn(*args, **kw)
            except Restart as r:
                answers.append(r.answer)
                yield r.sleep
                if r.source is not None and not r.source.alive:
                    raise Error(EIO) from None
    except GeneratorExit:
        answers.clear()
        raise
    finally:
        _spend(answers)


def drive(gen: Generator, sleep: Any) -> Generator:
    """Continue a started kernel half whose next sleep is ``sleep``."""
    while True:
        try:
            value = yield sleep
        except GeneratorExit:
            gen.close()
            raise
        except BaseException as exc:  # noqa: BLE001 - EINTR and friends go to the call
            try:
                sleep = gen.throw(exc)
            except StopIteration as stop:
                return stop.value
            continue
        try:
            sleep = gen.send(value)
        except StopIteration as stop:
            return stop.value


def handlers() -> dict[str, Callable[..., Any]]:
    """Every ``sys_<name>`` handler of the handler modules, by system-call name."""
    import kernel.sysns as sysns
    import kernel.systable as systable
    from kernel import (
        sysfile,
        sysinfo,
        sysio,
        sysmem,
        sysmodule,
        sysmount,
        sysnamei,
        sysnet,
        syspoll,
        sysproc,
        sysserve,
    )
    from kernel.mm import futex

    found: dict[str, Callable[..., Any]] = {}
    modules = (sysfile, sysnamei, sysproc, sysinfo, sysmount, sysmem, futex, sysio, syspoll, sysnet)
    modules += (sysns,)
    modules += (systable,)
    modules += (sysmodule,)
    modules += (sysserve,)
    for module in modules:
        for attr, value in vars(module).items():
            if attr.startswith("sys_") and callable(value):
                found[attr[4:]] = value
    return found


def init(k: Kernel) -> None:
    """Build ``k.table`` from the ABI's specs; every spec must have a handler."""
    found = handlers()
    missing = [s.name for s in SYSCALLS if s.name not in found]
    if missing:
        raise RuntimeError(f"system calls without a handler: {', '.join(missing)}")
    size = max(s.nr for s in SYSCALLS) + 1
    table: list[Any] = [None] * size
    for spec in SYSCALLS:
        table[spec.nr] = make_entry(k, spec, found[spec.name])
    k.table = table
    k.syscount = [0] * size
    k.log(f"syscall: {len(SYSCALLS)} system calls")
