"""What a terminal's screen is made of: cells, their attributes, lines, and SGR.

A cell is a character and the :class:`Attr` it is drawn with; a line is a list of
cells. This module owns that model (the blank cell and line, a line cut into runs of one
attribute for drawing, a screen fitted to a size) and the parsing of SGR sequences
(``CSI … m``: attributes and 16, 256 and true colours) into an :class:`Attr`. The
emulator that moves the cursor over the cells is :mod:`tui.term`.
"""

from __future__ import annotations

from dataclasses import dataclass, replace


@dataclass(frozen=True, slots=True)
class Attr:
    """How a cell is drawn. Colours: None (default), 0..255 (palette) or (r, g, b)."""

    fg: int | tuple[int, int, int] | None = None
    bg: int | tuple[int, int, int] | None = None
    bold: bool = False
    dim: bool = False
    italic: bool = False
    underline: bool = False
    reverse: bool = False


PLAIN = Attr()
Cell = tuple[str, Attr]
Line = list[Cell]
BLANK: Cell = (" ", PLAIN)


def blank_line(cols: int, attr: Attr = PLAIN) -> Line:
    """A line of ``cols`` blank cells drawn with ``attr``."""
    cell = (" ", attr) if attr is not PLAIN else BLANK
    return [cell] * cols


def apply_sgr(attr: Attr, params: list[int]) -> Attr:
    """``attr`` changed by an SGR sequence's parameters (``CSI … m``).

    Args:
        attr: the attribute before the sequence.
        params: its parameters (none: a reset).

    Returns:
        The new attribute (:data:`PLAIN` itself when it is plain again).
    """
    if not params:
        params = [0]
    i = 0
    while i < len(params):
        p = params[i]
        if p == 0:
            attr = PLAIN
        elif p == 1:
            attr = replace(attr, bold=True)
        elif p == 2:
            attr = replace(attr, dim=True)
        elif p == 3:
            attr = replace(attr, italic=True)
        elif p == 4:
            attr = replace(attr, underline=True)
        elif p == 7:
            attr = replace(attr, reverse=True)
        elif p == 22:
            attr = replace(attr, bold=False, dim=False)
        elif p == 23:
            attr = replace(attr, italic=False)
        elif p == 24:
            attr = replace(attr, underline=False)
        elif p == 27:
            attr = replace(attr, reverse=False)
        elif 30 <= p <= 37:
            attr = replace(attr, fg=p - 30)
        elif 40 <= p <= 47:
            attr = replace(attr, bg=p - 40)
        elif 90 <= p <= 97:
            attr = replace(attr, fg=p - 90 + 8)
        elif 100 <= p <= 107:
            attr = replace(attr, bg=p - 100 + 8)
        elif p == 39:
            attr = replace(attr, fg=None)
        elif p == 49:
            attr = replace(attr, bg=None)
        elif p in (38, 48):
            colour, used = _extended_colour(params[i + 1 :])
            i += used
            if colour is not None:
                attr = replace(attr, fg=colour) if p == 38 else replace(attr, bg=colour)
        i += 1
    return PLAIN if attr == PLAIN else attr


def spans(line: Line) -> list[tuple[str, Attr]]:
    """A line as runs of text that share an attribute."""
    out: list[tuple[str, Attr]] = []
    if not line:
        return out
    chars: list[str] = []
    cur = line[0][1]
    for ch, attr in line:
        if attr is not cur and attr != cur:
            out.append(("".join(chars), cur))
            chars = []
            cur = attr
        chars.append(ch)
    out.append(("".join(chars), cur))
    return out


def _extended_colour(rest: list[int]) -> tuple[int | tuple[int, int, int] | None, int]:
    if len(rest) >= 2 and rest[0] == 5:
        return max(0, min(255, rest[1])), 2
    if len(rest) >= 4 and rest[0] == 2:
        r, g, b = (max(0, min(255, v)) for v in rest[1:4])
        return (r, g, b), 4
    return None, len(rest)


def is_blank(line: Line) -> bool:
    """The line shows nothing: spaces without a background or reverse video."""
    return all(ch == " " and attr.bg is None and not attr.reverse for ch, attr in line)


def fit(screen: list[Line], cols: int, rows: int) -> list[Line]:
    """``rows`` lines at least ``cols`` wide; longer lines keep their hidden tail."""
    out: list[Line] = []
    for line in screen[:rows]:
        if len(line) < cols:
            line = line + [BLANK] * (cols - len(line))
        out.append(line)
    while len(out) < rows:
        out.append(blank_line(cols))
    return out
