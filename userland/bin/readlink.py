"""``readlink [-f|-e|-m] [-n] FILE…``: print a symbolic link's target or a canonical name."""

from __future__ import annotations

from kernel.abi import Error
from userland.libk import io as kio
from userland.libk import sys, text
from userland.libk.walk import canonicalize

USAGE = """Usage: readlink [OPTION]... FILE...
Print value of a symbolic link or canonical file name

  -f, --canonicalize            canonicalize by following every symlink in
                                every component of the given name recursively;
                                all but the last component must exist
  -e, --canonicalize-existing   canonicalize by following every symlink in
                                every component of the given name recursively,
                                all components must exist
  -m, --canonicalize-missing    canonicalize by following every symlink in
                                every component of the given name recursively,
                                without requirements on components existence
  -n, --no-newline              do not output the trailing delimiter
  -q, --quiet                   suppress most error messages (on by default)
  -s, --silent                  suppress most error messages (on by default)
  -v, --verbose                 report error messages
  -z, --zero                    end each output line with NUL, not newline
      --help                    display this help and exit
"""

LONG = {
    "canonicalize": "f",
    "canonicalize-existing": "e",
    "canonicalize-missing": "m",
    "no-newline": "n",
    "quiet": "q",
    "silent": "s",
    "verbose": "v",
    "zero": "z",
}


async def main(argv: list[str]) -> int:
    """Entry point."""
    opts = await text.options("readlink", argv, "femnqsvz", USAGE, long=LONG)
    if isinstance(opts, int):
        return opts
    if not opts.operands:
        return await text.usage_error("readlink", "missing operand")
    mode = ""
    verbose = False
    for flag, _ in opts.seen:
        if flag in "fem":
            mode = flag
        elif flag == "v":
            verbose = True
        elif flag in "qs":
            verbose = False
    end = "\0" if opts.has("z") else "\n"
    if opts.has("n") and len(opts.operands) == 1:
        end = ""
    status = 0
    out = kio.Output(1)
    for name in opts.operands:
        try:
            target = await canonicalize(name, mode) if mode else await sys.readlink(name)
        except Error as err:
            status = 1
            if verbose:
                await out.flush()
                await kio.warn("readlink", f"{name}: {err.message}")
            continue
        await out.write(target + end)
    await out.flush()
    return status
