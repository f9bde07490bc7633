"""Machine images: the data model.

This module owns what a validated image *is*: the size units and schema constants, the
frozen dataclasses that make up a :class:`BootInfo`, the defaults a machine gets for what
its image leaves out, :class:`ImageError`, and the size and duration formatters used in
error messages. It imports only the standard library, so the YAML reader
(:mod:`kernel.imageyaml`), the schema (:mod:`kernel.imageschema`) and the public front
end (:mod:`kernel.image`, which re-exports everything here) build on it without a cycle.
"""

from __future__ import annotations

from dataclasses import dataclass, field

KiB = 1024
MiB = 1024 * KiB
GiB = 1024 * MiB
TiB = 1024 * GiB

DEFAULT_IMAGE_NAME = "default.yaml"
SCHEDULER_POLICIES = ("round-robin",)
FILESYSTEM_TYPES = ("tmpfs", "devfs", "procfs")
CLOCK_MODES = ("realtime", "fast")
INIT_ON_EXIT = ("respawn", "poweroff")
FILE_KINDS = ("file", "dir", "symlink")
KERNEL_RESERVED = 1 * MiB  # physical memory below this belongs to the kernel
RESERVED_DIRS = ("/dev", "/proc")  # always mounted over, so no image files may live there
MAX_DEPTH = 64  # deeper YAML than this is refused before composing (the C composer recurses)

RLIM_INFINITY = (1 << 64) - 1  # kernel.abi's RLIM_INFINITY (a test keeps them equal)
NR_OPEN = 1024 * 1024  # fs.nr_open: no RLIMIT_NOFILE above it (kernel.sysmem's NR_OPEN)
#: ``limits:`` keys (prlimit(1)'s resource names): RLIMIT_* number and what the value is.
LIMITS: dict[str, tuple[int, str]] = {
    "cpu": (0, "seconds"),
    "fsize": (1, "size"),
    "data": (2, "size"),
    "stack": (3, "size"),
    "core": (4, "size"),
    "rss": (5, "size"),
    "nproc": (6, "count"),
    "nofile": (7, "count"),
    "memlock": (8, "size"),
    "as": (9, "size"),
}
OVERCOMMIT_MODES = (0, 1, 2)  # heuristic, always, never (vm.overcommit_memory)

#: What boot installs besides the image's files, bounded for the check that an image fits
#: in its memory: at most BOOT_FILES files (/bin's executables, the manual's pages, /etc)
#: of BOOT_BYTES bytes in all, plus BOOT_RUN_PAGES for init and its first command. Measured
#: at 357 files and 569 KiB (the programs, the manual, /usr/share/heapbench's traces, /etc,
#: /lib/modules);
#: a test boots a machine and fails when boot outgrows these bounds.
BOOT_FILES = 384
BOOT_BYTES = 700 * KiB
BOOT_RUN_PAGES = 16


#: The image's ``heap:`` keys: the LIBK_HEAP* setting each becomes in /etc/heap.conf, and
#: its kind (a size, an int, a bool, a registered strategy name, or the allowed words).
HEAP_SETTINGS: dict[str, tuple[str, str | tuple[str, ...]]] = {
    "strategy": ("LIBK_HEAP", "strategy"),
    "arenas": ("LIBK_HEAP_ARENAS", ("global", "thread", "cpu")),
    "max_arenas": ("LIBK_HEAP_MAX_ARENAS", "int"),
    "chunk": ("LIBK_HEAP_CHUNK", "size"),
    "release": ("LIBK_HEAP_RELEASE", "int"),
    "region": ("LIBK_HEAP_REGION", "size"),
    "fit": ("LIBK_HEAP_FIT", ("first", "best")),
    "mmap_threshold": ("LIBK_HEAP_MMAP_THRESHOLD", "size"),
    "check": ("LIBK_HEAP_CHECK", "bool"),
}


@dataclass(slots=True, frozen=True)
class BlockCosts:
    """A block device's latency model: a request takes ``latency`` plus ``per_kib`` for
    each KiB it moves; the device holds up to ``depth`` requests and serves up to
    ``channels`` of them at once (later ones wait for a free channel)."""

    latency: int = 50_000
    per_kib: int = 1_000
    depth: int = 32
    channels: int = 8


@dataclass(slots=True, frozen=True)
class CostModel:
    """Virtual-time prices, in nanoseconds (``block``: the block devices' model)."""

    syscall: int = 200
    context_switch: int = 2000
    memory_access: int = 5
    page_fault: int = 1000
    cache_transfer: int = 100  # an atomic operation taking a cache line from another CPU
    checkpoint: int = 50
    tty: int = 10000
    pipe: int = 500
    spawn: int = 50000
    block: BlockCosts = field(default_factory=BlockCosts)


@dataclass(slots=True, frozen=True)
class ClockConfig:
    """How virtual time relates to host time."""

    mode: str = "realtime"
    speed: float = 1.0
    costs: CostModel = field(default_factory=CostModel)


@dataclass(slots=True, frozen=True)
class SchedulerConfig:
    """Scheduling policy and time slice (ns)."""

    policy: str = "round-robin"
    quantum: int = 10_000_000


@dataclass(slots=True, frozen=True)
class User:
    """An account on the machine."""

    name: str
    uid: int
    gid: int
    home: str
    shell: str = "/bin/sh"
    groups: tuple[str, ...] = ()
    #: shadow(5)'s field: a hash, '!'/'*'... (locked), '' (none), or if ``plain`` a plain
    #: text that boot hashes (kernel.crypt); kept out of repr.
    password: str = field(default="", repr=False)
    plain: bool = False


@dataclass(slots=True, frozen=True)
class FileSpec:
    """One node of the initial filesystem tree."""

    path: str
    kind: str
    content: bytes = b""
    target: str = ""
    mode: int = 0o644
    uid: int = 0
    gid: int = 0


@dataclass(slots=True, frozen=True)
class MountSpec:
    """A filesystem mounted at boot."""

    source: str
    target: str
    fstype: str
    options: tuple[str, ...] = ()


@dataclass(slots=True, frozen=True)
class InitSpec:
    """What init runs, as whom, and what happens when it exits."""

    argv: tuple[str, ...] = ("/bin/sh", "-l")
    user: str = "root"
    on_exit: str = "respawn"


@dataclass(slots=True, frozen=True)
class DeviceSpec:
    """A device of the image's ``devices:`` section (``/dev/<name>``)."""

    name: str
    kind: str  # "block"
    size: int


@dataclass(slots=True, frozen=True)
class ModuleSpec:
    """A kernel module of the image's ``modules:`` list, loaded at boot with its
    parameters (``name=value`` texts, as a modprobe command line gives them)."""

    name: str
    params: tuple[tuple[str, str], ...] = ()


@dataclass(slots=True, frozen=True)
class MemoryRegion:
    """A page-aligned range of free physical memory, in bytes."""

    start: int
    length: int


ROOT = User("root", 0, 0, "/root")


def default_mounts(procfs: bool = True) -> tuple[MountSpec, ...]:
    """Return the mounts a machine gets when its image lists none.

    Args:
        procfs: Whether /proc is mounted.

    Returns:
        devfs on /dev, tmpfs on /tmp (world-writable) and, if ``procfs``, procfs on /proc.
    """
    mounts = [
        MountSpec("devfs", "/dev", "devfs"),
        MountSpec("tmpfs", "/tmp", "tmpfs", ("mode=1777",)),
    ]
    if procfs:
        mounts.append(MountSpec("procfs", "/proc", "procfs"))
    return tuple(mounts)


def free_memory_regions(memory: int) -> tuple[MemoryRegion, ...]:
    """Return the free physical memory of a machine with ``memory`` bytes.

    Args:
        memory: Total physical memory in bytes.

    Returns:
        Everything above the kernel's reserved first MiB, as one region (none if no room).
    """
    if memory <= KERNEL_RESERVED:
        return ()
    return (MemoryRegion(KERNEL_RESERVED, memory - KERNEL_RESERVED),)


@dataclass(slots=True, frozen=True)
class BootInfo:
    """Everything the kernel needs to boot: the validated machine image.

    Empty ``hostname``, ``mounts`` and ``memory_regions`` are filled in from ``name``,
    ``procfs`` and ``memory``.
    """

    source: str
    name: str
    hostname: str = ""
    cpus: int = 1
    memory: int = 64 * MiB
    page_size: int = 4096
    seed: int = 0
    clock: ClockConfig = field(default_factory=ClockConfig)
    scheduler: SchedulerConfig = field(default_factory=SchedulerConfig)
    users: tuple[User, ...] = (ROOT,)
    files: tuple[FileSpec, ...] = ()
    mounts: tuple[MountSpec, ...] = ()
    procfs: bool = True
    init: InitSpec = field(default_factory=InitSpec)
    memory_regions: tuple[MemoryRegion, ...] = ()
    params: tuple[tuple[str, str], ...] = ()
    overcommit_memory: int = 0  # /proc/sys/vm/overcommit_memory at boot
    overcommit_ratio: int = 50  # /proc/sys/vm/overcommit_ratio at boot
    limits: tuple[tuple[int, tuple[int, int]], ...] = ()  # (RLIMIT_*, (soft, hard)) defaults
    heap: tuple[tuple[str, str], ...] = ()  # (LIBK_HEAP* name, value): /etc/heap.conf
    devices: tuple[DeviceSpec, ...] = ()
    sysfs: bool = True  # mount sysfs on /sys
    modules: tuple[ModuleSpec, ...] = ()  # loaded at boot, in order (stage 2)

    def __post_init__(self) -> None:
        if not self.hostname:
            object.__setattr__(self, "hostname", self.name)
        if not self.mounts:
            object.__setattr__(self, "mounts", default_mounts(self.procfs))
        if not self.memory_regions:
            object.__setattr__(self, "memory_regions", free_memory_regions(self.memory))


def pages_for(nbytes: int, page_size: int) -> int:
    """Frames a file of ``nbytes`` takes in a page cache (none when empty)."""
    return -(-nbytes // page_size)


def boot_reserve_pages(page_size: int) -> int:
    """An upper bound on the frames boot takes besides the image's files: BOOT_FILES
    files of BOOT_BYTES in all take at most one partial page each plus the whole pages
    of their bytes; then init and its first command's pages."""
    return BOOT_FILES + BOOT_BYTES // page_size + BOOT_RUN_PAGES


def etc_bytes(users: tuple[User, ...]) -> int:
    """An upper bound on the size of /etc/passwd, /etc/group and /etc/shadow that boot writes
    for ``users``."""
    return sum(
        2 * len(u.name)
        + len(u.home)
        + len(u.shell)
        + 32
        + sum(len(g) + 1 for g in u.groups)
        + max(len(u.password), 140)  # /etc/shadow's line
        for u in users
    )


class ImageError(Exception):
    """A mistake in a machine image, located at ``path:line:col`` (1-based)."""

    def __init__(self, path: str, line: int, col: int, message: str) -> None:
        super().__init__(path, line, col, message)
        self.path = path
        self.line = line
        self.col = col
        self.message = message
        self.more: tuple[ImageError, ...] = ()  # the image's other mistakes, in order

    @classmethod
    def of(cls, errors: list[ImageError]) -> ImageError:
        """The first of ``errors`` (in file order), carrying the rest in ``more``."""
        first = errors[0]
        first.more = tuple(errors[1:])
        return first

    @property
    def all(self) -> tuple[ImageError, ...]:
        """This mistake and the others found with it."""
        return (self, *self.more)

    def __str__(self) -> str:
        """``file:line:col: message``, one line per mistake."""
        return "\n".join(f"{e.path}:{e.line}:{e.col}: {e.message}" for e in self.all)


def format_size(n: int) -> str:
    """Format a byte count with the largest binary unit that divides it exactly.

    Args:
        n: A number of bytes.

    Returns:
        For example ``"64 MiB"``, ``"4 KiB"`` or ``"1000 B"``.
    """
    for unit, size in (("TiB", TiB), ("GiB", GiB), ("MiB", MiB), ("KiB", KiB)):
        if n and n % size == 0:
            return f"{n // size} {unit}"
    return f"{n} B"


def format_duration(ns: int) -> str:
    """Format nanoseconds with the largest unit that divides them exactly.

    Args:
        ns: A duration in nanoseconds.

    Returns:
        For example ``"10ms"``, ``"1s"`` or ``"250ns"``.
    """
    for unit, size in (("s", 10**9), ("ms", 10**6), ("us", 10**3)):
        if ns and ns % size == 0:
            return f"{ns // size}{unit}"
    return f"{ns}ns"


def format_kib(nbytes: int) -> str:
    """Format a byte count in KiB, rounded up: ``"1040 KiB"``."""
    return f"{-(-nbytes // KiB)} KiB"


def format_limit(value: int, unit: str) -> str:
    """Format a resource limit (``unit`` as in LIMITS): ``"unlimited"``, a size, a count."""
    if value == RLIM_INFINITY:
        return "unlimited"
    return format_size(value) if unit == "size" else str(value)
