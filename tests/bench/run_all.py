"""Run every benchmark in this directory and print a summary table.

    python tests/bench/run_all.py [--quick] [--profile] [--repeats N] [NAME…]

Each ``bench_*.py`` runs in its own Python process (so one's memory and imports do not
colour another's), with this interpreter; its output is shown as it comes, and its
``BENCH-RESULT`` line feeds the table. NAMEs pick benchmarks (``syscall``, ``switch``,
``boot``, ``sleepers``, ``pipe``, ``shell``, ``cat``, ``tui_keys``, ``tui_panes``). The
exit status is 1 only if a benchmark failed to run; a MISS is a figure to look at, not a
failure.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ORDER = [
    "syscall",
    "switch",
    "boot",
    "sleepers",
    "pipe",
    "shell",
    "cat",
    "mem",
    "tui_keys",
    "tui_panes",
]


def discover() -> list[str]:
    found = [f[6:-3] for f in os.listdir(HERE) if f.startswith("bench_") and f.endswith(".py")]
    return [n for n in ORDER if n in found] + sorted(n for n in found if n not in ORDER)


def run_one(name: str, passthrough: list[str]) -> tuple[dict | None, float, int]:
    cmd = [sys.executable, os.path.join(HERE, f"bench_{name}.py"), *passthrough]
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True, cwd=HERE)
    result = None
    assert proc.stdout is not None
    for line in proc.stdout:
        if line.startswith("BENCH-RESULT "):
            result = json.loads(line[len("BENCH-RESULT ") :])
        else:
            sys.stdout.write(line)
            sys.stdout.flush()
    code = proc.wait()
    return result, time.perf_counter() - t0, code


def main() -> int:
    p = argparse.ArgumentParser(description="Run the libk benchmarks.")
    p.add_argument("names", nargs="*", help="benchmarks to run (default: all)")
    p.add_argument("--quick", action="store_true", help="smaller workloads, fewer repeats")
    p.add_argument("--profile", action="store_true", help="print cProfile hot spots too")
    p.add_argument(
        "--repeats", type=int, help="repeats per measurement (each bench's own default otherwise)"
    )
    args = p.parse_args()
    names = args.names or discover()
    unknown = [n for n in names if n not in discover()]
    if unknown:
        p.error(f"no benchmark named {', '.join(unknown)}; have {', '.join(discover())}")
    passthrough = (["--quick"] if args.quick else []) + (["--profile"] if args.profile else [])
    if args.repeats:
        passthrough += ["--repeats", str(args.repeats)]

    rows = []
    failed = False
    for name in names:
        print(f"==> bench_{name}.py")
        result, seconds, code = run_one(name, passthrough)
        if code != 0 or result is None:
            failed = True
            rows.append((name, "ERROR", f"exit status {code}", "", "", seconds))
        else:
            rows.append(
                (
                    name,
                    "PASS" if result["passed"] else "MISS",
                    result.get("headline", ""),
                    f"{result['ratio']:.3g}",
                    result["target"],
                    seconds,
                )
            )
        print()

    headers = ("bench", "result", "figures", "ratio", "target", "took")
    table = [headers] + [(n, r, h, ra, t, f"{s:.1f} s") for n, r, h, ra, t, s in rows]
    widths = [max(len(row[i]) for row in table) for i in range(len(headers))]
    print("Summary (ratios: see each benchmark's output for what is divided by what)")
    for i, row in enumerate(table):
        print("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip())
        if i == 0:
            print("  ".join("-" * w for w in widths))
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
