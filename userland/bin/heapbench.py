"""``heapbench``: run heap workloads under each strategy and compare them in a table.

``heapbench [-s STRATEGIES] [-t TRACE]... [--synthetic NAME] [--threads N]
[--arenas global|thread|cpu] [--sweep] [--seed N]``

Every run is a child process: heapbench spawns itself (``/proc/self/exe``) with the
hidden ``--child`` option and ``LIBK_HEAP=<strategy>`` (plus tunables) in its
environment, so each strategy gets a fresh process and heap, chosen the way any
program's is. The child runs the workload (``userland.libk.heap.bench``), measures it
— virtual time with clock_gettime(CLOCK_MONOTONIC) around the op loop, mmap and munmap
calls from /proc/self/syscalls, page faults and peak RSS from getrusage, utilisation
as malloclab defines it (peak live payload ÷ ``Heap.peak_mapped``), fragmentation at
the peak from /proc/self/maps and mem — and writes one line of ``key=value`` pairs on
its standard output, a pipe to heapbench. A strategy that cannot load, or a child that
dies, is a row that says so. ``--sweep`` is the libk roadmap's question: naive against
chunked over chunk sizes. See heapbench(1) and heap(7).
"""

from __future__ import annotations

from kernel.abi import (
    CLOCK_MONOTONIC,
    MAP_ANONYMOUS,
    MAP_PRIVATE,
    O_RDONLY,
    PROT_READ,
    PROT_WRITE,
    RUSAGE_SELF,
    SPAWN_CLOSE,
    SPAWN_DUP2,
    WEXITSTATUS,
    WIFEXITED,
    Error,
)
from userland.bin.which import search_path
from userland.libk import args, sys, text
from userland.libk import io as kio
from userland.libk.heap import heap as open_heap
from userland.libk.heap import strategy_names
from userland.libk.heap.arena import O_CONTENDED, O_REMOTE_FREES
from userland.libk.heap.bench import (
    PRODCONS_STEPS,
    RING_BYTES,
    SYNTHETIC,
    Ring,
    Trace,
    TraceError,
    describe_error,
    heap_free_space,
    parse_trace,
    prodcons_worker,
    run_ops,
    synthetic,
    trace_worker,
)
from userland.libk.proc import describe

PROG = "heapbench"
TRACE_DIR = "/usr/share/heapbench"
BASELINE = "libc"
SWEEP_CHUNKS = ("16K", "32K", "64K", "128K", "256K", "1M")
USAGE = """Usage: heapbench [-s STRATEGIES] [-t TRACE]... [--synthetic NAME] [--threads N]
                 [--arenas global|thread|cpu] [--sweep] [--seed N]
Run heap workloads under each strategy, each in a process of its own, and compare.

  -s, --strategies=LIST  comma-separated strategies (default: every registered one,
                         libc first: the baseline the ratio column compares with)
  -t, --trace=TRACE      a malloclab .rep trace (default: every trace in
                         /usr/share/heapbench); may be given more than once
      --synthetic=NAME   a synthetic workload: random, small or prodcons
      --threads=N        N threads (on N CPUs), each running the workload: operations
                         per virtual second and the speedup against 1 thread
      --arenas=MODE      LIBK_HEAP_ARENAS for the runs: global, thread or cpu
      --sweep            naive against chunked with LIBK_HEAP_CHUNK=16K..1M
      --seed=N           the synthetic workloads' seed (default 1)
      --help             display this help and exit
"""
LONG = {
    "strategies": "s",
    "trace": "t",
    "synthetic": "y",
    "threads": "n",
    "arenas": "A",
    "sweep": "W",
    "seed": "e",
}
Figures = dict[str, int]


class Usage(Exception):  # noqa: N818 - a usage error, exit 2
    """A bad command line (the message is what to print)."""


# ---------------------------------------------------------------------- the child
async def _syscalls(heap: object) -> dict[str, int]:
    """The process's system calls so far by name; without /proc, the heap's own count of
    its mmap and munmap calls."""
    try:
        text = (await kio.read_file("/proc/self/syscalls")).decode()
    except Error:
        return {"mmap": heap.mmaps, "munmap": heap.munmaps}  # type: ignore[attr-defined]
    return {name: int(n) for name, n in (line.split() for line in text.splitlines() if line)}


def _counters(heap: object, mem: object) -> tuple[int, int]:
    arenas = heap.arenas  # type: ignore[attr-defined]
    load = mem.load64  # type: ignore[attr-defined]
    return (
        sum(load(a.home + O_CONTENDED) for a in arenas),
        sum(load(a.home + O_REMOTE_FREES) for a in arenas),
    )


async def _workload(kind: str, what: str, seed: int) -> Trace | None:
    if kind == "synthetic":
        return None if what == "prodcons" else synthetic(what, seed)
    return parse_trace((await kio.read_file(what)).decode(errors="replace"), what)


async def child(argv: list[str]) -> int:
    """``heapbench --child trace|synthetic WHAT THREADS SEED``: one run, one line out.

    THREADS 0 runs the workload in the main thread (and looks at the heap at the peak);
    N runs it in N threads of its own (prodcons: a ring of N threads).
    """
    kind, what, threads, seed = argv[2], argv[3], int(argv[4]), int(argv[5])
    try:
        trace = await _workload(kind, what, seed)
        heap = await open_heap()
    except (Error, TraceError) as err:
        await kio.write_all(1, f"error {describe_error(err)}\n")
        return 1
    mem = await sys.mmu()
    snap = {"ns": 0, "flt": 0, "free": -1, "largest": 0}  # free -1: not looked at

    async def on_peak() -> None:
        t0, ru0 = await sys.clock_gettime(CLOCK_MONOTONIC), await sys.getrusage(RUSAGE_SELF)
        try:
            snap["free"], snap["largest"] = await heap_free_space()
        except Error:
            pass  # no /proc: no fragmentation figure
        ru1, t1 = await sys.getrusage(RUSAGE_SELF), await sys.clock_gettime(CLOCK_MONOTONIC)
        snap["ns"] += t1 - t0
        snap["flt"] += ru1.minflt - ru0.minflt

    ring = None
    if kind == "synthetic" and what == "prodcons":  # the rings are not the heap's
        rw, private = PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS
        base = await sys.mmap(0, RING_BYTES * threads, rw, private)
        ring = Ring(heap, mem, base, threads, PRODCONS_STEPS, seed)
    calls0, ru0 = await _syscalls(heap), await sys.getrusage(RUSAGE_SELF)
    start = await sys.clock_gettime(CLOCK_MONOTONIC)
    try:
        if ring is not None:
            tids = [await sys.thread_spawn(prodcons_worker, (ring, i)) for i in range(threads)]
            ops = sum([await sys.thread_join(t) for t in tids])
        elif threads:
            arg = (heap, mem, trace)
            tids = [await sys.thread_spawn(trace_worker, arg) for _ in range(threads)]
            ops = sum([await sys.thread_join(t) for t in tids])
        else:
            ops = await run_ops(heap, mem, trace, on_peak)  # type: ignore[arg-type]
    except Exception as err:  # noqa: BLE001 - the row says what stopped the run
        await kio.write_all(1, f"error {describe_error(err)}\n")
        return 1
    end = await sys.clock_gettime(CLOCK_MONOTONIC)
    ru1, calls1 = await sys.getrusage(RUSAGE_SELF), await _syscalls(heap)
    contended, remote = _counters(heap, mem)
    figures = {
        "ops": ops,
        "ns": end - start - snap["ns"],
        "mmap": calls1.get("mmap", 0) - calls0.get("mmap", 0),
        "munmap": calls1.get("munmap", 0) - calls0.get("munmap", 0),
        "faults": ru1.minflt + ru1.majflt - ru0.minflt - ru0.majflt - snap["flt"],
        "rss": ru1.maxrss,
        "payload": trace.peak_payload if trace is not None else 0,
        "heap": heap.peak_mapped,
        "free": snap["free"],
        "largest": snap["largest"],
        "contended": contended,
        "remote": remote,
    }
    await kio.write_all(1, "ok " + " ".join(f"{k}={v}" for k, v in figures.items()) + "\n")
    return 0


# ---------------------------------------------------------------------- the parent
async def run_child(
    strategy: str, env_extra: dict[str, str], kind: str, what: str, threads: int, seed: int
) -> Figures | str:
    """Run one child; its figures, or why there are none."""
    env = await sys.environ()
    try:
        exe = await sys.readlink("/proc/self/exe")
    except Error:  # no /proc: where $PATH finds heapbench
        exe = next(iter(await search_path(PROG, env.get("PATH"))), "/bin/" + PROG)
    env.update(env_extra, LIBK_HEAP=strategy)
    r, w = await sys.pipe()
    argv = [PROG, "--child", kind, what, str(threads), str(seed)]
    actions = [(SPAWN_DUP2, w, 1), (SPAWN_CLOSE, r), (SPAWN_CLOSE, w)]
    try:
        pid = await sys.spawn(exe, argv, env, None, actions)
    except Error as err:
        await sys.close(r)
        await sys.close(w)
        return f"cannot start: {err.message}"
    await sys.close(w)
    try:
        out = (await kio.read_all(r)).decode(errors="replace")
    finally:
        await sys.close(r)
    _, status = await sys.wait4(pid, 0)
    line = out.strip().splitlines()[-1] if out.strip() else ""
    if line.startswith("ok "):
        return {k: int(v) for k, v in (p.split("=") for p in line[3:].split())}
    if line.startswith("error "):
        return line[6:]
    if WIFEXITED(status):
        return f"exited with status {WEXITSTATUS(status)}"
    return f"killed: {describe(status) or 'by a signal'}"


def _pct(n: int, d: int) -> str:
    return f"{100 * n / d:.1f}%" if d else "-"


def _nsop(f: Figures) -> float:
    return f["ns"] / f["ops"] if f["ops"] else 0.0


def _frag(f: Figures) -> str:
    if f["free"] < 0:
        return "-"
    return _pct(f["free"] - f["largest"], f["free"]) if f["free"] else "0.0%"


def _error_row(name: str, why: str) -> str:
    return f"{name:<10} ({why})"


def single_table(rows: list[tuple[str, Figures | str]], base: str) -> list[str]:
    """The one-thread table: a row per strategy, the baseline first."""
    ref = dict(rows).get(base)
    ref_ns = _nsop(ref) if isinstance(ref, dict) else 0.0
    head = f"x{base}"
    out = [
        f"{'STRATEGY':<10} {'OPS':>6} {'NS/OP':>8} {head:>8} {'MMAP':>6} {'MUNMAP':>6} "
        f"{'FAULTS':>6} {'RSS KiB':>8} {'UTIL':>6} {'FRAG':>6}"
    ]
    for name, f in rows:
        if isinstance(f, str):
            out.append(_error_row(name, f))
            continue
        ratio = f"{_nsop(f) / ref_ns:.2f}x" if ref_ns else "-"
        out.append(
            f"{name:<10} {f['ops']:>6} {_nsop(f):>8.1f} {ratio:>8} {f['mmap']:>6} "
            f"{f['munmap']:>6} {f['faults']:>6} {f['rss']:>8} {_pct(f['payload'], f['heap']):>6} "
            f"{_frag(f):>6}"
        )
    ran = [(n, f) for n, f in rows if isinstance(f, dict) and n != base]
    if isinstance(ref, dict) and ran:
        name, best = min(ran, key=lambda r: _nsop(r[1]))
        out.append(
            f"fastest against {base}: {name}, {_nsop(best) / ref_ns:.2f} times its time per "
            f"operation; utilisation {_pct(best['payload'], best['heap'])} "
            f"({base}: {_pct(ref['payload'], ref['heap'])})"
        )
    return out


def threads_table(rows: list[tuple[str, int, Figures | str]]) -> list[str]:
    """The threads table: per strategy, 1 thread and N threads, with the speedup."""
    out = [
        f"{'STRATEGY':<10} {'THREADS':>7} {'OPS':>7} {'VIRT MS':>8} {'OPS/VSEC':>10} "
        f"{'SPEEDUP':>7} {'MMAP':>6} {'FAULTS':>6} {'CONTENDED':>9} {'REMOTE':>6}"
    ]
    one: dict[str, float] = {}
    for name, n, f in rows:
        if isinstance(f, str):
            out.append(
                _error_row(name, f) if n == 1 or name not in one else f"{'':<10} {n:>7} ({f})"
            )
            continue
        rate = f["ops"] * 1e9 / f["ns"] if f["ns"] else 0.0
        if n == 1:
            one[name] = rate
        speedup = f"{rate / one[name]:.2f}x" if one.get(name) else "-"
        out.append(
            f"{name:<10} {n:>7} {f['ops']:>7} {f['ns'] / 1e6:>8.2f} {rate:>10.0f} {speedup:>7} "
            f"{f['mmap']:>6} {f['faults']:>6} {f['contended']:>9} {f['remote']:>6}"
        )
    return out


def sweep_tables(results: dict[str, dict[str, Figures | str]], cols: list[str]) -> list[str]:
    """The sweep's tables (ns/op, mmap calls, utilisation) and its answer."""
    width = max([12, *(len(t) for t in results)])
    out: list[str] = []
    metrics = (
        ("virtual ns per operation", lambda f: f"{_nsop(f):.1f}"),
        ("mmap calls", lambda f: str(f["mmap"])),
        ("utilisation (peak payload / peak heap)", lambda f: _pct(f["payload"], f["heap"])),
    )
    for title, cell in metrics:
        out += [f"{title}:", f"{'TRACE':<{width}} " + " ".join(f"{c:>8}" for c in cols)]
        for trace, by_col in results.items():
            cells = [cell(by_col[c]) if isinstance(by_col[c], dict) else "error" for c in cols]
            out.append(f"{trace:<{width}} " + " ".join(f"{c:>8}" for c in cells))
        out.append("")
    errors = [
        f"{t} {c}: {f}" for t, by in results.items() for c, f in by.items() if isinstance(f, str)
    ]
    out += [f"error: {e}" for e in errors]
    speed: dict[str, list[float]] = {c: [] for c in cols[1:]}
    out.append("answer (speedup of chunked over naive, virtual time per operation):")
    for trace, by_col in results.items():
        naive = by_col["naive"]
        ok = {c: f for c, f in by_col.items() if c != "naive" and isinstance(f, dict)}
        if not isinstance(naive, dict) or not ok:
            continue
        for c, f in ok.items():
            speed[c].append(_nsop(naive) / _nsop(f))
        best = min(ok, key=lambda c: _nsop(ok[c]))
        out.append(f"  {trace}: best chunk {best}, {_nsop(naive) / _nsop(ok[best]):.1f}x faster")
    means = {c: _geomean(v) for c, v in speed.items() if v}
    if means:
        best = max(means, key=lambda c: means[c])
        line = ", ".join(f"{c} {m:.2f}x" for c, m in means.items())
        out.append(f"  geometric mean over the traces: {line}; best overall: {best}")
    return out


def _geomean(values: list[float]) -> float:
    product = 1.0
    for v in values:
        product *= v
    return product ** (1 / len(values))


async def _traces(paths: list[str]) -> list[Trace]:
    """Read and check the traces (default: every .rep in /usr/share/heapbench)."""
    if not paths:
        try:
            fd = await sys.open(TRACE_DIR, O_RDONLY)
        except Error as err:
            raise TraceError(f"{TRACE_DIR}: {err.message}") from None
        names: list[str] = []
        try:
            while batch := await sys.getdents(fd):
                names += [e.d_name for e in batch if e.d_name.endswith(".rep")]
        finally:
            await sys.close(fd)
        if not names:
            raise TraceError(f"{TRACE_DIR}: no traces (*.rep)")
        paths = [f"{TRACE_DIR}/{n}" for n in sorted(names)]
    out = []
    for path in paths:
        try:
            text = (await kio.read_file(path)).decode(errors="replace")
        except Error as err:
            raise TraceError(f"{path}: {err.message}") from None
        out.append(parse_trace(text, path))
    return out


def _options(argv: list[str]) -> args.Options:
    try:
        opts = args.getopt(argv, "s:t:y:n:A:We:", long=LONG)
    except args.UsageError as err:
        raise Usage(str(err)) from None
    if opts.operands:
        raise Usage(f"extra operand '{opts.operands[0]}'")
    n = opts.value("n", "1") or ""
    if not n.isdigit() or not 1 <= int(n) <= 64:
        raise Usage(f"--threads: '{n}' is not a number from 1 to 64")
    if opts.value("A", "global") not in ("global", "thread", "cpu"):
        raise Usage(f"--arenas: '{opts.value('A')}' is not global, thread or cpu")
    if opts.has("y") and opts.value("y") not in SYNTHETIC:
        raise Usage(f"--synthetic: '{opts.value('y')}' is not {', '.join(SYNTHETIC)}")
    if opts.has("y") and opts.has("t"):
        raise Usage("-t and --synthetic cannot be used together")
    if not (opts.value("e", "1") or "").isdigit():
        raise Usage(f"--seed: '{opts.value('e')}' is not a number")
    if opts.has("W") and (opts.has("s") or int(n) > 1):
        raise Usage("--sweep compares naive and chunked on one thread: no -s or --threads")
    return opts


def _strategies(spec: str | None) -> list[str]:
    known = strategy_names()
    names = [s for s in (spec.split(",") if spec else known) if s]
    for name in names:
        if name not in known:
            raise Usage(f"-s: '{name}': no such strategy (there are: {', '.join(known)})")
    if BASELINE in names:
        names.remove(BASELINE)
        names.insert(0, BASELINE)
    return names


async def main(argv: list[str]) -> int:
    """Entry point."""
    if argv[1:2] == ["--child"] and len(argv) == 6:
        return await child(argv)
    try:
        opts = _options(argv)
        if opts.help:
            await kio.write_all(1, USAGE)
            return 0
        names = _strategies(opts.value("s"))
    except Usage as err:
        return await text.usage_error(PROG, str(err), 2)
    threads, seed = int(opts.value("n", "1") or 1), int(opts.value("e", "1") or 1)
    arenas = {"LIBK_HEAP_ARENAS": opts.value("A") or ""} if opts.has("A") else {}
    workloads: list[tuple[str, str, str]] = []  # (title, kind, what)
    if opts.has("y"):
        name = opts.value("y") or ""
        if name == "prodcons":
            threads = max(threads, 2)
            workloads.append(
                (f"synthetic prodcons (seed {seed}), a ring of threads", "synthetic", name)
            )
        else:
            t = synthetic(name, seed)
            workloads.append(
                (f"synthetic {name} (seed {seed}): {len(t.ops)} ops", "synthetic", name)
            )
    else:
        try:
            traces = await _traces(opts.values("t"))
        except TraceError as err:
            await kio.warn(PROG, str(err))
            return 1
        for t in traces:
            title = (
                f"trace {t.name}: {len(t.ops)} ops, {t.nslots} ids, peak payload {t.peak_payload} B"
            )
            workloads.append((title, "trace", t.name))
    out = kio.Output(1)
    if opts.has("W"):
        return await sweep(out, workloads, seed)
    try:
        cpus = str((await kio.read_file("/proc/cpuinfo")).decode().count("processor\t:"))
    except Error:
        cpus = "?"  # no /proc
    where = f"{threads} threads, {cpus} CPUs" if threads > 1 else "1 thread"
    mode = opts.value("A") or "from /etc/heap.conf"
    for n, (title, kind, what) in enumerate(workloads):
        await out.line(("\n" if n else "") + f"{title}; {where}, arenas {mode}")
        await out.flush()
        if threads > 1:
            trows: list[tuple[str, int, Figures | str]] = []
            for name in names:
                for count in (1, threads):
                    trows.append(
                        (name, count, await run_child(name, arenas, kind, what, count, seed))
                    )
            lines = threads_table(trows)
        else:
            rows = [(name, await run_child(name, arenas, kind, what, 0, seed)) for name in names]
            lines = single_table(rows, BASELINE if BASELINE in names else names[0])
        for line in lines:
            await out.line(line)
        await out.flush()
    return 0


async def sweep(out: kio.Output, workloads: list[tuple[str, str, str]], seed: int) -> int:
    """``--sweep``: naive, then chunked at each chunk size, on every workload."""
    cols = ["naive", *SWEEP_CHUNKS]
    await out.line(
        "sweep: naive (an mmap per allocation) against chunked (LIBK_HEAP_CHUNK="
        + ", ".join(SWEEP_CHUNKS)
        + "), 1 thread, arenas global"
    )
    await out.flush()
    results: dict[str, dict[str, Figures | str]] = {}
    env = {"LIBK_HEAP_ARENAS": "global"}
    for _, kind, what in workloads:
        label = what.rsplit("/", 1)[-1]
        by_col: dict[str, Figures | str] = {
            "naive": await run_child("naive", env, kind, what, 0, seed)
        }
        for chunk in SWEEP_CHUNKS:
            by_col[chunk] = await run_child(
                "chunked", env | {"LIBK_HEAP_CHUNK": chunk}, kind, what, 0, seed
            )
        results[label] = by_col
    for line in sweep_tables(results, cols):
        await out.line(line)
    await out.flush()
    return 0
