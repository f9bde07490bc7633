"""``jobs`` after ``kill -STOP`` of a background job (issue 15's last item).

The stop need not come from the terminal (^Z): whoever sends SIGSTOP, the shell learns
of it from wait4(WUNTRACED) and ``jobs`` says ``Stopped`` the way bash does
(``[1]+  Stopped                 sleep 100``, no ``&``); after ``kill -CONT`` it says
``Running`` again (bash; dash keeps saying Stopped).
"""

from __future__ import annotations

import dataclasses

from kernel import boot
from kernel.kernel import HALTED, IDLE, UNTIL, Kernel
from tui.headless import clean, run_command

STEP_NS = 50_000_000
STOPPED = "[1]+  Stopped                 sleep 100\n"
RUNNING = "[1]+  Running                 sleep 100 &\n"


class Console:
    """A machine with ``sh -i`` on its console; ``type`` feeds keys and runs 50 ms."""

    def __init__(self) -> None:
        info = dataclasses.replace(boot.load(None))
        self.k: Kernel = boot.boot(boot.with_init(info, ["/bin/sh", "-i"]))
        self.run()

    def run(self) -> str:
        out = b""
        until = self.k.now_ns + STEP_NS
        while True:
            state = self.k.run(until=until, budget=20_000)
            out += self.k.console.drain()
            if state in (IDLE, HALTED, UNTIL):
                break
        return clean(out).decode(errors="replace")

    def type(self, line: str) -> str:
        """Type ``line`` and Enter; what the shell printed after the echoed line."""
        self.k.console.feed(line.encode() + b"\n")
        text = self.run()
        assert text.startswith(line + "\n"), text
        return text[len(line) + 1 :].removesuffix("root@libk:~# ")


def test_kill_stop_of_a_background_job_shows_stopped_in_jobs() -> None:
    c = Console()
    assert c.type("sleep 100 &") == "[1] 3\n"
    assert c.type("kill -STOP %1") == ""
    assert c.type("jobs") == STOPPED
    assert c.type("jobs -l") == "[1]+ 3 Stopped                 sleep 100\n"
    assert c.type("kill -CONT %1") == ""
    assert c.type("jobs") == RUNNING
    # by pid, and with the program /bin/kill rather than the builtin
    assert c.type("/bin/kill -STOP $!") == ""
    assert c.type("jobs") == STOPPED
    assert c.type("kill -9 %1") == "[1]+  Killed                  sleep 100\n"
    assert c.type("jobs") == ""


def test_a_stopped_job_is_the_current_one() -> None:
    c = Console()
    c.type("sleep 100 &")
    c.type("sleep 50 &")
    c.type("kill -STOP %1")
    assert c.type("jobs") == STOPPED + "[2]-  Running                 sleep 50 &\n"


def test_sh_c_notices_the_stop_too() -> None:
    out = run_command("sleep 100 & kill -STOP $!; sleep 1; jobs; kill -9 %1")[0]
    assert out == STOPPED
