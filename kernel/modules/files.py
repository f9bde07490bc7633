"""Module files: ``/lib/modules/<release>/kernel/.../NAME.ko`` and ``modules.dep``.

A module file is a small text image: the magic first line naming the registered module
(as an executable names its program, ``kernel.exec``), then modinfo's ``key=value``
fields (name, description, author, license, version, depends, parm, vermagic), which
``init_module`` checks and ``modinfo`` prints. ``modules.dep`` is depmod's: one line
per module, ``kernel/path/name.ko: kernel/path/dep.ko ...``, dependencies first-needed
first.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from kernel.abi import ENOENT, ENOEXEC, Error
from kernel.modules.core import ModuleDef, module_def, module_names

if TYPE_CHECKING:
    from kernel.kernel import Kernel

MAGIC = b"\x7fLKM "


def modinfo_fields(defn: ModuleDef, release: str) -> list[tuple[str, str]]:
    """The ``.modinfo`` fields of a module, in modinfo's order."""
    fields = [("name", defn.name)]
    if defn.version:
        fields.append(("version", defn.version))
    fields += [
        ("description", defn.description),
        ("author", defn.author),
        ("license", defn.license),
    ]
    fields.append(("depends", ",".join(defn.depends)))
    fields.append(("vermagic", f"{release} SMP mod_unload"))
    for p in defn.params:
        fields.append(("parm", f"{p.name}:{p.desc} ({p.type})"))
    return fields


def module_image(defn: ModuleDef, release: str) -> bytes:
    """The bytes of ``NAME.ko``."""
    body = "".join(f"{k}={v}\n" for k, v in modinfo_fields(defn, release))
    return MAGIC + defn.name.encode() + b"\n" + body.encode()


def parse_image(image: bytes) -> ModuleDef:
    """The registered module an image names.

    Raises:
        Error: ENOEXEC if it is not a module image; ENOENT if no module of that name
            is registered.
    """
    if not image.startswith(MAGIC):
        raise Error(ENOEXEC)
    name = image[len(MAGIC) :].split(b"\n", 1)[0].decode(errors="replace").strip()
    defn = module_def(name)
    if defn is None:
        raise Error(ENOENT)
    return defn


def install_files(k: Kernel, release: str) -> int:
    """Write /lib/modules/<release>/: every module's file and modules.dep."""
    from kernel.fs.fsinit import _mkdirs, _write

    base = _mkdirs(k.root_ns.root, f"lib/modules/{release}")
    defs = [d for d in (module_def(n) for n in module_names()) if d is not None]
    paths = {d.name: f"kernel/{d.path}" for d in defs}
    for d in defs:
        folder, _, fname = paths[d.name].rpartition("/")
        _write(_mkdirs(base, folder), fname, module_image(d, release))
    lines = []
    for d in sorted(defs, key=lambda d: paths[d.name]):
        deps = [paths[x] for x in _closure(d.name) if x in paths]
        lines.append(f"{paths[d.name]}:" + "".join(f" {p}" for p in deps) + "\n")
    _write(base, "modules.dep", "".join(lines))
    return len(defs)


def _closure(name: str) -> list[str]:
    """Every module ``name`` depends on, directly or not, nearest first."""
    out: list[str] = []
    todo = list((module_def(name) or ModuleDef(name, "")).depends)
    while todo:
        dep = todo.pop(0)
        if dep in out:
            continue
        out.append(dep)
        d = module_def(dep)
        if d is not None:
            todo += list(d.depends)
    return out
