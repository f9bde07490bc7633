"""Control flow of the shell: exit, loops, function returns, and reportable errors."""

from __future__ import annotations


class ShellExit(Exception):  # noqa: N818 - control flow
    """``exit``: unwind to the top of this shell (or subshell)."""

    def __init__(self, status: int) -> None:
        super().__init__(status)
        self.status = status


class LoopControl(Exception):  # noqa: N818 - control flow
    """``break n`` / ``continue n``."""

    def __init__(self, kind: str, levels: int) -> None:
        super().__init__(kind, levels)
        self.kind = kind
        self.levels = levels


class FunctionReturn(Exception):  # noqa: N818 - control flow
    """``return n``."""

    def __init__(self, status: int) -> None:
        super().__init__(status)
        self.status = status


class CommandError(Exception):
    """An error the shell reports as ``sh: LINE: message`` (status given)."""

    def __init__(self, message: str, status: int = 2) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
