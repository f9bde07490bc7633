"""``nproc``: print the number of processing units available (GNU coreutils')."""

from __future__ import annotations

from kernel.abi import O_DIRECTORY, Error
from userland.libk import io as kio
from userland.libk import sys, text
from userland.libk.procinfo import read_text

USAGE = """Usage: nproc [OPTION]...
Print the number of processing units available to the current process,
which may be less than the number of online processors

      --all      print the number of installed processors
      --ignore=N  if possible, exclude N processing units
      --help     display this help and exit
"""

CPU_DIR = "/sys/devices/system/cpu"


def cpulist_count(text: str) -> int:
    """How many CPUs a cpulist (``0,2-3``) names; 0 for an empty or malformed one."""
    n = 0
    for part in text.strip().split(","):
        if not part:
            continue
        lo, _, hi = part.partition("-")
        if not lo.isdigit() or (hi and not hi.isdigit()):
            return 0
        n += int(hi or lo) - int(lo) + 1
    return n


async def installed() -> int:
    """glibc's _SC_NPROCESSORS_CONF: the cpuN directories of /sys."""
    try:
        fd = await sys.open(CPU_DIR, O_DIRECTORY)
    except Error:
        return await online()
    try:
        names = [d.d_name for d in await sys.getdents(fd)]
    finally:
        await sys.close(fd)
    return sum(1 for n in names if n.startswith("cpu") and n[3:].isdigit()) or 1


async def online() -> int:
    """glibc's _SC_NPROCESSORS_ONLN: /sys's online list, else /proc/stat's cpuN lines."""
    text = await read_text(f"{CPU_DIR}/online")
    n = cpulist_count(text) if text is not None else 0
    if n:
        return n
    stat = await read_text("/proc/stat") or ""
    return sum(1 for line in stat.splitlines() if line[:3] == "cpu" and line[3:4].isdigit()) or 1


async def main(argv: list[str]) -> int:
    """Entry point."""
    short = next((a for a in argv[1:] if a.startswith("-") and not a.startswith("--")), None)
    if short is not None and short != "-":
        return await text.usage_error("nproc", f"invalid option -- '{short[1]}'")
    opts = await text.options("nproc", argv, "ai:", USAGE, long={"all": "a", "ignore": "i"})
    if isinstance(opts, int):
        return opts
    if opts.operands:
        return await text.usage_error("nproc", f"extra operand '{opts.operands[0]}'")
    ignore = 0
    spec = opts.value("i")
    if spec is not None:
        if not spec.isdigit():
            await kio.warn("nproc", f"invalid number: '{spec}'")
            return 1
        ignore = int(spec)
    if opts.has("a"):
        n = await installed()
    else:
        n = await online()
        env = await sys.environ()
        for var in ("OMP_NUM_THREADS", "OMP_THREAD_LIMIT"):  # as coreutils honours them
            first = env.get(var, "").split(",")[0].strip()
            if first.isdigit() and int(first) > 0:
                n = int(first) if var == "OMP_NUM_THREADS" else min(n, int(first))
    await kio.write_all(1, f"{max(1, n - ignore)}\n")
    return 0
