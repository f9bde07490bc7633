"""The devices pane: the device tree of /sys/devices with drivers and modules, the loaded
modules, and the latest device events, live.

At the top, a summary line (devices, drivers, modules, the uevent sequence number). The
table is the tree as ``/sys/devices`` lays it out: each device with its class or bus,
its /dev node and ``MAJOR:MINOR``, the driver bound to it and the module that owns the
driver; directories that only hold devices (``virtual/mem``) are dim. Below it, the
modules as ``lsmod`` lists them (references, holders, state) with the drivers each owns
and its parameters, then the latest events. ``o`` (or Enter) opens the selected device's
directory in the /proc browser; ``r`` reads everything again. A module that adds
devices shows them at the next refresh after it loads: the pane reads the tree again
whenever ``/sys/kernel/uevent_seqnum`` or ``/proc/modules`` changed
(:class:`tui.devview.DevSampler`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.widgets import DataTable, Static

from tui.devview import DeviceRow, DevicesView, DevSampler, ModuleRow
from tui.widgets.panes import PaneAction

if TYPE_CHECKING:
    from kernel.host import HostClient

COLUMNS = ("device", "subsystem", "node", "dev", "driver", "module")
NO_MODULES = "No module loaded. Try modprobe ramdisk (man 7 modules)."


def device_cells(row: DeviceRow) -> tuple[Text, ...]:
    """One table row: the name after its tree guide, then the device's columns (dim
    and empty for a directory that only holds devices)."""
    name = Text(row.guide, style="dim", no_wrap=True)
    name.append(row.name, style="bold" if row.is_device else "dim")
    if not row.is_device:
        return (name, *(Text() for _ in COLUMNS[1:]))
    sub = Text(row.subsystem)
    if row.subsystem:
        sub.append(" (bus)" if row.bus else "", style="dim")
    node = Text(row.node, style="cyan" if row.block else "")
    return (
        name,
        sub,
        node,
        Text(row.devt, justify="right"),
        Text(row.driver or "-", style="" if row.driver else "dim"),
        Text(row.module or ("built-in" if row.driver else "-"), style="" if row.module else "dim"),
    )


def modules_block(modules: list[ModuleRow] | None) -> RenderableType:
    """The modules section: lsmod's columns, the drivers each owns, its parameters."""
    if modules is None:
        return Text()
    title = Text("Modules", style="bold")
    if not modules:
        return Group(title, Text(NO_MODULES, style="dim"))
    title.append(f"  {len(modules)} loaded", style="")
    table = Table(box=None, padding=(0, 1), show_edge=False, pad_edge=False, header_style="bold")
    for name, right in (
        ("module", False),
        ("used", True),
        ("by", False),
        ("state", False),
        ("drivers", False),
        ("parameters", False),
    ):
        table.add_column(name, justify="right" if right else "left", no_wrap=True)
    for m in modules:
        params = " ".join(f"{k}={v}" for k, v in m.params)
        table.add_row(
            Text(m.name, style="bold"),
            "-" if m.refcount is None else str(m.refcount),
            ",".join(m.holders) or Text("-", style="dim"),
            Text(m.state, style="" if m.state == "Live" else "yellow"),
            ",".join(m.drivers) or Text("-", style="dim"),
            Text(params, overflow="ellipsis", no_wrap=True),
        )
    return Group(title, table)


def events_block(view: DevicesView) -> RenderableType:
    """The latest events: the kernel's uevents."""
    title = Text("Uevents", style="bold")
    title.append(f"  seqnum {view.seqnum}", style="dim")
    if not view.events:
        note = "none yet" if view.uevents else "cannot read /sys/kernel/libk/uevents"
        return Group(title, Text(note, style="dim"))
    table = Table.grid(padding=(0, 1))
    for _ in range(4):
        table.add_column(no_wrap=True)
    colours = {"add": "green", "remove": "red", "bind": "cyan", "unbind": "yellow"}
    for ev in reversed(view.events):
        table.add_row(
            Text(str(ev.seqnum), justify="right", style="dim"),
            Text(ev.action, style=colours.get(ev.action, "")),
            ev.devpath,
            Text(f"({ev.subsystem})" if ev.subsystem else "", style="dim"),
        )
    return Group(title, table)


class DevicesPane(Vertical):
    """The devices pane (see the module docstring)."""

    DEFAULT_CSS = """
    DevicesPane { height: 1fr; }
    DevicesPane > #devices-head { height: 1; padding: 0 1; }
    DevicesPane > #devices-table { height: 1fr; }
    DevicesPane > #devices-modules { height: auto; max-height: 8; padding: 0 1; }
    DevicesPane > #devices-events { height: auto; max-height: 7; padding: 0 1; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(
            "o",
            "open_sys",
            "Open in /proc",
            tooltip="Open the selected device's /sys directory in the /proc browser",
        ),
        Binding("r", "reload", "Reload", tooltip="Read the devices and modules again"),
    ]
    PANE_ACTIONS: ClassVar[list[PaneAction]] = [
        PaneAction("Devices: reload", "Read the devices and modules again", "reload"),
        PaneAction(
            "Devices: open in /proc", "Browse the selected device's /sys directory", "open_sys"
        ),
    ]

    def __init__(
        self, host: HostClient, *, id: str | None = None, classes: str | None = None
    ) -> None:
        super().__init__(id=id, classes=classes)
        self.host = host
        self.sampler = DevSampler(host)
        self.view: DevicesView | None = None
        self._drawn: list[DeviceRow] | None = None  # the rows the table shows
        self.head = Static(id="devices-head")
        self.table: DataTable[Text] = DataTable(
            id="devices-table", cursor_type="row", zebra_stripes=False
        )
        self.modules = Static(id="devices-modules")
        self.events = Static(id="devices-events")

    def compose(self) -> ComposeResult:
        yield self.head
        yield self.table
        yield self.modules
        yield self.events

    def on_mount(self) -> None:
        for name in COLUMNS:
            self.table.add_column(Text(name, justify="right" if name == "dev" else "left"))
        self.refresh_data()

    def set_host(self, host: HostClient) -> None:
        """Show another (rebooted) machine."""
        self.host = host
        self.sampler = DevSampler(host)
        self.view = None
        self._drawn = None
        self.refresh_data()

    # ------------------------------------------------------------------ data
    def refresh_data(self, *, force: bool = False) -> bool:
        """Read /sys again if a uevent was sent or the modules changed, and redraw;
        True when something changed."""
        view = self.sampler.sample(force=force)
        if view is self.view and not force:
            return False
        self.view = view
        self.redraw()
        return True

    def selected_path(self) -> str | None:
        """The /sys path of the row under the cursor."""
        t = self.table
        if not t.row_count:
            return None
        try:
            key = t.coordinate_to_cell_key(t.cursor_coordinate).row_key
        except Exception:  # noqa: BLE001 - the cursor is out of range while rows change
            return None
        return key.value

    def redraw(self) -> None:
        """Draw the last view read, the cursor staying on its device."""
        view = self.view
        if view is None:
            return
        if view.error:
            self.head.update(Text(view.error, style="red"))
            self.table.clear()
            self._drawn = None
            self.modules.update("")
            self.events.update("")
            return
        n = len(view.devices)
        head = Text("Devices", style="bold")
        head.append(f"  {n} device{'s' * (n != 1)}, {view.drivers} driver")
        head.append("s" * (view.drivers != 1))
        if view.modules is not None:
            head.append(f", {len(view.modules)} module{'s' * (len(view.modules) != 1)}")
        head.append(f"  uevent seqnum {view.seqnum}", style="dim")
        self.head.update(head)
        if view.rows != self._drawn:  # (a module's refcount moving leaves the tree alone)
            self._fill_table(view.rows)
        self.modules.update(modules_block(view.modules))
        self.modules.display = view.modules is not None
        self.events.update(events_block(view))

    def _fill_table(self, rows: list[DeviceRow]) -> None:
        keep = self.selected_path()
        self.table.clear()
        for row in rows:
            self.table.add_row(*device_cells(row), key=row.path)
        self._drawn = rows
        paths = [r.path for r in rows]
        if keep in paths:
            self.table.move_cursor(row=paths.index(keep), animate=False)

    # ------------------------------------------------------------------ actions
    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        self.action_open_sys()

    def action_open_sys(self) -> None:
        """Open the selected device's /sys directory in the /proc browser."""
        path = self.selected_path()
        if path is None:
            self.notify("No device selected.", severity="warning")
            return
        from tui.widgets.panes.procbrowser import ProcBrowserPane

        browsers = list(self.app.query(ProcBrowserPane))
        if not browsers:
            self.notify("There is no /proc browser pane.", severity="warning")
            return
        browser = browsers[0]
        if browser.id and hasattr(self.app, "action_show_pane"):
            self.app.action_show_pane(browser.id)
        browser.browse(path)

    def action_reload(self) -> None:
        """Read the devices and modules again."""
        self.refresh_data(force=True)
