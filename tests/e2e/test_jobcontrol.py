"""Job control and the interactive shell, typed at the console TTY.

The machine runs ``sh -i`` on the console (echo on). Input is typed with
``k.console.feed``; between keystrokes the machine runs for 50 ms of virtual time, so
a ``sleep 10`` is still running when ^Z or ^C arrives.
"""

from __future__ import annotations

import dataclasses

from kernel import boot
from kernel.image import FileSpec
from kernel.kernel import HALTED, IDLE, UNTIL, Kernel
from tui.headless import clean

STEP_NS = 50_000_000


class Console:
    """A machine with an interactive shell on its console."""

    def __init__(self, files: tuple = ()) -> None:
        info = boot.load(None)
        if files:
            info = dataclasses.replace(info, files=info.files + files)
        self.k: Kernel = boot.boot(boot.with_init(info, ["/bin/sh", "-i"]))
        self.screen = self.run()

    def run(self) -> str:
        out = b""
        until = self.k.now_ns + STEP_NS
        while True:
            state = self.k.run(until=until, budget=20_000)
            out += self.k.console.drain()
            if state in (IDLE, HALTED, UNTIL):
                break
        return clean(out).decode(errors="replace")

    def type(self, keys: bytes) -> str:
        """Type ``keys``; return what the console showed until the machine settled."""
        self.k.console.feed(keys)
        text = self.run()
        self.screen += text
        return text


def test_stop_continue_and_kill_jobs() -> None:
    c = Console()
    assert c.screen.endswith("root@libk:~# ")
    c.type(b"sleep 10\n")
    assert c.type(b"\x1a") == "^Z\n[1]+  Stopped                 sleep 10\nroot@libk:~# "
    assert c.type(b"sleep 20 &\n").startswith("sleep 20 &\n[2] ")
    assert c.type(b"jobs\n") == (
        "jobs\n[1]+  Stopped                 sleep 10\n"
        "[2]-  Running                 sleep 20 &\nroot@libk:~# "
    )
    out = c.type(b"jobs -l\n")
    assert "[1]+ 3 Stopped" in out and "[2]- 4 Running" in out
    assert c.type(b"jobs -p\n") == "jobs -p\n3\n4\nroot@libk:~# "
    assert c.type(b"fg %1\n") == "fg %1\nsleep 10\n"
    assert c.type(b"\x1a") == "^Z\n[1]+  Stopped                 sleep 10\nroot@libk:~# "
    assert c.type(b"bg\n") == "bg\n[1] sleep 10 &\nroot@libk:~# "
    assert c.type(b"kill %2\n") == (
        "kill %2\n[2]-  Terminated              sleep 20\nroot@libk:~# "
    )
    c.type(b"kill %sleep\n")
    assert c.type(b"jobs; echo $!\n") == "jobs; echo $!\n3\nroot@libk:~# "
    assert c.type(b"fg\n").startswith("fg\nsh: 11: fg: no current job")


def test_ctrl_c_interrupts_the_job_not_the_shell_and_percent_resumes() -> None:
    c = Console()
    c.type(b"sleep 30 &\n")
    assert c.type(b"%1\n") == "%1\nsleep 30\n"
    assert c.type(b"\x03") == "^C\nroot@libk:~# "
    assert c.type(b"echo $?\n") == "echo $?\n130\nroot@libk:~# "
    c.type(b"sleep 5 | cat\n")
    c.type(b"\x1a")
    assert c.type(b"%%\n") == "%%\nsleep 5 | cat\n"
    assert c.type(b"\x03") == "^C\nroot@libk:~# "


def test_done_notice_before_the_next_prompt() -> None:
    c = Console()
    c.type(b"sleep 1 &\n")
    c.k.console.feed(b"")
    for _ in range(30):  # let a virtual second pass
        c.run()
    assert c.type(b"\n") == "\n[1]+  Done                    sleep 1\nroot@libk:~# "


def test_prompts_shrc_and_syntax_errors() -> None:
    shrc = FileSpec("/root/.shrc", "file", b"alias hi='echo hello from shrc'\nPS1='$ '\n")
    c = Console(files=(shrc,))
    assert c.screen.endswith("$ ")
    assert c.type(b"hi\n") == "hi\nhello from shrc\n$ "
    assert c.type(b"if true\n") == "if true\n> "
    assert c.type(b"then echo yes\n") == "then echo yes\n> "
    assert c.type(b"fi\n") == "fi\nyes\n$ "
    assert c.type(b"fi\n") == 'fi\nsh: 5: syntax error: unexpected "fi"\n$ '
    assert c.type(b"echo $?\n") == "echo $?\n2\n$ "
    c.type(b"PS1='\\u@\\h:\\w\\$ '; cd /tmp\n")
    assert c.screen.endswith("root@libk:/tmp# ")
    c.type(b"cd\n")
    assert c.screen.endswith("root@libk:~# ")


def test_trap_int_in_an_interactive_shell() -> None:
    c = Console()
    c.type(b"trap 'echo trapped' INT\n")
    assert c.type(b"kill -INT $$\n") == "kill -INT $$\ntrapped\nroot@libk:~# "
    c.type(b"sleep 10\n")
    assert c.type(b"\x03") == "^C\nroot@libk:~# "  # the job got it, not the shell
    assert c.type(b"exit\n") == "exit\n"
