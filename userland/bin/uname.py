"""``uname [-asnrvmpio]``: print system information from uname(2)."""

from __future__ import annotations

from userland.libk import io as kio
from userland.libk import sys, text

USAGE = """Usage: uname [OPTION]...
Print certain system information.  With no OPTION, same as -s.

  -a, --all                print all information, in the following order,
                             except omit -p and -i if unknown:
  -s, --kernel-name        print the kernel name
  -n, --nodename           print the network node hostname
  -r, --kernel-release     print the kernel release
  -v, --kernel-version     print the kernel version
  -m, --machine            print the machine hardware name
  -p, --processor          print the processor type (non-portable)
  -i, --hardware-platform  print the hardware platform (non-portable)
  -o, --operating-system   print the operating system
      --help               display this help and exit
"""

LONG = {
    "all": "a",
    "kernel-name": "s",
    "nodename": "n",
    "kernel-release": "r",
    "kernel-version": "v",
    "machine": "m",
    "processor": "p",
    "hardware-platform": "i",
    "operating-system": "o",
}
OPERATING_SYSTEM = "libk"


async def main(argv: list[str]) -> int:
    """Entry point."""
    opts = await text.options("uname", argv, "asnrvmpio", USAGE, long=LONG)
    if isinstance(opts, int):
        return opts
    if opts.operands:
        return await text.usage_error("uname", f"extra operand '{opts.operands[0]}'")
    u = await sys.uname()
    every = opts.has("a")
    fields = {
        "s": u.sysname,
        "n": u.nodename,
        "r": u.release,
        "v": u.version,
        "m": u.machine,
        "p": "unknown",
        "i": "unknown",
        "o": OPERATING_SYSTEM,
    }
    wanted = [f for f in "snrvmpio" if opts.has(f)] or ["s"]
    if every:
        wanted = [f for f in "snrvmo"] + [f for f in "pi" if opts.has(f)]
        wanted.sort(key="snrvmpio".index)
    await kio.write_all(1, " ".join(fields[f] for f in wanted) + "\n")
    return 0
