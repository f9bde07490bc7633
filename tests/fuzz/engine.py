"""The system-call fuzzer's engine: hostile arguments for every call in the table, a
program on the machine that makes the calls, and the host client making them too.

Shared by the CI state machine (tests/kernel/test_fuzz.py) and the long runner
(tests/fuzz/run_fuzz.py). A run counts calls, panics (the machine halted with a panic
report) and escaped exceptions (anything but ``kernel.abi.Error`` out of a call). A
call that blocks the program for good (a read on an empty pipe, a futex wait without a
timeout) or a program that killed itself is not a failure: the machine is replaced.
"""

from __future__ import annotations

import random
import traceback
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from kernel.abi import SYSCALL_BY_NAME, SYSCALLS, Error, Req, SpawnAttr
from kernel.boot import boot, load, with_init
from kernel.exec import register_program
from kernel.host import HostClient
from kernel.kernel import HALTED, IDLE, Kernel

#: Calls that end or replace the caller: made by a child process (or, for
#: thread_exit, by a thread) so that the fuzzing program lives on.
ENDING = frozenset({"exit", "exit_group", "reboot"})

PAGE = 4096
PATHS = (
    "/",
    "/tmp",
    "/tmp/f",
    "/tmp/d",
    "/tmp/f/x",
    "/bin/true",
    "/bin/sh",
    "/proc",
    "/proc/self",
    "/proc/1/status",
    "/proc/self/maps",
    "/proc/self/fd/0",
    "/proc/sys/vm/overcommit_memory",
    "/proc/sys/kernel/hostname",
    "/sys",
    "/dev",
    "/dev/null",
    "/dev/zero",
    "/dev/console",
    "/dev/shm/s",
    "..",
    "",
    "no/such",
    "a" * 256,
    "/tmp/" + "b" * 255,
    "/" + "c/" * 2100,
    "a\0b",
)
HOSTILE = (None, -1, 1.5, True, "x", b"x", [], (), {}, object(), 1 << 64, -(1 << 64), 1 << 200)


def _int(r: random.Random) -> Any:
    c = r.random()
    if c < 0.5:
        return r.choice((0, 1, 2, 3, -1, -2, 4, 8, 0x20, 0x22, 0x80, 0x100, 0o644, 0o200000))
    if c < 0.75:
        return r.randint(-(1 << 40), 1 << 40)
    return r.choice((1 << 31, -(1 << 31), (1 << 63) - 1, -(1 << 63), 1 << 63, 1 << 64))


def _addr(r: random.Random) -> Any:
    c = r.random()
    if c < 0.4:
        return r.randrange(0, 1 << 24) * PAGE
    if c < 0.6:
        return r.randrange(0, 1 << 47)
    if c < 0.8:
        return r.choice((0, PAGE, 0x10000, 0x400000, (1 << 47) - PAGE, 1 << 47, (1 << 64) - PAGE))
    return r.choice(((1 << 64) - 1, 1 << 64, -PAGE, 0x7FFF_FFFF_F000, 0x5555_5555_4000))


def _uint(r: random.Random) -> Any:
    c = r.random()
    if c < 0.5:
        return r.choice((0, 1, 2, 3, 4, 15, 16, 64, 100, 256, PAGE, 2 * PAGE, 1 << 20))
    return _addr(r)


def _fd(r: random.Random) -> Any:
    return r.choice((0, 1, 2, 3, 4, 5, 6, 7, 8, 63, 1023, 1 << 20, 1 << 31, -1))


def _str(r: random.Random) -> Any:
    return r.choice(PATHS + ("host", "x" * 65, "proc", "tmpfs", "devfs", "mode=755", "size=x"))


def _bytes(r: random.Random) -> Any:
    return r.choice((b"", b"x", b"hello\n", b"0\n", b"\xff" * 100, bytearray(b"ab"), b"1" * 5000))


def _strs(r: random.Random) -> Any:
    return r.choice(([], ["x"], ["true", "-x"], ["a\0b"], ["x" * 1000] * 10))


def _env(r: random.Random) -> Any:
    return r.choice((None, {}, {"A": "B"}, {"PATH": "/bin"}, {"A=B": "C"}, {"A": 1}))


def _actions(r: random.Random) -> Any:
    return r.choice(
        (
            None,
            [],
            [("open", 0, "/dev/null", 0, 0)],
            [("dup2", 1, 2)],
            [("close", 99)],
            [("chdir", "/tmp")],
            [("chdir", "/nonexistent")],
            [("open", 5, "/proc/self/status", 1, 0)],
            [("bogus",)],
            [()],
            [("dup2", -1, 2)],
            [("open", 0, "a\0", 0, 0)],
        )
    )


def _attr(r: random.Random) -> Any:
    return r.choice(
        (
            None,
            SpawnAttr(),
            SpawnAttr(pgroup=0),
            SpawnAttr(setsid=True),
            SpawnAttr(uid=1000, gid=1000),
            SpawnAttr(pgroup=99999),
            SpawnAttr(sigignore=(9,)),
            SpawnAttr(trace=1),
        )
    )


def _obj(r: random.Random) -> Any:
    return r.choice((None, 0, 1, "x", "name", (0, 0), (1, 2), [1, 2], (1 << 70, 1), (-1, -1), [0]))


GENERATORS: dict[str, Callable[[random.Random], Any]] = {
    "int": _int,
    "uint": _uint,
    "fd": _fd,
    "str": _str,
    "path": lambda r: r.choice(PATHS),
    "bytes": _bytes,
    "strs": _strs,
    "env": _env,
    "actions": _actions,
    "attr": _attr,
    "obj": _obj,
}
ADDRESS_ARGS = frozenset({"addr", "old_addr", "new_addr", "addr2"})


def arguments(r: random.Random, name: str) -> tuple[Any, ...]:
    """Arguments for call ``name``: mostly of the right kinds, sometimes hostile ones,
    sometimes too few or too many."""
    spec = SYSCALL_BY_NAME[name]
    args = []
    for a in spec.args:
        if r.random() < 0.1:
            args.append(r.choice(HOSTILE))
        elif a.name in ADDRESS_ARGS:
            args.append(_addr(r))
        else:
            args.append(GENERATORS[a.kind](r))
    nreq = sum(1 for a in spec.args if a.default is ...)
    c = r.random()
    if c < 0.03:
        args.append(0)
    elif c < 0.2:
        args = args[: r.randint(nreq, len(args))]
    elif c < 0.23 and args:
        args.pop()
    return tuple(args)


def random_call(r: random.Random) -> tuple[str, tuple[Any, ...]]:
    """One call of the table with arguments; hot spots (memory, files) weigh more."""
    if r.random() < 0.3:
        name = r.choice(
            ("mmap", "munmap", "mprotect", "mremap", "madvise", "brk", "futex", "mincore")
        )
    else:
        name = r.choice(SYSCALLS).name
    return name, arguments(r, name)


@dataclass
class Stats:
    """What a run saw."""

    calls: int = 0
    panics: int = 0
    escaped: int = 0
    machines: int = 0
    reports: list[str] = field(default_factory=list)

    def line(self) -> str:
        """The summary the long runner prints."""
        return f"{self.calls} calls, {self.panics} panics, {self.escaped} escaped exceptions"


class Fuzzer:
    """A machine whose program makes the calls it is given, and a host client."""

    def __init__(self, stats: Stats | None = None) -> None:
        self.stats = stats if stats is not None else Stats()
        self.queue: deque[tuple[str, tuple[Any, ...]]] = deque()
        self.waiting = False
        self.k: Kernel | None = None
        name = f"fuzz_{id(self):x}"
        register_program(name, self._main)
        register_program(name + "_child", self._child)
        self.path = "/bin/" + name
        self.child_calls: dict[str, tuple[str, tuple[Any, ...]]] = {}
        self.boot()

    # -- the programs on the machine ------------------------------------------------
    async def _call(self, name: str, args: tuple[Any, ...]) -> None:
        try:
            await Req(SYSCALL_BY_NAME[name].nr, args)
        except Error:
            pass
        except Exception:  # noqa: BLE001 - what the fuzzer looks for
            self.stats.escaped += 1
            self.stats.reports.append(f"{name}{args!r}:\n{traceback.format_exc()}")

    async def _main(self, argv: list[str]) -> int:
        n = 0
        while True:
            while self.queue:
                name, args = self.queue.popleft()
                if name in ENDING:
                    n += 1
                    token = str(n)
                    self.child_calls[token] = (name, args)
                    attr = SpawnAttr(uid=1000, gid=1000) if name == "reboot" else None
                    await self._call(
                        "spawn", (self.path + "_child", ["c", token], None, None, None, attr)
                    )
                elif name == "thread_exit":
                    await self._call("thread_spawn", (self._thread_exit, args))
                else:
                    await self._call(name, args)
            try:  # reap what the children left
                while (await Req(SYSCALL_BY_NAME["wait4"].nr, (-1, 1)))[0] > 0:
                    pass
            except Error:
                pass
            self.waiting = True
            try:
                await Req(SYSCALL_BY_NAME["nanosleep"].nr, (1_000_000_000,))
            except Error:
                pass

    async def _thread_exit(self, args: Any) -> None:
        await self._call("thread_exit", args)

    async def _child(self, argv: list[str]) -> int:
        name, args = self.child_calls.pop(argv[1], ("getpid", ()))
        await self._call(name, args)
        return 0

    # -- driving -------------------------------------------------------------------
    def boot(self) -> None:
        """Start a fresh machine (the previous one panicked, halted or got stuck)."""
        if self.k is not None:
            self.k.console.hangup()
        self.queue.clear()
        self.waiting = False
        self.k = boot(with_init(load(None), [self.path], on_exit="poweroff"))
        self.k.console.hangup()
        self.host = HostClient(self.k)
        self.stats.machines += 1

    def _check_halt(self) -> None:
        k = self.k
        assert k is not None
        if k.panic_report is not None:
            self.stats.panics += 1
            self.stats.reports.append(k.panic_report + "\n" + k.log.render()[-3000:])
        self.boot()

    def machine_calls(self, calls: list[tuple[str, tuple[Any, ...]]]) -> None:
        """Have the program on the machine make ``calls``; replace a stuck machine."""
        k = self.k
        assert k is not None
        self.queue.extend(calls)
        self.stats.calls += len(calls)
        self.waiting = False
        for _ in range(40):
            # (``until``: the program's own 1 s sleep between batches would otherwise
            # use the whole budget, time skipping from one wake-up to the next)
            state = k.run(until=k.now_ns + 60_000_000_000, budget=5_000)
            k.console.drain()
            if state == HALTED:
                self._check_halt()
                return
            if self.waiting and not self.queue:
                return
            if state == IDLE:
                break
        self.boot()  # blocked for good, or stopped: not a failure

    def host_call(self, name: str, args: tuple[Any, ...]) -> None:
        """Make one call from the host client."""
        self.stats.calls += 1
        try:
            self.host.call(name, *args)
        except Error:
            pass
        except Exception:  # noqa: BLE001 - what the fuzzer looks for
            self.stats.escaped += 1
            self.stats.reports.append(f"host {name}{args!r}:\n{traceback.format_exc()}")
        k = self.k
        assert k is not None
        if k.panic_report is not None or k.halted:
            self._check_halt()
