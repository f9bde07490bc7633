"""``modinfo [-F FIELD] [-0] MODULE...``: show a module file's information (kmod's):
``filename`` then the file's ``key=value`` fields; MODULE is a file or a name looked up
in modules.dep."""

from __future__ import annotations

from kernel.abi import Error
from userland.bin.lsmod import kmod_options, moddir, module_name, resolve
from userland.libk import io as kio

USAGE = """Usage:
    modinfo [options] <modulename|filename> [args]
Options:
    -a, --author                Print only 'author'
    -d, --description           Print only 'description'
    -l, --license               Print only 'license'
    -p, --parameters            Print only 'parm'
    -n, --filename              Print only 'filename'
    -0, --null                  Use \\0 instead of \\n
    -F, --field=FIELD           Print only provided FIELD
    -V, --version               show version
    -h, --help                  show this help
"""

SHORTCUTS = {"a": "author", "d": "description", "l": "license", "p": "parm", "n": "filename"}


async def info(arg: str) -> tuple[str, list[tuple[str, str]]] | None:
    """The file and fields of a module given by path or name; None if not found."""
    path = arg
    if "/" not in arg:
        found = await resolve(arg)
        if found is None:
            return None
        path = found[0]
    try:
        data = await kio.read_file(path)
    except Error:
        return None
    lines = data.decode(errors="replace").splitlines()[1:]
    fields = [("filename", path)]
    for line in lines:
        key, eq, value = line.partition("=")
        if eq and key != "name":
            fields.append((key, value))
    fields.append(("name", module_name(path)))
    return path, fields


async def main(argv: list[str]) -> int:
    """Entry point."""
    long = {
        "author": "a",
        "description": "d",
        "license": "l",
        "parameters": "p",
        "filename": "n",
        "null": "0",
        "field": "F",
        "version": "V",
    }
    opts = await kmod_options(
        "modinfo", argv, "adlpn0F:V", long, USAGE, "ERROR: missing module or filename."
    )
    if isinstance(opts, int):
        return opts
    field = opts.value("F")
    for flag, name in SHORTCUTS.items():
        if opts.has(flag):
            field = name
    end = "\0" if opts.has("0") else "\n"
    rc = 0
    for arg in opts.operands:
        found = await info(arg)
        if found is None:
            await kio.warn("modinfo", f"ERROR: Module {arg} not found.")
            rc = 1
            continue
        out = []
        for key, value in found[1]:
            if field is None:
                out.append(f"{key + ':':<16}{value}{end}")
            elif key == field:
                out.append(f"{value}{end}")
        await kio.write_all(1, "".join(out))
    return rc


__all__ = ["main", "moddir"]
