"""The rings pane's data layer: every completion ring on the machine and the block
devices' queues, read from /proc and /sys and decoded.

Everything goes through the host syscall client (``kernel.host.HostClient``), as in
``tui.heapview``. A ring is a descriptor whose ``/proc/<pid>/fd/<n>`` link reads
``anon_inode:[io_uring]``; its ``/proc/<pid>/fdinfo/<n>`` says the rest: Linux's
io_uring lines (``SqHead``, ``SqTail``, ``CqHead``, ``CqTail``, ``SQEs``, ``CQEs``,
``SqThread``, the ``CqOverflowList``), then libk's (``Entries``, the counters
``Submitted``/``Completed``/``Cancelled``/``Overflowed``, one indented line per request
in flight after ``InFlight``, ``OwnedPages``, one ``BufGroup`` line per buffer group;
``man 5 proc``). :func:`parse_fdinfo` turns that text into a :class:`RingView`.

The devices come from ``/proc/diskstats`` (Linux's format: the 9th number after the
name is the requests on the device now; reads, writes and flushes completed are the
1st, 5th and 16th) and ``/sys/block/<dev>/queue/nr_requests`` (the device's depth).

Rates are per second of the machine's virtual time (``clock_gettime(CLOCK_MONOTONIC)``
through the host client, as ``tui.procview`` reads it): :class:`RingSampler` keeps, per
ring and per device, the last count it saw and the last rates it computed, one per
:meth:`RingSampler.sample` in which virtual time moved. No Textual here: the pane
(``tui.widgets.panes.rings``) draws what this module reads, and tests use it directly.
"""

from __future__ import annotations

import re
from collections import deque
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar

from kernel.abi import CLOCK_MONOTONIC, Error
from tui.procview import proc_pids

if TYPE_CHECKING:
    from kernel.host import HostClient

RING_LINK = "anon_inode:[io_uring]"
HISTORY = 60  # rate samples kept per ring and per device
SECOND = 1_000_000_000
# The fields of a request in flight: user_data=0x2a op=read fd=4 state=waiting age_ns=N
# and, when the request holds a buffer, buf=0x7fff...+4096.
INFLIGHT_LINE = re.compile(
    r"user_data=(?P<ud>0x[0-9a-fA-F]+|\d+),?\s+op=(?P<op>\S+)\s+fd=(?P<fd>-?\d+)\s+"
    r"state=(?P<state>\S+)\s+age_ns=(?P<age>\d+)"
    r"(?:\s+buf=(?P<addr>0x[0-9a-fA-F]+|\d+)\+(?P<len>\d+))?"
)
OVERFLOW_LINE = re.compile(
    r"user_data=(?P<ud>0x[0-9a-fA-F]+|\d+),\s*res=(?P<res>-?\d+),\s*flags=(?P<flags>0x[0-9a-fA-F]+|\d+)"
)
GROUP_LINE = re.compile(r"(?P<bgid>\d+)\s+free=(?P<free>\d+)\s+size=(?P<size>\d+)")


@dataclass(slots=True)
class Request:
    """A request in flight on a ring (one indented line after ``InFlight:``).

    Attributes:
        user_data: the number the submitter gave it.
        op: its operation's name (``read``, ``nop``, ``timeout``...).
        fd: its target descriptor (-1 for none).
        state: ``pending`` (behind a link or a drain), ``waiting`` (parked: on a wait
            queue, a timer or the device's software queue; cancellable), ``device``
            (on the device: it will complete).
        age_ns: virtual ns since it started (0 while pending).
        buf_addr, buf_len: the buffer the ring owns for it (None, 0 without one).
    """

    user_data: int
    op: str
    fd: int
    state: str
    age_ns: int
    buf_addr: int | None = None
    buf_len: int = 0


@dataclass(slots=True)
class BufferGroup:
    """A registered buffer group: its id, buffers left to pick, their size (0: mixed)."""

    bgid: int
    free: int
    size: int


@dataclass(slots=True)
class RingView:
    """One ring as /proc/<pid>/fdinfo/<fd> describes it, plus the sampler's rates.

    ``sqes`` are submissions published and not yet consumed, ``cqes`` completions posted
    and not yet reaped; ``overflow`` is the overflow list (user data, res, flags):
    completions that found the completion queue full and wait in the kernel.
    ``rate`` is completions per virtual second since the previous sample (None on the
    first), ``history`` the last rates, oldest first.
    """

    pid: int
    fd: int
    comm: str = ""
    ino: int = 0
    sq_entries: int = 0
    cq_entries: int = 0
    sq_head: int = 0
    sq_tail: int = 0
    cq_head: int = 0
    cq_tail: int = 0
    sqes: int = 0
    cqes: int = 0
    sq_thread: int = -1
    overflow: list[tuple[int, int, int]] = field(default_factory=list)
    submitted: int = 0
    completed: int = 0
    cancelled: int = 0
    overflowed: int = 0
    inflight: list[Request] = field(default_factory=list)
    owned_pages: int = 0
    groups: list[BufferGroup] = field(default_factory=list)
    rate: float | None = None
    history: list[float] = field(default_factory=list)

    @property
    def key(self) -> tuple[int, int, int]:
        """What identifies the ring across samples: pid, fd and the ring's inode (a
        descriptor closed and reused for another ring is another ring)."""
        return (self.pid, self.fd, self.ino)


@dataclass(slots=True)
class DeviceView:
    """A block device's queue: requests on it now, its depth (0: unknown), requests
    completed ever (reads, writes, flushes), IOPS since the previous sample (None on
    the first) and the last IOPS samples."""

    name: str
    in_flight: int = 0
    depth: int = 0
    ios: int = 0
    iops: float | None = None
    history: list[float] = field(default_factory=list)


@dataclass(slots=True)
class RingsView:
    """Everything the pane shows at one moment: rings by (pid, fd), devices by name,
    and the virtual time it was read at."""

    now_ns: int = 0
    rings: list[RingView] = field(default_factory=list)
    devices: list[DeviceView] = field(default_factory=list)


def _int(text: str) -> int:
    """A decimal or 0x-hex number (0 when it is neither)."""
    try:
        return int(text, 0)
    except ValueError:
        return 0


def parse_fdinfo(pid: int, fd: int, text: str) -> RingView | None:
    """The ring an fdinfo file describes; None when the text is not a ring's (no
    ``Entries:`` line and no ``SqMask:`` line).

    Unknown lines are ignored, so that fields added later break nothing.
    """
    ring = RingView(pid, fd)
    seen = False
    section = ""
    for line in text.splitlines():
        if line[:1] in (" ", "\t") and line.strip():
            item = line.strip()
            if section == "InFlight":
                m = INFLIGHT_LINE.search(item)
                if m:
                    addr = m["addr"]
                    ring.inflight.append(
                        Request(
                            user_data=_int(m["ud"]),
                            op=m["op"],
                            fd=int(m["fd"]),
                            state=m["state"],
                            age_ns=int(m["age"]),
                            buf_addr=_int(addr) if addr is not None else None,
                            buf_len=int(m["len"]) if m["len"] is not None else 0,
                        )
                    )
            elif section == "CqOverflowList":
                m = OVERFLOW_LINE.search(item)
                if m:
                    ring.overflow.append((_int(m["ud"]), int(m["res"]), _int(m["flags"])))
            continue
        name, _, value = line.partition(":")
        value = value.strip()
        section = name
        if name == "Entries":
            parts = value.split()
            if len(parts) >= 2:
                ring.sq_entries, ring.cq_entries = int(parts[0]), int(parts[1])
            seen = True
        elif name == "SqMask":
            ring.sq_entries = ring.sq_entries or _int(value) + 1
            seen = True
        elif name == "CqMask":
            ring.cq_entries = ring.cq_entries or _int(value) + 1
        elif name == "BufGroup":
            m = GROUP_LINE.search(value)
            if m:
                ring.groups.append(BufferGroup(int(m["bgid"]), int(m["free"]), int(m["size"])))
        elif name in _FIELDS and value.lstrip("-").isdigit():
            setattr(ring, _FIELDS[name], int(value))
    return ring if seen else None


_FIELDS = {
    "ino": "ino",
    "SqHead": "sq_head",
    "SqTail": "sq_tail",
    "CqHead": "cq_head",
    "CqTail": "cq_tail",
    "SQEs": "sqes",
    "CQEs": "cqes",
    "SqThread": "sq_thread",
    "Submitted": "submitted",
    "Completed": "completed",
    "Cancelled": "cancelled",
    "Overflowed": "overflowed",
    "OwnedPages": "owned_pages",
}


def parse_diskstats(text: str) -> list[DeviceView]:
    """The devices of a /proc/diskstats text: name, requests on the device now (the 9th
    number after the name) and requests completed (reads + writes + flushes)."""
    out = []
    for line in text.splitlines():
        parts = line.split()
        if len(parts) < 3 + 9:
            continue
        nums = [int(p) if p.isdigit() else 0 for p in parts[3:]]
        ios = nums[0] + nums[4] + (nums[15] if len(nums) > 15 else 0)
        out.append(DeviceView(parts[2], in_flight=nums[8], ios=ios))
    return out


def per_second(before: tuple[int, int] | None, after: tuple[int, int]) -> float | None:
    """The rate of a counter between two ``(count, virtual ns)`` samples, per virtual
    second; None without a previous sample or when no time passed between them (a
    counter that went down, a ring or device that was replaced, counts from 0)."""
    if before is None:
        return None
    count0, t0 = before
    count1, t1 = after
    if t1 <= t0:
        return None
    return max(0, count1 - count0) * SECOND / (t1 - t0)


T = TypeVar("T")


class _Series:
    """A counter's last sample and its last rates."""

    __slots__ = ("last", "rates")

    def __init__(self, history: int) -> None:
        self.last: tuple[int, int] | None = None
        self.rates: deque[float] = deque(maxlen=history)

    def add(self, count: int, now: int) -> float | None:
        """Take a sample; the rate since the previous one (None: none, or no time)."""
        if self.last is not None and now <= self.last[1]:
            return self.rates[-1] if self.rates else None  # the same moment: no new rate
        rate = per_second(self.last, (count, now))
        self.last = (count, now)
        if rate is not None:
            self.rates.append(rate)
        return rate


class RingSampler:
    """Reads the rings and devices of one machine through its host client and keeps
    their rates over time (see the module docstring). Keep one per pane."""

    def __init__(self, host: HostClient, history: int = HISTORY) -> None:
        self.host = host
        self.history = history
        self._rings: dict[tuple[int, int, int], _Series] = {}
        self._devices: dict[str, _Series] = {}
        self._depths: dict[str, int] = {}

    def now_ns(self) -> int:
        """The machine's virtual time (CLOCK_MONOTONIC)."""
        return int(self.host.call("clock_gettime", CLOCK_MONOTONIC))

    def pids(self) -> list[int]:
        """The pids in /proc, ascending."""
        return proc_pids(self.host)

    def ring_fds(self, pid: int) -> list[int]:
        """The descriptors of ``pid`` that are rings, ascending ([] if it is gone or not
        readable)."""
        try:
            names = self.host.listdir(f"/proc/{pid}/fd")
        except Error:
            return []
        out = []
        for name in names:
            if not name.isdigit():
                continue
            try:
                target = self.host.call("readlink", f"/proc/{pid}/fd/{name}")
            except Error:
                continue
            if target == RING_LINK:
                out.append(int(name))
        return sorted(out)

    def read_ring(self, pid: int, fd: int) -> RingView | None:
        """``pid``'s ring ``fd`` now, without rates (None: gone, or not a ring)."""
        read = self.host.read_file
        try:
            text = read(f"/proc/{pid}/fdinfo/{fd}").decode(errors="replace")
        except Error:
            return None
        ring = parse_fdinfo(pid, fd, text)
        if ring is None:
            return None
        try:
            ring.comm = read(f"/proc/{pid}/comm").decode(errors="replace").strip()
        except Error:
            ring.comm = "?"
        return ring

    def depth(self, name: str) -> int:
        """The depth of block device ``name`` (``/sys/block/<name>/queue/nr_requests``,
        read once; 0 if there is no such file)."""
        if name not in self._depths:
            try:
                text = self.host.read_file(f"/sys/block/{name}/queue/nr_requests")
                self._depths[name] = int(text.split()[0])
            except (Error, ValueError, IndexError):
                return 0
        return self._depths[name]

    def read_devices(self) -> list[DeviceView]:
        """The block devices now, without rates ([] without /proc/diskstats)."""
        try:
            text = self.host.read_file("/proc/diskstats").decode(errors="replace")
        except Error:
            return []
        devices = parse_diskstats(text)
        for d in devices:
            d.depth = self.depth(d.name)
        return devices

    def sample(self) -> RingsView:
        """Every ring and device now, each with its rate since the previous sample and
        its history; series of rings and devices that are gone are dropped."""
        now = self.now_ns()
        view = RingsView(now)
        for pid in self.pids():
            for fd in self.ring_fds(pid):
                ring = self.read_ring(pid, fd)
                if ring is not None:
                    view.rings.append(ring)
        for ring, series in self._track(self._rings, [(r.key, r) for r in view.rings]):
            ring.rate = series.add(ring.completed, now)
            ring.history = list(series.rates)
        view.devices = self.read_devices()
        for d, series in self._track(self._devices, [(d.name, d) for d in view.devices]):
            d.iops = series.add(d.ios, now)
            d.history = list(series.rates)
        return view

    def _track(
        self, store: dict[Any, _Series], items: list[tuple[Any, T]]
    ) -> list[tuple[T, _Series]]:
        """Each item with its rate series (new ones start empty); the series of what
        is gone are dropped."""
        out = []
        for key, item in items:
            series = store.get(key)
            if series is None:
                series = store[key] = _Series(self.history)
            out.append((item, series))
        keep = {key for key, _ in items}
        for key in [k for k in store if k not in keep]:
            del store[key]
        return out

    def forget(self) -> None:
        """Drop every series (after a reboot)."""
        self._rings.clear()
        self._devices.clear()
        self._depths.clear()


__all__ = [
    "RING_LINK",
    "BufferGroup",
    "DeviceView",
    "Request",
    "RingSampler",
    "RingView",
    "RingsView",
    "parse_diskstats",
    "parse_fdinfo",
    "per_second",
]
