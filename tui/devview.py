"""The devices pane's data layer: the device tree of /sys/devices with each device's
class or bus, /dev node, device number, driver and the driver's module; the loaded
modules of /proc/modules; and the latest device events.

Everything is read through the host syscall client (``kernel.host.HostClient``), as in
``tui.ringview``: nothing here looks at the kernel's objects.

- **Devices.** ``/sys/devices`` is walked without following links. A directory with a
  ``uevent`` file is a device; its ``uevent`` gives the node's name and number
  (``DEVNAME``, ``MAJOR``, ``MINOR``, ``DEVTYPE``), its ``subsystem`` link names its
  class or bus, its ``driver`` link the driver it is bound to, and that driver's
  ``module`` link (``/sys/bus/<bus>/drivers/<drv>/module``) the module that owns the
  driver (a driver without one is built in). Directories that hold no device at any
  depth (attribute groups such as ``queue/``) are left out; the others (``virtual/mem``
  and the like) stay, as the tree's inner nodes.
- **Modules.** ``/proc/modules`` in Linux's format (name, size, references, holders,
  state), the drivers each module owns, and each module's readable parameters
  (``/sys/module/<name>/parameters/*``). No ``/proc/modules``: no module section.
- **Events.** ``/sys/kernel/uevent_seqnum`` counts the uevents sent; the sampler reads
  the tree again only when it (or /proc/modules) changed, so a refresh that finds
  nothing new costs two small reads. The kernel lists its recent uevents in
  :data:`UEVENTS_FILE` (one per line: ``SEQNUM ACTION DEVPATH SUBSYSTEM``, ``-`` for no
  subsystem): those are the events shown.

No Textual here: the pane (``tui.widgets.panes.devices``) draws what this module reads,
and tests use it directly.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from kernel.abi import DT_DIR, DT_REG, O_DIRECTORY, O_RDONLY, Error

if TYPE_CHECKING:
    from kernel.host import HostClient

SYS = "/sys"
DEVICES = "/sys/devices"
SEQNUM_FILE = "/sys/kernel/uevent_seqnum"
MODULES_FILE = "/proc/modules"
UEVENTS_FILE = "/sys/kernel/libk/uevents"
EVENTS_KEPT = 8  # latest events kept and shown
PARAM_LIMIT = 64  # bytes of a parameter's value shown at most


@dataclass(slots=True)
class DeviceRow:
    """One line of the device tree: a device, or a directory that holds devices.

    Attributes:
        path: its /sys path (``/sys/devices/virtual/mem/null``).
        name: its directory's name.
        guide: the tree's drawing before the name (``│  ├─ ``).
        is_device: a device (it has a ``uevent`` file), not only a directory of them.
        subsystem: its class or bus (``mem``, ``platform``), or "".
        bus: True when ``subsystem`` is a bus, False for a class.
        node: its /dev node (``/dev/null``), or "".
        devt: ``MAJOR:MINOR``, or "".
        block: its node is a block device.
        driver: the driver bound to it, or "".
        module: the module that owns that driver ("" when built in or no driver).
    """

    path: str
    name: str
    guide: str = ""
    is_device: bool = False
    subsystem: str = ""
    bus: bool = False
    node: str = ""
    devt: str = ""
    block: bool = False
    driver: str = ""
    module: str = ""


@dataclass(slots=True)
class ModuleRow:
    """A loaded module as /proc/modules and /sys/module show it."""

    name: str
    size: int
    refcount: int | None  # None: "-" (it cannot be unloaded)
    holders: list[str] = field(default_factory=list)
    state: str = ""
    drivers: list[str] = field(default_factory=list)
    params: list[tuple[str, str]] = field(default_factory=list)


@dataclass(slots=True, frozen=True)
class Event:
    """A device event: a uevent the kernel listed, or a change the sampler saw."""

    seqnum: int
    action: str  # add, remove, bind, unbind, change
    devpath: str  # under /sys (``/devices/virtual/block/ram0``)
    subsystem: str = ""


@dataclass(slots=True)
class DevicesView:
    """What one sample read.

    ``modules`` is None when the machine has no /proc/modules; ``uevents`` says whether
    the kernel's uevent list could be read (``events`` is empty when not).
    ``error`` is set when /sys cannot be read at all.
    """

    seqnum: int = 0
    rows: list[DeviceRow] = field(default_factory=list)
    modules: list[ModuleRow] | None = None
    drivers: int = 0
    events: list[Event] = field(default_factory=list)
    uevents: bool = False
    error: str = ""

    @property
    def devices(self) -> list[DeviceRow]:
        """The rows that are devices."""
        return [r for r in self.rows if r.is_device]


def natural(name: str) -> tuple[str, int, str]:
    """Sort ``cpu2`` before ``cpu10``: a name's text, then its trailing number."""
    stem = name.rstrip("0123456789")
    digits = name[len(stem) :]
    return (stem, int(digits) if digits else -1, name)


def parse_uevent(text: str) -> dict[str, str]:
    """``KEY=value`` lines (a ``uevent`` file) as a dict."""
    out: dict[str, str] = {}
    for line in text.splitlines():
        key, eq, value = line.partition("=")
        if eq:
            out[key.strip()] = value.strip()
    return out


def parse_modules(text: str) -> list[ModuleRow]:
    """/proc/modules (``hello 16384 1 greet, Live 0x0...``) as rows, in its order."""
    rows = []
    for line in text.splitlines():
        f = line.split()
        if len(f) < 5:
            continue
        try:
            size = int(f[1])
        except ValueError:
            size = 0
        refcount = int(f[2]) if f[2].lstrip("-").isdigit() and f[2] != "-" else None
        holders = [h for h in f[3].split(",") if h and h != "-"]
        rows.append(ModuleRow(f[0], size, refcount, holders, f[4]))
    return rows


def parse_events(text: str) -> list[Event]:
    """:data:`UEVENTS_FILE`'s lines (``12 add /devices/virtual/block/ram0 block``)."""
    events = []
    for line in text.splitlines():
        f = line.split()
        if len(f) < 3 or not f[0].isdigit():
            continue
        sub = f[3] if len(f) > 3 and f[3] != "-" else ""
        events.append(Event(int(f[0]), f[1], f[2], sub))
    return events


class DevSampler:
    """Reads the devices, modules and events; again only when something changed.

    :meth:`sample` returns the same :class:`DevicesView` object while
    ``/sys/kernel/uevent_seqnum`` and ``/proc/modules`` read the same, so a caller can
    tell "nothing new" with ``is``.
    """

    def __init__(self, host: HostClient) -> None:
        self.host = host
        self.view: DevicesView | None = None
        self._key: tuple[str, str | None] | None = None

    # ------------------------------------------------------------------ reading
    def _read(self, path: str, limit: int = 4096) -> str | None:
        try:
            return self.host.read_file(path, limit).decode(errors="replace")
        except Error:
            return None

    def _readlink(self, path: str) -> str | None:
        try:
            return str(self.host.readlink(path))
        except Error:
            return None

    def _entries(self, path: str) -> list[tuple[str, int]]:
        """(name, d_type) of a directory's entries, without ``.`` and ``..``."""
        host = self.host
        fd = host.open(path, O_RDONLY | O_DIRECTORY)
        try:
            out: list[tuple[str, int]] = []
            while True:
                batch = host.getdents(fd)
                if not batch:
                    return out
                out += [(d.d_name, d.d_type) for d in batch if d.d_name not in (".", "..")]
        finally:
            host.close(fd)

    def _names(self, path: str) -> list[str]:
        try:
            return sorted((n for n, _ in self._entries(path)), key=natural)
        except Error:
            return []

    # ------------------------------------------------------------------ sampling
    def sample(self, *, force: bool = False) -> DevicesView:
        """The devices, modules and events now (the last view when nothing changed)."""
        seq_text = self._read(SEQNUM_FILE)
        if seq_text is None:
            self.view = DevicesView(error=f"cannot read {SEQNUM_FILE}: is sysfs mounted?")
            self._key = None
            return self.view
        modules_text = self._read(MODULES_FILE, 1 << 16)
        key = (seq_text, modules_text)
        if not force and self.view is not None and key == self._key:
            return self.view
        self._key = key
        seqnum = int(seq_text.strip() or 0)
        driver_modules, module_drivers = self._drivers()
        rows: list[DeviceRow] = []
        for name in self._names(DEVICES):
            node = self._collect(f"{DEVICES}/{name}", name, driver_modules)
            if node is not None:
                self._flatten(node, "", rows)
        view = DevicesView(seqnum=seqnum, rows=rows, drivers=len(driver_modules))
        if modules_text is not None:
            view.modules = parse_modules(modules_text)
            for mod in view.modules:
                mod.drivers = module_drivers.get(mod.name, [])
                mod.params = self._params(mod.name)
        listed = self._read(UEVENTS_FILE, 1 << 16)
        if listed is not None:
            view.events = parse_events(listed)[-EVENTS_KEPT:]
            view.uevents = True
        self.view = view
        return view

    def _drivers(self) -> tuple[dict[tuple[str, str], str], dict[str, list[str]]]:
        """(bus, driver) -> owning module ("" built in), and module -> its drivers."""
        owner: dict[tuple[str, str], str] = {}
        by_module: dict[str, list[str]] = {}
        for bus in self._names(f"{SYS}/bus"):
            for drv in self._names(f"{SYS}/bus/{bus}/drivers"):
                link = self._readlink(f"{SYS}/bus/{bus}/drivers/{drv}/module")
                module = link.rstrip("/").rsplit("/", 1)[-1] if link else ""
                owner[(bus, drv)] = module
                if module:
                    by_module.setdefault(module, []).append(drv)
        return owner, by_module

    def _collect(
        self, path: str, name: str, driver_modules: dict[tuple[str, str], str]
    ) -> tuple[DeviceRow, list[Any]] | None:
        """``path``'s row and its kept children's subtrees; None when no device is in
        there."""
        try:
            entries = self._entries(path)
        except Error:
            return None
        row = DeviceRow(path, name)
        if any(n == "uevent" and t == DT_REG for n, t in entries):
            self._describe(row, driver_modules)
        dirs = sorted((n for n, t in entries if t == DT_DIR), key=natural)
        below = [self._collect(f"{path}/{d}", d, driver_modules) for d in dirs]
        kept = [b for b in below if b is not None]
        if not row.is_device and not kept:
            return None
        return row, kept

    @staticmethod
    def _flatten(node: tuple[DeviceRow, list[Any]], indent: str, out: list[DeviceRow]) -> None:
        """Append a subtree's rows in order, drawing their guides."""
        row, children = node
        out.append(row)
        for i, child in enumerate(children):
            last = i == len(children) - 1
            child[0].guide = indent + ("└─ " if last else "├─ ")
            DevSampler._flatten(child, indent + ("   " if last else "│  "), out)

    def _describe(self, row: DeviceRow, driver_modules: dict[tuple[str, str], str]) -> None:
        row.is_device = True
        env = parse_uevent(self._read(f"{row.path}/uevent") or "")
        link = self._readlink(f"{row.path}/subsystem")
        if link:
            parts = link.rstrip("/").split("/")
            row.subsystem = parts[-1]
            row.bus = len(parts) >= 2 and parts[-2] == "bus"
        if "DEVNAME" in env:
            row.node = "/dev/" + env["DEVNAME"]
        if "MAJOR" in env and "MINOR" in env:
            row.devt = f"{env['MAJOR']}:{env['MINOR']}"
        row.block = row.subsystem == "block" or env.get("DEVTYPE") in ("disk", "partition")
        drv_link = self._readlink(f"{row.path}/driver")
        if drv_link:
            parts = drv_link.rstrip("/").split("/")
            row.driver = parts[-1]
            bus = parts[-3] if len(parts) >= 3 else ""
            row.module = driver_modules.get((bus, row.driver), "")

    def _params(self, module: str) -> list[tuple[str, str]]:
        """A module's readable parameters (name, value)."""
        base = f"{SYS}/module/{module}/parameters"
        out = []
        for name in self._names(base):
            value = self._read(f"{base}/{name}", PARAM_LIMIT)
            if value is not None:
                out.append((name, value.strip()))
        return out
