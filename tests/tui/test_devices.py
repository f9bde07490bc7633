"""The devices pane and /sys in the /proc browser: tui.devview against booted machines
(the tree, drivers and their modules, /proc/modules, the changes seen, a kernel uevent
list when there is one), then pilot tests in the real app: a module's device appears
when it loads, an unbound device vanishes and comes back, ``o`` opens a device in the
/proc browser, ``s`` switches the browser between /proc and /sys."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import pytest
from tuihelp import fast_info, screen_text

from kernel import boot
from kernel.dev.driver import Device, DeviceDriver
from kernel.host import HostClient
from kernel.kernel import Kernel
from kernel.modules.core import ModuleContext, ModuleDef, Param, module_def
from tui.app import LibkApp
from tui.devview import DevSampler, parse_events, parse_modules
from tui.widgets.panes.devices import DevicesPane
from tui.widgets.panes.procbrowser import ProcBrowserPane

MS = 1_000_000


class GizmoDriver(DeviceDriver):
    """A platform driver that takes ``gizmo.N`` devices."""

    name = "gizmo"


def _gizmo_init(ctx: ModuleContext) -> None:
    ctx.driver_register(GizmoDriver())
    ctx.device_register(Device("gizmo.0", bus="platform"))


GIZMO = ModuleDef(
    "gizmo",
    "drivers/misc/gizmo.ko",
    params=(Param("speed", "int", 3, 0o644),),
    init=_gizmo_init,
)


@pytest.fixture
def k() -> Iterator[Kernel]:
    kernel = boot.boot(fast_info())
    yield kernel
    kernel.shutdown()  # init never ran: close its coroutine here, not in the GC


def rows_by_name(sampler: DevSampler) -> dict[str, Any]:
    return {r.name: r for r in sampler.sample().rows}


def test_the_default_machines_tree(k: Kernel) -> None:
    s = DevSampler(HostClient(k))
    view = s.sample()
    names = [r.name for r in view.rows]
    assert names[:4] == ["platform", "libkblk.0", "block", "blk0"]
    assert "queue" not in names and "topology" not in names  # no device in there
    rows = {r.name: r for r in view.rows}
    dev = rows["libkblk.0"]
    assert (dev.subsystem, dev.bus, dev.driver, dev.module) == ("platform", True, "libkblk", "")
    blk = rows["blk0"]
    assert (blk.node, blk.devt, blk.block, blk.subsystem) == ("/dev/blk0", "254:0", True, "block")
    assert blk.guide == "      └─ "
    null = rows["null"]
    assert (null.node, null.devt, null.subsystem, null.bus) == ("/dev/null", "1:3", "mem", False)
    assert not rows["mem"].is_device and rows["mem"].guide == "├─ "
    assert view.modules == [] and view.drivers == 1 and view.seqnum > 0
    assert s.sample() is view  # nothing changed: nothing read again
    assert s.sample(force=True) is not view


def test_a_module_its_driver_and_the_changes_seen(k: Kernel) -> None:
    s = DevSampler(HostClient(k))
    s.sample()
    k.modules.load(GIZMO, "speed=7")
    hello = module_def("hello")
    greet = module_def("greet")
    assert hello is not None and greet is not None
    k.modules.load(hello, "")
    k.modules.load(greet, "")
    view = s.sample()
    gizmo = next(r for r in view.rows if r.name == "gizmo.0")
    assert (gizmo.driver, gizmo.module, gizmo.subsystem) == ("gizmo", "gizmo", "platform")
    mods = {m.name: m for m in view.modules or []}
    assert mods["gizmo"].drivers == ["gizmo"] and mods["gizmo"].params == [("speed", "7")]
    assert mods["hello"].holders == ["greet"] and mods["hello"].refcount == 1
    assert mods["greet"].state == "Live"
    got = [(e.action, e.devpath) for e in view.events]
    assert ("add", "/module/gizmo") in got and ("add", "/module/greet") in got
    assert got.index(("add", "/devices/platform/gizmo.0")) + 1 == got.index(
        ("bind", "/devices/platform/gizmo.0")
    )
    assert view.uevents and view.events[-1].seqnum == view.seqnum
    k.modules.unload("gizmo")
    view = s.sample()
    assert "gizmo.0" not in [r.name for r in view.rows]
    assert ("remove", "/devices/platform/gizmo.0", "platform") in [
        (e.action, e.devpath, e.subsystem) for e in view.events
    ]
    assert view.events[-1].devpath == "/module/gizmo"
    assert "gizmo" not in {m.name for m in view.modules or []}


def test_parsers() -> None:
    rows = parse_modules(
        "greet 16384 0 - Live 0x0000000000000000\n"
        "hello 16384 1 greet, Live 0x0000000000000000\n"
        "perm 4096 - - Unloading 0x0\n"
    )
    assert [(m.name, m.refcount, m.holders, m.state) for m in rows] == [
        ("greet", 0, [], "Live"),
        ("hello", 1, ["greet"], "Live"),
        ("perm", None, [], "Unloading"),
    ]
    events = parse_events("3 add /devices/virtual/mem/null mem\nbad\n4 bind /devices/x -\n")
    assert [(e.seqnum, e.action, e.subsystem) for e in events] == [
        (3, "add", "mem"),
        (4, "bind", ""),
    ]


# ---------------------------------------------------------------------- in the app
def make_app() -> LibkApp:
    app = LibkApp(fast_info(), autorun=False)
    app.animation_level = "none"
    return app


async def type_line(pilot: Any, line: str) -> None:
    """Type ``line`` at the console (as the machine's input: quicker than key by key),
    run it and refresh."""
    app = pilot.app
    app.machine.feed(f"{line}\n".encode())
    app.machine.run_for(50 * MS)
    app.sync()
    await pilot.pause()


def test_live_devices_in_the_app() -> None:
    asyncio.run(live())


async def live() -> None:
    app = make_app()
    async with app.run_test(size=(160, 44)) as pilot:
        app.machine.run_until_idle()
        app.sync()
        app.action_show_pane("devices")
        await pilot.pause()
        text = screen_text(app)
        assert "libkblk.0" in text and "/dev/blk0" in text and "No module loaded" in text
        await type_line(pilot, "modprobe ramdisk")
        app.action_show_pane("devices")
        await pilot.pause()
        text = screen_text(app)
        assert "ram0" in text and "/dev/ram0" in text and "rd_size=4096" in text
        await type_line(pilot, "echo libkblk.0 > /sys/bus/platform/drivers/libkblk/unbind")
        pane = app.query_one("#devices", DevicesPane)
        assert pane.view is not None
        names = [r.name for r in pane.view.rows]
        assert "blk0" not in names and "libkblk.0" in names
        assert "unbind" in screen_text(app)
        await type_line(pilot, "echo libkblk.0 > /sys/bus/platform/drivers/libkblk/bind")
        assert "blk0" in [r.name for r in pane.view.rows]
        # o: the selected device's directory in the /proc browser, switched to /sys
        pane.table.focus()
        paths = [r.path for r in pane.view.rows]
        pane.table.move_cursor(row=paths.index("/sys/devices/platform/libkblk.0"))
        await pilot.press("o")
        await pilot.pause()
        browser = app.query_one("#procfs", ProcBrowserPane)
        assert app.visible_pane() is browser and browser.root_path == "/sys"
        cursor = browser.dir_tree.cursor_node
        assert cursor is not None and cursor.data is not None
        assert cursor.data.path == "/sys/devices/platform/libkblk.0"
        labels = [str(c.label) for c in cursor.children]
        assert "driver -> ../../../bus/platform/drivers/libkblk" in labels


def test_the_browser_switches_between_proc_and_sys() -> None:
    asyncio.run(switch())


async def switch() -> None:
    app = make_app()
    async with app.run_test(size=(160, 44)) as pilot:
        app.machine.run_until_idle()
        app.sync()
        app.action_show_pane("procfs")
        await pilot.pause()
        browser = app.query_one("#procfs", ProcBrowserPane)
        tree = browser.dir_tree
        tree.focus()
        browser.expand_path("/proc/uptime")
        await pilot.pause()
        await pilot.press("s")
        await pilot.pause()
        assert [str(c.label) for c in tree.root.children] == ["/sys"]
        assert tree.root.children[0].is_expanded  # first visit: opened
        node = browser.expand_path("/sys/class/mem")
        assert node is not None
        assert "null -> ../../devices/virtual/mem/null" in [str(c.label) for c in node.children]
        browser.expand_path("/sys/class/mem/null/dev")  # through the link
        await pilot.pause()
        assert str(browser.viewer.render()).strip() == "1:3"
        browser.expand_path("/sys/bus/platform/drivers/libkblk/bind")
        await pilot.pause()
        assert "write-only" in str(browser.viewer.render())
        await pilot.press("s")  # back to /proc as it was left: uptime open
        await pilot.pause()
        assert [str(c.label) for c in tree.root.children] == ["/proc"]
        assert browser.open_path == "/proc/uptime"
        cursor = tree.cursor_node
        assert cursor is not None and cursor.data is not None
        assert cursor.data.path == "/proc/uptime"
        await pilot.press("s")  # and /sys as it was left
        await pilot.pause()
        assert browser.open_path == "/sys/bus/platform/drivers/libkblk/bind"
        assert browser.browse("/proc/1/status") is not None
        assert browser.root_path == "/proc"
