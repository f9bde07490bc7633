"""The kernel log: timestamped lines that dmesg and /proc/kmsg show.

Bounded like Linux's ring buffer: past the limit the oldest lines go.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable

LOG_LINES = 4096


class KernelLog:
    """A ring of ``(time_ns, text)`` lines."""

    __slots__ = ("lines", "_now")

    def __init__(self, now: Callable[[], int]) -> None:
        self.lines: deque[tuple[int, str]] = deque(maxlen=LOG_LINES)
        self._now = now

    def __call__(self, text: str) -> None:
        """Append a line (several, if ``text`` has newlines)."""
        now = self._now()
        for line in text.splitlines() or [""]:
            self.lines.append((now, line))

    def render(self) -> str:
        """The log in dmesg's format: ``[    1.234567] text``."""
        return "".join(
            f"[{ns // 1_000_000_000:5d}.{(ns // 1000) % 1_000_000:06d}] {text}\n"
            for ns, text in self.lines
        )
