"""The help screen (F1, or ? when the console does not have focus).

Its text is :data:`HELP` followed by each pane's keys, generated from the panes'
``BINDINGS`` (and, for the table panes, their table's: the rows' cursor keys), so the
help never lags behind a pane: :func:`pane_keys_markdown`.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

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
| ^R | search the history backwards (^R again: older; Enter runs, Esc cancels) |
| Tab | complete a command or a path (twice: list the choices) |
| ^L | clear the screen |
| Enter | send the line to the machine |
| ^C, ^Z, ^D | interrupt (at the prompt: drop the line), stop, end of input |
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
- **/proc**: a tree of `/proc`, or of `/sys` (`s` switches); the open file refreshes
  live, symbolic links show their targets.
- **Devices**: the device tree of `/sys/devices`, each device with its class or bus, its
  `/dev` node and number, its driver and the module that owns the driver; the loaded
  modules (`lsmod`'s references and holders, their drivers and parameters) and the latest
  device events. Live: try `modprobe ramdisk` and watch `ram0` appear; `o` opens the
  selected device in the /proc browser.

The header's memory bar is htop's: used (green), buffers (blue), shared (magenta) and
cache (yellow) memory from `/proc/meminfo`; hover over it for the figures.

The header's clock reads `realtime ×1` (virtual time paced to host time × the speed;
F7/F8 change it) or `fast` (idle time skipped). Under a load this host cannot run as
fast as the machine's cost model says a real CPU would (a busy `yes &`, say), realtime
stays real and the simulated CPU is slowed instead: the header shows **`cpu ÷N`**, the
CPU running N times slower than the machine file's costs. Programs then get less done
per second, but `sleep 1` still takes a second, `top` refreshes on time, and %CPU and
TIME stay true. **`behind`** means that even so the clock could not keep up.

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

#: How the help names keys that are not one character.
KEY_NAMES = {
    "escape": "Esc",
    "enter": "Enter",
    "tab": "Tab",
    "space": "Space",
    "up": "Up",
    "down": "Down",
    "left": "Left",
    "right": "Right",
    "home": "Home",
    "end": "End",
    "pageup": "PageUp",
    "pagedown": "PageDown",
    "delete": "Delete",
    "backspace": "Backspace",
}


def key_name(key: str) -> str:
    """A Textual key as the help shows it: ``slash`` -> ``/``, ``ctrl+home`` ->
    ``^Home``, ``pagedown`` -> ``PageDown``."""
    from textual.keys import format_key

    mod, plus, base = key.rpartition("+")
    name = KEY_NAMES.get(base) or format_key(base)
    if len(name) > 1 and base not in KEY_NAMES:
        name = name[:1].upper() + name[1:]
    if not plus:
        return name
    if mod == "ctrl":
        return "^" + (name.upper() if len(name) == 1 else name)
    return "+".join(m.capitalize() for m in mod.split("+")) + "+" + name


def class_keys(cls: type) -> list[tuple[str, str]]:
    """(key, what it does) for every binding of ``cls`` and its bases that has a
    description, as Textual merges them (a subclass's binding of a key wins)."""
    keys: dict[str, str] = {}
    for klass in reversed(cls.__mro__):
        for b in klass.__dict__.get("BINDINGS", ()):
            binding = b if isinstance(b, Binding) else Binding(*b)
            what = binding.tooltip or binding.description
            for key in binding.key.split(","):
                keys.pop(key.strip(), None)
                if what:
                    keys[key.strip()] = what
    return list(keys.items())


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def pane_keys_markdown(panes: Iterable[tuple[str, type]]) -> str:
    """A "Pane keys" section: one table per pane (title, class) of its keys, the keys
    that do the same thing on one line. A pane with a ``TABLE_CLASS`` (a table pane)
    lists its table's keys first."""
    out = ["## Pane keys", "", "With the panes focused (F3):", ""]
    for title, cls in panes:
        pairs: list[tuple[str, str]] = []
        table_cls: Any = getattr(cls, "TABLE_CLASS", None)
        if isinstance(table_cls, type):
            pairs += class_keys(table_cls)
        pairs += class_keys(cls)
        grouped: dict[str, list[str]] = {}
        for key, what in pairs:
            grouped.setdefault(what, []).append(key_name(key))
        if not grouped:
            continue
        out += [f"### {title}", "", "| key | does |", "|---|---|"]
        out += [f"| {_cell(', '.join(keys))} | {_cell(what)} |" for what, keys in grouped.items()]
        out.append("")
    return "\n".join(out)


def app_pane_keys() -> str:
    """The pane keys section for the panes the app shows (``tui.app.PANES``)."""
    from tui.app import PANES, pane_class  # (imported here: tui.app imports this module)

    panes = []
    for _, title, spec in PANES:
        try:
            panes.append((title, pane_class(spec)))
        except (ImportError, AttributeError):
            continue
    return pane_keys_markdown(panes)


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
            yield Markdown(HELP + "\n" + app_pane_keys())

    def action_dismiss_help(self) -> None:
        """Close the help screen."""
        self.dismiss(None)
