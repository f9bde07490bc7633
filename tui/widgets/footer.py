"""The footer: every key binding visible, on a second row when one row is too narrow.

Textual's :class:`~textual.widgets.Footer` clips what does not fit in one row (at 80
columns it dropped ^o, F11 and F12, and left a letter of the palette label behind).
:class:`KeyFooter` lays the same keys out in as many rows as they need — one at 120
columns, two at 80 — with Textual's key widgets, so clicks, tooltips and disabled keys
behave as in Textual's footer. Which keys go on which row is :func:`rows`, outside the
widget.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from itertools import groupby

from textual import events
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import HorizontalGroup
from textual.widgets import Footer
from textual.widgets._footer import FooterKey, FooterLabel, KeyGroup


def rows(widths: Iterable[int], width: int) -> list[list[int]]:
    """Split items of ``widths`` into rows no wider than ``width``, in order.

    Args:
        widths: each item's width in cells (its margin included).
        width: the row's width; an item wider than a row gets a row of its own.

    Returns:
        The rows, each a list of item indexes.
    """
    out: list[list[int]] = [[]]
    used = 0
    for i, w in enumerate(widths):
        if out[-1] and used + w > width:
            out.append([])
            used = 0
        out[-1].append(i)
        used += w
    return out


class KeyFooter(Footer):
    """The app's footer: the active key bindings in as many rows as they need."""

    DEFAULT_CSS = """
    KeyFooter {
        height: auto;
        layout: vertical;
    }
    KeyFooter > .footer-row {
        height: 1;
        width: 1fr;
    }
    KeyFooter.-compact FooterKey {
        margin: 0 1 0 0;
    }
    KeyFooter.-compact FooterKey.-grouped {
        margin: 0 1 0 0;
    }
    KeyFooter.-compact KeyGroup {
        margin: 0;
        padding: 0;
    }
    KeyFooter.-compact FooterLabel {
        margin: 0 1 0 0;
    }
    """

    def __init__(self, *, show_command_palette: bool = True) -> None:
        super().__init__(show_command_palette=show_command_palette, compact=True)
        self._split: list[list[int]] = []
        self._laid_out_for = 0

    def _items(self) -> list[tuple[int, list[tuple[Binding, bool, str]], str | None]]:
        """The footer's items in order: (width, the bindings, the group label or None)."""
        active = self.screen.active_bindings
        by_action: defaultdict[str, list[tuple[Binding, bool, str]]] = defaultdict(list)
        for _node, binding, enabled, tooltip in active.values():
            if binding.show:
                by_action[binding.action].append((binding, enabled, tooltip))
        items: list[tuple[int, list[tuple[Binding, bool, str]], str | None]] = []
        for group, members in groupby(by_action.values(), lambda m: m[0][0].group):
            firsts = [m[0] for m in members]
            if group is not None and len(firsts) > 1:
                keys = sum(len(self.app.get_key_display(b)) + 1 for b, _, _ in firsts)
                items.append((keys + len(group.description) + 1, firsts, group.description))
            else:
                for first in firsts:
                    key = self.app.get_key_display(first[0])
                    items.append((len(key) + 1 + len(first[0].description) + 1, [first], None))
        return items

    def _palette(self) -> tuple[Binding, bool, str] | None:
        if not (self.show_command_palette and self.app.ENABLE_COMMAND_PALETTE):
            return None
        try:
            _node, binding, enabled, tooltip = self.screen.active_bindings[
                self.app.COMMAND_PALETTE_BINDING
            ]
        except KeyError:
            return None
        return binding, enabled, tooltip

    def _width(self) -> int:
        return self.size.width or self.app.size.width

    def compose(self) -> ComposeResult:
        if not self._bindings_ready:
            return
        items = self._items()
        palette = self._palette()
        widths = [w for w, _, _ in items]
        if palette is not None:
            key = self.app.get_key_display(palette[0])
            widths.append(len(key) + 1 + len(palette[0].description) + 2)
        self._laid_out_for = self._width()
        self._split = rows(widths, self._laid_out_for)
        for row in self._split:
            with HorizontalGroup(classes="footer-row"):
                for i in row:
                    if i == len(items):
                        assert palette is not None
                        yield self._key(palette, palette[0].description, "-command-palette")
                        continue
                    _w, members, label = items[i]
                    if label is None:
                        yield self._key(members[0], members[0][0].description)
                        continue
                    with KeyGroup():
                        for member in members:
                            yield self._key(member, "", "-grouped")
                    yield FooterLabel(label)

    def _key(
        self, member: tuple[Binding, bool, str], description: str, classes: str = ""
    ) -> FooterKey:
        binding, enabled, tooltip = member
        return FooterKey(
            binding.key,
            self.app.get_key_display(binding),
            description,
            binding.action,
            disabled=not enabled,
            tooltip=tooltip or binding.description,
            classes=classes,
        ).data_bind(compact=Footer.compact)

    def on_resize(self, event: events.Resize) -> None:
        """Lay the keys out again for the new width."""
        if self._bindings_ready and event.size.width != self._laid_out_for:
            self.call_after_refresh(self.recompose)
