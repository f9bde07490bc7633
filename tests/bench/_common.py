"""Shared helpers for the benchmark scripts in this directory (not a test module).

Every ``bench_*.py`` script is standalone: ``python tests/bench/bench_X.py`` boots its
own machines, measures, prints its figures, a ratio against a baseline measured in the
same run, and PASS or MISS against its target. The last line it prints is
``BENCH-RESULT {json}``, which ``run_all.py`` collects into its summary table.

Host timings are noisy (other processes share the machine), so every figure is the
best (minimum time) of several repeats unless said otherwise; the median is printed
beside it to show the spread.
"""

from __future__ import annotations

import argparse
import cProfile
import dataclasses
import gc
import io
import json
import os
import pstats
import statistics
import sys
import time
from collections.abc import Callable
from typing import Any

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
if ROOT not in sys.path:  # run from a checkout without an editable install
    sys.path.insert(1, ROOT)

from kernel.boot import boot, load, with_init  # noqa: E402
from kernel.exec import register_program  # noqa: E402
from kernel.image import BootInfo  # noqa: E402
from kernel.kernel import BUDGET, HALTED, Kernel  # noqa: E402

__all__ = [
    "BUDGET",
    "HALTED",
    "Kernel",
    "Timing",
    "boot",
    "boot_program",
    "fast_info",
    "load",
    "parser",
    "profile_call",
    "register_program",
    "report",
    "run_to_halt",
    "time_best",
    "with_init",
]

_BASE_INFO: BootInfo | None = None


def fast_info(cpus: int = 1, **changes: Any) -> BootInfo:
    """The default image, in ``fast`` clock mode, with ``cpus`` CPUs (loaded once)."""
    global _BASE_INFO
    if _BASE_INFO is None:
        _BASE_INFO = load(None)
    info = _BASE_INFO
    clock = dataclasses.replace(info.clock, mode="fast")
    if "memory" in changes:  # the free regions follow the size (BootInfo fills them in)
        changes.setdefault("memory_regions", ())
    return dataclasses.replace(info, cpus=cpus, clock=clock, **changes)


def boot_program(
    argv: list[str], *, cpus: int = 1, info: BootInfo | None = None, **changes: Any
) -> Kernel:
    """Boot a fast machine whose init runs ``argv`` and powers off when it exits
    (``changes``: other BootInfo fields, e.g. ``memory``)."""
    return boot(with_init(info or fast_info(cpus, **changes), argv))


def run_to_halt(k: Kernel, budget: int | None = None) -> None:
    """Run ``k`` until it powers off; fail loudly on a panic, an idle machine or a
    non-zero exit status of init's command (a broken benchmark must not look fast)."""
    while True:
        state = k.run(budget=budget)
        if state == HALTED:
            break
        if state != BUDGET:
            raise RuntimeError(f"machine stopped with {state!r} before powering off")
    if k.panic_report is not None:
        raise RuntimeError(k.panic_report)
    if k.power_status != 0:
        raise RuntimeError(f"init's command exited with status {k.power_status}")


@dataclasses.dataclass
class Timing:
    """Host seconds of several repeats of the same measurement."""

    samples: list[float]

    @property
    def best(self) -> float:
        return min(self.samples)

    @property
    def median(self) -> float:
        return statistics.median(self.samples)


def time_best(fn: Callable[[], float | None], repeats: int) -> Timing:
    """Run ``fn`` ``repeats`` times. ``fn`` returns the seconds it measured itself, or
    None to be timed whole (with ``time.perf_counter``)."""
    samples = []
    for _ in range(repeats):
        gc.collect()
        t0 = time.perf_counter()
        got = fn()
        samples.append(got if got is not None else time.perf_counter() - t0)
    return Timing(samples)


def parser(description: str, repeats: int) -> argparse.ArgumentParser:
    """The common command line: ``--repeats``, ``--quick``, ``--profile``."""
    p = argparse.ArgumentParser(description=description)
    p.add_argument(
        "--repeats",
        type=int,
        default=repeats,
        help=f"repeats of each measurement, best taken (default {repeats})",
    )
    p.add_argument(
        "--quick",
        action="store_true",
        help="smaller workloads and fewer repeats (a smoke run; noisier)",
    )
    p.add_argument(
        "--profile",
        action="store_true",
        help="also run the libk side once under cProfile and print the top functions by own time",
    )
    return p


def profile_call(fn: Callable[[], Any], top: int = 5) -> list[tuple[str, float, int]]:
    """Run ``fn`` under cProfile; print and return the ``top`` functions by tottime."""
    prof = cProfile.Profile()
    prof.enable()
    fn()
    prof.disable()
    stats = pstats.Stats(prof, stream=io.StringIO())
    rows = []
    for (path, line, func), (_cc, ncalls, tottime, _ct, _callers) in stats.stats.items():
        where = os.path.relpath(path, ROOT) if path.startswith(ROOT) else path
        rows.append((f"{where}:{line}({func})", tottime, ncalls))
    rows.sort(key=lambda r: -r[1])
    total = sum(r[1] for r in rows) or 1.0
    print(f"  cProfile, top {top} by tottime (of {total * 1e3:.1f} ms profiled):")
    for name, tt, n in rows[:top]:
        print(f"    {tt * 1e3:9.1f} ms {100 * tt / total:5.1f}%  {n:>9} calls  {name}")
    return rows[:top]


def report(
    name: str,
    figures: dict[str, str],
    ratio: float,
    ratio_desc: str,
    target: str,
    passed: bool,
    extra: dict[str, Any] | None = None,
    headline: str = "",
) -> None:
    """Print the figures, the ratio, PASS/MISS and the BENCH-RESULT line (``headline``:
    the figure run_all.py shows in its summary)."""
    width = max(len(k) for k in figures) if figures else 0
    for key, value in figures.items():
        print(f"  {key:<{width}}  {value}")
    print(f"  ratio: {ratio_desc} = {ratio:.3g}")
    print(f"{name}: {'PASS' if passed else 'MISS'} (target: {target})")
    result = {
        "name": name,
        "ratio": ratio,
        "ratio_desc": ratio_desc,
        "target": target,
        "passed": passed,
        "headline": headline,
        "figures": figures,
    }
    if extra:
        result.update(extra)
    print("BENCH-RESULT " + json.dumps(result, ensure_ascii=False))
    sys.stdout.flush()
