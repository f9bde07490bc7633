"""The header line: machine name, virtual uptime, clock, run state, CPU and memory use.

The clock reads ``fast`` or ``realtime ×SPEED``; under a load this host cannot run as
fast as the machine's cost model says a real CPU would, realtime stays real and the
simulated CPU is throttled instead, which the header states as ``cpu ÷N`` (N times
slower than the cost model; ``behind`` when even that does not keep up).
``tui.machine.Throttle`` has the arithmetic.

CPU use comes from ``/proc/stat`` (the busy share of each CPU between two samples, in
virtual time), memory from ``/proc/meminfo``, drawn like htop's memory meter: a bar of
used (green), buffers (blue), shared (magenta) and cache (yellow) memory, the rest free,
with the figures beside it in the same colours (``tui.memview.memory_use`` has the
arithmetic). Both are read through the host syscall client, like everything else the
app shows.
"""

from __future__ import annotations

from collections import deque
from typing import TYPE_CHECKING

from rich.text import Text
from textual.widgets import Static

from kernel.abi import Error
from tui.memview import MemoryUse, bar_cells, memory_use

if TYPE_CHECKING:
    from tui.machine import Machine

#: Sparkline levels, idle to fully busy. An idle CPU draws the lowest bar, not a blank,
#: so the sparkline is visible from the first sample on.
BLOCKS = "▁▂▃▄▅▆▇█"
HISTORY = 8  # samples in each CPU's sparkline
NO_SAMPLE = "▁"  # drawn dim where a sparkline has no sample yet (just after boot)
MEM_BAR = 12  # cells of the memory bar
MEM_BAR_SHORT = 8  # ... on a header too narrow for everything
#: The memory meter's segments: the label beside the bar and the colour of both.
MEM_STYLE = {"used": "green", "buffers": "blue", "shared": "magenta", "cache": "yellow"}
MEM_LABEL = {"used": "used", "buffers": "buf", "shared": "shr", "cache": "cache"}
STATE_STYLE = {
    "running": "bold green",
    "paused": "bold yellow",
    "halted": "bold red",
    "panicked": "bold white on red",
}


def format_uptime(ns: int) -> str:
    """Virtual uptime as ``H:MM:SS.cc`` (``D days, H:MM:SS`` past a day)."""
    cs = ns // 10_000_000
    s, cs = divmod(cs, 100)
    m, s = divmod(s, 60)
    h, m = divmod(m, 60)
    d, h = divmod(h, 24)
    clock = f"{h}:{m:02d}:{s:02d}.{cs:02d}"
    return f"{d}d {clock}" if d else clock


def read_cpu_times(text: str) -> list[tuple[int, int]]:
    """(busy, total) jiffies per CPU from /proc/stat."""
    out = []
    for line in text.splitlines():
        if line.startswith("cpu") and line[3:4].isdigit():
            nums = [int(x) for x in line.split()[1:]]
            total = sum(nums[:8])
            idle = nums[3] + (nums[4] if len(nums) > 4 else 0)
            out.append((total - idle, total))
    return out


def sparkline(values: deque[float] | list[float]) -> str:
    """The last :data:`HISTORY` values in 0..1 as block characters (without padding)."""
    top = len(BLOCKS) - 1
    return "".join(BLOCKS[min(top, max(0, round(v * top)))] for v in values)[-HISTORY:]


def _kib(n: int) -> str:
    if n >= 1024 * 1024:
        return f"{n / 1024 / 1024:.1f}G"
    if n >= 1024:
        return f"{n / 1024:.1f}M"
    return f"{n}K"


class MachineHeader(Static):
    """One line at the top of the app; :meth:`sample` reads /proc, :meth:`show` draws."""

    DEFAULT_CSS = """
    MachineHeader {
        dock: top;
        height: 1;
        background: $panel;
        color: $foreground;
    }
    """

    def __init__(self, *, id: str | None = "header") -> None:  # noqa: A002
        super().__init__(id=id)
        self.cpu_history: list[deque[float]] = []
        self._last_cpu: list[tuple[int, int]] = []
        self.mem = MemoryUse()
        self._host: object = None

    def sample(self, machine: Machine) -> None:
        """Take one CPU and memory sample from the machine's /proc."""
        host = machine.host
        if host is not self._host:  # a new boot: start the history over
            self._host = host
            self.cpu_history = []
            self._last_cpu = []
        try:
            cpus = read_cpu_times(host.read_file("/proc/stat").decode())
        except Error:
            cpus = []
        if len(self.cpu_history) != len(cpus):
            self.cpu_history = [deque(maxlen=HISTORY) for _ in cpus]
            self._last_cpu = cpus
        else:
            for i, ((busy, total), (b0, t0)) in enumerate(zip(cpus, self._last_cpu, strict=True)):
                if total > t0:
                    self.cpu_history[i].append((busy - b0) / (total - t0))
            self._last_cpu = cpus
        try:
            mem = memory_use(host.read_file("/proc/meminfo").decode())
        except Error:
            return
        if mem != self.mem:
            self.mem = mem
            self.tooltip = self.memory_tooltip()

    def show(self, machine: Machine) -> None:
        """Redraw from the machine's state and the last sample."""
        self.update(self.render_text(machine), layout=False)  # one line: no layout pass

    def render_text(self, machine: Machine) -> Text:
        """The header line for ``machine`` and the last sample."""
        text = Text(no_wrap=True, overflow="ellipsis")
        text.append(f" {machine.name} ", "bold reverse")
        text.append(f"  up {format_uptime(machine.uptime_ns)}")
        mode = "fast" if machine.fast else f"realtime {machine.speed_label}"
        text.append(f"  {mode}  ")
        load = machine.load_label
        if load:
            text.append(load, "bold yellow")
            text.append("  ")
        state = machine.state
        text.append(f"● {state}", STATE_STYLE.get(state, ""))
        cpu = self.cpu_text()
        if self.mem.total:
            # The first that leaves room for the CPUs: the legend, then in use/total,
            # then that with a shorter bar. Before layout (width 0) the legend.
            width = self.size.width
            for legend, cells in ((True, MEM_BAR), (False, MEM_BAR), (False, MEM_BAR_SHORT)):
                mem = self.memory_text(legend=legend, cells=cells)
                if not width or text.cell_len + mem.cell_len + cpu.cell_len <= width:
                    break
            text.append_text(mem)
        text.append_text(cpu)
        return text

    def cpu_text(self) -> Text:
        """Each CPU's sparkline (empty before the first sample)."""
        text = Text()
        if self.cpu_history:
            text.append("  cpu ")
            for i, hist in enumerate(self.cpu_history):
                if i:
                    text.append(" ")
                line = sparkline(hist)
                text.append(NO_SAMPLE * (HISTORY - len(line)), "dim")
                text.append(line, "green")
        return text

    def memory_tooltip(self) -> Text:
        """The meter explained (the header's tooltip, at most 40 columns): each segment
        with its figure and what it counts, then free, available and total memory."""
        mem = self.mem
        text = Text("Memory (/proc/meminfo)\n", "bold")
        what = {
            "used": "programs, kernel",
            "buffers": "Buffers",
            "shared": "Shmem: tmpfs, shm",
            "cache": "Cached - Shmem",
        }
        rows = [(name, kb, what[name], MEM_STYLE[name]) for name, kb in mem.segments()]
        rows += [
            ("free", mem.free, "MemFree", "dim"),
            ("avail", mem.available, "MemAvailable", ""),
            ("total", mem.total, "MemTotal", ""),
        ]
        for name, kb, meaning, style in rows:
            text.append("█ " if name in MEM_STYLE else "░ " if name == "free" else "  ", style)
            text.append(f"{name:<7}{_kib(kb):>7}  ")
            text.append(meaning, "dim")
            if name != "total":
                text.append("\n")
        return text

    def memory_text(self, *, legend: bool = True, cells: int = MEM_BAR) -> Text:
        """The memory meter: ``mem`` and a bar of ``cells``, then with ``legend`` each
        segment's figure and label in its colour and ``of`` the total, else
        ``in use/total``."""
        mem = self.mem
        segments = mem.segments()
        text = Text("  mem ")
        filled = bar_cells([kb for _, kb in segments], mem.total, cells)
        for (name, _), n in zip(segments, filled, strict=True):
            text.append("█" * n, MEM_STYLE[name])
        text.append("░" * (cells - sum(filled)), "dim")
        if not legend:
            text.append(f" {_kib(mem.total - mem.free)}/{_kib(mem.total)}")
            return text
        for name, kb in segments:
            # Buffers (block-device buffers) stays 0 on a machine without block
            # devices: shown only when it is not.
            if kb or name != "buffers":
                text.append(f" {_kib(kb)}")
                text.append(f" {MEM_LABEL[name]}", MEM_STYLE[name])
        text.append(f" of {_kib(mem.total)}")
        return text
