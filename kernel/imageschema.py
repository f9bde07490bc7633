"""Machine images: the schema, from a composed node tree to a :class:`BootInfo`.

This module owns what a machine file may say: the top-level keys and each section (clock,
scheduler, users, mounts, files, init; params, limits, vm and heap are in
``imagetuning``), their limits and cross-checks
(unique uids, known groups, homes and mount points that must be directories, no files
hidden under /dev or /proc, files that fit in memory with what boot adds), and the
defaults filled in for what is left out. Values are read
through :class:`kernel.imageyaml.NodeReader`; every mistake is
reported (an :class:`ImageError` that carries the others), except those that follow
from an earlier one.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Callable
from typing import Any

import yaml

from kernel.crypt import image_password
from kernel.imagetuning import TuningParser
from kernel.imagetypes import (
    CLOCK_MODES,
    FILE_KINDS,
    FILESYSTEM_TYPES,
    INIT_ON_EXIT,
    KERNEL_RESERVED,
    RESERVED_DIRS,
    ROOT,
    SCHEDULER_POLICIES,
    BootInfo,
    ClockConfig,
    CostModel,
    FileSpec,
    GiB,
    ImageError,
    InitSpec,
    KiB,
    MiB,
    MountSpec,
    SchedulerConfig,
    User,
    boot_reserve_pages,
    default_mounts,
    etc_bytes,
    format_kib,
    format_size,
    free_memory_regions,
    pages_for,
)
from kernel.imageyaml import GOT, one_of, suggest

_NAME = re.compile(r"[A-Za-z0-9._-]{1,64}")
_USER_NAME = re.compile(r"[a-z_][a-z0-9_-]{0,31}")
_PARAM = re.compile(r"[A-Za-z0-9_.-]{1,64}")
_MAX_ID = 65535
_TOP_KEYS = (
    "name", "hostname", "cpus", "memory", "page_size", "seed", "clock", "scheduler",
    "users", "files", "mounts", "procfs", "sysfs", "init", "params", "limits", "vm", "heap",
    "devices", "modules",
)  # fmt: skip


def _under(path: str, top: str) -> bool:
    return path.startswith(top + "/")


class SchemaParser(TuningParser):
    """Builds a BootInfo from a composed node tree, or reports the mistakes in it."""

    def machine(self, root: yaml.Node) -> BootInfo:
        """The whole image: ``root`` must be a mapping of the top-level keys."""
        if not isinstance(root, yaml.MappingNode):
            got = GOT[self.kind(root, "machine")]
            self.fail(root, f"the image must be a mapping of keys like 'name: ...', got {got}")
        f = self.fields(root, "machine", _TOP_KEYS)
        # Each section is checked on its own, so one reading reports every mistake that
        # does not depend on another (files need users and mounts; the fit check, all).
        errors: list[ImageError] = []

        def attempt(key: str, parse: Callable[[yaml.Node], Any], default: Any) -> Any:
            if key not in f:
                return default
            try:
                return parse(f[key][1])
            except ImageError as err:
                errors.append(err)
                return default

        if "name" not in f:
            errors.append(self.error(root, "missing required key 'name' in machine"))
        name = attempt("name", lambda n: self.string(n, "name", _NAME), "machine")
        page_size = attempt("page_size", self.page_size, 4096)
        nerr = len(errors)
        memory = attempt("memory", lambda n: self.memory(n, page_size), 64 * MiB)
        memory_ok = len(errors) == nerr
        procfs = attempt("procfs", lambda n: self.boolean(n, "procfs"), True)
        nerr = len(errors)
        users, homes = attempt("users", self.users, None) or self.users(None)
        users_ok = len(errors) == nerr
        mounts, targets = attempt("mounts", lambda n: self.mounts(n, procfs), None) or (
            self.mounts(None, procfs)
        )
        files: tuple[FileSpec, ...] = ()
        if len(errors) == nerr:  # (files are owned by users, and live under mounts)
            try:
                node = f["files"][1] if "files" in f else None
                files = self.files(node, users, homes, targets, root)
            except ImageError as err:
                errors.append(err)
        init = InitSpec()
        if users_ok:
            init = attempt("init", lambda n: self.init(n, users), InitSpec())
        overcommit, ratio = attempt("vm", self.vm, (0, 50))
        info = BootInfo(
            source=self.path,
            name=name,
            hostname=attempt("hostname", lambda n: self.string(n, "hostname", _NAME), name),
            cpus=attempt("cpus", lambda n: self.integer(n, "cpus", 1, 64), 1),
            memory=memory,
            page_size=page_size,
            seed=attempt("seed", lambda n: self.integer(n, "seed", 0, 2**64 - 1), 0),
            clock=attempt("clock", self.clock, ClockConfig()),
            scheduler=attempt("scheduler", self.scheduler, SchedulerConfig()),
            users=tuple(users.values()),
            files=files,
            mounts=mounts,
            procfs=procfs,
            init=init,
            memory_regions=free_memory_regions(memory),
            params=attempt("params", self.params, ()),
            overcommit_memory=overcommit,
            overcommit_ratio=ratio,
            limits=attempt("limits", self.limits, ()),
            heap=attempt("heap", self.heap, ()),
            devices=attempt("devices", lambda n: self.devices(n, memory), ()) if memory_ok else (),
            sysfs=attempt("sysfs", lambda n: self.boolean(n, "sysfs"), True),
            modules=attempt("modules", self.modules, ()),
        )
        if errors:
            errors.sort(key=lambda e: (e.line, e.col))
            raise ImageError.of(errors)
        self.check_fit(info, f["memory"][1] if "memory" in f else None, root)
        return info

    def page_size(self, node: yaml.Node) -> int:
        """``page_size``: a power of two from 512 bytes to 64 KiB."""
        page_size = self.size(node, "page_size", 512, 64 * KiB)
        if page_size & (page_size - 1):
            self.fail(node, f"page_size: must be a power of two, got {page_size}")
        return page_size

    def memory(self, node: yaml.Node, page_size: int) -> int:
        """``memory``: room for the kernel and a MiB more, a multiple of the page size."""
        memory = self.size(node, "memory", KERNEL_RESERVED + MiB, 16 * GiB)
        if memory % page_size:
            self.fail(node, f"memory: must be a multiple of page_size ({page_size}), got {memory}")
        return memory

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
            ns: dict[str, Any] = {
                k: self.duration(v, f"clock.costs.{k}", 0, 10**9)
                for k, (_, v) in c.items()
                if k != "block"
            }
            if "block" in c:
                ns["block"] = self.block_costs(c["block"][1])
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

    def password(self, node: yaml.Node, ctx: str) -> tuple[str, bool]:
        """(shadow field, is plain text) of a user's ``password`` key."""
        try:
            return image_password(self.string(node, f"{ctx}.password"))
        except ValueError as err:
            self.fail(node, f"{ctx}.password: {err}")

    def users(self, node: yaml.Node | None) -> tuple[dict[str, User], dict[str, yaml.Node | None]]:
        """Users by name (root first unless the image places it) and where each home is set."""
        users: dict[str, User] = {}
        name_nodes: dict[str, yaml.Node] = {}
        homes: dict[str, yaml.Node | None] = {}
        wanted: list[tuple[str, str, yaml.Node]] = []  # (ctx, group, node), checked at the end
        for i, item in enumerate(self.items(node, "users")):
            ctx = f"users[{i}]"
            f = self.fields(
                item, ctx, ("name", "uid", "gid", "home", "shell", "groups", "password")
            )
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
            password, plain = (
                self.password(f["password"][1], ctx) if "password" in f else ("", False)
            )
            users[name] = User(name, uid, gid, home, shell, unique, password, plain)
            name_nodes[name] = name_node
        if "root" not in users:
            users = {"root": ROOT, **users}
            homes.setdefault(ROOT.home, None)
        for ctx, group, group_node in wanted:
            if group not in users:
                hint = suggest(group, list(users), "groups are named after users")
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
        self.file_nodes = {path: blame for path, (_, blame) in specs.items()}
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
            self.fail(node, f"{ctx}: missing key 'type' (one of {one_of(FILE_KINDS)})")
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
            hint = suggest(name, list(users), f"{what}s are")
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
                    hint = suggest(user, list(users), "users are")
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

    def check_fit(self, info: BootInfo, memory_node: yaml.Node | None, root: yaml.Node) -> None:
        """The image's files, and what boot installs besides them (/bin, the manual,
        /etc/passwd and /etc/group, init), must fit in the free memory."""
        ps = info.page_size
        free = sum(r.length for r in info.memory_regions) // ps
        files = [f for f in info.files if f.kind == "file"]
        need = sum(pages_for(len(f.content), ps) for f in files)
        need += 2 * pages_for(etc_bytes(info.users), ps)  # /etc/passwd and /etc/group
        reserve = boot_reserve_pages(ps)
        if need + reserve <= free:
            return
        largest = max(files, key=lambda f: len(f.content), default=None)
        size, kernel = format_size(info.memory), format_size(KERNEL_RESERVED)
        free_kib = format_kib(free * ps)
        if largest is not None and (need > free or memory_node is None):
            biggest = f"'{largest.path}' ({format_kib(len(largest.content))})"
            self.fail(
                self.file_nodes[largest.path],
                f"files: the image's files need {format_kib(need * ps)} but only {free_kib} of "
                f"memory is free (memory: {size}, less the kernel's {kernel}); the largest is "
                f"{biggest}",
            )
        self.fail(
            memory_node or root,
            f"memory: {size} is too small for this image: its files need "
            f"{format_kib(need * ps)} and boot needs up to {format_kib(reserve * ps)} more "
            f"(/bin, the manual, init), but only {free_kib} is free (the first {kernel} is "
            "the kernel's)",
        )
