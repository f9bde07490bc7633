"""The walls of DESIGN.md §2, enforced.

kernel/ imports nothing from userland/ or tui/ (nor Textual or prompt-toolkit);
userland/ imports only kernel.abi from the kernel and never touches the host; tui/ does
not read kernel objects directly (only boot, the host client, the console and the ABI).
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HOST_MODULES = {
    "os",
    "sys",
    "time",
    "random",
    "threading",
    "subprocess",
    "socket",
    "shutil",
    "pathlib",
    "asyncio",
    "io",
    "signal",
    "select",
    "multiprocessing",
    "tempfile",
    "importlib",
    "ctypes",
    "pickle",
    "marshal",
    "builtins",
}
HOST_CALLS = {"open", "print", "input", "exec", "eval", "compile", "__import__"}
TUI_ALLOWED_KERNEL = {"kernel.boot", "kernel.host", "kernel.abi", "kernel.image", "kernel.kernel"}


def _imports(path: Path) -> list[tuple[int, str]]:
    tree = ast.parse(path.read_text(), str(path))
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out.extend((node.lineno, a.name) for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            out.append((node.lineno, node.module))
            out.extend(
                (node.lineno, f"{node.module}.{a.name}")
                for a in node.names
                if node.module == "kernel"
            )
    return out


def _files(package: str) -> list[Path]:
    return sorted((ROOT / package).rglob("*.py"))


def test_kernel_imports_no_userland_tui_or_ui_libraries() -> None:
    bad = []
    for f in _files("kernel"):
        for line, mod in _imports(f):
            top = mod.split(".")[0]
            if top in ("userland", "tui", "textual", "prompt_toolkit"):
                bad.append(f"{f.relative_to(ROOT)}:{line}: imports {mod}")
    assert not bad, "\n".join(bad)


def test_userland_imports_only_the_abi_from_the_kernel() -> None:
    bad = []
    for f in _files("userland"):
        for line, mod in _imports(f):
            if mod.split(".")[0] == "kernel" and mod not in ("kernel.abi", "kernel"):
                bad.append(f"{f.relative_to(ROOT)}:{line}: imports {mod}")
            if mod.startswith("kernel.") and mod != "kernel.abi":
                bad.append(f"{f.relative_to(ROOT)}:{line}: imports {mod}")
            if mod.split(".")[0] in ("tui", "textual", "prompt_toolkit"):
                bad.append(f"{f.relative_to(ROOT)}:{line}: imports {mod}")
    assert not bad, "\n".join(sorted(set(bad)))


def test_userland_never_touches_the_host() -> None:
    bad = []
    for f in _files("userland"):
        tree = ast.parse(f.read_text(), str(f))
        for line, mod in _imports(f):
            if mod.split(".")[0] in HOST_MODULES:
                bad.append(f"{f.relative_to(ROOT)}:{line}: imports {mod}")
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Name)
                and node.func.id in HOST_CALLS
            ):
                bad.append(f"{f.relative_to(ROOT)}:{node.lineno}: calls {node.func.id}()")
    assert not bad, "\n".join(bad)


def test_tui_reaches_the_kernel_only_through_boot_host_client_console_and_abi() -> None:
    bad = []
    for f in _files("tui"):
        for line, mod in _imports(f):
            if mod.startswith("kernel.") and not any(
                mod == a or mod.startswith(a + ".") for a in TUI_ALLOWED_KERNEL
            ):
                bad.append(f"{f.relative_to(ROOT)}:{line}: imports {mod}")
    assert not bad, "\n".join(bad)


def test_the_wall_checks_can_fail(tmp_path: Path) -> None:
    sample = tmp_path / "x.py"
    sample.write_text("import os\nfrom kernel.proc import Process\nprint('hi')\n")
    mods = [m for _, m in _imports(sample)]
    assert "os" in mods and "kernel.proc" in mods


def test_no_host_time_or_randomness_in_kernel_or_userland() -> None:
    """Determinism: virtual time only, and randomness only from the machine's seed."""
    bad = []
    for package in ("kernel", "userland"):
        for f in _files(package):
            text = f.read_text()
            for line, mod in _imports(f):
                if mod.split(".")[0] in ("time", "secrets", "uuid"):
                    bad.append(f"{f.relative_to(ROOT)}:{line}: imports {mod}")
            for needle in (
                "datetime.now",
                "datetime.today",
                "date.today",
                "os.urandom",
                "random.random(",
                "random.randint(",
                "SystemRandom",
            ):
                if needle in text:
                    bad.append(f"{f.relative_to(ROOT)}: uses {needle}")
            if "import random" in text and "random.Random(" not in text:
                bad.append(f"{f.relative_to(ROOT)}: random without a seeded random.Random")
    assert not bad, "\n".join(bad)
