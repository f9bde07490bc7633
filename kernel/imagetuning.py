"""Machine images: the tuning sections — kernel parameters, resource limits, the vm
sysctls, the heap's defaults (written to /etc/heap.conf at boot), the devices and the
block devices' latency model.
"""

from __future__ import annotations

import re

import yaml

from kernel.abi import plugin_names
from kernel.imagetypes import (
    HEAP_SETTINGS,
    LIMITS,
    NR_OPEN,
    RLIM_INFINITY,
    BlockCosts,
    DeviceSpec,
    ModuleSpec,
    format_limit,
)
from kernel.imageyaml import NodeReader, suggest

_PARAM = re.compile(r"[A-Za-z0-9_.-]{1,64}")
_STRATEGY = re.compile(r"[A-Za-z0-9_-]{1,16}")
_MODULE = re.compile(r"[a-z][a-z0-9_]{0,55}")
_DEVICE = re.compile(r"[a-z][a-z0-9]{0,15}")


class TuningParser(NodeReader):
    """The tuning sections of a machine file (the schema's other sections build on it)."""

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

    def limits(self, node: yaml.Node) -> tuple[tuple[int, tuple[int, int]], ...]:
        """Resource limits for init (inherited by every process): ``name: value`` sets
        the soft and hard limit both, ``name: [soft, hard]`` each."""
        f = self.fields(node, "limits", tuple(LIMITS))
        out = []
        for name, (_, value) in f.items():
            resource, unit = LIMITS[name]
            ctx = f"limits.{name}"
            if self.kind(value, ctx) == "seq":
                if len(value.value) != 2:
                    self.fail(value, f"{ctx}: expected [soft, hard], got {len(value.value)} values")
                soft_node, hard_node = value.value
                soft = self.limit(soft_node, f"{ctx}[0]", unit)
                hard = self.limit(hard_node, f"{ctx}[1]", unit)
                if soft > hard:
                    s, h = format_limit(soft, unit), format_limit(hard, unit)
                    self.fail(soft_node, f"{ctx}: the soft limit ({s}) is above the hard one ({h})")
            else:
                hard_node = value
                soft = hard = self.limit(value, ctx, unit)
            if name == "nofile" and hard > NR_OPEN:
                got = format_limit(hard, unit)
                self.fail(hard_node, f"{ctx}: must be at most {NR_OPEN} (fs.nr_open), got {got}")
            out.append((resource, (soft, hard)))
        return tuple(sorted(out))

    def limit(self, node: yaml.Node, ctx: str, unit: str) -> int:
        """One limit: ``unlimited``, a size (for bytes) or an integer (files,
        processes, seconds)."""
        want = ("a size like '8MiB', an integer" if unit == "size" else "an integer") + " or "
        kind = self.expect(node, ctx, "int", "str", want=want + "'unlimited'")
        if kind == "str" and node.value.strip().lower() in ("unlimited", "infinity"):
            return RLIM_INFINITY
        if unit == "size":
            value = self.quantity(node, ctx, "size")
        else:
            self.expect(node, ctx, "int", want=want + "'unlimited'")
            value = self.construct(node, ctx, "int")
        assert isinstance(value, int)
        if not 0 <= value < RLIM_INFINITY:
            top = RLIM_INFINITY - 1
            self.fail(node, f"{ctx}: must be between 0 and {top} or 'unlimited', got {value}")
        return value

    def vm(self, node: yaml.Node) -> tuple[int, int]:
        """The vm sysctls at boot: overcommit_memory (0, 1, 2) and overcommit_ratio."""
        f = self.fields(node, "vm", ("overcommit_memory", "overcommit_ratio"))
        mode, ratio = 0, 50
        if "overcommit_memory" in f:
            mode = self.integer(f["overcommit_memory"][1], "vm.overcommit_memory", 0, 2)
        if "overcommit_ratio" in f:
            ratio = self.integer(f["overcommit_ratio"][1], "vm.overcommit_ratio", 0, 2**31 - 1)
        return mode, ratio

    def heap(self, node: yaml.Node) -> tuple[tuple[str, str], ...]:
        """The heap's defaults for every process (libk's /etc/heap.conf): the strategy
        (a name registered under ``libk.allocators``) and its tunables, as the
        ``LIBK_HEAP*`` settings they become."""
        f = self.fields(node, "heap", tuple(HEAP_SETTINGS))
        out = []
        for key, (_, value) in f.items():
            var, kind = HEAP_SETTINGS[key]
            ctx = f"heap.{key}"
            if kind == "size":
                size = self.quantity(value, ctx, "size")
                low = {"chunk": 16 * 1024, "region": 64 * 1024}.get(key)
                if low is not None and (size < low or size & (size - 1)):
                    self.fail(value, f"{ctx}: must be a power of two of at least {low // 1024}KiB")
                text = str(size)
            elif kind == "int":
                text = str(self.integer(value, ctx, 0, 1024))
            elif kind == "bool":
                text = "1" if self.boolean(value, ctx) else "0"
            elif kind == "strategy":
                text = self.string(value, ctx, _STRATEGY)
                known = plugin_names("libk.allocators")
                if known and text not in known:
                    hint = suggest(text, known, "known strategies")
                    self.fail(value, f"{ctx}: no heap strategy '{text}'{hint}")
            else:
                text = self.choice(value, ctx, kind)
            out.append((var, text))
        return tuple(out)

    def block_costs(self, node: yaml.Node) -> BlockCosts:
        """``clock.costs.block``: the block devices' latency model."""
        f = self.fields(node, "clock.costs.block", tuple(BlockCosts.__dataclass_fields__))
        d = BlockCosts()
        latency = (
            self.duration(f["latency"][1], "clock.costs.block.latency", 0, 10**9)
            if "latency" in f
            else d.latency
        )
        per_kib = (
            self.duration(f["per_kib"][1], "clock.costs.block.per_kib", 0, 10**9)
            if "per_kib" in f
            else d.per_kib
        )
        depth = (
            self.integer(f["depth"][1], "clock.costs.block.depth", 1, 1024)
            if "depth" in f
            else d.depth
        )
        channels = (
            self.integer(f["channels"][1], "clock.costs.block.channels", 1, 64)
            if "channels" in f
            else d.channels
        )
        return BlockCosts(latency, per_kib, depth, channels)

    def devices(self, node: yaml.Node, memory: int) -> tuple[DeviceSpec, ...]:
        """``devices:``: ``NAME: {type: block, size: SIZE}`` for each device node the
        machine has under /dev (a block device's contents live in page frames, taken as
        it is written, so its size may not exceed the machine's memory)."""
        self.expect(node, "devices", "map")
        out: list[DeviceSpec] = []
        seen: dict[str, int] = {}
        for key_node, value in node.value:
            name = self.key(key_node, "devices")
            if not _DEVICE.fullmatch(name):
                self.fail(key_node, f"devices: '{name}' is not a valid device name (like blk0)")
            if name in seen:
                self.fail(key_node, f"duplicate key '{name}' (first defined at line {seen[name]})")
            seen[name] = key_node.start_mark.line + 1
            ctx = f"devices.{name}"
            f = self.fields(value, ctx, ("type", "size"))
            if "type" not in f:
                self.fail(value, f"missing required key 'type' in {ctx}")
            kind = self.choice(f["type"][1], f"{ctx}.type", ("block",))
            if "size" not in f:
                self.fail(value, f"missing required key 'size' in {ctx}")
            size_node = f["size"][1]
            size = self.size(size_node, f"{ctx}.size", 4096, memory)
            if size % 512:
                self.fail(
                    size_node, f"{ctx}.size: must be a multiple of 512 (a sector), got {size}"
                )
            out.append(DeviceSpec(name, kind, size))
        return tuple(out)

    def modules(self, node: yaml.Node) -> tuple[ModuleSpec, ...]:
        """``modules:``: the kernel modules to load at boot, in order; each item is a
        name or ``NAME: {param: value, ...}`` (a module registered under ``libk.modules``;
        its parameters are checked when it loads, as modprobe's are)."""
        self.expect(node, "modules", "seq")
        from kernel.modules.core import module_names

        known = module_names()
        out: list[ModuleSpec] = []
        for i, item in enumerate(node.value):
            ctx = f"modules[{i}]"
            params: tuple[tuple[str, str], ...] = ()
            name_node = item
            if self.kind(item, ctx) == "map":
                if len(item.value) != 1:
                    self.fail(
                        item,
                        f"{ctx}: expected one 'NAME: {{param: value}}', got {len(item.value)} keys",
                    )
                name_node, value = item.value[0]
                if self.kind(value, ctx) != "null":
                    params = self.params(value)
            name = self.string(name_node, ctx, _MODULE)
            if known and name not in known:
                self.fail(
                    name_node, f"{ctx}: no module '{name}'{suggest(name, known, 'known modules')}"
                )
            out.append(ModuleSpec(name, params))
        return tuple(out)
