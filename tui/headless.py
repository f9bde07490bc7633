"""The headless front end: boot, feed the console, print what it prints, exit with its status.

The clock runs in ``fast`` mode (idle time skipped) unless ``realtime`` is asked for,
so ``sleep 60`` in a script costs no wall time and every run prints the same. In
``realtime`` a load this host cannot run at the cost model's speed slows the simulated
CPU, not the clock (``tui.throttle``), so ``sleep 1`` still takes a second.

Input for the machine's programs comes from the host's standard input, read whenever a
program waits on the console's keyboard (or the machine has nothing else to do). To
notice such a wait before fast mode skips idle time, the machine runs at most
``INPUT_HORIZON_NS`` of virtual time between looks while input is still to come (so a
wait for keys may count that much virtual time). When the input runs out — at once
for ``/dev/null`` or a script on standard input — the console hangs up and every read
of it gets end-of-file, as from a terminal whose user typed ^D.
A program that wants keys therefore never hangs a run without a keyboard: ``top``, say,
shows its first screen and ends on that end-of-file (procps ``top -b -n 1``'s output
without a terminal). A run whose standard output goes away (``| head -2``) powers the
machine off at once and exits 141 (128 + SIGPIPE), quietly, as a Unix filter whose
reader went away does. A kernel panic prints the report; the exit status is then 70.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable

from kernel.abi import ECHO, O_RDWR, TCGETS, TCSETS
from kernel.host import HostClient
from kernel.kernel import BUDGET, HALTED, IDLE, UNTIL, Kernel
from tui.throttle import Sample, Throttle

EXIT_PANIC = 70
EXIT_SIGPIPE = 128 + 13  # a shell's status for a command killed by SIGPIPE
SLICE_REQUESTS = 20_000
INPUT_HORIZON_NS = 50_000_000  # fast mode, input still to come: virtual time between looks


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
        read_input: called when a program waits on the console's keyboard or the
            machine has nothing else to do; returns bytes to type at the console, or
            None at end of input (the console then hangs up: readers get end-of-file).
        write_output: receives console output as it appears.
    """
    out = write_output or _stdout
    console = k.console
    start_host = time.monotonic()
    start_virtual = k.now_ns
    if read_input is None:
        console.hangup()
    skip_to: int | None = None  # fast mode with input: the idle gap the clock may skip
    throttle = Throttle() if realtime else None
    ran = 0.0  # host seconds spent running the machine
    while True:
        until = None
        if realtime:
            until = start_virtual + int((time.monotonic() - start_host) * speed * 1e9)
        elif read_input is not None:
            # Look at the keyboard every so often, and before skipping idle time: a
            # program may be waiting for keys.
            until = skip_to if skip_to is not None else k.now_ns + INPUT_HORIZON_NS
        skip_to = None
        began = time.perf_counter()
        state = k.run(until=until, budget=SLICE_REQUESTS)
        ran += time.perf_counter() - began
        if throttle is not None and state in (BUDGET, UNTIL):
            host = time.monotonic()
            behind = start_virtual + (host - start_host) * speed * 1e9 - k.now_ns
            k.throttle_ns = throttle.observe(
                Sample.of(k, host, ran),
                speed=speed,
                lag=max(0.0, behind / 1e9 / speed),
                short=state == BUDGET,
            )
        if not _emit(k, out):
            return EXIT_SIGPIPE
        if state == HALTED:
            break
        if read_input is not None and console.waiting_for_input:  # a program wants keys
            read_input = _type(k, read_input)
            continue
        if state == UNTIL and not realtime:  # no one reads the console: skip the gap
            skip_to = k.next_event()
            continue
        if state == UNTIL:
            nxt = k.next_event()
            gap = (nxt - k.now_ns) / 1e9 / speed if nxt is not None else 0.01
            time.sleep(min(max(gap, 0.0), 0.01))
            continue
        if state != IDLE:
            continue
        if read_input is not None:
            read_input = _type(k, read_input)
            continue
        sys.stderr.write(
            "libk-tui: the machine is idle, waiting for something that cannot "
            "come (a deadlock?); stopping it\n"
        )
        k.power_off(1)
        break
    if not _emit(k, out):
        return EXIT_SIGPIPE
    if k.panic_report is not None:
        sys.stderr.write(k.panic_report + "\n")
        sys.stderr.flush()
        return EXIT_PANIC
    return k.power_status


def _type(k: Kernel, read_input: Callable[[], bytes | None]) -> Callable[[], bytes | None] | None:
    """Type the next chunk of input at the console; at its end, hang the console up
    (readers get end-of-file) and return None, as there is no more to read."""
    chunk = read_input()
    if chunk is None:
        k.console.hangup()
        return None
    k.console.feed(chunk)
    return read_input


def _emit(k: Kernel, out: Callable[[bytes], None]) -> bool:
    """Hand the console's new output to ``out``; False if the reader has gone away (a
    closed pipe), in which case the machine is powered off with 141 (128 + SIGPIPE)."""
    data = k.console.drain()
    if not data:
        return True
    try:
        out(clean(data))
    except BrokenPipeError:
        if not k.halted:
            k.power_off(EXIT_SIGPIPE)
        return False
    return True


def _stdout(data: bytes) -> None:
    try:
        sys.stdout.buffer.write(data)
        sys.stdout.buffer.flush()
    except BrokenPipeError:
        # Nothing more can be written; point stdout at /dev/null so that Python's own
        # flush at exit does not complain about the same closed pipe.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
        raise


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
