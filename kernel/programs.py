"""The program registry: the names ``/bin`` holds and the Python functions they run.

A program is registered under the ``libk.programs`` entry-point group (or at run time,
by tests and embedders); an executable file names it after the libk magic
(``\\x7fLBK <name>``, a tiny ELF). Only registered names are ever imported, so nothing
inside the machine can make the host import an arbitrary module; a registered program
whose module fails to import is "broken" and its spawn fails with ENOEXEC, saying why.
"""

from __future__ import annotations

from collections.abc import Callable
from importlib import metadata
from typing import Any

MAGIC = b"\x7fLBK "
ENTRY_POINT_GROUP = "libk.programs"
#: Installed set-user-ID root, as on any Unix (su checks who may become whom).
SETUID_PROGRAMS = frozenset({"su", "passwd"})
#: Extra names in /bin: ``[`` cannot be an entry-point name, so it links to test.
PROGRAM_ALIASES = {"[": "test", "egrep": "grep", "fgrep": "grep"}

ProgramMain = Callable[[list[str]], Any]

_registered: dict[str, ProgramMain | str] = {}
_broken: dict[str, str] = {}
_discovered = False


def _discover() -> None:
    global _discovered
    if _discovered:
        return
    _discovered = True
    for ep in metadata.entry_points(group=ENTRY_POINT_GROUP):
        _registered.setdefault(ep.name, ep.value)


def register_program(name: str, main: ProgramMain) -> None:
    """Register a program at run time (as an entry point would): tests, embedding."""
    _discover()
    _registered[name] = main


def program_names() -> list[str]:
    """Every registered program name, sorted."""
    _discover()
    return sorted(_registered)


def find_program(name: str) -> ProgramMain | None:
    """The ``main`` of a registered program, importing its module on first use."""
    _discover()
    entry = _registered.get(name)
    if entry is None or callable(entry):
        return entry
    module, _, attr = entry.partition(":")
    try:
        obj: Any = __import__(module, fromlist=["_"])
        for part in attr.split("."):
            obj = getattr(obj, part)
    except Exception as err:  # noqa: BLE001 - a broken package is the program's fault
        # Like an executable whose interpreter cannot be loaded: the spawn fails with
        # ENOEXEC, saying why; the machine carries on.
        _broken[name] = f"{type(err).__name__}: {err}"
        return None
    if not callable(obj):
        _broken[name] = f"{entry} is not callable"
        return None
    _registered[name] = obj
    return obj


def broken_reason(name: str) -> str | None:
    """Why a registered program could not be loaded, if it could not."""
    return _broken.get(name)


def executable_image(name: str) -> bytes:
    """The bytes of an executable file that runs the registered program ``name``."""
    return (
        MAGIC
        + name.encode()
        + b"\n# libk executable: runs the registered program '"
        + name.encode()
        + b"'\n"
    )
