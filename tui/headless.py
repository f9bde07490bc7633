"""The headless front end: boot, feed the console, print what it prints, exit with its status.

The clock runs in ``fast`` mode (idle time skipped) unless ``realtime`` is asked for,
so ``sleep 60`` in a script costs no wall time and every run prints the same. Input for
the machine's programs comes from the host's standard input; when that runs out, the
console hangs up (readers get end-of-file). A kernel panic prints the report; the exit
status is then 70.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable

from kernel.abi import ECHO, O_RDWR, TCGETS, TCSETS
from kernel.host import HostClient
from kernel.kernel import HALTED, IDLE, UNTIL, Kernel

EXIT_PANIC = 70
SLICE_REQUESTS = 20_000


def quiet_console(k: Kernel) -> None:
    """Turn the console's echo off: input is piped in and should not be printed twice."""
    host = HostClient(k)
    fd = host.open("/dev/console", O_RDWR)
    try:
        attrs = host.ioctl(fd, TCGETS)
        attrs.lflag &= ~ECHO
        host.ioctl(fd, TCSETS, attrs)
    finally:
        host.close(fd)


def clean(data: bytes) -> bytes:
    """Terminal output to plain text lines (the TTY's CR LF becomes LF)."""
    return data.replace(b"\r\n", b"\n")


def run_machine(
    k: Kernel,
    *,
    realtime: bool = False,
    speed: float = 1.0,
    read_input: Callable[[], bytes | None] | None = None,
    write_output: Callable[[bytes], None] | None = None,
) -> int:
    """Run ``k`` until it halts; return the exit status for the host process.

    Args:
        k: a booted kernel.
        realtime: pace virtual time to host time × speed.
        speed: the realtime factor.
        read_input: called when the machine has nothing else to do; returns bytes to
            type at the console, or None at end of input (the console then hangs up).
        write_output: receives console output as it appears.
    """
    out = write_output or _stdout
    console = k.console
    start_host = time.monotonic()
    start_virtual = k.now_ns
    if read_input is None:
        console.hangup()
    while True:
        until = None
        if realtime:
            until = start_virtual + int((time.monotonic() - start_host) * speed * 1e9)
        state = k.run(until=until, budget=SLICE_REQUESTS)
        data = console.drain()
        if data:
            out(clean(data))
        if state == HALTED:
            break
        if state == UNTIL:
            nxt = k.next_event()
            gap = (nxt - k.now_ns) / 1e9 / speed if nxt is not None else 0.01
            time.sleep(min(max(gap, 0.0), 0.01))
            continue
        if state != IDLE:
            continue
        if read_input is not None:
            chunk = read_input()
            if chunk is None:
                read_input = None
                console.hangup()
            else:
                console.feed(chunk)
            continue
        sys.stderr.write(
            "libk-tui: the machine is idle, waiting for something that cannot "
            "come (a deadlock?); stopping it\n"
        )
        k.power_off(1)
        break
    data = console.drain()
    if data:
        out(clean(data))
    if k.panic_report is not None:
        sys.stderr.write(k.panic_report + "\n")
        sys.stderr.flush()
        return EXIT_PANIC
    return k.power_status


def _stdout(data: bytes) -> None:
    sys.stdout.buffer.write(data)
    sys.stdout.buffer.flush()


def stdin_reader() -> Callable[[], bytes | None]:
    """Reads the host's standard input a chunk at a time (None at end of file)."""

    def read() -> bytes | None:
        try:
            data = os.read(sys.stdin.fileno(), 65536)
        except OSError:
            return None
        return data or None

    return read


def run_command(
    command: str, info: object | None = None, *, stdin: bytes | None = None
) -> tuple[str, int]:
    """Boot a machine, run ``command`` in its shell headless, return (output, status).

    The in-process form of ``libk-tui --headless -c``: what scripts and tests use.

    Args:
        command: shell source for ``sh -c``.
        info: a BootInfo (default: the default image).
        stdin: bytes typed at the console, then end of input.
    """
    from kernel import boot

    base = info if info is not None else boot.load(None)
    k = boot.boot(boot.with_init(base, ["/bin/sh", "-c", command]))  # type: ignore[arg-type]
    quiet_console(k)
    chunks: list[bytes] = []
    pending = [stdin] if stdin else []

    def read_input() -> bytes | None:
        return pending.pop() if pending else None

    status = run_machine(k, read_input=read_input if stdin else None, write_output=chunks.append)
    return b"".join(chunks).decode(errors="replace"), status
