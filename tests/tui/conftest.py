"""Shared fixtures for the TUI tests."""

from __future__ import annotations

import pytest
from tuihelp import fast_info

from kernel.image import BootInfo


@pytest.fixture
def info() -> BootInfo:
    """A deterministic machine: the default image, fast clock, fixed seed."""
    return fast_info()
