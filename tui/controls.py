"""The app's machine controls: pause, step, speed, reboot, power off and open another
machine file, asking before a running machine is replaced (``LibkApp`` mixes them in).

They act on ``self.machine`` (a :class:`tui.machine.Machine`) and show the result with
the app's ``refresh_panes``/``sync``; a machine file with mistakes is shown in full in a
dialog and changes nothing.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

from kernel.boot import default_image, load
from kernel.image import ImageError
from tui.widgets.dialogs import ConfirmScreen, MessageScreen
from tui.widgets.filepicker import FilePicker

if TYPE_CHECKING:
    from tui.machine import Machine


class MachineControls:
    """Actions on the machine, for an App that has ``machine``, ``refresh_panes()``,
    ``sync()`` and ``_after_boot()``."""

    machine: Machine
    refresh_panes: Any
    sync: Any
    notify: Any
    push_screen: Any
    _after_boot: Any

    def action_toggle_pause(self) -> None:
        """Pause or resume the machine's clock."""
        paused = self.machine.toggle_pause()
        self.notify("Machine paused" if paused else "Machine running", timeout=1.5)
        self.refresh_panes()

    def action_pause(self) -> None:
        """Pause the machine's clock."""
        self.machine.pause()
        self.refresh_panes()

    def action_resume(self) -> None:
        """Resume the machine's clock."""
        self.machine.resume()
        self.refresh_panes()

    def action_step(self) -> None:
        """Pause, then run one scheduling quantum of virtual time."""
        self.machine.step()
        self.sync()

    def action_slower(self) -> None:
        """The next slower speed."""
        self.machine.speed_down()
        self.refresh_panes()

    def action_faster(self) -> None:
        """The next faster speed (after ×100: fast)."""
        self.machine.speed_up()
        self.refresh_panes()

    def action_speed(self, speed: str) -> None:
        """Set the speed: a factor, or ``fast``."""
        self.machine.set_speed(speed if speed == "fast" else float(speed))
        self.refresh_panes()

    async def action_reboot(self) -> None:
        """Boot the machine again from its machine file (asking first while it runs)."""
        if self._confirm_needed():
            await self.push_screen(
                ConfirmScreen(
                    f"Reboot {self.machine.name}?",
                    "Everything running on the machine stops, and what it wrote is lost.",
                    "Reboot",
                ),
                self._reboot_confirmed,
            )
            return
        await self.reboot_now()

    async def _reboot_confirmed(self, yes: bool | None) -> None:
        if yes:
            await self.reboot_now()

    async def reboot_now(self) -> None:
        """Boot the machine again from its machine file, without asking."""
        self.machine.reboot()
        await self._after_boot()
        self.notify(f"Rebooted {self.machine.name}", timeout=1.5)

    def _confirm_needed(self) -> bool:
        """Replacing the machine loses its state unless it has halted (powered off or
        panicked) already."""
        return not self.machine.halted

    def action_power_off(self) -> None:
        """Power the machine off (the app stays open; F9 boots it again)."""
        self.machine.power_off(0)
        self.sync()

    def action_open_image(self) -> None:
        """Pick another machine file and boot it."""
        self.push_screen(FilePicker(self.picker_start()), self._open_picked)

    def picker_start(self) -> str:
        """Where the file picker starts: the running machine file's directory, unless it
        is the built-in default image (inside the installed package): then here."""
        source = self.machine.info.source
        packaged = os.path.realpath(default_image())
        if source and os.path.isfile(source) and os.path.realpath(source) != packaged:
            return os.path.dirname(os.path.abspath(source))
        return os.getcwd()

    async def _open_picked(self, path: str | None) -> None:
        if path:
            await self.open_image(path)

    async def open_image(self, path: str, *, confirm: bool = True) -> bool:
        """Boot the machine file at ``path`` (asking first while the machine runs); a bad
        file is reported, every mistake in it, and changes nothing.

        Returns:
            True when the file was good (booted, or waiting for the user's answer).
        """
        try:
            load(path)
        except (ImageError, OSError) as err:
            self.push_screen(MessageScreen(f"Cannot open {path}", str(err)))
            return False
        if confirm and self._confirm_needed():
            name = os.path.basename(path)

            async def answered(yes: bool | None) -> None:
                if yes:
                    await self.open_image(path, confirm=False)

            await self.push_screen(
                ConfirmScreen(
                    f"Replace {self.machine.name} with {name}?",
                    f"The running machine stops, and what it wrote is lost; {path} boots.",
                    "Boot it",
                ),
                answered,
            )
            return True
        try:
            self.machine.open_image(path)
        except (ImageError, OSError) as err:  # (changed on disk since it was checked)
            self.push_screen(MessageScreen(f"Cannot open {path}", str(err)))
            return False
        await self._after_boot()
        self.notify(f"Booted {self.machine.name}", timeout=1.5)
        return True
