"""Modal dialogs: asking before the machine is replaced, and showing what was wrong
with a machine file until the user has read it."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Label, Static

_CSS = """
{name} {{
    align: center middle;
}}
{name} > Vertical {{
    width: auto;
    max-width: 90%;
    height: auto;
    max-height: 80%;
    border: thick $primary;
    background: $surface;
    padding: 1 2;
}}
{name} .dialog-title {{
    text-style: bold;
    margin-bottom: 1;
}}
{name} Horizontal {{
    height: auto;
    width: auto;
    margin-top: 1;
}}
{name} Button {{
    margin-right: 2;
}}
"""


class ConfirmScreen(ModalScreen[bool]):
    """Ask before doing something that cannot be undone; dismisses with True to go on."""

    DEFAULT_CSS = _CSS.format(name="ConfirmScreen")
    BINDINGS = [
        Binding("y", "answer(True)", "Yes"),
        Binding("n,escape", "answer(False)", "No"),
    ]

    def __init__(self, title: str, text: str, yes: str) -> None:
        super().__init__()
        self.title_text = title
        self.text = text
        self.yes = yes

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(self.title_text, classes="dialog-title")
            yield Static(self.text)
            with Horizontal():
                yield Button(f"{self.yes} (y)", id="yes", variant="warning")
                yield Button("Cancel (n, Esc)", id="no")

    def on_mount(self) -> None:
        """Cancel has the focus: Enter alone never destroys the machine."""
        self.query_one("#no", Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        """A button clicked (or Enter on the focused one)."""
        self.dismiss(event.button.id == "yes")

    def action_answer(self, yes: bool) -> None:
        """y or n."""
        self.dismiss(yes)


class MessageScreen(ModalScreen[None]):
    """A message that stays until dismissed (Enter or Esc): every mistake in a machine
    file, for instance, which a passing notification would cut to its first line."""

    DEFAULT_CSS = _CSS.format(name="MessageScreen")
    BINDINGS = [Binding("escape,enter,q", "close", "Close")]

    def __init__(self, title: str, text: str) -> None:
        super().__init__()
        self.title_text = title
        self.text = text

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(self.title_text, classes="dialog-title")
            with VerticalScroll():
                yield Static(self.text, markup=False, id="message")
            with Horizontal():
                yield Button("Close (Enter, Esc)", id="close")

    def on_mount(self) -> None:
        """The button has the focus."""
        self.query_one("#close", Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        """Close."""
        self.dismiss(None)

    def action_close(self) -> None:
        """Close."""
        self.dismiss(None)
