"""Block devices: a disk whose contents live in page frames, with a latency model.

A :class:`BlockDevice` (``/dev/blk0``, from the image's ``devices:``) takes requests
— read, write, flush — and finishes each after the image's ``clock.costs.block``
says: a fixed ``latency`` plus ``per_kib`` for every KiB moved. It holds up to
``depth`` requests at once (more wait in its software queue, where they can still be
cancelled) and serves up to ``channels`` of them at the same time, so concurrent
requests finish sooner than serial ones. A request's data moves when it completes (a
read's bytes are what the disk holds then). Completions arrive on kernel timers; the
caller's ``done(req)`` callback gets the result.

The device keeps Linux's I/O statistics (``/proc/diskstats``, ``/sys/block/<dev>/stat``):
requests, sectors and time per direction, requests in flight, time busy, and the
weighted time in queue. Its node in /dev is a :class:`BlockNode` (S_IFBLK): read(2)
and write(2) on it are synchronous requests at the file's offset, and block the caller
until the device is done.

A root process can take the device for itself (ioctl BLK_CLAIM, level 4 of the I/O
API: an integrated driver that maps the device's own queue, ``kernel.dev.blkqueue``);
while it holds it, every other open gets EBUSY.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from kernel.abi import (
    BLK_CLAIM,
    BLK_RELEASE,
    EBUSY,
    EINVAL,
    EIO,
    ENODEV,
    ENOSPC,
    ENOTTY,
    EPERM,
    S_IFBLK,
    Error,
)
from kernel.dev.driver import BLK, Device, DeviceDriver, node_open
from kernel.fs.vfs import Inode, WouldBlock
from kernel.mm.pagecache import PageCache
from kernel.thread import DEAD, Sleep, WaitQueue

if TYPE_CHECKING:
    from kernel.fs.file import File
    from kernel.fs.vfs import FileSystem
    from kernel.imagetypes import BlockCosts
    from kernel.kernel import Kernel

SECTOR = 512
BLOCK_MAJOR = 254  # a dynamically allocated major, as virtio-blk's is on Linux

# Request states.
QUEUED = "queued"  # in the software queue: not yet on the device (cancellable)
ISSUED = "issued"  # on the device: it will complete
DONE = "done"

READ, WRITE, FLUSH = "read", "write", "flush"


@dataclass(slots=True, eq=False)
class BlkRequest:
    """One request to a block device.

    Attributes:
        op: READ, WRITE or FLUSH.
        pos, length: the byte range (a multiple of nothing in particular; the device
            clips it at its end).
        data: a write's bytes.
        done: called with the request when it completes (``result``, ``data`` set).
        issued: called when it leaves the software queue for the device.
        result: bytes moved, or -errno.
        queued_at, issued_at, done_at: virtual times, ns.
        channel: the channel serving it.
        owner: who submitted it (for /proc: a ring request, a thread).
    """

    op: str
    pos: int
    length: int
    data: bytes = b""
    done: Callable[[BlkRequest], None] | None = None
    issued: Callable[[BlkRequest], None] | None = None
    state: str = QUEUED
    result: int = 0
    queued_at: int = 0
    issued_at: int = 0
    done_at: int = 0
    channel: int = -1
    owner: Any = None


@dataclass(slots=True)
class DiskStats:
    """Linux's per-disk I/O statistics (Documentation/admin-guide/iostats.rst), in
    requests, sectors and nanoseconds (the files show milliseconds)."""

    rd_ios: int = 0
    rd_merges: int = 0
    rd_sectors: int = 0
    rd_ticks: int = 0
    wr_ios: int = 0
    wr_merges: int = 0
    wr_sectors: int = 0
    wr_ticks: int = 0
    in_flight: int = 0
    io_ticks: int = 0
    time_in_queue: int = 0
    flush_ios: int = 0
    flush_ticks: int = 0
    busy_since: int = 0  # when in_flight last went from 0 to 1
    changed_at: int = 0  # when in_flight last changed (for time_in_queue)

    def fields(self, now: int) -> list[int]:
        """The 17 numbers of a /proc/diskstats line after its name, up to ``now``."""
        io_ticks = self.io_ticks + (now - self.busy_since if self.in_flight else 0)
        queue = self.time_in_queue + self.in_flight * (now - self.changed_at)
        ms = 1_000_000
        return [
            self.rd_ios,
            self.rd_merges,
            self.rd_sectors,
            self.rd_ticks // ms,
            self.wr_ios,
            self.wr_merges,
            self.wr_sectors,
            self.wr_ticks // ms,
            self.in_flight,
            io_ticks // ms,
            queue // ms,
            0,  # discards: the device has none
            0,
            0,
            0,
            self.flush_ios,
            self.flush_ticks // ms,
        ]


@dataclass(slots=True, eq=False)
class BlockDevice:
    """A disk in page frames with a latency model; see the module docstring."""

    k: Kernel
    name: str
    size: int
    costs: BlockCosts
    minor: int = 0
    major: int = BLOCK_MAJOR  # 1 for the ramdisk module's, as brd's
    store: PageCache = field(init=False)
    free_at: list[int] = field(init=False)  # when each channel is next free
    waiting: deque[BlkRequest] = field(default_factory=deque)
    inflight: set[BlkRequest] = field(default_factory=set)  # issued, not yet done
    stats: DiskStats = field(default_factory=DiskStats)
    holder: Any = None  # the process that claimed the device (level 4), or None
    claim_file: Any = None  # the open file it claimed it through
    queue: Any = None  # its DeviceQueue (kernel.dev.blkqueue)
    old_queues: list[Any] = field(default_factory=list)  # released, still mapped
    opens: int = 0

    def __post_init__(self) -> None:
        self.store = PageCache(self.k.frames, "kernel")
        self.store.size = self.size
        self.free_at = [0] * self.costs.channels

    # ------------------------------------------------------------------ requests
    def service_ns(self, length: int) -> int:
        """How long the device works on a request moving ``length`` bytes."""
        return self.costs.latency + self.costs.per_kib * -(-length // 1024)

    def submit(self, req: BlkRequest) -> None:
        """Queue ``req``; it is issued at once if the device has room.

        Raises:
            Error: EINVAL for a range that does not start inside the device.
        """
        if req.op != FLUSH and not 0 <= req.pos <= self.size:
            raise Error(EINVAL)
        req.queued_at = self.k.now()
        req.state = QUEUED
        if len(self.inflight) < self.costs.depth:
            self._issue(req, req.queued_at)
        else:
            self.waiting.append(req)

    def cancel(self, req: BlkRequest) -> bool:
        """Take back a request that has not reached the device; False if it has."""
        if req.state is QUEUED and req in self.waiting:
            self.waiting.remove(req)
            req.state = DONE
            return True
        return False

    def _issue(self, req: BlkRequest, now: int) -> None:
        free_at = self.free_at
        ch = min(range(len(free_at)), key=free_at.__getitem__)
        start = max(now, free_at[ch])
        length = 0 if req.op == FLUSH else max(0, min(req.length, self.size - req.pos))
        req.done_at = start + self.service_ns(length)
        free_at[ch] = req.done_at
        req.channel = ch
        req.issued_at = now
        req.state = ISSUED
        st = self.stats
        if not self.inflight:
            st.busy_since = now
        st.time_in_queue += len(self.inflight) * (now - st.changed_at)
        st.changed_at = now
        self.inflight.add(req)
        st.in_flight = len(self.inflight)
        self.k.add_timer(req.done_at, lambda when, r=req: self._complete(r, when))
        if req.issued is not None:
            req.issued(req)

    def _complete(self, req: BlkRequest, now: int) -> None:
        st = self.stats
        st.time_in_queue += len(self.inflight) * (now - st.changed_at)
        st.changed_at = now
        self.inflight.discard(req)
        st.in_flight = len(self.inflight)
        if not self.inflight:
            st.io_ticks += now - st.busy_since
        took = now - req.queued_at
        length = max(0, min(req.length, self.size - req.pos))
        try:
            if req.op == READ:
                req.data = self.store.read(req.pos, length)
                req.result = len(req.data)
                st.rd_ios += 1
                st.rd_sectors += -(-length // SECTOR)
                st.rd_ticks += took
            elif req.op == WRITE:
                self.store.write(req.pos, req.data[:length])
                req.result = length
                st.wr_ios += 1
                st.wr_sectors += -(-length // SECTOR)
                st.wr_ticks += took
            else:
                req.result = 0
                st.flush_ios += 1
                st.flush_ticks += took
        except Error:  # no frame for a newly written block
            req.result = -EIO
        req.state = DONE
        while self.waiting and len(self.inflight) < self.costs.depth:
            self._issue(self.waiting.popleft(), now)
        if req.done is not None:
            req.done(req)


class BlockNode(Inode):
    """A block-device node in /dev: read(2) and write(2) are synchronous requests."""

    __slots__ = ("dev", "_pending", "device")

    def __init__(self, fs: FileSystem, dev: BlockDevice, mode: int = 0o660, gid: int = 0) -> None:
        super().__init__(fs, S_IFBLK | mode, 0, gid)
        self.dev = dev
        self.device: Any = None  # its kernel.dev.driver.Device
        self.rdev = (dev.major << 8) | dev.minor
        # A thread's request in progress: (file, op, pos, length) -> the request.
        self._pending: dict[Any, tuple[tuple[Any, ...], BlkRequest, WaitQueue]] = {}

    @property
    def size(self) -> int:
        return self.dev.size

    @property
    def seekable(self) -> bool:
        return True

    def open(self, t: Any, f: File) -> None:
        holder = self.dev.holder
        if holder is not None and (t is None or t.proc is not holder):
            raise Error(EBUSY)
        if self.device is not None:
            node_open(self, f)
        self.dev.opens += 1

    def release(self, f: File) -> None:
        self.dev.opens -= 1
        if self.dev.claim_file is f:
            self._unclaim()

    # ------------------------------------------------------------------ level 4
    def ioctl(self, t: Any, f: File, request: int, arg: Any) -> Any:
        """BLK_CLAIM: take the device for an integrated driver (root; EBUSY while
        anyone else has it open); returns the bytes of its queue to map.
        BLK_RELEASE: give it back."""
        dev = self.dev
        if request == BLK_CLAIM:
            if t is None or t.proc.cred.euid != 0:
                raise Error(EPERM)
            if dev.claim_file is f:
                return 2 * dev.k.frames.page_size
            if dev.holder is not None or dev.opens > 1:
                raise Error(EBUSY)
            from kernel.dev.blkqueue import DeviceQueue

            dev.queue = DeviceQueue(dev, t.proc)
            dev.holder = t.proc
            dev.claim_file = f
            dev.k.log(f"{dev.name}: claimed by {t.proc.comm}[{t.proc.pid}] (integrated driver)")
            return 2 * dev.k.frames.page_size
        if request == BLK_RELEASE:
            if dev.claim_file is not f:
                raise Error(EINVAL)
            self._unclaim()
            return 0
        raise Error(ENOTTY)

    def _unclaim(self) -> None:
        dev = self.dev
        queue = dev.queue
        dev.holder = dev.claim_file = dev.queue = None
        if queue is not None:
            queue.close()
            dev.old_queues.append(queue)
            self.drop_if_unused()
            dev.k.log(f"{dev.name}: released by its driver")

    def mmap_cache(self, t: Any, f: File) -> PageCache:
        """What mmap of the node maps: the queue of the device this file claimed.

        Raises:
            Error: ENODEV if it did not claim the device.
        """
        if self.dev.claim_file is not f or self.dev.queue is None:
            raise Error(ENODEV)
        return self.dev.queue.cache

    def mapped(self, mm: Any, start: int, pgoff: int, pages: int) -> None:
        """The queue was mapped: arm the doorbell page."""
        if self.dev.queue is not None:
            self.dev.queue.mapped(mm, start, pgoff, pages)

    def drop_if_unused(self) -> None:
        """Free the pages of released queues nobody maps any more."""
        keep = []
        for queue in self.dev.old_queues:
            if queue.cache.mappings:
                keep.append(queue)
            else:
                queue.cache.release()
        self.dev.old_queues = keep

    def _sync(self, t: Any, f: File, op: str, pos: int, length: int, data: bytes) -> BlkRequest:
        """Run one request for ``t``: the first call submits it and blocks, the call
        after the wake-up collects it."""
        key = (f, op, pos, length)
        mine = self._pending.pop(t, None)
        if mine is not None and mine[0] == key:
            if mine[1].state is DONE:
                return mine[1]
            self._pending[t] = mine
            raise WouldBlock(Sleep((mine[2],), None, f"blk_{op}"))
        wait = WaitQueue(f"blk_{op}")

        def done(req: BlkRequest) -> None:
            if self._pending.get(t, (None, None))[1] is req and t.state is DEAD:
                del self._pending[t]  # its thread is gone
            self.fs.kernel.wake_all(wait)

        req = BlkRequest(op, pos, length, data, done, owner=t)
        self.dev.submit(req)
        self._pending[t] = (key, req, wait)
        raise WouldBlock(Sleep((wait,), None, f"blk_{op}"))

    def read(self, t: Any, f: File, count: int) -> bytes:
        if f.pos >= self.dev.size or count == 0:
            return b""
        req = self._sync(t, f, READ, f.pos, count, b"")
        if req.result < 0:
            raise Error(-req.result)
        f.pos += len(req.data)
        return req.data

    def write(self, t: Any, f: File, data: bytes) -> int:
        if f.pos >= self.dev.size:
            raise Error(ENOSPC)
        req = self._sync(t, f, WRITE, f.pos, len(data), data)
        if req.result < 0:
            raise Error(-req.result)
        f.pos += req.result
        return req.result

    def truncate(self, length: int) -> None:
        raise Error(EINVAL)


class PlatformBlockDriver(DeviceDriver):
    """``libkblk``: the built-in driver of the image's disks. Each ``devices:`` entry
    is a platform device ``libkblk.N``; binding it makes its disk, a ``block`` class
    device under it (``/sys/devices/platform/libkblk.0/block/blk0``, ``/dev/blk0``)."""

    name = "libkblk"
    bus = "platform"

    def probe(self, dev: Device) -> None:
        disk: BlockDevice = dev.data
        disk.k.devices.device_register(disk_device(disk, dev))

    def remove(self, dev: Device) -> None:
        """The disk goes with its children (the model unregisters them first)."""


def disk_device(disk: BlockDevice, parent: Device | None, owner: Any = None) -> Device:
    """The ``block`` class device of a disk: /dev/<name>, /sys/block/<name>, genhd's
    attributes."""
    return Device(
        disk.name,
        parent=parent,
        cls="block",
        devt=(disk.major, disk.minor),
        kind=BLK,
        disk=disk,
        mode=0o660,
        attrs=disk_attrs(disk),
        owner=owner,
        uevent_env=(("DEVTYPE", "disk"),),
    )


def disk_stat(fields: list[int]) -> str:
    """``/sys/block/<dev>/stat``: the 17 numbers of /proc/diskstats, each ``%8u``."""
    return " ".join(f"{v:8d}" for v in fields) + "\n"


def disk_attrs(d: BlockDevice) -> dict[str, Any]:
    """A disk's sysfs attributes, as block/genhd.c's and blk-sysfs.c's: ``size`` (512-byte
    sectors), ``stat`` (17 counters, ``%8u``), ``inflight``, ``ro``, ``removable`` and
    ``queue/`` (``logical_block_size``, ``hw_sector_size``, ``nr_requests`` — the
    device's depth — and ``rotational``)."""

    def inflight() -> str:
        reads = sum(1 for r in d.inflight if r.op == READ)
        return f"{reads:8d} {len(d.inflight) - reads:8d}\n"

    return {
        "size": lambda: f"{d.size // SECTOR}\n",
        "ro": lambda: "0\n",
        "removable": lambda: "0\n",
        "stat": lambda: disk_stat(d.stats.fields(d.k.now())),
        "inflight": inflight,
        "queue": {
            "logical_block_size": lambda: f"{SECTOR}\n",
            "hw_sector_size": lambda: f"{SECTOR}\n",
            "nr_requests": lambda: f"{d.costs.depth}\n",
            "rotational": lambda: "0\n",
        },
    }


def block_init(k: Kernel) -> None:
    """The image's block devices (``k.block``): a platform device each, bound by the
    built-in ``libkblk`` driver, which makes the disk and its node in /dev."""
    k.block = {}
    model = k.devices
    driver = PlatformBlockDriver()
    model.driver_register(driver)
    for minor, spec in enumerate(d for d in k.info.devices if d.kind == "block"):
        disk = BlockDevice(k, spec.name, spec.size, k.info.clock.costs.block, minor * 16)
        k.block[spec.name] = disk
        pdev = Device(f"libkblk.{minor}", bus="platform", data=disk)
        model.device_register(pdev)
        c = disk.costs
        k.log(
            f"{spec.name}: {spec.size // SECTOR} {SECTOR}-byte logical blocks "
            f"({spec.size // 1024} KiB), latency {c.latency} ns + {c.per_kib} ns/KiB, "
            f"depth {c.depth}, {c.channels} channels"
        )
