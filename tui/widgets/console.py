"""The console pane: the machine's console TTY, drawn from :mod:`tui.term`.

Output the machine writes is interpreted by a :class:`tui.term.Terminal` and drawn
line by line (Textual's line API), with scrollback. Keys go to the TTY:

- while the TTY is canonical with echo on (a shell reading a line), the pane edits
  the line locally, as readline does — cursor keys, Home/End, ^A ^E ^U ^K ^W ^L,
  history on Up/Down (per user, in ``~/.libk_history`` on the machine), ``^R``
  reverse incremental search over it, and Tab completion through system calls (a
  second Tab lists the choices, then the prompt and the line again) — and Enter
  sends the line and a newline to the TTY, which echoes it;
- otherwise (raw mode, or echo off as at a password prompt) every key goes straight
  through, cursor keys as escape sequences.

``^C``, ``^D`` (on an empty line) and ``^Z`` go to the TTY as 0x03, 0x04 and 0x1a;
``^C`` and ``^Z`` leave the dropped line on the screen, the TTY echoes ``^C`` and a
new line, and the shell prints a fresh prompt.
The pane tells the TTY its size (``TIOCSWINSZ``) so full-screen programs fit.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from rich.color import Color
from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.geometry import Size
from textual.scroll_view import ScrollView
from textual.strip import Strip

from kernel.abi import ECHO, ICANON, O_NOCTTY, O_RDWR, TCGETS, TIOCSWINSZ, Error, Winsize
from tui import completion
from tui.term import Attr, Terminal, spans

if TYPE_CHECKING:
    from tui.machine import Machine

#: Keys sent as escape sequences when they pass straight through.
KEY_SEQUENCES: dict[str, bytes] = {
    "up": b"\x1b[A",
    "down": b"\x1b[B",
    "right": b"\x1b[C",
    "left": b"\x1b[D",
    "home": b"\x1b[H",
    "end": b"\x1b[F",
    "insert": b"\x1b[2~",
    "delete": b"\x1b[3~",
    "pageup": b"\x1b[5~",
    "pagedown": b"\x1b[6~",
    "enter": b"\r",
    "tab": b"\t",
    "shift+tab": b"\x1b[Z",
    "backspace": b"\x7f",
    "escape": b"\x1b",
}
#: Control keys the console keeps for the TTY even though the app has bindings on them.
TTY_CONTROLS: dict[str, bytes] = {"ctrl+c": b"\x03", "ctrl+d": b"\x04", "ctrl+z": b"\x1a"}
#: Bytes of output interpreted between two looks at the clock in a bounded write.
WRITE_CHUNK = 4096
#: Keys the console leaves to the app's bindings (F-keys and these).
APP_KEYS = frozenset({"ctrl+p", "ctrl+q", "ctrl+o", "ctrl+s", "ctrl+t"})


class ConsolePane(ScrollView, can_focus=True):
    """The console. ``write(data)`` shows machine output; keys go to the machine."""

    DEFAULT_CSS = """
    ConsolePane {
        background: $background;
        color: $foreground;
        scrollbar-size-vertical: 1;
        scrollbar-gutter: stable;
        overflow-x: hidden;
    }
    """
    ALLOW_MAXIMIZE = True

    def __init__(self, machine: Machine, *, id: str | None = "console") -> None:  # noqa: A002
        super().__init__(id=id)
        self.machine = machine
        self.term = Terminal(80, 24)
        self.buffer = ""  # the line being edited locally
        self.pos = 0  # cursor position in buffer
        self.history = completion.History()
        self._hist_index: int | None = None
        self._hist_saved = ""
        self._tab_count = 0
        self._search: completion.ReverseSearch | None = None
        self._last_search = ""
        self._fd: tuple[object, int] | None = None
        self._styles: dict[Attr, Style] = {}
        self._sized = False
        self._early: list[bytes] = []
        self.border_title = "console"

    # ------------------------------------------------------------------ machine side
    def write(self, data: bytes, seconds: float | None = None) -> int:
        """Show output from the machine; returns how many bytes of ``data`` were taken.

        With ``seconds``, stops after about that much host time (a flood of output is
        shown over several ticks, not in one long pause); at least one chunk is taken.
        """
        if not self._sized:  # keep it until the pane knows its width: no wrong wrapping
            self._early.append(data)
            return len(data)
        follow = self.is_vertical_scroll_end or self.max_scroll_y == 0
        if seconds is None:
            self.term.feed(data)
            taken = len(data)
        else:
            deadline = time.perf_counter() + seconds
            taken = 0
            while taken < len(data):
                self.term.feed(data[taken : taken + WRITE_CHUNK])
                taken += WRITE_CHUNK
                if time.perf_counter() >= deadline:
                    break
            taken = min(taken, len(data))
        self._update_size(follow)
        return taken

    def reset(self) -> None:
        """After a reboot: a fresh screen, local editing state cleared."""
        self.term = Terminal(self.term.cols, self.term.rows)
        self.buffer, self.pos = "", 0
        self._search = None
        self._fd = None
        self.history = completion.History()
        self._send_winsize()
        self._update_size(True)

    def _update_size(self, follow: bool) -> None:
        size = Size(self.term.cols, self.term.total_lines)
        if self.virtual_size != size:
            self.virtual_size = size
        if follow:
            self.scroll_end(animate=False, immediate=True, x_axis=False)
            # Once more after layout: the size may have changed in this same update.
            self.call_after_refresh(self.scroll_end, animate=False, x_axis=False)
        self.refresh()

    def _console_fd(self) -> int | None:
        host = self.machine.host
        if self._fd is not None and self._fd[0] is host:
            return self._fd[1]
        try:
            fd = host.open("/dev/console", O_RDWR | O_NOCTTY)
        except Error:
            return None
        self._fd = (host, fd)
        return fd

    def line_editing(self) -> bool:
        """Does the pane edit lines locally (the TTY is canonical with echo)?"""
        if self.machine.halted:
            return False
        fd = self._console_fd()
        if fd is None:
            return False
        try:
            attrs = self.machine.host.ioctl(fd, TCGETS)
        except Error:
            return False
        return bool(attrs.lflag & ICANON) and bool(attrs.lflag & ECHO)

    def _send_winsize(self) -> None:
        fd = self._console_fd()
        if fd is None:
            return
        try:
            self.machine.host.ioctl(fd, TIOCSWINSZ, Winsize(self.term.rows, self.term.cols))
        except Error:
            pass

    # ------------------------------------------------------------------ layout
    def on_resize(self, event: events.Resize) -> None:
        """Fit the terminal to the pane and tell the TTY."""
        width = max(10, self.scrollable_content_region.width)
        height = max(2, self.scrollable_content_region.height)
        if (width, height) != (self.term.cols, self.term.rows):
            self.term.resize(width, height)
            self._send_winsize()
        if not self._sized:
            self._sized = True
            self.term.feed(b"".join(self._early))
            self._early.clear()
        self._update_size(True)

    # ------------------------------------------------------------------ drawing
    def _style(self, attr: Attr) -> Style:
        style = self._styles.get(attr)
        if style is None:
            fg, bg = attr.fg, attr.bg
            if attr.reverse:
                fg, bg = bg, fg
                if fg is None:
                    fg = "default-bg"  # type: ignore[assignment]
                if bg is None:
                    bg = "default-fg"  # type: ignore[assignment]
            style = Style(
                color=self._colour(fg),
                bgcolor=self._colour(bg),
                bold=attr.bold or None,
                dim=attr.dim or None,
                italic=attr.italic or None,
                underline=attr.underline or None,
            )
            self._styles[attr] = style
        return style

    def _colour(self, c: object) -> Color | None:
        if c is None:
            return None
        if c == "default-bg":
            return Color.parse(self.background_colors[1].hex)
        if c == "default-fg":
            return Color.parse(self.colors[1].hex)
        if isinstance(c, tuple):
            return Color.from_rgb(*c)
        return Color.from_ansi(int(c))  # type: ignore[call-overload]

    def _overlay(self) -> tuple[dict[tuple[int, int], str], tuple[int, int]]:
        """Where the locally edited line and the cursor are drawn (screen row, col).

        While ``^R`` searches, the search prompt and the match replace the shell's
        prompt on its line, as readline shows them.
        """
        t = self.term
        cells: dict[tuple[int, int], str] = {}
        row, col = t.cursor_row, t.cursor_col
        text, pos = self.buffer, self.pos
        if self._search is not None:
            label = self._search.prompt()
            text = label + self._search.match
            pos = len(label) + self._search.result()[1]
            text = text.ljust(col)  # cover the shell's prompt
            col = 0
        cursor = (row, col)
        for i, ch in enumerate(text + " "):
            if col >= t.cols:
                row, col = row + 1, 0
            if i == pos:
                cursor = (row, col)
            if i < len(text) and row < t.rows:
                cells[(row, col)] = ch
            col += 1
        return cells, cursor

    def render_line(self, y: int) -> Strip:
        """One line of scrollback + screen."""
        t = self.term
        index = round(self.scroll_offset.y) + y
        if index >= t.total_lines:
            return Strip.blank(self.size.width)
        line = t.line(index)
        screen_row = index - len(t.scrollback)
        cursor_col = -1
        if 0 <= screen_row < t.rows and not self.machine.halted:
            editing = self.buffer or self._search is not None
            cells, cursor = self._overlay() if editing else ({}, None)
            if cells:
                line = list(line)
                for (r, c), ch in cells.items():
                    if r == screen_row:
                        line[c] = (ch, line[c][1])
            if cursor is None:
                cursor = (t.cursor_row, t.cursor_col)
            if cursor[0] == screen_row and self.has_focus and t.cursor_visible:
                cursor_col = cursor[1]
        segments = []
        x = 0
        for text, attr in spans(line):
            style = self._style(attr)
            if x <= cursor_col < x + len(text):
                k = cursor_col - x
                if k:
                    segments.append(Segment(text[:k], style))
                segments.append(Segment(text[k], style + Style(reverse=True)))
                if text[k + 1 :]:
                    segments.append(Segment(text[k + 1 :], style))
            else:
                segments.append(Segment(text, style))
            x += len(text)
        strip = Strip(segments).adjust_cell_length(t.cols)
        return strip.crop(
            round(self.scroll_offset.x), round(self.scroll_offset.x) + self.size.width
        )

    def on_focus(self) -> None:
        """Show the cursor."""
        self.refresh()

    def on_blur(self) -> None:
        """Hide the cursor."""
        self.refresh()

    # ------------------------------------------------------------------ keys
    def on_key(self, event: events.Key) -> None:
        """Send the key to the machine (or edit the line locally)."""
        key = event.key
        if key.startswith("f") and key[1:].isdigit() or key in APP_KEYS:
            return  # the app's bindings
        if self.machine.halted:
            return
        event.stop()
        event.prevent_default()
        if self.line_editing():
            self._edit(event)
        else:
            self._flush_buffer()
            self._pass_through(event)
        self.refresh()

    def _pass_through(self, event: events.Key) -> None:
        key = event.key
        data = TTY_CONTROLS.get(key) or KEY_SEQUENCES.get(key)
        if data is None and event.character:
            data = event.character.encode()
        if data:
            self.machine.feed(data)
            self.scroll_end(animate=False, immediate=True, x_axis=False)

    def _flush_buffer(self) -> None:
        """The TTY left canonical mode with a half-edited line: hand it over as typed."""
        if self._search is not None:
            self.buffer, self.pos = self._search.result()
            self._search = None
        if self.buffer:
            self.machine.feed(self.buffer.encode())
            self.buffer, self.pos = "", 0

    def _edit(self, event: events.Key) -> None:
        key = event.key
        if key != "tab":
            self._tab_count = 0
        if self._search is not None and self._search_key(event):
            return
        buf, pos = self.buffer, self.pos
        if key == "enter":
            self._enter()
            return
        if key in TTY_CONTROLS:
            if key == "ctrl+d" and buf:
                self.buffer = buf[:pos] + buf[pos + 1 :]
                return
            if key != "ctrl+d" and buf:
                # The dropped line stays on the screen; the TTY echoes ^C after it.
                self.term.feed(buf.encode())
            self.buffer, self.pos = "", 0
            self._hist_index = None
            self.machine.feed(TTY_CONTROLS[key])
            self._update_size(True)
            return
        if key == "ctrl+r":
            self._start_search()
            return
        if key in ("backspace", "ctrl+h"):
            if pos:
                self.buffer, self.pos = buf[: pos - 1] + buf[pos:], pos - 1
        elif key == "delete":
            self.buffer = buf[:pos] + buf[pos + 1 :]
        elif key in ("left", "ctrl+b"):
            self.pos = max(0, pos - 1)
        elif key in ("right", "ctrl+f"):
            self.pos = min(len(buf), pos + 1)
        elif key in ("home", "ctrl+a"):
            self.pos = 0
        elif key in ("end", "ctrl+e"):
            self.pos = len(buf)
        elif key == "ctrl+u":
            self.buffer, self.pos = buf[pos:], 0
        elif key == "ctrl+k":
            self.buffer = buf[:pos]
        elif key == "ctrl+w":
            start = pos
            while start and buf[start - 1] == " ":
                start -= 1
            while start and buf[start - 1] != " ":
                start -= 1
            self.buffer, self.pos = buf[:start] + buf[pos:], start
        elif key == "ctrl+l":
            prompt = self.term.cursor_line_text()
            self.term.feed(b"\x1b[H\x1b[2J" + prompt.encode())
        elif key in ("up", "down"):
            self._history_move(-1 if key == "up" else 1)
        elif key == "tab":
            self._complete()
        elif key in ("pageup", "pagedown"):
            self.scroll_to(
                y=self.scroll_y + (-1 if key == "pageup" else 1) * self.size.height,
                animate=False,
            )
            return
        elif event.character and event.is_printable:
            self.buffer = buf[:pos] + event.character + buf[pos:]
            self.pos = pos + len(event.character)
        else:
            return
        self.scroll_end(animate=False, immediate=True, x_axis=False)

    # ------------------------------------------------------------------ ^R search
    def _start_search(self) -> None:
        """``^R``: search the history backwards as the search string is typed."""
        self._load_history()
        last = self._last_search
        self._search = completion.ReverseSearch(self.history.lines, self.buffer, self.pos, last)
        self.scroll_end(animate=False, immediate=True, x_axis=False)

    def _load_history(self) -> None:
        """The foreground user's history (read once per user)."""
        host = self.machine.host
        try:
            self.history.load(host, completion.foreground(host))
        except Error:
            pass

    def _search_key(self, event: events.Key) -> bool:
        """A key during ``^R``; False when it ends the search and is an editing key."""
        search = self._search
        assert search is not None
        key = event.key
        if key == "ctrl+r":
            search.older()
        elif key in ("backspace", "ctrl+h"):
            search.backspace()
        elif key in ("escape", "ctrl+g", "ctrl+c"):  # cancel: the line as it was
            self.buffer, self.pos = search.original
            self._end_search()
            return key != "ctrl+c"  # ^C goes on to drop the line
        elif event.character and event.is_printable and key != "tab":
            search.type(event.character)
        else:  # accept the match; Enter runs it, other keys go on editing it
            self.buffer, self.pos = search.result()
            self._hist_index = None
            self._end_search()
            if key == "enter":
                self._enter()
                return True
            return False
        return True

    def _end_search(self) -> None:
        if self._search is not None:
            self._last_search = self._search.query or self._last_search
        self._search = None

    def _enter(self) -> None:
        line = self.buffer
        self.buffer, self.pos = "", 0
        self._hist_index = None
        self.machine.feed(line.encode() + b"\n")
        if line.strip():
            self._load_history()
            try:
                self.history.add(self.machine.host, line)
            except Error:
                pass
        self.scroll_end(animate=False, immediate=True, x_axis=False)

    def _history_move(self, step: int) -> None:
        if self._hist_index is None:
            self._load_history()
            self._hist_saved = self.buffer
            index = len(self.history.lines)
        else:
            index = self._hist_index
        index = max(0, min(len(self.history.lines), index + step))
        if index == len(self.history.lines):
            self.buffer = self._hist_saved
            self._hist_index = None
        else:
            self.buffer = self.history.lines[index]
            self._hist_index = index
        self.pos = len(self.buffer)

    def _complete(self) -> None:
        host = self.machine.host
        fg = completion.foreground(host)
        start, options = completion.complete(host, fg, self.buffer, self.pos)
        self._tab_count += 1
        if not options:
            return
        word = self.buffer[start : self.pos]
        common = completion.common_prefix(options)
        if len(options) == 1 or len(common) > len(word):
            insert = options[0] if len(options) == 1 else common
            self.buffer = self.buffer[:start] + insert + self.buffer[self.pos :]
            self.pos = start + len(insert)
            self._tab_count = 0
            return
        if self._tab_count >= 2:
            self._list_options(options)

    def _list_options(self, options: list[str]) -> None:
        """Print the candidates below the line, then the prompt again (as bash does)."""
        prompt = self.term.cursor_line_text()
        # readline leaves the line as typed above the list: the pane draws the line
        # being edited on top of the screen, so it is written to the screen first.
        self.term.feed(self.buffer.encode())
        text = "\r\n" + completion.columns(options, self.term.cols).replace("\n", "\r\n")
        self.term.feed(text.encode() + b"\r\n" + prompt.encode())
        self._update_size(True)
