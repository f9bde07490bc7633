"""The module framework: module definitions, loaded modules, their parameters and the
context that records what a module registered (kernel/module/ in Linux).

A module is a :class:`ModuleDef` registered in the ``libk.modules`` entry-point group;
:class:`Modules` (``k.modules``) loads and unloads them. Loading parses the parameters
(``name=value``, typed as Linux's ``module_param``: int, uint, bool, charp), checks
that the modules it takes symbols from are loaded (each holds a reference on those),
makes ``/sys/module/NAME`` and runs ``init`` with a :class:`ModuleContext`; whatever the
init registered through the context (devices, drivers, undo callbacks) is unwound if it
fails, and again by unloading, after ``exit``, so a module cannot leave anything behind.
A loaded module is an ``Owner`` of the device model: its open device nodes hold it.
"""

from __future__ import annotations

import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from kernel.abi import EEXIST, EFAULT, EINVAL, ENOENT, EPERM, EWOULDBLOCK, Error
from kernel.dev.kobject import KObject

if TYPE_CHECKING:
    from kernel.dev.driver import Device, DeviceDriver
    from kernel.kernel import Kernel

__all__ = ["COMING", "GOING", "LIVE", "Loaded", "ModuleContext", "ModuleDef", "Modules", "Param"]

COMING, LIVE, GOING = "coming", "live", "going"
GROUP = "libk.modules"


@dataclass(frozen=True, slots=True)
class Param:
    """A module parameter (``module_param(name, type, perm)`` + ``MODULE_PARM_DESC``)."""

    name: str
    type: str  # int, uint, bool, charp
    default: Any
    perm: int = 0o444
    desc: str = ""


@dataclass(frozen=True, slots=True)
class ModuleDef:
    """A loadable module: what modinfo shows, its parameters, symbols and init/exit.

    Attributes:
        name: the module's name.
        path: its file under /lib/modules/<release>/kernel/ (``drivers/block/x.ko``).
        depends: modules whose symbols it uses (loaded first; each holds it).
        exports: symbols it exports, by name (what dependents call).
        init: runs at load with the context; raising :class:`Error` fails the load.
        exit: runs at unload, before the context unwinds the registrations.
    """

    name: str
    path: str
    description: str = ""
    author: str = ""
    license: str = "GPL"
    version: str = ""
    params: tuple[Param, ...] = ()
    depends: tuple[str, ...] = ()
    uses: tuple[str, ...] = ()  # symbols it needs (from ``depends``)
    exports: tuple[str, ...] = ()
    init: Callable[[ModuleContext], None] | None = None
    exit: Callable[[ModuleContext], None] | None = None
    size: int = 16384


def parse_value(p: Param, text: str | None) -> Any:
    """A parameter's value from its text (``param_set_*``).

    Raises:
        Error: EINVAL for a value its type does not take.
    """
    if p.type == "bool":
        if text is None or text in ("1", "y", "Y", "true"):
            return True
        if text in ("0", "n", "N", "false"):
            return False
        raise Error(EINVAL)
    if text is None:
        raise Error(EINVAL)
    if p.type == "charp":
        return text
    try:
        value = int(text, 0)
    except ValueError:
        raise Error(EINVAL) from None
    lo, hi = (0, 2**32 - 1) if p.type == "uint" else (-(2**31), 2**31 - 1)
    if not lo <= value <= hi:
        raise Error(EINVAL)
    return value


def show_value(p: Param, value: Any) -> str:
    """A parameter's value as /sys shows it (``param_get_*``)."""
    if p.type == "bool":
        return "Y" if value else "N"
    return f"{value}"


def split_params(text: str) -> list[tuple[str, str | None]]:
    """``a=1 b="x y" c`` -> pairs, as the kernel's ``parse_args`` splits them."""
    out: list[tuple[str, str | None]] = []
    i, n = 0, len(text)
    while i < n:
        while i < n and text[i].isspace():
            i += 1
        if i >= n:
            break
        j, quote = i, False
        while j < n and (quote or not text[j].isspace()):
            if text[j] == '"':
                quote = not quote
            j += 1
        word = text[i:j].replace('"', "")
        name, eq, value = word.partition("=")
        out.append((name.replace("-", "_"), value if eq else None))
        i = j
    return out


class ModuleContext:
    """What one loaded module registered, to undo in reverse order."""

    def __init__(self, k: Kernel, module: Loaded) -> None:
        self.k = k
        self.module = module
        self.undo: list[Callable[[], None]] = []
        self.data: dict[str, Any] = {}

    @property
    def params(self) -> dict[str, Any]:
        """The live parameter values (writes through /sys change them)."""
        return self.module.values

    def log(self, text: str) -> None:
        """A kernel-log line, prefixed with the module's name."""
        self.k.log(f"{self.module.name}: {text}")

    def symbol(self, name: str) -> Any:
        """An exported symbol of a loaded module (``symbol_get``)."""
        return self.k.modules.symbols[name]

    def export(self, name: str, value: Any) -> None:
        """Export ``name`` (``EXPORT_SYMBOL``) until the module goes."""
        symbols = self.k.modules.symbols
        symbols[name] = value
        self.on_unwind(lambda: symbols.pop(name, None))

    def device_register(self, dev: Device) -> Device:
        """Register a device the module owns; it is unregistered when the module goes."""
        if dev.owner is None:
            dev.owner = self.module
        self.k.devices.device_register(dev)
        self.on_unwind(lambda: self.k.devices.device_unregister(dev))
        return dev

    def driver_register(self, drv: DeviceDriver) -> DeviceDriver:
        """Register a driver of the module's; unregistered when the module goes."""
        drv.owner = self.module
        self.k.devices.driver_register(drv)
        self.on_unwind(lambda: self.k.devices.driver_unregister(drv))
        return drv

    def on_unwind(self, fn: Callable[[], None]) -> None:
        """Run ``fn`` when the module goes (or its init fails), newest first."""
        self.undo.append(fn)

    def unwind(self) -> None:
        """Undo every registration, newest first."""
        while self.undo:
            self.undo.pop()()


@dataclass(eq=False)
class Loaded:
    """A module in the kernel (``struct module``): an ``Owner`` of devices."""

    k: Any
    defn: ModuleDef
    values: dict[str, Any]
    state: str = COMING
    refcnt: int = 0
    holders: list[str] = field(default_factory=list)
    uses: list[str] = field(default_factory=list)
    kobj: KObject | None = None
    ctx: ModuleContext | None = None

    @property
    def name(self) -> str:
        """The module's name."""
        return self.defn.name

    def try_get(self) -> bool:
        """``try_module_get``: a reference unless it is going away."""
        if self.state == GOING:
            return False
        self.refcnt += 1
        return True

    def put(self) -> None:
        """``module_put``."""
        self.refcnt = max(0, self.refcnt - 1)


def module_def(name: str) -> ModuleDef | None:
    """The module registered as ``name``: at run time (tests), else under the
    ``libk.modules`` entry-point group (imported on first use); None if nobody did.
    Nothing else is ever imported, whatever a module file inside the machine says."""
    found = _extra.get(name) or _loaded_defs.get(name)
    if found is not None:
        return found
    from importlib import metadata

    for ep in metadata.entry_points(group=GROUP):
        if ep.name == name:
            obj = ep.load()
            if not isinstance(obj, ModuleDef):
                return None
            _loaded_defs[name] = obj
            return obj
    return None


def module_names() -> list[str]:
    """The registered modules' names, sorted."""
    from importlib import metadata

    return sorted({ep.name for ep in metadata.entry_points(group=GROUP)} | set(_extra))


_extra: dict[str, ModuleDef] = {}  # registered at run time
_loaded_defs: dict[str, ModuleDef] = {}  # entry points already imported


def register_module(defn: ModuleDef) -> None:
    """Register a module at run time (tests, embedding), as an entry point would."""
    _extra[defn.name] = defn


class Modules:
    """The machine's loaded modules (``k.modules``)."""

    def __init__(self, k: Kernel) -> None:
        self.k = k
        self.loaded: dict[str, Loaded] = {}
        self.symbols: dict[str, Any] = {}

    def load(self, defn: ModuleDef, params: str) -> Loaded:
        """Load ``defn`` with ``params`` (``init_module``'s work after the image).

        Raises:
            Error: EEXIST if loaded; ENOENT for a symbol no loaded module exports;
                EINVAL for a bad parameter value; the init's own error.
        """
        k = self.k
        if defn.name in self.loaded:
            raise Error(EEXIST)
        missing = [s for s in defn.uses if s not in self.symbols]
        if missing:
            for s in missing:
                k.log(f"{defn.name}: Unknown symbol {s} (err -2)")
            raise Error(ENOENT)
        values = {p.name: p.default for p in defn.params}
        by_name = {p.name: p for p in defn.params}
        for name, text in split_params(params):
            p = by_name.get(name)
            if p is None:
                k.log(f"{defn.name}: unknown parameter '{name}' ignored")
                continue
            try:
                values[name] = parse_value(p, text)
            except Error:
                k.log(f"{defn.name}: '{text}' invalid for parameter '{name}'")
                raise
        mod = Loaded(k, defn, values)
        mod.uses = [d for d in defn.depends if d in self.loaded]
        self.loaded[defn.name] = mod
        from kernel.modules.sysfs import module_kobject

        mod.kobj = module_kobject(k, mod)
        ctx = mod.ctx = ModuleContext(k, mod)
        from kernel.modules.sysfs import holders_changed

        for dep in mod.uses:
            self.loaded[dep].holders.append(defn.name)
            self.loaded[dep].refcnt += 1
            holders_changed(self.loaded[dep], mod, True)
        try:
            if defn.init is not None:
                defn.init(ctx)
        except Error as err:
            ctx.unwind()
            self._forget(mod)
            k.log(f"{defn.name}: module init failed with error -{err.errno}")
            raise
        except Exception as exc:  # noqa: BLE001 - a bug in the module: an oops, not a panic
            ctx.unwind()
            self._forget(mod)
            raise oops(k, defn.name, "init", exc) from None
        mod.state = LIVE
        return mod

    def unload(self, name: str) -> None:
        """Unload a module (``delete_module``).

        Raises:
            Error: ENOENT if not loaded; EWOULDBLOCK if in use (holders or references).
        """
        mod = self.loaded.get(name)
        if mod is None or mod.state != LIVE:
            raise Error(ENOENT)
        if mod.holders or mod.refcnt:
            raise Error(EWOULDBLOCK)
        mod.state = GOING
        assert mod.ctx is not None
        try:
            if mod.defn.exit is not None:
                mod.defn.exit(mod.ctx)
        except Exception as exc:  # noqa: BLE001 - as in init: an oops; unloaded anyway
            mod.ctx.unwind()
            self._forget(mod)
            raise oops(self.k, name, "exit", exc) from None
        mod.ctx.unwind()
        self._forget(mod)

    def _forget(self, mod: Loaded) -> None:
        for dep in mod.uses:
            d = self.loaded.get(dep)
            if d is not None and mod.name in d.holders:
                d.holders.remove(mod.name)
                d.refcnt -= 1
                from kernel.modules.sysfs import holders_changed

                holders_changed(d, mod, False)
        self.loaded.pop(mod.name, None)
        if mod.kobj is not None:
            from kernel.modules.sysfs import module_kobject_del

            module_kobject_del(mod)


class ModuleOops(Error):
    """A module's init or exit raised something that is not an ``Error``: a bug in the
    module. The kernel logs it as Linux logs an oops, unwinds what the module
    registered (Linux would leave it stuck), and the calling process dies of SIGSEGV,
    as a task that oopses does (``kernel.sysmodule``); at boot, the load just fails."""


def oops(k: Any, name: str, what: str, exc: BaseException) -> ModuleOops:
    """Log the oops of module ``name``'s ``what`` (init, exit) raising ``exc``."""
    tb = traceback.extract_tb(exc.__traceback__)
    where = f" at {tb[-1].filename.rsplit('/', 1)[-1]}:{tb[-1].lineno}" if tb else ""
    k.log(f"BUG: {name}: module {what} raised {type(exc).__name__}: {exc}{where}")
    k.log(f"Oops: {name} unloaded; the caller is killed")
    return ModuleOops(EFAULT, f"module {name} {what} crashed")


def check_root(t: Any) -> None:
    """CAP_SYS_MODULE: root only.

    Raises:
        Error: EPERM for others.
    """
    if not t.proc.cred.is_root:
        raise Error(EPERM)
