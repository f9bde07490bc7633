"""The processes pane's arrangements of its rows: the filter (``/``) and the tree (``t``).

Pure functions over :class:`tui.procview.ProcessRow` lists, no Textual, so tests use
them directly. The filter is htop's: a case-insensitive substring of the command or the
user. The tree is ``ps -ef --forest``'s and htop's: each process under its parent,
siblings in the pane's sort order, drawn with the glyphs htop uses (``├─``, ``└─``,
``│``); a process whose parent is not shown (init, orphans, a filtered-out parent) is a
root.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from tui.procview import ProcessRow

BRANCH = "├─ "
LAST = "└─ "
PIPE = "│  "
SPACE = "   "


def matches(row: ProcessRow, needle: str) -> bool:
    """Does ``row``'s command or user hold ``needle`` (ignoring case)? An empty needle
    matches every row."""
    if not needle:
        return True
    needle = needle.casefold()
    return needle in row.command.casefold() or needle in row.user.casefold()


def filter_rows(rows: Iterable[ProcessRow], needle: str) -> list[ProcessRow]:
    """The rows that :func:`matches` ``needle``, in their order."""
    if not needle:
        return list(rows)
    return [r for r in rows if matches(r, needle)]


def tree_order(
    rows: Iterable[ProcessRow],
    sort_key: Callable[[ProcessRow], Any],
    reverse: bool = False,
) -> list[tuple[int, str]]:
    """The rows as a tree, depth first: ``(pid, prefix)`` pairs, where the prefix (empty
    for a root) draws the branches to put before the command.

    Args:
        rows: the processes to arrange (each pid once).
        sort_key: a row's sort value; siblings sort by it, the pid breaking ties.
        reverse: siblings largest first.
    """
    by_pid = {r.pid: r for r in rows}
    children: dict[int, list[ProcessRow]] = {}
    roots: list[ProcessRow] = []
    for r in by_pid.values():
        if r.ppid in by_pid and r.ppid != r.pid:
            children.setdefault(r.ppid, []).append(r)
        else:
            roots.append(r)

    def ordered(group: list[ProcessRow]) -> list[ProcessRow]:
        group.sort(key=lambda r: r.pid)
        group.sort(key=sort_key, reverse=reverse)
        return group

    out: list[tuple[int, str]] = []
    seen: set[int] = set()
    # An explicit stack of (row, the prefix of its children, its own prefix): no
    # recursion limit however deep the tree.
    stack: list[tuple[ProcessRow, str, str]] = [(r, "", "") for r in reversed(ordered(roots))]
    while True:
        while stack:
            row, indent, prefix = stack.pop()
            if row.pid in seen:
                continue
            seen.add(row.pid)
            out.append((row.pid, prefix))
            kids = ordered(children.get(row.pid, []))
            for n in range(len(kids) - 1, -1, -1):
                last = n == len(kids) - 1
                stack.append(
                    (
                        kids[n],
                        indent + (SPACE if last else PIPE),
                        indent + (LAST if last else BRANCH),
                    )
                )
        # Rows in a cycle of parents (never in a sane machine) become roots too.
        rest = [r for r in by_pid.values() if r.pid not in seen]
        if not rest:
            return out
        stack.append((ordered(rest)[0], "", ""))
