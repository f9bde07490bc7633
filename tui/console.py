"""The console front end: the machine's console in the host terminal, in real time.

The host terminal is put in raw mode and every key goes to the machine's TTY, whose line
discipline does the echoing, line editing and ^C/^Z/^D. ``Ctrl-]`` leaves (the machine
is powered off), as in telnet. This is what ``libk-tui`` runs until the Textual app
arrives; it talks to the machine only through the console device.
"""

from __future__ import annotations

import os
import select
import sys
import time

from kernel.kernel import BUDGET, HALTED

ESCAPE = b"\x1d"  # Ctrl-]
SLICE_REQUESTS = 5_000


def run_console(info: object, *, speed: float | None = None) -> int:
    """Boot ``info`` and connect the host terminal to its console until it powers off."""
    from kernel import boot

    k = boot.boot(info)  # type: ignore[arg-type]
    speed = speed if speed is not None else k.info.clock.speed
    fast = k.info.clock.mode == "fast"
    stdin = sys.stdin.fileno()
    stdout = sys.stdout.buffer
    is_tty = os.isatty(stdin)
    saved = None
    if is_tty:
        import termios
        import tty

        saved = termios.tcgetattr(stdin)
        tty.setraw(stdin)
    stdout.write(
        f"libk-tui: booted {k.info.name} ({k.info.cpus} CPUs); "
        "press Ctrl-] to power off\r\n".encode()
    )
    stdout.flush()
    start_host = time.monotonic()
    start_virtual = k.now_ns
    try:
        while True:
            until = (
                None if fast else start_virtual + int((time.monotonic() - start_host) * speed * 1e9)
            )
            state = k.run(until=until, budget=SLICE_REQUESTS)
            out = k.console.drain()
            if out:
                stdout.write(out if is_tty else out.replace(b"\r\n", b"\n"))
                stdout.flush()
            if state == HALTED:
                break
            wait = 0.0 if state == BUDGET else 0.01
            ready, _, _ = select.select([stdin], [], [], wait)
            if ready:
                data = os.read(stdin, 4096)
                if not data:
                    k.console.hangup()
                    continue
                if ESCAPE in data:
                    data = data.split(ESCAPE, 1)[0]
                    if data:
                        k.console.feed(data)
                    k.power_off(0)
                    break
                k.console.feed(data if is_tty else data)
    except KeyboardInterrupt:
        pass
    finally:
        if saved is not None:
            import termios

            termios.tcsetattr(stdin, termios.TCSADRAIN, saved)
    if k.panic_report is not None:
        sys.stderr.write(k.panic_report + "\n")
        return 70
    stdout.write(b"\nlibk-tui: machine powered off\n")
    stdout.flush()
    return k.power_status
