"""The help screen (F1, or ? when the console does not have focus)."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Markdown

HELP = """\
# libk-tui

A simulated Unix-like machine. The **console** on the left is its terminal; the
panes beside it show what the kernel knows, read from `/proc` and `/sys` through
system calls, several times a second.

## The console

Type as you would in a terminal. While a program reads a line (the shell at its
prompt), the console edits the line for you:

| key | does |
|---|---|
| Left, Right, Home, End, ^A, ^E | move in the line |
| Backspace, Delete, ^U, ^K, ^W | erase |
| Up, Down | history (per user, kept in `~/.libk_history` on the machine) |
| Tab | complete a command or a path (twice: list the choices) |
| ^L | clear the screen |
| Enter | send the line to the machine |
| ^C, ^Z, ^D | interrupt, stop, end of input (to the machine's terminal) |
| PageUp, PageDown, mouse wheel | scroll back |

When a program puts the terminal in raw mode, every key goes to it unchanged.

## The panes

- **Processes**: every process with its virtual (VSZ) and resident (RSS) memory,
  sortable; select one for its details (its memory, its areas as `pmap -x` shows them,
  open files, children) and to send it a signal.
- **Threads**: every thread, what it waits on, and its exit-request flag. Threads are
  never killed: ask one to exit and it leaves on its own.
- **Heap**: the selected process's libk heap, read from `/proc/PID/mem`: each region as
  a grid of used, free and metadata cells (`+`/`-` zoom, `[`/`]` other processes with
  a heap), per-arena counters and a sparkline of the bytes in use. Try `heapdemo &`.
- **/proc**: a tree of `/proc` and `/sys`; the open file refreshes live.

The header's memory bar is htop's: used (green), buffers (blue), shared (magenta) and
cache (yellow) memory from `/proc/meminfo`; hover over it for the figures.

## Machine and app keys

| key | does |
|---|---|
| F1, ? | this help (? when the console does not have focus) |
| F2, F3 | focus the console, the panes |
| F4 | next pane |
| F5 | pause or resume the machine's clock |
| F6 | single-step: one scheduling quantum of virtual time |
| F7, F8 | slower, faster (×0.1 … ×100, then fast) |
| F9 | reboot the machine |
| ^O | open another machine file |
| F11 | maximise the focused pane (again: restore) |
| F12 | save an SVG screenshot |
| ^P | command palette: every control and pane action, and themes |
| ^Q | quit (powers the machine off) |

Press Escape or F1 to close this help.
"""


class HelpScreen(ModalScreen[None]):
    """What the panes show and what the keys do."""

    DEFAULT_CSS = """
    HelpScreen {
        align: center middle;
    }
    HelpScreen > VerticalScroll {
        width: 90%;
        max-width: 100;
        height: 90%;
        border: thick $primary;
        background: $surface;
        padding: 0 1;
    }
    """
    BINDINGS = [
        Binding("escape,f1,q,question_mark", "dismiss_help", "Close help"),
    ]

    def compose(self) -> ComposeResult:
        with VerticalScroll():
            yield Markdown(HELP)

    def action_dismiss_help(self) -> None:
        """Close the help screen."""
        self.dismiss(None)
