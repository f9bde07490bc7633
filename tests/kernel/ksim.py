"""Helpers for the kernel tests: build machines, register test programs, run to the end.

A test program is an ``async def main(argv) -> int`` registered under a unique name
(the registry is process-global) and started by init as the machine's command, so it
runs as pid 2, root, session leader with the console on descriptors 0-2. Programs
report back through Python closures (test code may do that; real userland may not).
"""

from __future__ import annotations

import dataclasses
import inspect
import itertools
import re
from collections.abc import Callable
from typing import Any

from kernel.abi import Error
from kernel.boot import boot, load, with_init
from kernel.exec import register_program
from kernel.image import BootInfo, SchedulerConfig
from kernel.kernel import HALTED, IDLE, Kernel
from userland.libk import sys

BASE: BootInfo = load(None)
_seq = itertools.count(1)
#: Checks run on every machine :func:`run` took to its halt (tests/kernel/conftest.py).
AFTER_RUN: list[Callable[[Kernel], None]] = []


def image(
    *,
    cpus: int | None = None,
    quantum: int | None = None,
    seed: int | None = None,
    procfs: bool = True,
    **changes: Any,
) -> BootInfo:
    """The default machine with some fields changed."""
    info = BASE
    if cpus is not None:
        changes["cpus"] = cpus
    if seed is not None:
        changes["seed"] = seed
    if quantum is not None:
        changes["scheduler"] = SchedulerConfig(info.scheduler.policy, quantum)
    if not procfs:
        changes["procfs"] = False
        changes["mounts"] = tuple(m for m in info.mounts if m.fstype != "procfs")
    return dataclasses.replace(info, **changes) if changes else info


def register(main: Callable[[list[str]], Any], prefix: str = "t") -> str:
    """Register ``main`` under a fresh name; return its path in /bin."""
    base = re.sub(r"[^A-Za-z0-9_]", "_", getattr(main, "__name__", "prog"))[:20]
    name = f"{prefix}_{base}_{next(_seq)}"
    register_program(name, main)
    return "/bin/" + name


def machine(
    command: list[str] | Callable[[list[str]], Any],
    *args: str,
    info: BootInfo | None = None,
    on_exit: str = "poweroff",
    **image_kw: Any,
) -> Kernel:
    """Boot a machine whose init runs ``command`` (an argv, or a program to register)."""
    argv = [register(command), *args] if callable(command) else list(command)
    return boot(with_init(info if info is not None else image(**image_kw), argv, on_exit=on_exit))


@dataclasses.dataclass
class Result:
    """How a machine run ended."""

    kernel: Kernel
    status: int
    output: str

    @property
    def log(self) -> str:
        """The kernel log (dmesg)."""
        return self.kernel.log.render()


def run(k: Kernel, *, hangup: bool = True, budget: int = 50_000, max_slices: int = 2_000) -> Result:
    """Run ``k`` until it halts, draining the console; fail if it idles or never ends."""
    if hangup:
        k.console.hangup()
    out = bytearray()
    for _ in range(max_slices):
        state = k.run(budget=budget)
        out += k.console.drain()
        if state == HALTED:
            break
        if state == IDLE:
            raise AssertionError(
                "machine idle before halting (deadlock?)\n"
                + out.decode(errors="replace")
                + "\n"
                + k.log.render()
            )
    else:
        raise AssertionError("machine did not halt")
    out += k.console.drain()
    discard(k)
    for after in AFTER_RUN:
        after(k)
    text = out.decode(errors="replace").replace("\r\n", "\n")
    return Result(k, k.power_status, text)


def run_main(main: Callable[[list[str]], Any], *args: str, **kw: Any) -> Result:
    """Boot a machine running ``main`` as its command and run it to the end."""
    run_kw = {key: kw.pop(key) for key in ("hangup", "budget", "max_slices") if key in kw}
    return run(machine(main, *args, **kw), **run_kw)


def shell(script: str, **kw: Any) -> Result:
    """Run ``sh -c script`` on a fresh machine."""
    run_kw = {key: kw.pop(key) for key in ("hangup", "budget", "max_slices") if key in kw}
    return run(machine(["/bin/sh", "-c", script], **kw), **run_kw)


def run_until_idle(k: Kernel, *, budget: int = 50_000, max_slices: int = 2_000) -> str:
    """Run until the machine has nothing to do (or halts); return the last state."""
    for _ in range(max_slices):
        state = k.run(budget=budget)
        if state in (IDLE, HALTED):
            return state
    raise AssertionError("machine never went idle")


def discard(k: Kernel) -> None:
    """Close the never-started coroutines of a machine that will not run on (they would
    warn "never awaited" when collected); started ones are left to the garbage collector."""
    for t in list(k.procs.threads.values()):
        coro = t.coro
        if coro is not None and inspect.getcoroutinestate(coro) == inspect.CORO_CREATED:
            coro.close()


SECOND = 1_000_000_000


MS = 1_000_000


async def errno_of(req: Any) -> int:
    try:
        await req
    except Error as err:
        return err.errno
    return 0


def check(main: Any, **kw: Any) -> Any:
    r = run_main(main, **kw)
    assert r.status == 0, r.output + r.log
    return r


def ok(r: Any) -> None:
    assert r.status == 0, r.output + r.log


async def _listdir(path: str) -> list[str]:
    fd = await sys.open(path, 0o200000)
    names = []
    while batch := await sys.getdents(fd):
        names += [d.d_name for d in batch if d.d_name not in (".", "..")]
    await sys.close(fd)
    return names


def run_body(body: Callable[[dict[str, Any]], Any], **kw: Any) -> dict[str, Any]:
    """Run ``await body(seen)`` as a machine's program; return ``seen`` with the kernel
    log under ``"log"``. A traceback in the program fails the test with the program's
    own story (the machine would only say that the process died)."""
    import traceback

    seen: dict[str, Any] = {}

    async def main(argv: list[str]) -> int:
        try:
            await body(seen)
        except BaseException:
            seen["error"] = traceback.format_exc()
            raise
        return 0

    r = run_main(main, **kw)
    assert "error" not in seen, seen["error"]
    ok(r)
    seen["log"] = r.log
    return seen


def run_with(strategy: str, body: Callable[[Any], Any], **kw: Any) -> Any:
    """Run ``await body(mem)`` in a machine whose process installed a libk heap of
    ``strategy`` (``cfg={...}``: more HeapConfig fields); returns what body returned."""
    from userland.libk.heap import Heap, HeapConfig

    out: list[Any] = []
    cfg_kw = kw.pop("cfg", {})

    async def main(argv: list[str]) -> int:
        await Heap.install(HeapConfig(strategy=strategy, **cfg_kw))
        out.append(await body(await sys.mmu()))
        return 0

    ok(run_main(main, **kw))
    return out[0]
