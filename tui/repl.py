"""``libk-tui --plain``: the machine's console in the host terminal, with prompt-toolkit.

The machine runs in a background asyncio task (budgeted slices, paced like the app);
its output is printed as it comes, above the prompt. When the console's TTY is
reading a line, prompt-toolkit edits it with history (the foreground user's
``~/.libk_history`` on the machine) and completion (commands from PATH, paths), both
read through system calls; Enter sends the line. ``^C`` goes to the machine's
foreground job; ``^D`` at an empty prompt powers the machine off and ends the session.
The console TTY's window size follows the host terminal (looked at every 0.1 s; a
change is a TIOCSWINSZ, so the machine's foreground job gets SIGWINCH).
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Callable, Iterable
from typing import Any

from prompt_toolkit import PromptSession
from prompt_toolkit.completion import CompleteEvent, Completer, Completion
from prompt_toolkit.document import Document
from prompt_toolkit.formatted_text import ANSI
from prompt_toolkit.history import History as PtHistory
from prompt_toolkit.key_binding import KeyBindings
from prompt_toolkit.patch_stdout import patch_stdout

from kernel.abi import O_NOCTTY, O_RDWR, TIOCSWINSZ, Error, Winsize
from kernel.image import BootInfo
from tui import completion
from tui.machine import Machine

TICK = 0.005
SIZE_EVERY = 20  # ticks between looks at the host terminal's size (0.1 s)


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
        self.machine = Machine(info, speed=speed)
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
        head, sep, tail = text.rpartition("\n")
        if sep:
            self.write(self._partial + head + "\n")
            self._partial = tail
        else:
            self._partial += text

    def waiting_for_line(self) -> bool:
        """The machine is blocked reading its console (and all output is shown)."""
        k = self.machine.kernel
        return k.console.waiting_for_input and not k.console.pending_output

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
        host = self.machine.host
        if self._fd is None or self._fd[0] is not host:  # first look, or a new machine
            try:
                self._fd = (host, host.open("/dev/console", O_RDWR | O_NOCTTY))
            except Error:
                return
            self._sent_size = None
        rows, cols = self.host_size()
        if self._sent_size == (rows, cols):
            return
        try:
            host.ioctl(self._fd[1], TIOCSWINSZ, Winsize(rows, cols))
        except Error:
            return
        self._sent_size = (rows, cols)

    async def _pass_keys(self) -> None:
        """While no line is being read (a job runs), keys go straight to the TTY."""
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
                    except EOFError:
                        self.write(prompt + "\n")
                        self.machine.power_off(0)
                        break
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
        if self._partial:
            self.write(self._partial + "\n")
            self._partial = ""
        k = self.machine.kernel
        if k.panic_report is not None:
            sys.stderr.write(k.panic_report + "\n")
            return 70
        return k.power_status


def run_plain(info: BootInfo | str | None = None, *, speed: float | None = None) -> int:
    """``libk-tui --plain``: run the REPL in the host terminal."""
    repl = PlainRepl(info, speed=speed)
    try:
        return asyncio.run(repl.run())
    except KeyboardInterrupt:
        return 130
