"""``true`` and ``false``: do nothing, successfully or not."""

from __future__ import annotations


async def main(argv: list[str]) -> int:
    """``true``: exit 0."""
    return 0


async def false_main(argv: list[str]) -> int:
    """``false``: exit 1."""
    return 1
