"""A small terminal emulator: what the console pane shows, without any Textual in it.

It understands what the machine's programs write: CR, LF, BS, TAB, BEL; SGR colours
and attributes (16, 256 and true colour); erase in display and line; cursor movement
and positioning; insert and delete of lines and characters; a scrolling region; save
and restore of the cursor; the alternate screen (``top`` and editors use it); and
hiding the cursor. Lines that scroll off the top of the main screen go into a bounded
scrollback. Resizing loses no text (:meth:`Terminal.resize`). :attr:`Terminal.version`
changes whenever anything visible changes, so a widget can skip redraws. What the
screen is made of (cells, :class:`Attr`, lines) and SGR parsing live in
:mod:`tui.termcells`; their names are re-exported here.
"""

from __future__ import annotations

import codecs
from collections import deque

from tui.termcells import (
    BLANK,
    PLAIN,
    Attr,
    Cell,
    Line,
    apply_sgr,
    blank_line,
    fit,
    is_blank,
    spans,
)

TAB = 8
SCROLLBACK = 5_000

__all__ = ["BLANK", "PLAIN", "SCROLLBACK", "TAB", "Attr", "Cell", "Line", "Terminal", "spans"]


class Terminal:
    """A VT100/xterm-ish screen of ``cols`` × ``rows`` with scrollback.

    Attributes:
        cols, rows: the screen size.
        screen: the visible lines (``rows`` lists of at least ``cols`` cells; cells past
            ``cols`` are text a narrower screen hides, shown again when it widens).
        scrollback: lines that left the top of the main screen, oldest first, each as
            long as it was written.
        cursor_row, cursor_col: where the next character goes (0-based).
        cursor_visible: the program has not hidden the cursor.
        alternate: the alternate screen is active.
        version: bumped on every change.
    """

    def __init__(self, cols: int = 80, rows: int = 24, scrollback: int = SCROLLBACK) -> None:
        self.cols = max(1, cols)
        self.rows = max(1, rows)
        self.scrollback: deque[Line] = deque(maxlen=scrollback)
        self.screen: list[Line] = [blank_line(self.cols) for _ in range(self.rows)]
        self.cursor_row = 0
        self.cursor_col = 0
        self.cursor_visible = True
        self.alternate = False
        self.version = 0
        self.attr = PLAIN
        self._wrap_pending = False
        self._top = 0
        self._bottom = self.rows - 1
        self._saved: tuple[int, int, Attr] = (0, 0, PLAIN)
        self._main: tuple[list[Line], int, int, Attr] | None = None
        self._decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        self._state = "text"
        self._seq = ""

    # ------------------------------------------------------------------ input
    def feed(self, data: bytes) -> None:
        """Interpret bytes the machine wrote."""
        text = self._decoder.decode(data)
        if not text:
            return
        self.version += 1
        run: list[str] = []
        for ch in text:
            if self._state == "text":
                o = ord(ch)
                if o >= 0x20 and o != 0x7F:
                    run.append(ch)
                    continue
                if run:
                    self._print("".join(run))
                    run.clear()
                self._control(ch)
            else:
                self._escape(ch)
        if run:
            self._print("".join(run))

    def feed_text(self, text: str) -> None:
        """Interpret a string (tests, local messages)."""
        self.feed(text.encode())

    # ------------------------------------------------------------------ characters
    def _print(self, text: str) -> None:
        line = self.screen[self.cursor_row]
        attr = self.attr
        for ch in text:
            if self._wrap_pending:
                self._wrap_pending = False
                self.cursor_col = 0
                self._linefeed()
                line = self.screen[self.cursor_row]
            line[self.cursor_col] = (ch, attr)
            if self.cursor_col == self.cols - 1:
                self._wrap_pending = True
            else:
                self.cursor_col += 1

    def _control(self, ch: str) -> None:
        if ch == "\n" or ch == "\x0b" or ch == "\x0c":
            self._wrap_pending = False
            self._linefeed()
        elif ch == "\r":
            self._wrap_pending = False
            self.cursor_col = 0
        elif ch == "\b":
            self._wrap_pending = False
            self.cursor_col = max(0, self.cursor_col - 1)
        elif ch == "\t":
            self._wrap_pending = False
            self.cursor_col = min(self.cols - 1, (self.cursor_col // TAB + 1) * TAB)
        elif ch == "\x1b":
            self._state = "esc"
            self._seq = ""

    def _linefeed(self) -> None:
        if self.cursor_row == self._bottom:
            self._scroll_up(1)
        elif self.cursor_row < self.rows - 1:
            self.cursor_row += 1

    def _scroll_up(self, n: int) -> None:
        top, bottom = self._top, self._bottom
        for _ in range(min(n, bottom - top + 1)):
            gone = self.screen.pop(top)
            if top == 0 and not self.alternate:
                self.scrollback.append(gone)
            self.screen.insert(bottom, blank_line(self.cols))

    def _scroll_down(self, n: int) -> None:
        top, bottom = self._top, self._bottom
        for _ in range(min(n, bottom - top + 1)):
            self.screen.pop(bottom)
            self.screen.insert(top, blank_line(self.cols))

    # ------------------------------------------------------------------ escapes
    def _escape(self, ch: str) -> None:
        state = self._state
        if state == "esc":
            if ch == "[":
                self._state = "csi"
            elif ch == "]":
                self._state = "osc"
            elif ch in "()*+":
                self._state = "charset"
            else:
                self._state = "text"
                self._esc_final(ch)
        elif state == "csi":
            if "\x40" <= ch <= "\x7e":
                self._state = "text"
                self._csi(self._seq, ch)
            elif ch == "\x1b":
                self._state = "esc"
                self._seq = ""
            elif ch in "\r\n\b":
                self._control(ch)
            else:
                self._seq += ch
        elif state == "osc":
            if ch == "\x07":
                self._state = "text"
            elif ch == "\x1b":
                self._state = "osc-esc"
        elif state == "osc-esc":
            self._state = "text" if ch == "\\" else "osc"
        else:  # charset designation: one more character, ignored
            self._state = "text"

    def _esc_final(self, ch: str) -> None:
        if ch == "7":
            self._saved = (self.cursor_row, self.cursor_col, self.attr)
        elif ch == "8":
            self._restore_cursor()
        elif ch == "D":
            self._linefeed()
        elif ch == "E":
            self.cursor_col = 0
            self._linefeed()
        elif ch == "M":
            if self.cursor_row == self._top:
                self._scroll_down(1)
            else:
                self.cursor_row = max(0, self.cursor_row - 1)
        elif ch == "c":
            self.reset()

    def _restore_cursor(self) -> None:
        row, col, attr = self._saved
        self.cursor_row = min(row, self.rows - 1)
        self.cursor_col = min(col, self.cols - 1)
        self.attr = attr
        self._wrap_pending = False

    def _csi(self, seq: str, final: str) -> None:
        private = seq[:1] in ("?", ">", "=")
        body = seq[1:] if private else seq
        params = [int(p) if p.isdigit() else 0 for p in body.replace(":", ";").split(";")]
        n = params[0] if params and params[0] > 0 else 1
        if private:
            if final in "hl":
                self._private_mode(params, final == "h")
            return
        if final != "m":
            self._wrap_pending = False
        if final == "m":
            self.attr = apply_sgr(self.attr, params)
        elif final == "A":
            self.cursor_row = max(
                self._top if self.cursor_row >= self._top else 0, self.cursor_row - n
            )
        elif final in "Be":
            limit = self._bottom if self.cursor_row <= self._bottom else self.rows - 1
            self.cursor_row = min(limit, self.cursor_row + n)
        elif final in "Ca":
            self.cursor_col = min(self.cols - 1, self.cursor_col + n)
        elif final == "D":
            self.cursor_col = max(0, self.cursor_col - n)
        elif final == "E":
            self.cursor_row = min(self.rows - 1, self.cursor_row + n)
            self.cursor_col = 0
        elif final == "F":
            self.cursor_row = max(0, self.cursor_row - n)
            self.cursor_col = 0
        elif final in "G`":
            self.cursor_col = min(self.cols - 1, n - 1)
        elif final == "d":
            self.cursor_row = min(self.rows - 1, n - 1)
        elif final in "Hf":
            row = params[0] if params and params[0] > 0 else 1
            col = params[1] if len(params) > 1 and params[1] > 0 else 1
            self.cursor_row = min(self.rows - 1, row - 1)
            self.cursor_col = min(self.cols - 1, col - 1)
        elif final == "J":
            self._erase_display(params[0] if params else 0)
        elif final == "K":
            self._erase_line(params[0] if params else 0)
        elif final == "L":
            if self._top <= self.cursor_row <= self._bottom:
                for _ in range(min(n, self._bottom - self.cursor_row + 1)):
                    self.screen.pop(self._bottom)
                    self.screen.insert(self.cursor_row, blank_line(self.cols))
        elif final == "M":
            if self._top <= self.cursor_row <= self._bottom:
                for _ in range(min(n, self._bottom - self.cursor_row + 1)):
                    self.screen.pop(self.cursor_row)
                    self.screen.insert(self._bottom, blank_line(self.cols))
        elif final == "P":
            line = self.screen[self.cursor_row]
            c = self.cursor_col
            del line[self.cols :]
            del line[c : c + n]
            line.extend([BLANK] * (self.cols - len(line)))
        elif final == "@":
            line = self.screen[self.cursor_row]
            c = self.cursor_col
            line[c:c] = [BLANK] * n
            del line[self.cols :]
        elif final == "X":
            line = self.screen[self.cursor_row]
            c = self.cursor_col
            for i in range(c, min(self.cols, c + n)):
                line[i] = BLANK
        elif final == "S":
            self._scroll_up(n)
        elif final == "T":
            self._scroll_down(n)
        elif final == "r":
            top = params[0] if params and params[0] > 0 else 1
            bottom = params[1] if len(params) > 1 and params[1] > 0 else self.rows
            if top < bottom <= self.rows:
                self._top, self._bottom = top - 1, bottom - 1
                self.cursor_row, self.cursor_col = 0, 0
        elif final == "s":
            self._saved = (self.cursor_row, self.cursor_col, self.attr)
        elif final == "u":
            self._restore_cursor()

    def _private_mode(self, params: list[int], on: bool) -> None:
        for p in params:
            if p == 25:
                self.cursor_visible = on
            elif p in (47, 1047, 1049):
                if on and not self.alternate:
                    self._main = (self.screen, self.cursor_row, self.cursor_col, self.attr)
                    self.screen = [blank_line(self.cols) for _ in range(self.rows)]
                    self.alternate = True
                elif not on and self.alternate and self._main is not None:
                    screen, row, col, attr = self._main
                    self.screen = fit(screen, self.cols, self.rows)
                    self.cursor_row = min(row, self.rows - 1)
                    self.cursor_col = min(col, self.cols - 1)
                    self.attr = attr
                    self.alternate = False
                    self._main = None
                self._top, self._bottom = 0, self.rows - 1

    def _erase_display(self, mode: int) -> None:
        r, c = self.cursor_row, self.cursor_col
        if mode == 0:
            self.screen[r][c:] = [BLANK] * (self.cols - c)
            for i in range(r + 1, self.rows):
                self.screen[i] = blank_line(self.cols)
        elif mode == 1:
            self.screen[r][: c + 1] = [BLANK] * (c + 1)
            for i in range(r):
                self.screen[i] = blank_line(self.cols)
        elif mode == 2:
            for i in range(self.rows):
                self.screen[i] = blank_line(self.cols)
        elif mode == 3:
            self.scrollback.clear()

    def _erase_line(self, mode: int) -> None:
        line = self.screen[self.cursor_row]
        c = self.cursor_col
        if mode == 0:
            line[c:] = [BLANK] * (self.cols - c)
        elif mode == 1:
            line[: c + 1] = [BLANK] * (c + 1)
        else:
            line[:] = [BLANK] * self.cols

    # ------------------------------------------------------------------ size and state
    def resize(self, cols: int, rows: int) -> None:
        """Change the screen size without losing what is printed (as xterm and VTE).

        A shorter screen moves its top lines into the scrollback (blank lines below
        the cursor go first) and a taller one takes them back; a narrower screen keeps
        every line at its full length, so text cut off at the right edge comes back
        when the screen widens. The main screen saved under the alternate one is
        treated the same way.
        """
        cols, rows = max(1, cols), max(1, rows)
        if (cols, rows) == (self.cols, self.rows):
            return
        self.version += 1
        if self.alternate and self._main is not None:
            s, r, c, a = self._main
            s, r = self._fit_rows(s, r, rows, keep=True)
            self._main = (fit(s, cols, rows), r, min(c, cols - 1), a)
            self.screen, self.cursor_row = self._fit_rows(
                self.screen, self.cursor_row, rows, keep=False
            )
        else:
            self.screen, self.cursor_row = self._fit_rows(
                self.screen, self.cursor_row, rows, keep=True
            )
        self.cols, self.rows = cols, rows
        self.screen = fit(self.screen, cols, rows)
        self.cursor_row = min(self.cursor_row, rows - 1)
        self.cursor_col = min(self.cursor_col, cols - 1)
        self._top, self._bottom = 0, rows - 1
        self._wrap_pending = False

    def _fit_rows(
        self, screen: list[Line], cursor_row: int, rows: int, *, keep: bool
    ) -> tuple[list[Line], int]:
        """``screen`` with ``rows`` lines, the cursor's line kept; with ``keep``, lines
        leaving the top go to the scrollback and lines from it fill a taller screen."""
        screen = list(screen)
        excess = len(screen) - rows
        while excess > 0 and len(screen) - 1 > cursor_row and is_blank(screen[-1]):
            screen.pop()
            excess -= 1
        for _ in range(max(0, excess)):
            gone = screen.pop(0)
            if keep:
                self.scrollback.append(gone)
            cursor_row = max(0, cursor_row - 1)
        if keep:
            while len(screen) < rows and self.scrollback:
                screen.insert(0, self.scrollback.pop())
                cursor_row += 1
        return screen, cursor_row

    def reset(self) -> None:
        """Back to a blank screen (scrollback kept)."""
        self.version += 1
        self.screen = [blank_line(self.cols) for _ in range(self.rows)]
        self.cursor_row = self.cursor_col = 0
        self.attr = PLAIN
        self.cursor_visible = True
        self.alternate = False
        self._main = None
        self._top, self._bottom = 0, self.rows - 1
        self._wrap_pending = False

    # ------------------------------------------------------------------ reading
    @property
    def total_lines(self) -> int:
        """Scrollback plus screen."""
        return len(self.scrollback) + self.rows

    def line(self, index: int) -> Line:
        """Line ``index`` of scrollback + screen (0 = the oldest kept line)."""
        nback = len(self.scrollback)
        return self.scrollback[index] if index < nback else self.screen[index - nback]

    def text_lines(self, *, scrollback: bool = True) -> list[str]:
        """The content as shown (``cols`` wide), trailing spaces stripped (tests, search)."""
        lines = list(self.scrollback) if scrollback else []
        lines += self.screen
        cols = self.cols
        return ["".join(ch for ch, _ in line[:cols]).rstrip() for line in lines]

    def text(self) -> str:
        """Scrollback and screen as text, trailing blank lines dropped."""
        lines = self.text_lines()
        while lines and not lines[-1]:
            lines.pop()
        return "\n".join(lines)

    def cursor_line_text(self) -> str:
        """The text on the cursor's line left of the cursor (a shell's prompt, say)."""
        return "".join(ch for ch, _ in self.screen[self.cursor_row][: self.cursor_col])
