"""Keystroke-to-echo in the app's console while 1,000 CPU-bound processes run.

The real ``LibkApp`` runs headless under Textual's pilot with its own timer driving
the machine (``autorun``: budgeted slices, as in ``libk-tui``). The shell spawns 1,000
copies of a registered ``tui_busy`` program (an endless loop of ``checkpoint()``);
once /proc lists them all, the benchmark types characters at the console and measures
host time from ``pilot.press`` until the character is in the console's line and the
screen has been refreshed. Figure: the median over the keys. Baseline (same run): the
same on an idle machine. Target: median ≤ 50 ms.
"""

from __future__ import annotations

import asyncio
import statistics
import time

import _common as c

from userland.libk import sys as libk_sys

TARGET_MS = 50.0


async def _busy(argv: list[str]) -> int:
    while True:
        for _ in range(200):
            pass
        await libk_sys.checkpoint()


c.register_program("tui_busy", _busy)


async def measure(busy: int, keys: int) -> list[float]:
    """Seconds from press to echo for ``keys`` keystrokes with ``busy`` busy processes."""
    from tui.app import LibkApp
    from tui.widgets.console import ConsolePane

    app = LibkApp(c.fast_info(cpus=4), autorun=True)
    samples: list[float] = []
    async with app.run_test(size=(140, 40)) as pilot:
        console = app.query_one(ConsolePane)
        for _ in range(200):
            await pilot.pause(0.02)
            if "root@libk:~#" in console.term.text():
                break
        if busy:
            line = f"i=0; while [ $i -lt {busy} ]; do tui_busy & i=$((i+1)); done"
            await pilot.press(*line, "enter")
            deadline = time.monotonic() + 300
            while True:
                await pilot.pause(0.1)
                pids = [n for n in app.machine.host.listdir("/proc") if n.isdigit()]
                if len(pids) >= busy + 2 or time.monotonic() > deadline:
                    break
            if len(pids) < busy + 2:
                raise RuntimeError(f"only {len(pids)} processes started")
            while console.line_editing() is False:
                await pilot.pause(0.05)
        await pilot.pause(0.2)
        for i in range(keys):
            ch = "abcdefghij"[i % 10]
            before = console.buffer
            t0 = time.perf_counter()
            await pilot.press(ch)
            while console.buffer != before + ch:
                await pilot.pause()
            await pilot.pause()  # the refresh that draws it
            samples.append(time.perf_counter() - t0)
            await pilot.pause(0.03)  # let the machine run between keys, as when typing
        await pilot.press("ctrl+u")
    return samples


def main() -> None:
    args = c.parser(__doc__.splitlines()[0], repeats=1).parse_args()
    busy = 100 if args.quick else 1000
    keys = 20 if args.quick else 60
    idle = asyncio.run(measure(0, keys))
    loaded = asyncio.run(measure(busy, keys))
    med, base = statistics.median(loaded), statistics.median(idle)
    print(f"keystroke-to-echo with {busy} busy processes")
    c.report(
        "tui_keys",
        {
            "median (busy)": f"{med * 1000:.1f} ms",
            "p90 (busy)": f"{sorted(loaded)[int(len(loaded) * 0.9)] * 1000:.1f} ms",
            "median (idle machine)": f"{base * 1000:.1f} ms",
        },
        med / base if base else 0.0,
        "busy / idle",
        f"median ≤ {TARGET_MS:.0f} ms",
        med * 1000 <= TARGET_MS,
        headline=f"{med * 1000:.1f} ms",
    )


if __name__ == "__main__":
    main()
