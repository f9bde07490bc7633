"""The device model: buses, classes, drivers and devices on kobjects (drivers/base/).

``k.devices`` is the machine's :class:`DeviceModel`. A :class:`Device` registers with
:meth:`DeviceModel.device_register`: its kobject joins ``/sys/devices`` (under its
parent; a platform device without one under ``platform/``, a class device without one
under ``virtual/<class>/``, a class device with a non-class parent in a glue directory
named after its class, as ``get_device_parent`` does), its class and bus list it, a
device number gets it ``/sys/dev/char|block/MAJ:MIN`` and a node in /dev (devtmpfs:
the node appears when the device registers and goes when it leaves), and a ``uevent``
is sent. A device on a bus binds to the first registered :class:`DeviceDriver` of that
bus whose ``match`` accepts it; the driver's ``probe`` may refuse it with an error.
Registering a driver binds it to the devices waiting for one; unregistering it unbinds
them (``remove``). Unregistering a device removes its children first.

A device node's open takes a reference on the module that owns the device's driver
(``owner.try_get()``, Linux's ``try_module_get`` through the file operations' owner)
and its release drops it, so a module is busy while its devices are open.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from kernel.abi import EINVAL, ENODEV, Error
from kernel.dev.devattrs import bind_attrs, uevent_attr
from kernel.dev.kobject import KObject, KSet

if TYPE_CHECKING:
    from kernel.kernel import Kernel

CHR, BLK = "char", "block"


class Owner(Protocol):
    """What owns a driver (a loaded module): references that keep it loaded."""

    name: str

    def try_get(self) -> bool:
        """Take a reference unless the owner is going away."""
        ...

    def put(self) -> None:
        """Drop a reference."""
        ...


@dataclass(slots=True, eq=False)
class UEvent:
    """One uevent, as udev receives it (``ACTION``, ``DEVPATH``, ``SUBSYSTEM``, …)."""

    seqnum: int
    action: str  # add, remove, bind, unbind, change
    devpath: str
    subsystem: str
    env: tuple[tuple[str, str], ...] = ()

    def text(self) -> str:
        """The event as ``udevadm monitor --property`` prints its properties."""
        lines = [
            f"ACTION={self.action}",
            f"DEVPATH={self.devpath}",
            f"SUBSYSTEM={self.subsystem}",
        ]
        lines += [f"{k}={v}" for k, v in self.env]
        lines.append(f"SEQNUM={self.seqnum}")
        return "\n".join(lines) + "\n"


class DeviceDriver:
    """A driver of a bus's devices. Subclasses set ``name`` and ``bus`` and override
    ``match``, ``probe`` and ``remove``; ``owner`` is the module it came from."""

    name = "driver"
    bus = "platform"

    def __init__(self, owner: Owner | None = None) -> None:
        self.owner = owner
        self.kobj: KObject | None = None
        self.bound: list[Device] = []

    def match(self, dev: Device) -> bool:
        """Whether this driver can drive ``dev``: by default, names match as platform
        devices' do (``libkblk.0`` matches driver ``libkblk``)."""
        return dev.name == self.name or dev.name.split(".")[0] == self.name

    def probe(self, dev: Device) -> None:
        """Take ``dev`` (raise :class:`Error` to refuse it)."""

    def remove(self, dev: Device) -> None:
        """Let ``dev`` go: the driver unbinds or the device leaves."""


@dataclass(slots=True, eq=False)
class Device:
    """A device (``struct device``).

    Attributes:
        name: its name (the /sys directory's, and the /dev node's unless ``devnode``).
        parent: the device it hangs under (None: see the module docstring).
        bus: the bus it is on (``platform``, ...), or "".
        cls: its class (``mem``, ``tty``, ``block``, ...), or "".
        devt: (major, minor), or None for a device without a node.
        kind: CHR or BLK (what its node is).
        fops: a character device's file operations (``kernel.fs.devfs.Driver``).
        disk: a block device's ``BlockDevice``.
        mode, uid, gid: its node's permissions.
        devnode: the node's name under /dev (default: ``name``).
        attrs: its own sysfs attributes (beside ``dev``, ``uevent``, links).
        driver: the driver bound to it.
        owner: who owns it when no driver is bound (a module that made it directly).
        uevent_env: extra uevent properties (``DEVTYPE=disk``, ...).
        data: the driver's private data.
    """

    name: str
    parent: Device | None = None
    bus: str = ""
    cls: str = ""
    devt: tuple[int, int] | None = None
    kind: str = CHR
    fops: Any = None
    disk: Any = None
    mode: int = 0o600
    uid: int = 0
    gid: int = 0
    devnode: str = ""
    attrs: dict[str, Any] = field(default_factory=dict)
    driver: DeviceDriver | None = None
    owner: Owner | None = None
    uevent_env: tuple[tuple[str, str], ...] = ()
    data: Any = None
    kobj: KObject = field(init=False)
    children: list[Device] = field(default_factory=list)
    node: Any = None  # its inode in /dev while registered
    registered: bool = False

    def __post_init__(self) -> None:
        self.kobj = KObject(self.name)

    @property
    def subsystem(self) -> str:
        """The class or bus it belongs to."""
        return self.cls or self.bus

    def module(self) -> Owner | None:
        """The module its node's opens hold: its driver's, or its own owner."""
        if self.driver is not None and self.driver.owner is not None:
            return self.driver.owner
        return self.owner


@dataclass(slots=True, eq=False)
class Bus:
    """A bus: ``/sys/bus/<name>/{devices,drivers}``."""

    name: str
    kset: KSet
    devices: KSet
    drivers: KSet
    drivers_list: list[DeviceDriver] = field(default_factory=list)


class DeviceModel:
    """The machine's devices, drivers, buses and classes (``k.devices``)."""

    def __init__(self, k: Kernel) -> None:
        self.k = k
        self.root = KObject("")  # /sys itself
        self.devices = self._top("devices")
        self.platform = KObject("platform")
        self.platform.add(self.devices)
        self.virtual = KObject("virtual")
        self.virtual.add(self.devices)
        self.system = KObject("system")
        self.system.add(self.devices)
        self.bus_kset = self._top("bus", KSet)
        self.class_kset = self._top("class", KSet)
        self.block = self._top("block", KSet)
        self.dev = self._top("dev")
        self.dev_char = KObject("char")
        self.dev_char.add(self.dev)
        self.dev_block = KObject("block")
        self.dev_block.add(self.dev)
        self.module_kset = self._top("module", KSet)
        self.kernel = self._top("kernel")
        self.buses: dict[str, Bus] = {}
        self.classes: dict[str, KSet] = {}
        self.by_devt: dict[tuple[str, int, int], Device] = {}
        self.all: list[Device] = []
        self.seqnum = 0
        self.events: deque[UEvent] = deque(maxlen=256)
        self.listeners: list[Callable[[UEvent], None]] = []
        self.kernel.attrs["uevent_seqnum"] = lambda: f"{self.seqnum}\n"
        self.kernel.attrs["libk"] = {"uevents": self._uevents_text}
        self.bus_register("platform")
        self._system_and_kernel()

    def _system_and_kernel(self) -> None:
        """``/sys/devices/system/cpu`` and the scheduler's files in ``/sys/kernel``."""
        from kernel.dev import cpu
        from kernel.fs.sysfs import Entries

        self.system.attrs["cpu"] = Entries(lambda: cpu.cpu_sysfs(self.k))
        self.kernel.attrs.update(cpu.kernel_sysfs(self.k))

    def _uevents_text(self) -> str:
        """``/sys/kernel/libk/uevents``: the latest uevents, oldest first, one a line
        (``SEQNUM ACTION DEVPATH SUBSYSTEM``, ``-`` for none): for front ends, which
        cannot listen to uevents as udev does."""
        return "".join(
            f"{e.seqnum} {e.action} {e.devpath} {e.subsystem or '-'}\n" for e in self.events
        )

    def _top(self, name: str, kind: type[KObject] = KObject) -> Any:
        obj = kind(name)
        obj.add(self.root)
        return obj

    # ------------------------------------------------------------------ buses, classes
    def bus_register(self, name: str) -> Bus:
        """A new bus (``/sys/bus/<name>``)."""
        kset = KSet(name)
        kset.add(self.bus_kset)
        devices, drivers = KSet("devices"), KSet("drivers")
        devices.add(kset)
        drivers.add(kset)
        bus = Bus(name, kset, devices, drivers)
        self.buses[name] = bus
        return bus

    def class_kobj(self, name: str) -> KSet:
        """The class ``name`` (``/sys/class/<name>``), made on first use."""
        cls = self.classes.get(name)
        if cls is None:
            cls = KSet(name)
            cls.add(self.class_kset)
            self.classes[name] = cls
        return cls

    # ------------------------------------------------------------------ drivers
    def driver_register(self, drv: DeviceDriver) -> None:
        """Add a driver to its bus and bind it to the devices that wait for one.

        Raises:
            Error: ENODEV for an unknown bus; EINVAL if the bus has a driver of that name.
        """
        bus = self.buses.get(drv.bus)
        if bus is None:
            raise Error(ENODEV, f"no bus {drv.bus!r}")
        if drv.name in bus.drivers.members:
            raise Error(EINVAL, f"driver {drv.bus}/{drv.name} exists")
        kobj = KObject(drv.name)
        kobj.kset = bus.drivers
        kobj.add(None)
        if drv.owner is not None:
            owner_kobj = self.module_kset.members.get(drv.owner.name)
            if owner_kobj is not None:
                kobj.links["module"] = owner_kobj
        kobj.attrs.update(bind_attrs(self, drv))
        drv.kobj = kobj
        bus.drivers_list.append(drv)
        for dev in self.all:
            if dev.bus == drv.bus and dev.driver is None and drv.match(dev):
                self._bind(dev, drv)

    def driver_unregister(self, drv: DeviceDriver) -> None:
        """Unbind a driver from its devices and take it off its bus."""
        for dev in list(drv.bound):
            self._unbind(dev)
        bus = self.buses[drv.bus]
        bus.drivers_list.remove(drv)
        if drv.kobj is not None:
            drv.kobj.delete()
            drv.kobj.put()
            drv.kobj = None

    def _bind(self, dev: Device, drv: DeviceDriver) -> bool:
        try:
            drv.probe(dev)
        except Error as e:
            self.k.log(f"{drv.name} {dev.name}: probe failed with error -{e.errno}")
            return False
        dev.driver = drv
        drv.bound.append(dev)
        dev.kobj.links["driver"] = drv.kobj  # type: ignore[assignment]
        assert drv.kobj is not None
        drv.kobj.links[dev.name] = dev.kobj
        self.uevent(dev, "bind", (("DRIVER", drv.name),))
        return True

    def _unbind(self, dev: Device) -> None:
        drv = dev.driver
        if drv is None:
            return
        for child in list(dev.children):
            self.device_unregister(child)
        drv.remove(dev)
        dev.driver = None
        drv.bound.remove(dev)
        dev.kobj.links.pop("driver", None)
        if drv.kobj is not None:
            drv.kobj.links.pop(dev.name, None)
        self.uevent(dev, "unbind", (("DRIVER", drv.name),))

    # ------------------------------------------------------------------ devices
    def device_register(self, dev: Device) -> None:
        """Add a device: /sys, its class and bus, its /dev node, a uevent, a driver.

        Raises:
            Error: EINVAL if it is registered already, its parent is not, its name is
                taken where it goes, its bus is unknown, or its device number is in use.
        """
        if dev.registered:
            raise Error(EINVAL, f"device {dev.name} registered twice")
        if dev.bus and dev.bus not in self.buses:
            raise Error(EINVAL, f"no bus {dev.bus!r}")
        if dev.parent is not None and not dev.parent.registered:
            raise Error(EINVAL, f"device {dev.name}: its parent {dev.parent.name} is gone")
        if dev.devt is not None and (dev.kind, *dev.devt) in self.by_devt:
            raise Error(EINVAL, f"device number {dev.devt[0]}:{dev.devt[1]} in use")
        parent = self._parent_kobj(dev)
        if dev.name in parent.children:
            raise Error(EINVAL, f"device {parent.path()}/{dev.name} exists")
        if dev.kobj.refcount <= 0:  # registered before and released: a fresh kobject
            dev.kobj = KObject(dev.name)
        dev.kobj.add(parent)
        self._attributes(dev)
        if dev.parent is not None:
            dev.parent.children.append(dev)
        self.all.append(dev)
        dev.registered = True
        if dev.cls:
            cls = self.class_kobj(dev.cls)
            cls.links[dev.name] = dev.kobj
            dev.kobj.links["subsystem"] = cls
            if dev.cls == "block":
                self.block.links[dev.name] = dev.kobj
        if dev.bus:
            bus = self.buses[dev.bus]
            bus.devices.links[dev.name] = dev.kobj
            dev.kobj.links["subsystem"] = bus.kset
        if dev.devt is not None:
            where = self.dev_block if dev.kind == BLK else self.dev_char
            where.links[f"{dev.devt[0]}:{dev.devt[1]}"] = dev.kobj
            self.by_devt[(dev.kind, *dev.devt)] = dev
            self._make_node(dev)
        self.uevent(dev, "add")
        if dev.bus:
            for drv in self.buses[dev.bus].drivers_list:
                if drv.match(dev) and self._bind(dev, drv):
                    break

    def device_unregister(self, dev: Device) -> None:
        """Remove a device (its children first): driver, node, links, /sys."""
        if not dev.registered:
            return
        for child in list(dev.children):
            self.device_unregister(child)
        self._unbind(dev)
        self.uevent(dev, "remove")
        if dev.devt is not None:
            self._remove_node(dev)
            where = self.dev_block if dev.kind == BLK else self.dev_char
            where.links.pop(f"{dev.devt[0]}:{dev.devt[1]}", None)
            self.by_devt.pop((dev.kind, *dev.devt), None)
        if dev.cls:
            self.classes[dev.cls].links.pop(dev.name, None)
            if dev.cls == "block":
                self.block.links.pop(dev.name, None)
        if dev.bus:
            self.buses[dev.bus].devices.links.pop(dev.name, None)
        if dev.parent is not None and dev in dev.parent.children:
            dev.parent.children.remove(dev)
        self.all.remove(dev)
        dev.registered = False
        glue = dev.kobj.parent
        dev.kobj.delete()
        dev.kobj.put()
        if glue is not None and glue.attrs.get("_glue") and not glue.children:
            glue.delete()
            glue.put()

    def _parent_kobj(self, dev: Device) -> KObject:
        if dev.parent is None:
            if dev.bus == "platform":
                return self.platform
            if dev.cls:
                return self._glue(self.virtual, dev.cls)
            return self.devices
        parent = dev.parent.kobj
        if dev.cls and dev.parent.cls != dev.cls:
            return self._glue(parent, dev.cls)
        return parent

    def _glue(self, parent: KObject, name: str) -> KObject:
        glue = parent.children.get(name)
        if glue is None:
            glue = KObject(name, attrs={"_glue": True})
            glue.add(parent)
        return glue

    def _attributes(self, dev: Device) -> None:
        attrs = dev.kobj.attrs
        if dev.devt is not None:
            major, minor = dev.devt
            attrs["dev"] = lambda: f"{major}:{minor}\n"
        attrs["uevent"] = uevent_attr(self, dev)
        attrs.update(dev.attrs)

    def uevent_env(self, dev: Device) -> tuple[tuple[str, str], ...]:
        """The properties a uevent of ``dev`` carries (and its ``uevent`` file shows)."""
        env: list[tuple[str, str]] = []
        if dev.devt is not None:
            env += [("MAJOR", str(dev.devt[0])), ("MINOR", str(dev.devt[1]))]
            env += [("DEVNAME", dev.devnode or dev.name), ("DEVMODE", f"{dev.mode:04o}")]
        env += list(dev.uevent_env)
        if dev.driver is not None:
            env.append(("DRIVER", dev.driver.name))
        if dev.bus == "platform":
            env.append(("MODALIAS", f"platform:{dev.name.split('.')[0]}"))
        return tuple(env)

    def uevent(self, dev: Device, action: str, extra: tuple[tuple[str, str], ...] = ()) -> None:
        """Send a uevent about ``dev`` to the listeners (the devices view, ...)."""
        env = self.uevent_env(dev) + tuple(e for e in extra if e[0] != "DRIVER" or not dev.driver)
        self.kobject_uevent(dev.kobj, action, dev.subsystem, env)

    def kobject_uevent(
        self, kobj: KObject, action: str, subsystem: str, env: tuple[tuple[str, str], ...] = ()
    ) -> None:
        """Send a uevent about any kobject (a module's: ``add /module/hello``)."""
        self.seqnum += 1
        ev = UEvent(self.seqnum, action, kobj.path(), subsystem, env)
        self.events.append(ev)
        for listener in list(self.listeners):
            listener(ev)

    # ------------------------------------------------------------------ devtmpfs
    def _make_node(self, dev: Device) -> None:
        from kernel.dev.block import BlockNode
        from kernel.fs.devfs import CharDevice

        devfs = self.k.devfs
        assert dev.devt is not None
        name = dev.devnode or dev.name
        if dev.kind == BLK:
            node: Any = BlockNode(devfs, dev.disk, dev.mode, dev.gid)
        else:
            node = CharDevice(devfs, dev.fops, *dev.devt, dev.mode, dev.uid, dev.gid)
        node.device = dev
        if name in devfs.root.children:
            devfs.root.remove(name)
        devfs.root.add(name, node)
        dev.node = node

    def _remove_node(self, dev: Device) -> None:
        name = dev.devnode or dev.name
        root = self.k.devfs.root
        if dev.node is not None and root.children.get(name) is dev.node:
            root.remove(name)
        dev.node = None


def node_open(node: Any, f: Any) -> None:
    """A device node opens: take a reference on the module that owns its device (the
    open file ``f`` keeps it until its last descriptor closes, ``File.put``).

    Raises:
        Error: ENXIO when the device has left or its module is going away.
    """
    dev = node.device
    if dev is None:
        return
    if not dev.registered:
        from kernel.abi import ENXIO

        raise Error(ENXIO)
    owner = dev.module()
    if owner is not None:
        if not owner.try_get():
            from kernel.abi import ENXIO

            raise Error(ENXIO)
        f.owner = owner
