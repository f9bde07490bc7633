"""Terminals: termios flags and control characters, ioctl requests, window size."""

from __future__ import annotations

from dataclasses import dataclass, field

ISIG = 0o1
ICANON = 0o2
ECHO = 0o10
ECHOE = 0o20
ECHOK = 0o40
ECHOCTL = 0o1000
IEXTEN = 0o100000
OPOST = 0o1
ONLCR = 0o4
ICRNL = 0o400

VINTR = 0
VQUIT = 1
VERASE = 2
VKILL = 3
VEOF = 4
VSUSP = 10
VWERASE = 14

TCGETS = 0x5401
TCSETS = 0x5402
TCSETSW = 0x5403
TCSETSF = 0x5404
TIOCSCTTY = 0x540E
TIOCGPGRP = 0x540F
TIOCSPGRP = 0x5410
TIOCGWINSZ = 0x5413
TIOCSWINSZ = 0x5414
TIOCNOTTY = 0x5422


@dataclass(slots=True)
class Termios:
    """Terminal attributes (the parts of termios(3) the line discipline uses)."""

    iflag: int = ICRNL
    oflag: int = OPOST | ONLCR
    lflag: int = ISIG | ICANON | ECHO | ECHOE | ECHOK | ECHOCTL | IEXTEN
    cc: dict[int, int] = field(
        default_factory=lambda: {
            VINTR: 0x03,
            VQUIT: 0x1C,
            VERASE: 0x7F,
            VKILL: 0x15,
            VEOF: 0x04,
            VSUSP: 0x1A,
            VWERASE: 0x17,
        }
    )

    def copy(self) -> Termios:
        """An independent copy."""
        return Termios(self.iflag, self.oflag, self.lflag, dict(self.cc))


@dataclass(slots=True, frozen=True)
class Winsize:
    """Terminal size in character cells."""

    rows: int = 24
    cols: int = 80
