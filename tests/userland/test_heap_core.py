"""The libk heap's core: settings, the calls' contracts, blocks mapped on their own,
arenas by thread and by CPU, the checks, the leak report, heapstat; the naive and
chunked strategies against a model."""

from __future__ import annotations

import dataclasses
import sys as host_sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

host_sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "kernel"))

from ksim import image, ok, register, run_main, run_with, shell  # noqa: E402

from kernel.abi import (  # noqa: E402
    EINVAL,
    ENOMEM,
    REGION_OFF,
    Error,
    cell_stats,
    heap_areas,
    parse_region,
)
from kernel.abi import region_cells as cells_of  # noqa: E402
from userland.libk import io as kio  # noqa: E402
from userland.libk import runtime, sys  # noqa: E402
from userland.libk.heap import (  # noqa: E402
    Heap,
    HeapConfig,
    heap,
    kmheap_usable,
    kmheapa,
    kmheapc,
    kmheapf,
    kmheapr,
)
from userland.libk.heap.config import apply, parse_conf  # noqa: E402


# ------------------------------------------------------------------ settings
def test_conf_and_environment_settings() -> None:
    cfg = HeapConfig()
    parse_conf("# defaults\nLIBK_HEAP=chunked\nLIBK_HEAP_CHUNK=32K  # small\n", cfg)
    assert (cfg.strategy, cfg.chunk) == ("chunked", 32768)
    with pytest.raises(Error) as err:
        parse_conf("LIBK_HEAP_CHUNK=3000\n", cfg, "/etc/heap.conf")
    assert err.value.message == (
        "/etc/heap.conf:1: LIBK_HEAP_CHUNK=3000: a size of at least 16384, a power of two"
    )
    with pytest.raises(Error, match="expected NAME=VALUE"):
        parse_conf("nonsense\n", cfg)
    with pytest.raises(Error, match="global, thread or cpu"):
        apply(cfg, "LIBK_HEAP_ARENAS", "some", "environment")


def test_the_image_heap_section_reaches_every_process() -> None:
    seen: list[tuple[str, int, str]] = []

    async def main(argv: list[str]) -> int:
        h = await heap()
        seen.append((h.cfg.strategy, h.cfg.chunk, (await kio.read_file("/etc/heap.conf")).decode()))
        return 0

    info = dataclasses.replace(
        image(), heap=(("LIBK_HEAP", "chunked"), ("LIBK_HEAP_CHUNK", "32768"))
    )
    ok(run_main(main, info=info))
    strategy, chunk, conf = seen[0]
    assert (strategy, chunk) == ("chunked", 32768)
    assert "LIBK_HEAP=chunked\nLIBK_HEAP_CHUNK=32768\n" in conf


def test_environment_wins_over_the_conf_and_bad_names_are_einval() -> None:
    r = run_main(_spawn_child, "LIBK_HEAP=naive")
    ok(r)
    assert "strategy naive" in r.output
    r = run_main(_spawn_child, "LIBK_HEAP=nope")
    assert "LIBK_HEAP=nope: no such heap strategy (there are: " in r.output


async def _report(argv: list[str]) -> int:
    try:
        h = await heap()
    except Error as err:
        await kio.write_all(1, f"error {err.message}\n")
        return 1
    await kio.write_all(1, f"strategy {h.cfg.strategy}\n")
    return 0


_REPORT = register(_report)


async def _spawn_child(argv: list[str]) -> int:
    name, _, value = argv[1].partition("=")
    env = dict(await sys.environ())
    env[name] = value
    pid = await sys.spawn(_REPORT, [_REPORT], env)
    await sys.wait4(pid, 0)
    return 0


# ------------------------------------------------------------------ the calls
@pytest.mark.parametrize("strategy", ["naive", "chunked"])
def test_contracts(strategy: str) -> None:
    async def body(mem: Any) -> dict[str, Any]:
        res: dict[str, Any] = {}
        a = await kmheapa(100)
        mem.write(a, b"x" * 100)
        b = await kmheapr(a, 5000)
        res["kept"] = mem.read(b, 100) == b"x" * 100
        c = await kmheapc(64, 8)
        res["zero"] = mem.read(c, 512) == bytes(512)
        res["usable"] = await kmheap_usable(c) >= 512
        d = await kmheapa(40, 256)
        res["aligned"] = d % 256 == 0
        for bad in ((-1,), (10, 3)):
            try:
                await kmheapa(*bad)
            except Error as err:
                res.setdefault("einval", []).append(err.errno == EINVAL)
        try:
            await kmheapc(1 << 40, 1 << 40)
        except Error as err:
            res["overflow"] = err.errno == ENOMEM
        res["zero_size"] = (await kmheapa(0)) != 0
        assert await kmheapr(b, 0) == 0
        for x in (c, d):
            await kmheapf(x)
        await kmheapf(0)
        return res

    res = run_with(strategy, body)
    assert res == {
        "kept": True,
        "zero": True,
        "usable": True,
        "aligned": True,
        "einval": [True, True],
        "overflow": True,
        "zero_size": True,
    }


def test_large_blocks_are_mapped_and_remapped() -> None:
    async def body(mem: Any) -> tuple[int, int, bool, int]:
        h = await heap()
        a = await kmheapa(200_000)
        mem.write(a + 199_000, b"end")
        b = await kmheapr(a, 900_000)
        kept = mem.read(b + 199_000, 3) == b"end"
        mapped = h.mapped
        await kmheapf(b)
        return h.mmaps, mapped, kept, h.mapped

    mmaps, mapped, kept, after = run_with("chunked", body)
    assert mmaps == 1 and kept and mapped >= 900_000 and after == 0


@pytest.mark.parametrize(
    ("code", "message"),
    [
        ("double", "kmheapf(): double free (the block is already free): 0x"),
        ("inside", "kmheapf(): invalid pointer (not the start of a block): 0x"),
        ("outside", "kmheapf(): invalid pointer (not in the heap): 0x1234"),
    ],
)
def test_bad_frees_abort_with_sigabrt(code: str, message: str) -> None:
    async def main(argv: list[str]) -> int:
        await Heap.install(HeapConfig(strategy="chunked"))
        a = await kmheapa(64)
        await kmheapa(64)
        if code == "double":
            await kmheapf(a)
            await kmheapf(a)
        elif code == "inside":
            await kmheapf(a + 8)
        else:
            await kmheapf(0x1234)
        return 0

    r = run_main(main)
    assert r.status == 128 + 6
    assert message in r.output


# ------------------------------------------------------------------ arenas
def test_per_cpu_arenas_queue_remote_frees() -> None:
    async def body(mem: Any) -> tuple[int, int, int]:
        h = await heap()
        blocks: list[int] = []

        done: list[int] = []

        async def producer(_: object) -> int:
            for _ in range(200):
                blocks.append(await kmheapa(48))
            done.append(1)
            return 0

        tid = await sys.thread_spawn(producer, None)
        while not done:  # stay on this CPU, so the producer runs on the other one
            await sys.checkpoint()
        await sys.thread_join(tid, 0)
        for b in blocks:  # freed from another thread, most likely another CPU
            await kmheapf(b)
        await kmheapa(16)  # the owner drains its queue on its next allocation
        remote = sum(mem.load64(a.home + REGION_OFF["remote_frees"]) for a in h.arenas)
        return len(h.arenas), remote, sum(mem.load64(a.home + 72) for a in h.arenas)

    narenas, remote, in_use = run_with("chunked", body, cfg={"arenas": "cpu"}, cpus=2)
    assert narenas == 2 and remote == 200
    assert in_use >= 16  # what is left: the last block (the remote frees were drained or queued)


def test_thread_arenas_move_when_contended() -> None:
    async def body(mem: Any) -> tuple[int, int]:
        h = await heap()

        async def worker(_: object) -> int:
            for i in range(400):
                a = await kmheapa(32)
                await kmheapf(a)
                if i % 50 == 0:
                    await sys.checkpoint()
            return 0

        tids = [await sys.thread_spawn(worker, None) for _ in range(4)]
        for tid in tids:
            await sys.thread_join(tid, 0)
        contended = sum(mem.load64(a.home + REGION_OFF["contended"]) for a in h.arenas)
        return len(h.arenas), contended

    narenas, contended = run_with(
        "chunked", body, cfg={"arenas": "thread", "max_arenas": 8}, cpus=4
    )
    assert narenas >= 4


# ------------------------------------------------------------------ checks and tools
def test_leak_report_names_the_allocating_function() -> None:
    @runtime.program
    async def main(argv: list[str]) -> int:
        await Heap.install(HeapConfig(strategy="chunked", check=True))
        await build_table()
        await kmheapf(await kmheapa(10))
        return 0

    async def build_table() -> None:
        await kmheapa(4000)
        await kmheapa(48)

    r = run_main(main)
    ok(r)
    assert "libk heap: 2 blocks (4048 bytes) still allocated at exit of" in r.output
    assert "4000 bytes at 0x" in r.output and "allocated in build_table()" in r.output
    assert "libk heap: 2 blocks (4048 bytes)" in r.kernel.log.render()  # root may write dmesg


def test_heapstat_reads_a_live_heap_from_proc() -> None:
    async def main(argv: list[str]) -> int:
        await Heap.install(HeapConfig(strategy="chunked"))
        keep = [await kmheapa(100 * (i + 1)) for i in range(10)]
        for b in keep[::2]:
            await kmheapf(b)
        await kmheapa(300_000)
        pid = await sys.getpid()
        child = await sys.spawn("/bin/heapstat", ["heapstat", "-r", str(pid)])
        await sys.wait4(child, 0)
        child = await sys.spawn("/bin/heapstat", ["heapstat", "1"])
        _, status = await sys.wait4(child, 0)
        return status >> 8

    r = run_main(main)
    assert r.status == 1
    lines = r.output.splitlines()
    assert lines[0].endswith(": strategy chunked")
    assert lines[1].split()[:4] == ["ARENA", "CPU", "REG", "SIZE"]
    arena0 = lines[2].split()
    assert arena0[0] == "0" and int(arena0[5]) > 0  # some free space
    assert any(line.split()[0] == "mapped" for line in lines)
    assert "heapstat: 1 (init): no libk heap" in r.output


# ------------------------------------------------------------------ against a model
OPS = st.lists(
    st.tuples(st.sampled_from("aafr"), st.integers(0, 40), st.integers(1, 3000)),
    min_size=1,
    max_size=60,
)


@pytest.mark.parametrize("strategy", ["chunked", "naive"])
@settings(derandomize=True, max_examples=12, deadline=None)
@given(ops=OPS)
def test_model(strategy: str, ops: list[tuple[str, int, int]]) -> None:
    async def body(mem: Any) -> str:
        live: dict[int, tuple[int, int, int]] = {}  # id -> addr, size, fill byte
        h = await heap()
        for n, (op, ident, size) in enumerate(ops):
            if op == "a" and ident not in live:
                addr = await kmheapa(size)
                live[ident] = (addr, size, n % 251)
                mem.fill(addr, n % 251, size)
            elif op == "f" and ident in live:
                await kmheapf(live.pop(ident)[0])
            elif op == "r" and ident in live:
                addr, old, fill = live[ident]
                new = await kmheapr(addr, size)
                if mem.read(new, min(old, size)) != bytes([fill]) * min(old, size):
                    return f"resize lost the contents of {ident}"
                mem.fill(new, fill, size)
                live[ident] = (new, size, fill)
            spans = sorted((a, a + s) for a, s, _ in live.values())
            for (_, e1), (s2, _) in zip(spans, spans[1:], strict=False):
                if s2 < e1:
                    return "two live blocks overlap"
            for a, s, fill in live.values():
                if a % 16 or await kmheap_usable(a) < s:
                    return "alignment or usable size"
                if mem.read(a, s) != bytes([fill]) * s:
                    return "a block's contents changed"
        for a, _, _ in live.values():
            await kmheapf(a)
        in_use = sum(mem.load64(a.home + 72) for a in h.arenas)
        return "ok" if in_use == 0 else f"in_use {in_use} after freeing everything"

    assert run_with(strategy, body) == "ok"


def test_region_cells_show_the_chunked_blocks() -> None:
    async def body(mem: Any) -> tuple[int, int, int]:
        h = await heap()
        a = await kmheapa(1000)
        await kmheapa(1000)
        await kmheapf(a)
        start = h.starts[0]
        maps = (await kio.read_file("/proc/self/maps")).decode()
        assert (start, start + h.regions[start].length) in heap_areas(maps)
        hdr = parse_region(start, mem.read(start, h.regions[start].length))
        assert hdr is not None
        return cell_stats(cells_of(hdr, mem.read(start, hdr.length)))  # type: ignore[attr-defined]

    used, free, longest = run_with("chunked", body)
    assert used == 64  # the second block (1016 bytes) and the first's tag... in 16-byte cells
    assert longest >= 60


def test_heapdemo_leaves_its_blocks_for_the_leak_report() -> None:
    r = shell(
        "LIBK_HEAP_CHECK=1 heapdemo -d 0 -n 14 -l; echo status $?; dmesg | grep -c 'libk heap'"
    )
    assert "libk heap: 6 blocks (1048 bytes) still allocated at exit of heapdemo" in r.output
    assert "allocated in Demo.alloc()" in r.output
    assert "status 0\n1\n" in r.output  # the report's first line reached the kernel log
