"""Shell loop: ``i=0; while [ $i -lt N ]; do i=$((i+1)); done`` in libk's sh.

libk side: a fast machine whose init runs ``/bin/sh -c SCRIPT`` and powers off when it
exits; the figure is the host time of the machine run (boot excluded) minus the same
run with N = 0 (the shell's start-up and exit), so it is the loop alone. The host
checks that the loop really ran: the script ends with ``[ $i -eq N ]``, so a broken
loop exits non-zero and fails the run.

Baseline: the same script under the host's ``/bin/sh`` (dash on Debian) in a
subprocess, minus the same with N = 0 (process start-up).

Target: libk time ≤ 30 × host /bin/sh time.

Two more cases run in the same run, against the same host shell, each minus its N = 0
run: 1,000 command substitutions ``x=$(echo $i)`` (issue #13's target: ≤ 30× too; a
substitution runs in a shell thread) and 1,000 subshells ``( : )`` (each a process of
its own, the shell re-executed with its parent's state — printed for information: dash
forks, which costs it about as much as one of our spawns).
"""

from __future__ import annotations

import subprocess
import time

import _common as c

TARGET_RATIO = 30.0
SCRIPT = "i=0; while [ $i -lt {n} ]; do i=$((i+1)); done; [ $i -eq {n} ]"
SUBST = 'x=-1; i=0; while [ $i -lt {n} ]; do x=$(echo $i); i=$((i+1)); done; [ "$x" = $((i-1)) ]'
SUBSHELL = "i=0; while [ $i -lt {n} ]; do ( : ); i=$((i+1)); done; [ $i -eq {n} ]"


def machine_seconds(n: int, script: str = SCRIPT) -> float:
    k = c.boot_program(["/bin/sh", "-c", script.format(n=n)])
    t0 = time.perf_counter()
    c.run_to_halt(k)
    return time.perf_counter() - t0


def host_seconds(n: int, script: str = SCRIPT) -> float:
    t0 = time.perf_counter()
    subprocess.run(["/bin/sh", "-c", script.format(n=n)], check=True)
    return time.perf_counter() - t0


def ratio_of(script: str, n: int, repeats: int) -> tuple[float, float]:
    """(libk seconds, host seconds) of ``script`` with ``n`` iterations, minus ``n = 0``."""
    libk = c.time_best(lambda: machine_seconds(n, script), repeats).best
    libk -= c.time_best(lambda: machine_seconds(0, script), repeats).best
    host = c.time_best(lambda: host_seconds(n, script), repeats).best
    host -= c.time_best(lambda: host_seconds(0, script), repeats).best
    return libk, max(host, 1e-6)


def main() -> int:
    args = c.parser(__doc__.splitlines()[0], repeats=5).parse_args()
    repeats = 2 if args.quick else args.repeats
    n = 2_000 if args.quick else 10_000
    print(f"bench_shell: while loop of {n:,} iterations, best of {repeats}")

    empty = c.time_best(lambda: machine_seconds(0), repeats)
    full = c.time_best(lambda: machine_seconds(n), repeats)
    host_empty = c.time_best(lambda: host_seconds(0), repeats)
    host_full = c.time_best(lambda: host_seconds(n), repeats)
    libk_s = full.best - empty.best
    host_s = max(host_full.best - host_empty.best, 1e-6)
    ratio = libk_s / host_s
    subs = 1_000
    subst_libk, subst_host = ratio_of(SUBST, subs, repeats)
    subst_ratio = subst_libk / subst_host
    sub_libk, sub_host = ratio_of(SUBSHELL, subs, repeats)
    c.report(
        "shell",
        {
            "libk sh, N = 0 (start-up)": f"{empty.best * 1e3:.2f} ms",
            "libk sh loop": f"{libk_s * 1e3:.1f} ms ({libk_s / n * 1e6:.2f} µs/iteration; "
            f"median {(full.median - empty.median) * 1e3:.1f} ms)",
            "host /bin/sh loop": f"{host_s * 1e3:.1f} ms ({host_s / n * 1e6:.2f} µs/iteration; "
            f"median {(host_full.median - host_empty.median) * 1e3:.1f} ms)",
            f"{subs:,} $(…) substitutions": f"libk {subst_libk * 1e3:.1f} ms, host "
            f"{subst_host * 1e3:.1f} ms: ratio {subst_ratio:.3g} (target ≤ {TARGET_RATIO:g})",
            f"{subs:,} ( : ) subshells": f"libk {sub_libk * 1e3:.1f} ms, host "
            f"{sub_host * 1e3:.1f} ms: ratio {sub_libk / sub_host:.3g} (for information)",
        },
        ratio,
        "libk sh time ÷ host /bin/sh time",
        f"≤ {TARGET_RATIO:g}× (loop and $(…))",
        ratio <= TARGET_RATIO and subst_ratio <= TARGET_RATIO,
        {
            "libk_s": libk_s,
            "host_s": host_s,
            "iterations": n,
            "subst_ratio": subst_ratio,
            "subshell_ratio": sub_libk / sub_host,
        },
        headline=f"{libk_s * 1e3:.0f} ms vs host sh {host_s * 1e3:.1f} ms; $(…) ×{subst_ratio:.3g}",
    )
    if args.profile:
        k = c.boot_program(["/bin/sh", "-c", SCRIPT.format(n=n)])
        c.profile_call(lambda: c.run_to_halt(k), top=15)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
