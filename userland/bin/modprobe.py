"""``modprobe [-r] [-n] [-v] [--show-depends] MODULE [PARAMS...]``: add or remove a
module with its dependencies, found in /lib/modules/<release>/modules.dep (kmod's).
Loading inserts the dependencies first (farthest first) and skips loaded ones; ``-r``
removes the modules named, then their dependencies nobody else uses."""

from __future__ import annotations

from kernel.abi import Error, strerror
from userland.bin.insmod import mod_strerror
from userland.bin.lsmod import kmod_options, loaded, moddir, module_name, resolve
from userland.bin.rmmod import remove
from userland.libk import io as kio
from userland.libk import sys

USAGE = """Usage:
    modprobe [options] [-i] [-b] modulename
    modprobe [options] -a [-i] [-b] modulename [modulename...]
    modprobe [options] -r [-i] modulename
    modprobe [options] -r -a [-i] modulename [modulename...]
    modprobe [options] --show-depends modulename
Management Options:
    -a, --all                   Consider every non-argument to
                                be a module name to be inserted
                                or removed (-r)
    -r, --remove                Remove modules instead of inserting
    -D, --show-depends          Only print module dependencies and exit
    -n, --dry-run               Do not execute operations, just print out
    -v, --verbose               enables more messages
    -q, --quiet                 disable messages
    -V, --version               show version
    -h, --help                  show this help
"""


async def insert(name: str, params: str, *, dry: bool, verbose: bool, show: bool) -> int:
    """Insert ``name`` and its dependencies; kmod's messages and exit status."""
    found = await resolve(name)
    if found is None:
        await kio.warn("modprobe", f"FATAL: Module {name} not found in directory {await moddir()}")
        return 1
    path, deps = found
    mods = await loaded()
    for i, file in enumerate([*reversed(deps), path]):
        last = i == len(deps)
        opts = params if last else ""
        if show:
            await kio.write_all(1, f"insmod {file} {opts}".rstrip() + " \n")
            continue
        if module_name(file) in mods:
            continue
        if verbose:
            await kio.write_all(1, f"insmod {file} {opts}".rstrip() + " \n")
        if dry:
            continue
        try:
            image = await kio.read_file(file)
            await sys.init_module(image, opts)
        except Error as err:
            msg = mod_strerror(err.errno)
            await kio.warn("modprobe", f"ERROR: could not insert '{module_name(file)}': {msg}")
            return 1
    return 0


async def remove_all(name: str, *, dry: bool, verbose: bool) -> int:
    """Remove ``name``, then its dependencies that are no longer used."""
    mods = await loaded()
    if name not in mods:
        await kio.warn("modprobe", f"FATAL: Module {name} is not in kernel.")
        return 1
    m = mods[name]
    if m.holders or m.refcnt:
        await kio.warn("modprobe", f"FATAL: Module {name} is in use.")
        return 1
    found = await resolve(name)
    deps = [module_name(d) for d in found[1]] if found else []
    for mod in [name, *deps]:
        current = (await loaded()).get(mod)
        if current is None or (mod != name and (current.holders or current.refcnt)):
            continue
        if dry:
            if verbose:
                await kio.write_all(1, f"rmmod {mod}\n")
            continue
        if not await remove("modprobe", mod, verbose=verbose):
            return 1
    return 0


async def main(argv: list[str]) -> int:
    """Entry point."""
    long = {
        "remove": "r",
        "dry-run": "n",
        "verbose": "v",
        "show-depends": "D",
        "quiet": "q",
        "all": "a",
        "version": "V",
    }
    opts = await kmod_options(
        "modprobe", argv, "rnvDqaV", long, USAGE, "FATAL: Module name not specified.", permute=False
    )
    if isinstance(opts, int):
        return opts
    dry, verbose = opts.has("n"), opts.has("v")
    if opts.has("r") or opts.has("a"):
        names = opts.operands if opts.has("a") or opts.has("r") else opts.operands[:1]
        rc = 0
        for n in names:
            if opts.has("r"):
                rc |= await remove_all(module_name(n), dry=dry, verbose=verbose)
            else:
                rc |= await insert(module_name(n), "", dry=dry, verbose=verbose, show=False)
        return rc
    name, params = module_name(opts.operands[0]), " ".join(opts.operands[1:])
    return await insert(name, params, dry=dry, verbose=verbose, show=opts.has("D"))


__all__ = ["main", "strerror"]
