"""``lsmod``: show the loaded kernel modules, from /proc/modules (kmod's). Also the
helpers the other module utilities share: the loaded list and the modules.dep lookup."""

from __future__ import annotations

from dataclasses import dataclass

from userland.libk import args as argparse
from userland.libk import io as kio
from userland.libk import sys
from userland.libk.procinfo import read_text

USAGE = """Usage:
    lsmod [options]
Options:
    -h, --help     show this help
"""


@dataclass(slots=True)
class LoadedModule:
    """One /proc/modules line."""

    name: str
    size: int
    refcnt: int
    holders: list[str]
    state: str


KMOD_VERSION = "kmod version 31 (libk)\n"


async def kmod_options(
    prog: str,
    argv: list[str],
    spec: str,
    long: dict[str, str],
    usage: str,
    missing: str,
    *,
    permute: bool = True,
) -> argparse.Options | int:
    """kmod's option handling for rmmod, modprobe and modinfo: ``PROG: ERROR: …`` for a
    bad option, ``--help``, ``-V``/``--version``, and ``missing`` when no operand is
    given. Returns the options, or the exit status to end with."""
    try:
        opts = argparse.getopt(argv, spec, long=long, permute=permute)
    except argparse.UsageError as err:
        await kio.warn(prog, f"ERROR: {err}")
        return 1
    if opts.help:
        await kio.write_all(1, usage)
        return 0
    if opts.has("V"):
        await kio.write_all(1, KMOD_VERSION)
        return 0
    if not opts.operands:
        await kio.warn(prog, missing)
        return 1
    return opts


def parse_proc_modules(text: str) -> list[LoadedModule]:
    """``name size refcnt holders, state address`` lines, as kmod reads them."""
    out = []
    for line in text.splitlines():
        f = line.split()
        if len(f) < 5:
            continue
        holders = [h for h in f[3].split(",") if h and h != "-"]
        out.append(LoadedModule(f[0], int(f[1]), int(f[2]), holders, f[4]))
    return out


async def loaded() -> dict[str, LoadedModule]:
    """The loaded modules by name (empty if /proc is not mounted)."""
    text = await read_text("/proc/modules") or ""
    return {m.name: m for m in parse_proc_modules(text)}


async def moddir() -> str:
    """``/lib/modules/<uname -r>``."""
    return f"/lib/modules/{(await sys.uname()).release}"


def module_name(arg: str) -> str:
    """A module's name from a name or a path (``/x/ram-disk.ko`` -> ``ram_disk``)."""
    base = arg.rsplit("/", 1)[-1]
    if base.endswith(".ko"):
        base = base[:-3]
    return base.replace("-", "_")


async def resolve(name: str) -> tuple[str, list[str]] | None:
    """The file of module ``name`` and its dependencies' files (nearest first), from
    modules.dep; None if it is not there."""
    base = await moddir()
    text = await read_text(f"{base}/modules.dep") or ""
    for line in text.splitlines():
        path, _, deps = line.partition(":")
        if module_name(path) == module_name(name):
            return f"{base}/{path}", [f"{base}/{d}" for d in deps.split()]
    return None


async def main(argv: list[str]) -> int:
    """Entry point."""
    if len(argv) > 1:
        if argv[1] in ("-h", "--help"):
            await kio.write_all(1, USAGE)
            return 0
        await kio.warn("lsmod", "ERROR: unexpected argument")
        return 1
    text = await read_text("/proc/modules")
    if text is None:
        await kio.warn("lsmod", "ERROR: could not open /proc/modules: No such file or directory")
        return 1
    out = ["Module                  Size  Used by\n"]
    for m in parse_proc_modules(text):
        line = f"{m.name:<19} {m.size:>8}  {m.refcnt}"
        if m.holders:
            line += " " + ",".join(m.holders)
        out.append(line + "\n")
    await kio.write_all(1, "".join(out))
    return 0
