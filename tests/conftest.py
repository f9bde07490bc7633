"""Fixtures shared by every test directory."""

from __future__ import annotations

from importlib import metadata
from typing import Any

import pytest

from kernel import programs as execmod


@pytest.fixture
def installed_programs(monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """Limit the program registry to the installed entry points for one test.

    Test modules register programs of their own (at import, or through ksim), and those
    stay registered for the rest of the session; a machine booted later would have
    them in /bin, which changes ``ls /bin`` and the memory the header shows. Add a
    test's own programs to the returned dict: ``installed_programs["snap_x"] = main``.
    """
    installed = {ep.name for ep in metadata.entry_points(group=execmod.ENTRY_POINT_GROUP)}
    execmod.program_names()  # discover the entry points first
    keep = {n: v for n, v in execmod._registered.items() if n in installed}
    monkeypatch.setattr(execmod, "_registered", keep)
    return keep
