"""``rmmod [-f] [-s] [-v] MODULE...``: remove modules from the kernel (kmod's), through
delete_module(2) after kmod's own checks: not loaded, in use by holders, in use."""

from __future__ import annotations

from kernel.abi import O_NONBLOCK, Error, strerror
from userland.bin.lsmod import kmod_options, loaded, module_name
from userland.libk import io as kio
from userland.libk import sys

USAGE = """Usage:
    rmmod [options] modulename ...
Options:
    -f, --force       forces a module unload and may crash your
                      machine. This requires Forced Module Removal
                      option in your kernel. DANGEROUS
    -s, --syslog      print to syslog, not stderr
    -v, --verbose     enables more messages
    -V, --version     show version
    -h, --help        show this help
"""


async def remove(prog: str, name: str, *, verbose: bool = False) -> bool:
    """Remove one module with kmod's checks and messages; False on failure."""
    mods = await loaded()
    mod = mods.get(name)
    if mod is None:
        await kio.warn(prog, f"ERROR: Module {name} is not currently loaded")
        return False
    if mod.holders:
        await kio.warn(prog, f"ERROR: Module {name} is in use by: {' '.join(mod.holders)}")
        return False
    if mod.refcnt:
        await kio.warn(prog, f"ERROR: Module {name} is in use")
        return False
    if verbose:
        await kio.write_all(1, f"rmmod {name}\n")
    try:
        await sys.delete_module(name, O_NONBLOCK)
    except Error as err:
        await kio.warn(prog, f"ERROR: could not remove module {name}: {strerror(err.errno)}")
        return False
    return True


async def main(argv: list[str]) -> int:
    """Entry point."""
    opts = await kmod_options(
        "rmmod",
        argv,
        "fsvV",
        {"force": "f", "syslog": "s", "verbose": "v", "version": "V"},
        USAGE,
        "ERROR: missing module name.",
    )
    if isinstance(opts, int):
        return opts
    if opts.has("f"):
        await kio.warn("rmmod", "ERROR: could not remove module: forced removal not supported")
        return 1
    rc = 0
    for arg in opts.operands:
        if not await remove("rmmod", module_name(arg), verbose=opts.has("v")):
            rc = 1
    return rc
