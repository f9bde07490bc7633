"""``/sys/module/NAME``: a loaded module's kobject (kernel/module/sysfs.c).

``refcnt``, ``initstate``, ``coresize``, ``version``, ``taint``, ``holders/`` (links to
the modules that use it) and ``parameters/`` (one file per parameter with a non-zero
permission; writable ones take root's writes, which change the live value).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from kernel.dev.kobject import KObject
from kernel.fs.sysfs import Store
from kernel.modules.core import Param, parse_value, show_value

if TYPE_CHECKING:
    from kernel.kernel import Kernel
    from kernel.modules.core import Loaded


def _param_attr(mod: Loaded, p: Param) -> Any:
    def show() -> str:
        return show_value(p, mod.values[p.name]) + "\n"

    if not p.perm & 0o222:
        return show

    def store(t: Any, text: str) -> None:
        mod.values[p.name] = parse_value(p, text.rstrip("\n"))

    return Store(show, store, p.perm)


def module_kobject(k: Kernel, mod: Loaded) -> KObject:
    """Make /sys/module/NAME for ``mod``."""
    kset = k.devices.module_kset
    kobj = KObject(mod.name)
    kobj.kset = kset
    kobj.add(None)
    defn = mod.defn
    kobj.attrs.update(
        {
            "refcnt": lambda: f"{mod.refcnt}\n",
            "initstate": lambda: f"{mod.state}\n",
            "coresize": lambda: f"{defn.size}\n",
            "taint": lambda: "\n" if defn.license == "GPL" else "P\n",
        }
    )
    if defn.version:
        kobj.attrs["version"] = lambda: f"{defn.version}\n"
    params = {p.name: _param_attr(mod, p) for p in defn.params if p.perm}
    if params:
        kobj.attrs["parameters"] = params
    KObject("holders").add(kobj)
    k.devices.kobject_uevent(kobj, "add", "module")  # as Linux's load_module sends
    return kobj


def holders_changed(mod: Loaded, holder: Loaded, added: bool) -> None:
    """Keep ``/sys/module/NAME/holders/`` in step with the holders list."""
    if mod.kobj is None:
        return
    links = mod.kobj.children["holders"].links
    if added and holder.kobj is not None:
        links[holder.name] = holder.kobj
    else:
        links.pop(holder.name, None)


def module_kobject_del(mod: Loaded) -> None:
    """Take /sys/module/NAME away."""
    kobj = mod.kobj
    if kobj is None:
        return
    for child in list(kobj.children.values()):
        child.delete()
        child.put()
    mod.k.devices.kobject_uevent(kobj, "remove", "module")
    kobj.delete()
    kobj.put()
    mod.kobj = None
