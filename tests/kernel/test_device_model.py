"""The device model: kobject lifetimes, devices and drivers binding, devtmpfs nodes,
uevents, and /sys as Linux lays it out (issue #11 parts 1-2)."""

from __future__ import annotations

from typing import Any

import pytest

from kernel.abi import ENXIO, O_RDONLY, Error
from kernel.dev.driver import Device, DeviceDriver
from kernel.dev.kobject import KObject, KObjectError, KSet, relative
from kernel.host import HostClient
from tests.kernel.ksim import discard, image, machine, shell


class FakeOwner:
    """A module stand-in: counts references; refuses new ones while going."""

    def __init__(self) -> None:
        self.name = "fake"
        self.refs = 0
        self.going = False

    def try_get(self) -> bool:
        if self.going:
            return False
        self.refs += 1
        return True

    def put(self) -> None:
        self.refs -= 1


def test_kobjects_hold_their_parents_and_release_last() -> None:
    released: list[str] = []
    root = KObject("root", release=lambda o: released.append(o.name))
    root.add(None)
    child = KObject("child", release=lambda o: released.append(o.name))
    child.add(root)
    assert root.refcount == 2 and root.children == {"child": child}
    assert child.path() == "/root/child"
    child.get()  # somebody still uses it after it leaves the tree
    child.delete()
    assert root.refcount == 1 and not root.children and released == []
    child.put()  # theirs
    assert released == []
    child.put()  # the creator's (kobject_init's)
    assert released == ["child"]
    root.put()
    assert released == ["child", "root"]
    with pytest.raises(KObjectError):
        root.put()


def test_no_kobject_outlives_its_parent() -> None:
    parent = KObject("p")
    parent.add(None)
    kid = KObject("k")
    kid.add(parent)
    parent.put()  # the tree's own reference: the child's keeps it alive
    assert parent.refcount == 1
    kid.put()  # the child goes, and with it its reference on the parent
    assert parent.refcount == 0 and not parent.children


def test_ksets_collect_members_and_names_are_unique() -> None:
    kset = KSet("module")
    kset.add(None)
    a = KObject("a", kset=kset)
    a.add(None)
    assert kset.members == {"a": a} and a.parent is kset
    with pytest.raises(KObjectError):
        KObject("a", kset=kset).add(None)
    a.delete()
    assert kset.members == {} and kset.refcount == 1


def test_relative_links() -> None:
    top = KObject("")
    devices, cls = KObject("devices"), KObject("class")
    devices.add(top)
    cls.add(top)
    mem = KObject("mem")
    mem.add(cls)
    null = KObject("null")
    null.add(devices)
    assert relative(mem, null) == "../../devices/null"


class Toy(DeviceDriver):
    name = "toy"
    bus = "platform"

    def __init__(self, owner: Any = None, refuse: bool = False) -> None:
        super().__init__(owner)
        self.refuse = refuse
        self.removed: list[str] = []

    def probe(self, dev: Device) -> None:
        if self.refuse:
            raise Error(ENXIO)
        from kernel.fs.devfs import ZeroDriver

        child = Device("toy0", parent=dev, cls="misc", devt=(10, 200), fops=ZeroDriver())
        child.mode = 0o666
        child.owner = self.owner  # its file operations' owner: the driver's module
        dev.data = child
        TOY_MODEL[0].device_register(child)

    def remove(self, dev: Device) -> None:
        self.removed.append(dev.name)


TOY_MODEL: list[Any] = [None]


def test_binding_nodes_uevents_and_module_references() -> None:
    k = machine(["/bin/true"])
    model = k.devices
    TOY_MODEL[0] = model
    owner = FakeOwner()
    seq = model.seqnum
    platform_refs = model.platform.refcount
    pdev = Device("toy.0", bus="platform")
    model.device_register(pdev)  # no driver yet: it waits
    assert pdev.driver is None and "toy0" not in k.devfs.root.children
    drv = Toy(owner)
    model.driver_register(drv)  # binds the waiting device; probe makes its child
    assert pdev.driver is drv
    child = pdev.data
    assert child.kobj.path() == "/devices/platform/toy.0/misc/toy0"  # a glue directory
    assert "toy0" in k.devfs.root.children
    assert [e.action for e in list(model.events)[-3:]] == ["add", "add", "bind"]
    assert model.seqnum == seq + 3
    host = HostClient(k)
    assert host.readlink("/sys/class/misc/toy0") == "../../devices/platform/toy.0/misc/toy0"
    assert host.readlink("/sys/dev/char/10:200") == "../../devices/platform/toy.0/misc/toy0"
    assert (
        host.readlink("/sys/devices/platform/toy.0/driver") == "../../../bus/platform/drivers/toy"
    )
    fd = host.open("/dev/toy0", O_RDONLY)
    assert owner.refs == 1  # the open holds the module that drives it
    assert host.read(fd, 3) == b"\0\0\0"
    host.close(fd)
    assert owner.refs == 0
    owner.going = True
    with pytest.raises(Error) as err:
        host.open("/dev/toy0", O_RDONLY)
    assert err.value.errno == ENXIO
    model.driver_unregister(drv)  # unbinds: the child device and its node go first
    assert drv.removed == ["toy.0"] and "toy0" not in k.devfs.root.children
    assert "misc" not in pdev.kobj.children  # the empty glue directory went too
    model.device_unregister(pdev)
    assert pdev.kobj.refcount == 0 and model.platform.refcount == platform_refs
    discard(k)


def test_a_refused_probe_leaves_the_device_unbound() -> None:
    k = machine(["/bin/true"])
    TOY_MODEL[0] = k.devices
    pdev = Device("toy.1", bus="platform")
    k.devices.device_register(pdev)
    k.devices.driver_register(Toy(refuse=True))
    assert pdev.driver is None and "toy.1" not in k.devfs.root.children
    assert "toy toy.1: probe failed with error -6" in k.log.render()
    discard(k)


def test_the_standard_devices_as_linux_lays_them_out() -> None:
    r = shell(
        "ls /sys; readlink /sys/class/mem/null /sys/class/tty/console /sys/dev/char/1:3;"
        " cat /sys/devices/virtual/mem/zero/uevent /sys/devices/virtual/mem/zero/dev;"
        " readlink /sys/block/blk0 /sys/devices/platform/libkblk.0/driver;"
        " cat /sys/block/blk0/size; ls -l /dev/null /dev/blk0"
    )
    assert r.status == 0, r.output
    assert r.output.splitlines() == [
        "block  bus  class  dev  devices  kernel  module",
        "../../devices/virtual/mem/null",
        "../../devices/virtual/tty/console",
        "../../devices/virtual/mem/null",
        "MAJOR=1",
        "MINOR=5",
        "DEVNAME=zero",
        "DEVMODE=0666",
        "1:5",
        "../devices/platform/libkblk.0/block/blk0",
        "../../../bus/platform/drivers/libkblk",
        "8192",
        "brw-rw---- 1 root root 254, 0 Jan  1 00:00 /dev/blk0",
        "crw-rw-rw- 1 root root   1, 3 Jan  1 00:00 /dev/null",
    ]


def test_unbind_and_bind_by_hand_and_only_root_may() -> None:
    drv = "/sys/bus/platform/drivers/libkblk"
    r = shell(
        f"echo libkblk.0 > {drv}/unbind; ls /dev/blk0; echo libkblk.0 > {drv}/bind;"
        f" ls /dev/blk0; echo libkblk.0 > {drv}/bind; echo $?;"
        " echo change > /sys/class/mem/null/uevent;"
        " su alice -c 'echo add > /sys/class/mem/null/uevent'; echo $?"
    )
    lines = r.output.splitlines()
    assert lines[0] == "ls: cannot access '/dev/blk0': No such file or directory"
    assert lines[1] == "/dev/blk0"
    assert "Device or resource busy" in lines[2] and lines[3] == "1"
    assert "Permission denied" in lines[4] and lines[5] == "2"
    events = [(e.action, e.devpath) for e in r.kernel.devices.events]
    assert ("remove", "/devices/platform/libkblk.0/block/blk0") in events
    assert ("change", "/devices/virtual/mem/null") in events


def test_a_node_made_by_mknod_reaches_the_registered_device() -> None:
    r = shell("mknod /tmp/z c 1 5 && head -c 2 /tmp/z | od -An -c; mknod /tmp/n c 99 1; cat /tmp/n")
    assert r.output.splitlines()[0].split() == ["\\0", "\\0"]
    assert "No such device or address" in r.output


def test_sysfs_false_leaves_sys_unmounted() -> None:
    k = machine(["/bin/true"], info=image(sysfs=False))
    host = HostClient(k)
    assert host.listdir("/sys") == []
    assert "sysfs" not in host.read_file("/proc/mounts").decode()
    discard(k)
