"""Shared fixtures for the TUI tests: a deterministic machine (fast clock, fixed seed)."""

from __future__ import annotations

import dataclasses

import pytest

from kernel import boot
from kernel.image import BootInfo


def fast_info() -> BootInfo:
    """The default image with the clock in ``fast`` mode (its seed is fixed)."""
    info = boot.load(None)
    return dataclasses.replace(info, clock=dataclasses.replace(info.clock, mode="fast"))


@pytest.fixture
def info() -> BootInfo:
    """A deterministic machine."""
    return fast_info()
