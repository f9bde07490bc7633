"""``libk-tui --plain``: the machine's console in the host terminal, with prompt-toolkit.

The machine runs in a background asyncio task (budgeted slices, paced like the app);
its output is printed as it comes, above the prompt. When the console's TTY is
reading a line in canonical mode, prompt-toolkit edits it with history (the foreground
user's ``~/.libk_history`` on the machine) and completion (commands from PATH, paths),
both read through system calls; Enter sends the line. ``^C`` goes to the machine's
foreground job; ``^D`` at an empty prompt is the TTY's end-of-file: the shell (or
whatever reads) gets it. The session is the host terminal's: when init's command (the
login shell) exits, the machine powers off and ``libk-tui`` exits with its status.

While a program has the console's canonical mode off (``stty -icanon``, ``top``, a
pager) or no line is being read (a job runs), the host terminal is in raw mode and
every key goes straight to the console TTY, one by one; the host terminal's modes
are restored when the program turns canonical mode back on, and on the way out
whatever happens. The console TTY's window size follows the host terminal (looked at
every 0.1 s; a change is a TIOCSWINSZ, so the machine's foreground job gets SIGWINCH).

With standard input not a terminal (a pipe, a file, ``/dev/null``) there is nothing to
edit: its bytes are typed at the console as programs read it, and its end is the
console's end-of-file (a hang-up), so the shell exits with its status — the same as
``^D`` at the prompt.
"""

from __future__ import annotations

import asyncio
import dataclasses
import os
import sys
import time
from collections.abc import Callable, Iterable
from typing import Any

from prompt_toolkit import PromptSession
from prompt_toolkit.completion import CompleteEvent, Completer, Completion
from prompt_toolkit.document import Document
from prompt_toolkit.formatted_text import ANSI
from prompt_toolkit.history import History as PtHistory
from prompt_toolkit.input import DummyInput
from prompt_toolkit.key_binding import KeyBindings
from prompt_toolkit.output import DummyOutput
from prompt_toolkit.patch_stdout import patch_stdout

from kernel import boot
from kernel.abi import ICANON, O_NOCTTY, O_RDWR, TCGETS, TIOCSWINSZ, Error, Winsize
from kernel.image import BootInfo
from kernel.kernel import IDLE, UNTIL
from tui import completion
from tui.machine import Machine

TICK = 0.005
SIZE_EVERY = 20  # ticks between looks at the host terminal's size (0.1 s)
EXIT_SIGPIPE = 128 + 13  # a shell's status for a command killed by SIGPIPE


class MachineCompleter(Completer):
    """prompt-toolkit completion from the machine's directories, through system calls."""

    def __init__(self, machine: Machine) -> None:
        self.machine = machine

    def get_completions(
        self, document: Document, complete_event: CompleteEvent
    ) -> Iterable[Completion]:
        """Candidates for the word before the cursor."""
        host = self.machine.host
        try:
            fg = completion.foreground(host)
            start, options = completion.complete(host, fg, document.text, document.cursor_position)
        except Error:
            return
        back = document.cursor_position - start
        for option in options:
            shown = option.rstrip(" ")
            yield Completion(
                option if option.endswith("/") else shown + " ",
                start_position=-back,
                display=shown.rstrip("/").rsplit("/", 1)[-1] + ("/" if shown.endswith("/") else ""),
            )


class MachineHistory(PtHistory):
    """prompt-toolkit history kept in the foreground user's home on the machine."""

    def __init__(self, machine: Machine) -> None:
        super().__init__()
        self.machine = machine
        self.store = completion.History()

    def load_history_strings(self) -> Iterable[str]:
        """Newest first, as prompt-toolkit wants them."""
        host = self.machine.host
        try:
            self.store.load(host, completion.foreground(host))
        except Error:
            return []
        return list(reversed(self.store.lines))

    def store_string(self, string: str) -> None:
        """Append a line to the history file."""
        host = self.machine.host
        try:
            self.store.load(host, completion.foreground(host))
            self.store.add(host, string)
        except Error:
            pass


class PlainRepl:
    """The REPL: one machine, one prompt session."""

    def __init__(
        self,
        info: BootInfo | str | None = None,
        *,
        speed: float | None = None,
        input: Any = None,  # noqa: A002 - prompt-toolkit's name
        output: Any = None,
        write: Callable[[str], None] | None = None,
    ) -> None:
        self.machine = Machine(session_image(info), speed=speed)
        self.machine.on_output.append(self._output)
        self._partial = ""  # the last output line, not ended yet: the prompt
        self.session: PromptSession[str] = PromptSession(
            completer=MachineCompleter(self.machine),
            history=MachineHistory(self.machine),
            key_bindings=self._keys(),
            complete_while_typing=False,
            input=input,
            output=output,
            erase_when_done=True,
        )
        self.write = write or self._stdout
        self._fd: tuple[Any, int] | None = None  # (host, fd of /dev/console)
        self._sent_size: tuple[int, int] | None = None
        self.hold_prompt = True  # keep an unfinished output line back as the prompt

    @staticmethod
    def _stdout(text: str) -> None:
        sys.stdout.write(text)
        sys.stdout.flush()

    def _keys(self) -> KeyBindings:
        kb = KeyBindings()

        @kb.add("c-c")
        def _interrupt(event: Any) -> None:
            event.app.current_buffer.reset()
            self.machine.feed(b"\x03")

        @kb.add("c-z")
        def _stop(event: Any) -> None:
            event.app.current_buffer.reset()
            self.machine.feed(b"\x1a")

        @kb.add("tab")
        def _complete(event: Any) -> None:
            buf = event.app.current_buffer
            if buf.complete_state is not None:
                buf.complete_next()
                return
            host = self.machine.host
            try:
                start, options = completion.complete(
                    host, completion.foreground(host), buf.text, buf.cursor_position
                )
            except Error:
                return
            word = buf.text[start : buf.cursor_position]
            common = completion.common_prefix(options)
            if len(options) == 1 or len(common) > len(word):
                buf.delete_before_cursor(len(word))
                buf.insert_text(options[0] if len(options) == 1 else common)
            elif options:
                buf.start_completion(select_first=False)

        @kb.add("c-d")
        def _eof(event: Any) -> None:
            buf = event.app.current_buffer
            if buf.text:
                buf.delete()
            else:
                event.app.exit(exception=EOFError)

        return kb

    def _output(self, data: bytes) -> None:
        text = data.decode(errors="replace").replace("\r\n", "\n")
        if not self.hold_prompt or not self.canonical():
            # A full-screen program draws lines it does not end: show all of it now.
            self.write(self._partial + text)
            self._partial = ""
            return
        head, sep, tail = text.rpartition("\n")
        if sep:
            self.write(self._partial + head + "\n")
            self._partial = tail
        else:
            self._partial += text

    def waiting_for_line(self) -> bool:
        """The machine is blocked reading a line from its console: it reads, the TTY is
        canonical, and all output is shown."""
        k = self.machine.kernel
        return k.console.waiting_for_input and not k.console.pending_output and self.canonical()

    def console_fd(self) -> tuple[Any, int] | None:
        """(host client, its descriptor of /dev/console) for the current machine."""
        host = self.machine.host
        if self._fd is None or self._fd[0] is not host:  # first look, or a new machine
            try:
                self._fd = (host, host.open("/dev/console", O_RDWR | O_NOCTTY))
            except Error:
                return None
            self._sent_size = None
        return self._fd

    def canonical(self) -> bool:
        """Is the console TTY in canonical (line by line) mode? (TCGETS)"""
        if self.machine.halted:
            return True
        fd = self.console_fd()
        if fd is None:
            return True
        try:
            return bool(fd[0].ioctl(fd[1], TCGETS).lflag & ICANON)
        except Error:
            return True

    async def _run_machine(self) -> None:
        ticks = 0
        while not self.machine.halted:
            if ticks % SIZE_EVERY == 0:
                self.sync_winsize()
            ticks += 1
            self.machine.run_slice()
            await asyncio.sleep(TICK)

    def host_size(self) -> tuple[int, int]:
        """The host terminal's (rows, columns), as prompt-toolkit's output sees it."""
        try:
            size = self.session.output.get_size()
        except OSError:
            return (24, 80)
        return (size.rows or 24, size.columns or 80)

    def sync_winsize(self) -> None:
        """Tell the console TTY the host terminal's size when it changed (TIOCSWINSZ:
        the TTY sends SIGWINCH to its foreground group)."""
        if self.machine.halted:
            return
        fd = self.console_fd()
        if fd is None:
            return
        rows, cols = self.host_size()
        if self._sent_size == (rows, cols):
            return
        try:
            fd[0].ioctl(fd[1], TIOCSWINSZ, Winsize(rows, cols))
        except Error:
            return
        self._sent_size = (rows, cols)

    async def _pass_keys(self) -> None:
        """While no line is being read (a job runs, or the TTY is not canonical), the
        host terminal is raw and keys go straight to the console TTY, one by one."""
        inp = self.session.input

        def ready() -> None:
            for press in inp.read_keys():
                self.machine.feed(press.data.encode())

        with inp.raw_mode(), inp.attach(ready):
            while not self.machine.halted and not self.waiting_for_line():
                await asyncio.sleep(TICK)

    async def run(self) -> int:
        """Run until the machine powers off or ^D at an empty prompt."""
        runner = asyncio.create_task(self._run_machine())
        try:
            with patch_stdout(raw=True):
                while not self.machine.halted:
                    if not self.waiting_for_line():
                        await self._pass_keys()
                        continue
                    prompt, self._partial = self._partial, ""
                    try:
                        line = await self.session.prompt_async(ANSI(prompt))
                    except EOFError:  # ^D at an empty line: the TTY's end-of-file
                        self._partial = prompt  # what the reader says next follows it
                        self.machine.feed(b"\x04")
                        continue
                    except KeyboardInterrupt:
                        self.machine.feed(b"\x03")
                        continue
                    # The TTY echoes the line; show the prompt before the echo.
                    self._partial = prompt
                    self.machine.feed(line.encode() + b"\n")
        finally:
            runner.cancel()
            try:
                await runner
            except asyncio.CancelledError:
                pass
        return self.finish()

    def run_piped(self, read_input: Callable[[], bytes | None]) -> int:
        """Run with input that is not a terminal: type what ``read_input`` returns
        whenever a program reads the console; at its end (None) hang the console up, so
        readers get end-of-file and the shell exits. Returns the exit status."""
        self.hold_prompt = False
        console = self.machine.kernel.console
        more: Callable[[], bytes | None] | None = read_input
        typed = b""  # read and not typed yet: a line at a time, as a user types
        while not self.machine.halted:
            state = self.machine.run_slice()
            if self.machine.halted:
                break
            if console.waiting_for_input and (typed or more is not None):
                if not typed and more is not None:
                    typed = more() or b""
                    if not typed:
                        more = None
                        console.hangup()
                        continue
                line, nl, typed = typed.partition(b"\n")
                self.machine.feed(line + nl)
                continue
            if state == IDLE and more is None and not typed:
                sys.stderr.write(
                    "libk-tui: the machine is idle, waiting for something that cannot "
                    "come (a deadlock?); stopping it\n"
                )
                self.machine.power_off(1)
                break
            if state in (IDLE, UNTIL):
                time.sleep(TICK)
        return self.finish()

    def finish(self) -> int:
        """Show what is left of the output; the exit status (70 after a panic)."""
        if self._partial:
            self.write(self._partial + "\n")
            self._partial = ""
        k = self.machine.kernel
        if k.panic_report is not None:
            sys.stderr.write(k.panic_report + "\n")
            return 70
        return k.power_status


def session_image(info: BootInfo | str | None) -> BootInfo:
    """The machine for a session in this terminal: when init's command (the login
    shell) exits, the machine powers off instead of starting another (``on_exit``)."""
    base = info if isinstance(info, BootInfo) else boot.load(info)
    return dataclasses.replace(base, init=dataclasses.replace(base.init, on_exit="poweroff"))


def read_stdin() -> bytes | None:
    """The next chunk of the host's standard input (None at its end)."""
    try:
        data = os.read(sys.stdin.fileno(), 65536)
    except (OSError, ValueError):
        return None
    return data or None


def run_plain(
    info: BootInfo | str | None = None,
    *,
    speed: float | None = None,
    command: str | None = None,
) -> int:
    """``libk-tui --plain``: run the REPL in the host terminal.

    Args:
        info: the machine (a BootInfo, a machine-file path, or None for the default).
        speed: the realtime speed factor.
        command: run ``sh -c command`` as init's command instead of the login shell,
            and exit with its status (``libk-tui --plain -c CMD``).
    """
    if command is not None:
        base = info if isinstance(info, BootInfo) else boot.load(info)
        info = boot.with_init(base, ["/bin/sh", "-c", command])
    interactive = sys.stdin is not None and not sys.stdin.closed and sys.stdin.isatty()
    if interactive:
        repl = PlainRepl(info, speed=speed)
    else:  # nothing to edit: no prompt-toolkit terminal (nor its "not a terminal" warning)
        repl = PlainRepl(info, speed=speed, input=DummyInput(), output=DummyOutput())
    try:
        if not interactive:
            return repl.run_piped(read_stdin)
        return asyncio.run(repl.run())
    except KeyboardInterrupt:  # ^C on the host (input not a terminal): power off
        repl.machine.power_off(130)
        repl.machine.kernel.shutdown()  # in case the interrupt came in the middle of a run
        return 130
    except BrokenPipeError:  # the reader of our output went away (``| head``)
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())  # so that Python's last flush is quiet
        os.close(devnull)
        repl.machine.power_off(EXIT_SIGPIPE)
        return EXIT_SIGPIPE
