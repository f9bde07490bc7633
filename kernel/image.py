"""Machine images: stage 1 of the boot loader.

This module owns the image schema. It reads a YAML machine file and turns it into a
validated, immutable :class:`BootInfo` that the kernel boots from. The YAML is only
*composed* (a tree of nodes that keep their line and column); every value is built here
from scalars, mappings and lists, so no file can make the host construct an object.
Every mistake is an :class:`ImageError` reading ``file:line:col: message``, never a
traceback. It imports nothing else from libk, so tools can check an image without a kernel.
"""

from __future__ import annotations

import difflib
import re
import shlex
from dataclasses import dataclass, field
from fractions import Fraction
from typing import NoReturn

import yaml

_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_SCALARS = yaml.constructor.SafeConstructor()  # builds ints, floats, bools, bytes from nodes

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


@dataclass(slots=True, frozen=True)
class CostModel:
    """Virtual-time prices, in nanoseconds."""

    syscall: int = 200
    context_switch: int = 2000
    memory_access: int = 5
    checkpoint: int = 50
    tty: int = 10000
    pipe: int = 500
    spawn: int = 50000


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

    def __post_init__(self) -> None:
        if not self.hostname:
            object.__setattr__(self, "hostname", self.name)
        if not self.mounts:
            object.__setattr__(self, "mounts", default_mounts(self.procfs))
        if not self.memory_regions:
            object.__setattr__(self, "memory_regions", free_memory_regions(self.memory))


class ImageError(Exception):
    """A mistake in a machine image, located at ``path:line:col`` (1-based)."""

    def __init__(self, path: str, line: int, col: int, message: str) -> None:
        super().__init__(path, line, col, message)
        self.path = path
        self.line = line
        self.col = col
        self.message = message

    def __str__(self) -> str:
        return f"{self.path}:{self.line}:{self.col}: {self.message}"


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


def load_image(path: str) -> BootInfo:
    """Read and validate the machine image at ``path``.

    Args:
        path: The YAML file to read.

    Returns:
        The validated boot information.

    Raises:
        ImageError: The file cannot be read or the image has a mistake.
    """
    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError as e:
        raise ImageError(path, 1, 1, e.strerror or str(e)) from None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        line = data.count(b"\n", 0, e.start) + 1
        col = e.start - data.rfind(b"\n", 0, e.start)
        raise ImageError(path, line, col, f"not valid UTF-8 (byte 0x{data[e.start]:02x})") from None
    return parse_image(text, path)


def parse_image(text: str, path: str = "<image>") -> BootInfo:
    """Validate the machine image in ``text``.

    Args:
        text: The YAML source.
        path: The name to report in errors and to store as ``BootInfo.source``.

    Returns:
        The validated boot information.

    Raises:
        ImageError: The image has a mistake.
    """
    root = _compose(text, path)
    if root is None:
        raise ImageError(path, 1, 1, "image is empty")
    return _Parser(path).machine(root)


_TAG = "tag:yaml.org,2002:"
_SCALAR_KINDS = frozenset({"str", "int", "float", "bool", "null", "timestamp", "binary"})
_GOT = {
    "str": "a string",
    "int": "an integer",
    "float": "a number",
    "bool": "a boolean",
    "null": "nothing",
    "timestamp": "a date",
    "binary": "binary data",
    "map": "a mapping",
    "seq": "a list",
}
_NOUN = {"int": "an integer", "float": "a number", "bool": "a boolean", "binary": "base64 data"}
# Unit names are matched case-insensitively; K, M, G and T are binary like KiB, MiB, ...
_SIZE_UNITS = {"": 1, "b": 1, "k": KiB, "kib": KiB, "m": MiB, "mib": MiB, "g": GiB, "gib": GiB}
_SIZE_UNITS |= {"t": TiB, "tib": TiB}
_TIME_UNITS = {"": 1, "ns": 1, "us": 10**3, "µs": 10**3, "ms": 10**6, "s": 10**9}
_QUANTITY = re.compile(r"\s*(\d+(?:\.\d*)?|\.\d+)\s*([^\d\s.]*)\s*")
_NAME = re.compile(r"[A-Za-z0-9._-]{1,64}")
_USER_NAME = re.compile(r"[a-z_][a-z0-9_-]{0,31}")
_PARAM = re.compile(r"[A-Za-z0-9_.-]{1,64}")
_MAX_ID = 65535


def _compose(text: str, path: str) -> yaml.Node | None:
    """Compose ``text`` into a node tree, turning every YAML failure into an ImageError."""
    try:
        if sum(map(text.count, "[{-?:")) > MAX_DEPTH:
            _check_depth(text, path)
        return yaml.compose(text, Loader=_Loader)
    except yaml.MarkedYAMLError as e:
        mark = e.problem_mark or e.context_mark
        line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        message = e.problem or e.context or "invalid YAML"
        if e.context and e.problem:
            message = f"{e.context}, {e.problem}"
        raise ImageError(path, line, col, message) from None
    except yaml.reader.ReaderError as e:
        pos = e.position
        if _Loader is not yaml.SafeLoader:  # libyaml reports a byte offset
            pos = len(text.encode("utf-8", "surrogatepass")[:pos].decode("utf-8", "ignore"))
        line, col = _line_col(text, pos)
        raise ImageError(path, line, col, f"unacceptable character {e.character!r}") from None
    except UnicodeEncodeError as e:
        line, col = _line_col(text, e.start)
        raise ImageError(path, line, col, "text is not valid Unicode (lone surrogate)") from None
    except (yaml.YAMLError, RecursionError, ValueError) as e:
        raise ImageError(path, 1, 1, f"invalid YAML: {e}") from None


def _check_depth(text: str, path: str) -> None:
    """Refuse nesting deeper than MAX_DEPTH, scanning events (which does not recurse)."""
    depth = 0
    for event in yaml.parse(text, Loader=_Loader):
        if isinstance(event, yaml.CollectionStartEvent):
            depth += 1
            if depth > MAX_DEPTH:
                mark = event.start_mark
                message = f"nested too deeply (more than {MAX_DEPTH} levels)"
                raise ImageError(path, mark.line + 1, mark.column + 1, message)
        elif isinstance(event, yaml.CollectionEndEvent):
            depth -= 1


def _line_col(text: str, pos: int) -> tuple[int, int]:
    pos = max(0, min(pos, len(text)))
    return text.count("\n", 0, pos) + 1, pos - text.rfind("\n", 0, pos)


def _one_of(options: tuple[str, ...] | list[str]) -> str:
    quoted = [f"'{o}'" for o in options]
    return quoted[0] if len(quoted) == 1 else f"{', '.join(quoted[:-1])} or {quoted[-1]}"


def _suggest(word: str, options: list[str] | tuple[str, ...], noun: str) -> str:
    close = difflib.get_close_matches(word, options, n=1)
    if close:
        return f"; did you mean '{close[0]}'?"
    return f"; {noun}: {', '.join(options)}" if options else ""


def _under(path: str, top: str) -> bool:
    return path.startswith(top + "/")


_Fields = dict[str, tuple[yaml.Node, yaml.Node]]
_TOP_KEYS = (
    "name", "hostname", "cpus", "memory", "page_size", "seed", "clock", "scheduler",
    "users", "files", "mounts", "procfs", "init", "params",
)  # fmt: skip


class _Parser:
    """Builds a BootInfo from a composed node tree, failing at the first mistake."""

    def __init__(self, path: str) -> None:
        self.path = path

    def fail(self, node: yaml.Node, message: str) -> NoReturn:
        mark = node.start_mark
        raise ImageError(self.path, mark.line + 1, mark.column + 1, message)

    # -- shapes and scalars --------------------------------------------------------------

    def kind(self, node: yaml.Node, ctx: str) -> str:
        """The node's type ("str", "int", ..., "map", "seq"); any other tag is an error."""
        tag = node.tag or ""
        if tag.startswith(_TAG):
            kind = tag[len(_TAG) :]
            if isinstance(node, yaml.ScalarNode):
                if kind in _SCALAR_KINDS:
                    return kind
            elif kind == ("map" if isinstance(node, yaml.MappingNode) else "seq"):
                return kind
        shown = "!!" + tag[len(_TAG) :] if tag.startswith(_TAG) else tag
        self.fail(node, f"{ctx}: unsupported tag '{shown}' (only plain YAML values are allowed)")

    def expect(self, node: yaml.Node, ctx: str, *kinds: str, want: str = "") -> str:
        kind = self.kind(node, ctx)
        if kind not in kinds:
            want = want or " or ".join(_GOT[k] for k in kinds)
            hint = ""
            if kinds == ("str",) and isinstance(node, yaml.ScalarNode) and kind != "null":
                hint = f" (put it in quotes if you mean the text '{node.value}')"
            self.fail(node, f"{ctx}: expected {want}, got {_GOT[kind]}{hint}")
        return kind

    def construct(self, node: yaml.Node, ctx: str, kind: str) -> object:
        build = {
            "int": _SCALARS.construct_yaml_int,
            "float": _SCALARS.construct_yaml_float,
            "bool": _SCALARS.construct_yaml_bool,
            "binary": _SCALARS.construct_yaml_binary,
        }[kind]
        try:
            return build(node)
        except (ValueError, KeyError, TypeError, yaml.YAMLError):
            self.fail(node, f"{ctx}: '{node.value}' is not {_NOUN[kind]}")

    def string(self, node: yaml.Node, ctx: str, pattern: re.Pattern[str] | None = None) -> str:
        self.expect(node, ctx, "str")
        value: str = node.value
        if "\0" in value:
            self.fail(node, f"{ctx}: must not contain a NUL character")
        if pattern is not None and not pattern.fullmatch(value):
            self.fail(
                node, f"{ctx}: '{value}' is not a valid name (it must match {pattern.pattern})"
            )
        return value

    def integer(self, node: yaml.Node, ctx: str, lo: int, hi: int) -> int:
        self.expect(node, ctx, "int")
        value = self.construct(node, ctx, "int")
        assert isinstance(value, int)
        if not lo <= value <= hi:
            self.fail(node, f"{ctx}: must be between {lo} and {hi}, got {value}")
        return value

    def boolean(self, node: yaml.Node, ctx: str) -> bool:
        self.expect(node, ctx, "bool", want="true or false")
        return bool(self.construct(node, ctx, "bool"))

    def choice(self, node: yaml.Node, ctx: str, options: tuple[str, ...]) -> str:
        value = self.string(node, ctx)
        if value not in options:
            allowed = _one_of(options) if len(options) == 1 else f"one of {_one_of(options)}"
            self.fail(node, f"{ctx}: must be {allowed}, got '{value}'")
        return value

    def quantity(self, node: yaml.Node, ctx: str, what: str) -> int:
        """An integer, or a string like "64MiB" (a size) or "10ms" (a duration)."""
        example, units = ("64MiB", _SIZE_UNITS) if what == "size" else ("10ms", _TIME_UNITS)
        want = f"a {what} like '{example}' or an integer"
        if self.expect(node, ctx, "int", "str", want=want) == "int":
            value = self.construct(node, ctx, "int")
            assert isinstance(value, int)
            return value
        text: str = node.value
        m = _QUANTITY.fullmatch(text)
        if not m:
            self.fail(
                node, f"{ctx}: bad {what} '{text}': expected a number and a unit, like '{example}'"
            )
        number, unit = m.groups()
        if unit.lower() not in units:
            if what == "size" and unit[-1:] in "Bb" and unit[:-1].lower() in units:
                hint = f"did you mean '{number}{unit[:-1].upper()}iB'?"
            elif what == "size":
                hint = "use B, KiB, MiB, GiB or TiB (K, M, G and T mean the same)"
            else:
                hint = "use ns, us, ms or s"
            self.fail(node, f"{ctx}: bad {what} '{text}': unknown unit '{unit}'; {hint}")
        value = Fraction(number) * units[unit.lower()]
        if value.denominator != 1:
            noun = "bytes" if what == "size" else "nanoseconds"
            self.fail(node, f"{ctx}: '{text}' is not a whole number of {noun}")
        return int(value)

    def size(self, node: yaml.Node, ctx: str, lo: int, hi: int) -> int:
        value = self.quantity(node, ctx, "size")
        if not lo <= value <= hi:
            self.fail(
                node,
                f"{ctx}: must be between {format_size(lo)} and {format_size(hi)}, "
                f"got {format_size(value)}",
            )
        return value

    def duration(self, node: yaml.Node, ctx: str, lo: int, hi: int) -> int:
        value = self.quantity(node, ctx, "duration")
        if not lo <= value <= hi:
            self.fail(
                node,
                f"{ctx}: must be between {format_duration(lo)} and {format_duration(hi)}, "
                f"got {format_duration(value)}",
            )
        return value

    def abs_path(self, node: yaml.Node, ctx: str, text: str | None = None) -> str:
        """An absolute path, normalised: no '.', no '//', no trailing slash; '..' refused."""
        if text is None:
            text = self.string(node, ctx)
        if not text.startswith("/"):
            self.fail(node, f"{ctx}: '{text}' is not an absolute path (it must start with '/')")
        parts = [p for p in text.split("/") if p not in ("", ".")]
        if ".." in parts:
            self.fail(node, f"{ctx}: '{text}' must not contain '..'")
        if "\0" in text or len(text) > 4096 or any(len(p) > 255 for p in parts):
            self.fail(node, f"{ctx}: '{text}' is not a valid path")
        return "/" + "/".join(parts)

    def key(self, node: yaml.Node, where: str) -> str:
        if not isinstance(node, yaml.ScalarNode):
            got = "a mapping" if isinstance(node, yaml.MappingNode) else "a list"
            self.fail(node, f"keys in {where} must be plain words, got {got}")
        if node.tag == _TAG + "merge":
            self.fail(node, f"merge keys ('<<') are not supported in {where}")
        self.kind(node, where)
        return str(node.value)

    def fields(self, node: yaml.Node, where: str, allowed: tuple[str, ...]) -> _Fields:
        """The keys of a mapping, each checked for duplicates and against ``allowed``.

        A key whose value is null is left out, so ``key:`` with nothing means the default.
        """
        prefix = "" if where == "machine" else f"{where}."
        self.expect(node, where, "map")
        seen: _Fields = {}
        lines: dict[str, int] = {}
        for key_node, value_node in node.value:
            key = self.key(key_node, where)
            if key in lines:
                self.fail(key_node, f"duplicate key '{key}' (first defined at line {lines[key]})")
            if key not in allowed:
                hint = _suggest(key, allowed, "expected one of")
                self.fail(key_node, f"unknown key '{key}' in {where}{hint}")
            lines[key] = key_node.start_mark.line + 1
            if self.kind(value_node, prefix + key) != "null":
                seen[key] = (key_node, value_node)
        return seen

    def items(self, node: yaml.Node | None, ctx: str) -> list[yaml.Node]:
        """The items of a list (none if ``node`` is None)."""
        if node is None:
            return []
        self.expect(node, ctx, "seq")
        return list(node.value)

    def words(self, node: yaml.Node, ctx: str) -> list[tuple[str, yaml.Node]]:
        """A list of strings, or one comma-separated string."""
        if self.expect(node, ctx, "seq", "str", want="a list or a comma-separated string") == "str":
            return [(w.strip(), node) for w in node.value.split(",") if w.strip()]
        return [(self.string(n, f"{ctx}[{i}]").strip(), n) for i, n in enumerate(node.value)]

    # -- the schema ----------------------------------------------------------------------

    def machine(self, root: yaml.Node) -> BootInfo:
        if not isinstance(root, yaml.MappingNode):
            got = _GOT[self.kind(root, "machine")]
            self.fail(root, f"the image must be a mapping of keys like 'name: ...', got {got}")
        f = self.fields(root, "machine", _TOP_KEYS)
        if "name" not in f:
            self.fail(root, "missing required key 'name' in machine")
        name = self.string(f["name"][1], "name", _NAME)
        page_size = 4096
        if "page_size" in f:
            node = f["page_size"][1]
            page_size = self.size(node, "page_size", 512, 64 * KiB)
            if page_size & (page_size - 1):
                self.fail(node, f"page_size: must be a power of two, got {page_size}")
        memory = 64 * MiB
        if "memory" in f:
            node = f["memory"][1]
            memory = self.size(node, "memory", KERNEL_RESERVED + MiB, 16 * GiB)
            if memory % page_size:
                self.fail(
                    node, f"memory: must be a multiple of page_size ({page_size}), got {memory}"
                )
        procfs = self.boolean(f["procfs"][1], "procfs") if "procfs" in f else True
        users, homes = self.users(f["users"][1] if "users" in f else None)
        mounts, targets = self.mounts(f["mounts"][1] if "mounts" in f else None, procfs)
        files = self.files(f["files"][1] if "files" in f else None, users, homes, targets, root)
        return BootInfo(
            source=self.path,
            name=name,
            hostname=self.string(f["hostname"][1], "hostname", _NAME) if "hostname" in f else name,
            cpus=self.integer(f["cpus"][1], "cpus", 1, 64) if "cpus" in f else 1,
            memory=memory,
            page_size=page_size,
            seed=self.integer(f["seed"][1], "seed", 0, 2**64 - 1) if "seed" in f else 0,
            clock=self.clock(f["clock"][1]) if "clock" in f else ClockConfig(),
            scheduler=self.scheduler(f["scheduler"][1]) if "scheduler" in f else SchedulerConfig(),
            users=tuple(users.values()),
            files=files,
            mounts=mounts,
            procfs=procfs,
            init=self.init(f["init"][1], users) if "init" in f else InitSpec(),
            memory_regions=free_memory_regions(memory),
            params=self.params(f["params"][1]) if "params" in f else (),
        )

    def clock(self, node: yaml.Node) -> ClockConfig:
        f = self.fields(node, "clock", ("mode", "speed", "costs"))
        mode = self.choice(f["mode"][1], "clock.mode", CLOCK_MODES) if "mode" in f else "realtime"
        speed = 1.0
        if "speed" in f:
            node = f["speed"][1]
            kind = self.expect(node, "clock.speed", "int", "float", want="a number")
            value = self.construct(node, "clock.speed", kind)
            assert isinstance(value, int | float)
            if not 0.1 <= value <= 100:
                self.fail(node, f"clock.speed: must be between 0.1 and 100, got {node.value}")
            speed = float(value)
        costs = CostModel()
        if "costs" in f:
            c = self.fields(f["costs"][1], "clock.costs", tuple(CostModel.__dataclass_fields__))
            ns = {k: self.duration(v, f"clock.costs.{k}", 0, 10**9) for k, (_, v) in c.items()}
            costs = CostModel(**ns)
        return ClockConfig(mode, speed, costs)

    def scheduler(self, node: yaml.Node) -> SchedulerConfig:
        f = self.fields(node, "scheduler", ("policy", "quantum"))
        policy = "round-robin"
        if "policy" in f:
            policy = self.choice(f["policy"][1], "scheduler.policy", SCHEDULER_POLICIES)
        quantum = 10_000_000
        if "quantum" in f:
            quantum = self.duration(f["quantum"][1], "scheduler.quantum", 1000, 10**9)
        return SchedulerConfig(policy, quantum)

    def users(self, node: yaml.Node | None) -> tuple[dict[str, User], dict[str, yaml.Node | None]]:
        """Users by name (root first unless the image places it) and where each home is set."""
        users: dict[str, User] = {}
        name_nodes: dict[str, yaml.Node] = {}
        homes: dict[str, yaml.Node | None] = {}
        wanted: list[tuple[str, str, yaml.Node]] = []  # (ctx, group, node), checked at the end
        for i, item in enumerate(self.items(node, "users")):
            ctx = f"users[{i}]"
            f = self.fields(item, ctx, ("name", "uid", "gid", "home", "shell", "groups"))
            if "name" not in f:
                self.fail(item, f"missing required key 'name' in {ctx}")
            name_node = f["name"][1]
            name = self.string(name_node, f"{ctx}.name")
            if not _USER_NAME.fullmatch(name):
                self.fail(
                    name_node,
                    f"{ctx}.name: '{name}' is not a valid user name (up to 32 lowercase "
                    "letters, digits, '_' or '-', not starting with a digit or '-')",
                )
            if name in users:
                line = name_nodes[name].start_mark.line + 1
                self.fail(name_node, f"duplicate user '{name}' (first defined at line {line})")
            if "uid" not in f and name != "root":
                self.fail(item, f"missing required key 'uid' in {ctx}")
            uid = 0
            if "uid" in f:
                uid_node = f["uid"][1]
                uid = self.integer(uid_node, f"{ctx}.uid", 0, _MAX_ID)
                if name == "root" and uid != 0:
                    self.fail(uid_node, f"{ctx}.uid: root's uid must be 0, got {uid}")
                if name != "root" and uid == 0:
                    self.fail(uid_node, f"{ctx}.uid: uid 0 belongs to root")
                other = next((u.name for u in users.values() if u.uid == uid), None)
                if other is not None:
                    self.fail(uid_node, f"{ctx}.uid: uid {uid} is already used by '{other}'")
            gid = self.integer(f["gid"][1], f"{ctx}.gid", 0, _MAX_ID) if "gid" in f else uid
            home = "/root" if name == "root" else f"/home/{name}"
            if "home" in f:
                home = self.abs_path(f["home"][1], f"{ctx}.home")
            homes.setdefault(home, f["home"][1] if "home" in f else name_node)
            shell = self.abs_path(f["shell"][1], f"{ctx}.shell") if "shell" in f else "/bin/sh"
            groups = self.words(f["groups"][1], f"{ctx}.groups") if "groups" in f else []
            wanted += [(f"{ctx}.groups", group, group_node) for group, group_node in groups]
            unique = tuple(dict.fromkeys(group for group, _ in groups))
            users[name] = User(name, uid, gid, home, shell, unique)
            name_nodes[name] = name_node
        if "root" not in users:
            users = {"root": ROOT, **users}
            homes.setdefault(ROOT.home, None)
        for ctx, group, group_node in wanted:
            if group not in users:
                hint = _suggest(group, list(users), "groups are named after users")
                self.fail(group_node, f"{ctx}: unknown group '{group}'{hint}")
        return users, homes

    def mounts(
        self, node: yaml.Node | None, procfs: bool
    ) -> tuple[tuple[MountSpec, ...], dict[str, yaml.Node | None]]:
        """The default mounts, each replaced (same target) or joined by the image's list.

        Also returns every mount target with the node that set it (None for a default).
        """
        mounts = {m.target: m for m in default_mounts(procfs)}
        targets: dict[str, yaml.Node | None] = dict.fromkeys(mounts)
        given: dict[str, yaml.Node] = {}
        for i, item in enumerate(self.items(node, "mounts")):
            ctx = f"mounts[{i}]"
            f = self.fields(item, ctx, ("source", "target", "type", "options"))
            for required in ("target", "type"):
                if required not in f:
                    self.fail(item, f"missing required key '{required}' in {ctx}")
            fstype = self.choice(f["type"][1], f"{ctx}.type", FILESYSTEM_TYPES)
            if fstype == "procfs" and not procfs:
                self.fail(f["type"][1], f"{ctx}.type: procfs is turned off (procfs: false)")
            target_node = f["target"][1]
            target = self.abs_path(target_node, f"{ctx}.target")
            if target == "/":
                self.fail(target_node, f"{ctx}.target: cannot mount over '/'")
            if target in given:
                line = given[target].start_mark.line + 1
                self.fail(target_node, f"{ctx}.target: '{target}' is already mounted (line {line})")
            source = self.string(f["source"][1], f"{ctx}.source") if "source" in f else fstype
            words = self.words(f["options"][1], f"{ctx}.options") if "options" in f else []
            mounts[target] = MountSpec(source, target, fstype, tuple(w for w, _ in words))
            given[target] = targets[target] = target_node
        # Sorted by depth, so that a mount comes after the one its target lives in.
        ordered = tuple(sorted(mounts.values(), key=lambda m: m.target.count("/")))
        return ordered, targets

    def files(
        self,
        node: yaml.Node | None,
        users: dict[str, User],
        homes: dict[str, yaml.Node | None],
        targets: dict[str, yaml.Node | None],
        root: yaml.Node,
    ) -> tuple[FileSpec, ...]:
        """The initial tree: the image's files, then users' homes, mount points and parents.

        Returned parents first. Homes and mount points missing from ``files`` are created.
        """
        hidden = sorted(set(targets) | set(RESERVED_DIRS))
        specs: dict[str, tuple[FileSpec, yaml.Node]] = {}  # path -> (spec, node to blame)
        if node is not None:
            self.expect(node, "files", "map", want="a mapping of paths")
            for key_node, value in node.value:
                path = self.abs_path(key_node, "files", self.key(key_node, "files"))
                if path in specs:
                    line = specs[path][1].start_mark.line + 1
                    self.fail(key_node, f"duplicate path '{path}' (first defined at line {line})")
                spec = self.file(path, value, users)
                if path == "/" and spec.kind != "dir":
                    self.fail(key_node, "files: '/' is the root directory, so it must be a dir")
                for top in hidden:
                    if _under(path, top):
                        self.fail(
                            key_node,
                            f"files: '{path}' is under {top}, which is mounted over at boot "
                            "(files there would be hidden)",
                        )
                    if path == top and spec.kind != "dir":
                        self.fail(
                            key_node, f"files: '{path}' is a mount point, so it must be a dir"
                        )
                specs[path] = (spec, key_node)
        for home, home_node in homes.items():
            user = next(u for u in users.values() if u.home == home)
            if home in specs:
                if specs[home][0].kind != "dir":
                    self.fail(
                        specs[home][1],
                        f"files: '{home}' is {user.name}'s home, so it must be a dir",
                    )
            elif home != "/" and not any(_under(home, top) or home == top for top in hidden):
                mode = 0o700 if user.uid == 0 else 0o755
                spec = FileSpec(home, "dir", mode=mode, uid=user.uid, gid=user.gid)
                specs[home] = (spec, home_node or root)
        for top, top_node in targets.items():
            if top not in specs and not any(_under(top, other) for other in hidden):
                specs[top] = (FileSpec(top, "dir", mode=0o755), top_node or root)
        for path, (_, blame) in list(specs.items()):
            parent = path.rpartition("/")[0]
            while parent:
                if parent not in specs:
                    specs[parent] = (FileSpec(parent, "dir", mode=0o755), blame)
                elif specs[parent][0].kind != "dir":
                    kind = specs[parent][0].kind
                    self.fail(blame, f"'{path}' is inside '{parent}', which is a {kind}, not a dir")
                parent = parent.rpartition("/")[0]
        ordered = sorted(specs, key=lambda p: [c for c in p.split("/") if c])
        return tuple(specs[p][0] for p in ordered)

    def file(self, path: str, node: yaml.Node, users: dict[str, User]) -> FileSpec:
        ctx = f"files[{path}]"
        kind = self.expect(node, ctx, "str", "binary", "map", want="a string or a mapping")
        if kind != "map":
            return FileSpec(path, "file", self.content(node, ctx))
        f = self.fields(node, ctx, ("type", "content", "target", "mode", "owner", "group"))
        if "type" in f:
            ftype = self.choice(f["type"][1], f"{ctx}.type", FILE_KINDS)
        elif "target" in f:
            ftype = "symlink"
        elif "content" in f:
            ftype = "file"
        else:
            self.fail(node, f"{ctx}: missing key 'type' (one of {_one_of(FILE_KINDS)})")
        if "content" in f and ftype != "file":
            self.fail(f["content"][0], f"{ctx}.content: only a file has content, not a {ftype}")
        if "target" in f and ftype != "symlink":
            self.fail(f["target"][0], f"{ctx}.target: only a symlink has a target, not a {ftype}")
        if "mode" in f and ftype == "symlink":
            self.fail(f["mode"][0], f"{ctx}.mode: a symlink has no mode of its own")
        content = self.content(f["content"][1], f"{ctx}.content") if "content" in f else b""
        target = ""
        if ftype == "symlink":
            if "target" not in f:
                self.fail(node, f"{ctx}: missing key 'target' (a symlink needs one)")
            target = self.string(f["target"][1], f"{ctx}.target")
            if not target:
                self.fail(f["target"][1], f"{ctx}.target: must not be empty")
        mode = {"file": 0o644, "dir": 0o755, "symlink": 0o777}[ftype]
        if "mode" in f:
            mode = self.mode(f["mode"][1], f"{ctx}.mode")
        uid = gid = 0
        if "owner" in f:
            uid, gid = self.owner(f["owner"][1], f"{ctx}.owner", users, "user")
        if "group" in f:
            gid = self.owner(f["group"][1], f"{ctx}.group", users, "group")[1]
        return FileSpec(path, ftype, content, target, mode, uid, gid)

    def content(self, node: yaml.Node, ctx: str) -> bytes:
        if self.expect(node, ctx, "str", "binary") == "binary":
            data = self.construct(node, ctx, "binary")
            assert isinstance(data, bytes)
            return data
        return node.value.encode("utf-8", "surrogatepass")

    def mode(self, node: yaml.Node, ctx: str) -> int:
        """Octal digits, quoted or not: 0755, "0755", 755 and "0o755" all mean rwxr-xr-x."""
        self.expect(node, ctx, "int", "str", want="an octal mode like '0755'")
        text = node.value.strip()
        digits = text[2:] if text[:2] in ("0o", "0O") else text
        if not digits or digits.strip("01234567"):
            self.fail(node, f"{ctx}: '{text}' is not an octal mode like '0755'")
        value = int(digits, 8)
        if value > 0o7777:
            self.fail(node, f"{ctx}: must be between 0000 and 7777 (octal), got {text}")
        return value

    def owner(
        self, node: yaml.Node, ctx: str, users: dict[str, User], what: str
    ) -> tuple[int, int]:
        """(uid, gid) of a user named or numbered; groups are named after users."""
        if self.expect(node, ctx, "str", "int", want=f"a {what} name or number") == "int":
            number = self.integer(node, ctx, 0, _MAX_ID)
            if what == "group":
                return 0, number
            return number, next((u.gid for u in users.values() if u.uid == number), 0)
        name: str = node.value
        if name not in users:
            hint = _suggest(name, list(users), f"{what}s are")
            self.fail(node, f"{ctx}: unknown {what} '{name}'{hint}")
        return users[name].uid, users[name].gid

    def init(self, node: yaml.Node, users: dict[str, User]) -> InitSpec:
        kind = self.expect(node, "init", "seq", "str", "map", want="a command or a mapping")
        user, on_exit, command, ctx = "root", "respawn", node, "init"
        if kind == "map":
            f = self.fields(node, "init", ("command", "user", "on_exit"))
            if "user" in f:
                user_node = f["user"][1]
                user = self.string(user_node, "init.user")
                if user not in users:
                    hint = _suggest(user, list(users), "users are")
                    self.fail(user_node, f"init.user: unknown user '{user}'{hint}")
            if "on_exit" in f:
                on_exit = self.choice(f["on_exit"][1], "init.on_exit", INIT_ON_EXIT)
            if "command" not in f:
                return InitSpec(user=user, on_exit=on_exit)
            command, ctx = f["command"][1], "init.command"
        argv: list[str] = []
        if self.expect(command, ctx, "seq", "str", want="a list or a string") == "str":
            try:
                argv = shlex.split(command.value)
            except ValueError as e:
                self.fail(command, f"{ctx}: cannot split '{command.value}': {e}")
        else:
            for i, item in enumerate(command.value):
                self.expect(item, f"{ctx}[{i}]", "str", "int", "float", want="a string")
                argv.append(item.value)
        if not argv:
            self.fail(command, f"{ctx}: must name a program")
        if not argv[0].startswith("/") or "\0" in "".join(argv):
            self.fail(command, f"{ctx}: the program must be an absolute path, got '{argv[0]}'")
        return InitSpec(tuple(argv), user, on_exit)

    def params(self, node: yaml.Node) -> tuple[tuple[str, str], ...]:
        """Kernel parameters, in order; every scalar value is kept as its text."""
        self.expect(node, "params", "map")
        lines: dict[str, int] = {}
        params: list[tuple[str, str]] = []
        for key_node, value in node.value:
            key = self.key(key_node, "params")
            if not _PARAM.fullmatch(key):
                self.fail(key_node, f"params: '{key}' is not a valid parameter name")
            if key in lines:
                self.fail(key_node, f"duplicate key '{key}' (first defined at line {lines[key]})")
            scalars = ("str", "int", "float", "bool", "null", "timestamp")
            kind = self.expect(value, f"params.{key}", *scalars, want="a single value")
            lines[key] = key_node.start_mark.line + 1
            params.append((key, "" if kind == "null" else str(value.value)))
        return tuple(params)
