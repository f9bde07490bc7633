"""The host syscall client: the system-call table, called from outside the machine.

Front ends (the TUI, the REPL, the headless runner) use this and the console device,
and nothing else of the kernel. Calls run synchronously against the same table the
machine's programs use, as a hidden root process (pid 0, not in /proc); they never
block (a call that would sleep fails with EAGAIN) and charge no virtual time, so
looking at a machine never changes what it does.
"""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING, Any

from kernel.abi import EAGAIN, EPERM, O_DIRECTORY, O_RDONLY, SYSCALL_BY_NAME, Error
from kernel.fs.file import FdTable
from kernel.kernel import Blocked
from kernel.mm.vm import AddressSpace
from kernel.proc import Cred, Process
from kernel.thread import Thread

if TYPE_CHECKING:
    from kernel.kernel import Kernel

#: Calls that only make sense for a process living inside the machine.
IN_MACHINE_ONLY = frozenset(
    {
        "exit",
        "exit_group",
        "spawn",
        "wait4",
        "thread_spawn",
        "thread_join",
        "thread_exit",
        "sched_yield",
        "nanosleep",
        "reboot",
    }
)


class HostClient:
    """Synchronous system calls from the host: ``client.call("open", "/proc/1/stat")``.

    Every system call is also an attribute: ``client.getdents(fd)``.
    """

    def __init__(self, kernel: Kernel) -> None:
        self.kernel = kernel
        root = kernel.root_ns.root
        self.proc = Process(
            pid=0,
            ppid=0,
            pgid=0,
            sid=0,
            comm="host",
            argv=["host"],
            env={},
            exe="",
            cred=Cred(),
            fds=FdTable(),
            cwd=root,
            mm=AddressSpace(kernel.frames, kernel),
            counters=[0] * len(kernel.table),
        )
        self.thread = Thread(
            tid=0, proc=self.proc, coro=None, name="host", is_main=True, observer=True
        )

    def call(self, name: str, *args: Any) -> Any:
        """Run system call ``name``.

        Raises:
            Error: the call's errno; EAGAIN where it would have blocked.
        """
        spec = SYSCALL_BY_NAME.get(name)
        if spec is None:
            raise Error(38, f"no system call named {name}")
        if name in IN_MACHINE_ONLY:
            raise Error(EPERM, f"{name}: only processes inside the machine may call it")
        entry = self.kernel.table[spec.nr]
        try:
            return entry(self.thread, args)
        except Blocked as blk:
            blk.gen.close()
            raise Error(EAGAIN) from None

    def __getattr__(self, name: str) -> Any:
        if name in SYSCALL_BY_NAME:
            return partial(self.call, name)
        raise AttributeError(name)

    # -- conveniences for front ends ------------------------------------------------
    def read_file(self, path: str, limit: int = 1 << 20) -> bytes:
        """The whole content of a file (up to ``limit`` bytes)."""
        fd = self.call("open", path, O_RDONLY)
        try:
            out = bytearray()
            while len(out) < limit:
                chunk = self.call("read", fd, min(65536, limit - len(out)))
                if not chunk:
                    break
                out += chunk
            return bytes(out)
        finally:
            self.call("close", fd)

    def listdir(self, path: str) -> list[str]:
        """Names in a directory, without ``.`` and ``..``."""
        fd = self.call("open", path, O_RDONLY | O_DIRECTORY)
        try:
            names: list[str] = []
            while True:
                batch = self.call("getdents", fd)
                if not batch:
                    return names
                names.extend(d.d_name for d in batch if d.d_name not in (".", ".."))
        finally:
            self.call("close", fd)
