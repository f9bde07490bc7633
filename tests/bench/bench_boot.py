"""Boot time: the whole ``libk-tui --headless -c true`` process, and the kernel alone.

1. Whole process: wall time of ``libk-tui --headless -c true`` as a subprocess (the
   installed console script next to this Python, else ``python -m tui.cli``), best of N.
   Target < 0.6 s. Baseline for the ratio: a bare ``python -c pass`` in the same run
   (the interpreter's own start-up, which no change to libk can remove).
2. Kernel boot: from a loaded BootInfo (the default image, unchanged) to init running —
   ``boot(info)`` plus ``k.run(budget=1)`` (pid 1 has made its first system call).
   Target < 50 ms.
3. Image load (stage 1, ``load(None)``: read and validate the default YAML): reported,
   no target.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time

import _common as c

TARGET_PROCESS_S = 0.6
TARGET_KERNEL_S = 0.050


def cli_command() -> list[str]:
    script = os.path.join(os.path.dirname(sys.executable), "libk-tui")
    if os.path.exists(script):
        return [script, "--headless", "-c", "true"]
    return [sys.executable, "-m", "tui.cli", "--headless", "-c", "true"]


def wall(cmd: list[str]) -> float:
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, stdin=subprocess.DEVNULL, capture_output=True, cwd=c.ROOT)
    dt = time.perf_counter() - t0
    if proc.returncode != 0:
        raise RuntimeError(
            f"{' '.join(cmd)} exited {proc.returncode}: {proc.stderr.decode(errors='replace')}"
        )
    return dt


def kernel_boot(info: c.BootInfo) -> float:
    t0 = time.perf_counter()
    k = c.boot(info)
    state = k.run(budget=1)
    dt = time.perf_counter() - t0
    if state != c.BUDGET or not k.syscount or sum(k.syscount) < 1:
        raise RuntimeError(f"init did not make a system call ({state!r})")
    return dt


def import_profile(cmd: list[str], top: int = 8) -> None:
    """Print the modules whose own import time is largest (``python -X importtime``)."""
    if cmd[0] != sys.executable:
        cmd = [sys.executable, *cmd]  # the console script is a Python script
    proc = subprocess.run(
        [cmd[0], "-X", "importtime", *cmd[1:]],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        cwd=c.ROOT,
        text=True,
    )
    rows = []
    for line in proc.stderr.splitlines():
        parts = line.removeprefix("import time:").split("|")
        if len(parts) == 3 and parts[0].strip().isdigit():
            rows.append((int(parts[0]), int(parts[1]), parts[2].strip()))
    total = sum(r[0] for r in rows)
    print(
        f"  imports, top {top} by own time (of {total / 1e3:.0f} ms importing {len(rows)} modules):"
    )
    for self_us, cum_us, name in sorted(rows, reverse=True)[:top]:
        print(f"    {self_us / 1e3:6.1f} ms own {cum_us / 1e3:6.1f} ms cumulative  {name}")


def main() -> int:
    p = c.parser(__doc__.splitlines()[0], repeats=5)
    args = p.parse_args()
    repeats = 3 if args.quick else args.repeats
    cmd = cli_command()
    print(
        f"bench_boot: {' '.join(os.path.basename(x) for x in cmd[:1]) + ' ' + ' '.join(cmd[1:])}"
        f", best of {repeats}"
    )

    proc = c.time_best(lambda: wall(cmd), repeats)
    bare = c.time_best(lambda: wall([sys.executable, "-c", "pass"]), repeats)

    t0 = time.perf_counter()
    info = c.load(None)
    first_load = time.perf_counter() - t0
    loads = c.time_best(lambda: c.load(None) and None, max(repeats, 10))
    kboot = c.time_best(lambda: kernel_boot(info), max(repeats, 10))

    ok_proc = proc.best < TARGET_PROCESS_S
    ok_kernel = kboot.best < TARGET_KERNEL_S
    ratio = proc.best / bare.best
    c.report(
        "boot",
        {
            "libk-tui --headless -c true": f"{proc.best * 1e3:.0f} ms wall "
            f"(median {proc.median * 1e3:.0f}) "
            f"[{'PASS' if ok_proc else 'MISS'} < "
            f"{TARGET_PROCESS_S * 1e3:.0f} ms]",
            "python -c pass (baseline)": f"{bare.best * 1e3:.0f} ms wall "
            f"(median {bare.median * 1e3:.0f})",
            "kernel boot to init's 1st syscall": f"{kboot.best * 1e3:.2f} ms "
            f"(median {kboot.median * 1e3:.2f}) "
            f"[{'PASS' if ok_kernel else 'MISS'} < "
            f"{TARGET_KERNEL_S * 1e3:.0f} ms]",
            "image load, stage 1": f"{loads.best * 1e3:.2f} ms "
            f"(median {loads.median * 1e3:.2f}; first, in a "
            f"process that had imported the kernel: "
            f"{first_load * 1e3:.2f} ms)",
        },
        ratio,
        "headless process wall ÷ bare interpreter wall",
        f"process < {TARGET_PROCESS_S:g} s and kernel boot < {TARGET_KERNEL_S * 1e3:g} ms",
        ok_proc and ok_kernel,
        {
            "process_s": proc.best,
            "bare_python_s": bare.best,
            "kernel_boot_s": kboot.best,
            "image_load_s": loads.best,
        },
        headline=f"process {proc.best * 1e3:.0f} ms, kernel {kboot.best * 1e3:.2f} ms, "
        f"load {loads.best * 1e3:.2f} ms",
    )
    if args.profile:
        c.profile_call(lambda: kernel_boot(info), top=5)
        import_profile(cmd)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
