"""The sysfs attributes the device model gives its objects (drivers/base's): a device's
``uevent`` (its properties; root writes an action to send a synthetic event) and a
driver's write-only ``bind`` and ``unbind`` (bind or unbind a device by name by hand).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from kernel.abi import EBUSY, EINVAL, ENODEV, Error

if TYPE_CHECKING:
    from kernel.dev.driver import Device, DeviceDriver, DeviceModel


def bind_attrs(model: DeviceModel, drv: DeviceDriver) -> dict[str, Any]:
    """A driver's ``bind`` and ``unbind`` (write-only, root's): writing a device's
    name binds or unbinds it by hand, as on Linux (ENODEV: no such device on the bus
    or no match; EBUSY: it has a driver; ENODEV for unbind of a device not bound here)."""
    from kernel.fs.sysfs import Store

    def find(text: str) -> Device:
        name = text.strip()
        dev = next((d for d in model.all if d.bus == drv.bus and d.name == name), None)
        if dev is None:
            raise Error(ENODEV)
        return dev

    def bind(t: Any, text: str) -> None:
        dev = find(text)
        if dev.driver is not None:
            raise Error(EBUSY)
        if not drv.match(dev) or not model._bind(dev, drv):
            raise Error(ENODEV)

    def unbind(t: Any, text: str) -> None:
        dev = find(text)
        if dev.driver is not drv:
            raise Error(ENODEV)
        model._unbind(dev)

    return {"bind": Store(None, bind, 0o200), "unbind": Store(None, unbind, 0o200)}


def uevent_attr(model: DeviceModel, dev: Device) -> Any:
    """``uevent``: reads the device's properties; root may write an action to send a
    synthetic event (``echo change > uevent``), as on Linux."""
    from kernel.fs.sysfs import Store

    def show() -> str:
        return "".join(f"{k}={v}\n" for k, v in model.uevent_env(dev))

    def store(t: Any, text: str) -> None:
        action = text.strip().split(" ")[0]
        if action not in ("add", "remove", "change", "move", "online", "offline", "bind", "unbind"):
            raise Error(EINVAL)
        model.uevent(dev, action)

    return Store(show, store)
