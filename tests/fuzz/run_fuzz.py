"""The fuzzer's long run (not collected by pytest): random calls from a program on
the machine and from the host client, with a fixed seed; prints
``N calls, P panics, E escaped exceptions`` and the first reports.

    .venv/bin/python tests/fuzz/run_fuzz.py [CALLS] [SEED]
"""

from __future__ import annotations

import random
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from engine import Fuzzer, random_call  # noqa: E402


def main(argv: list[str]) -> int:
    """Run ``CALLS`` calls (default 1,000,000) from seed ``SEED`` (default 0)."""
    total = int(argv[1]) if len(argv) > 1 else 1_000_000
    r = random.Random(int(argv[2]) if len(argv) > 2 else 0)
    fuzzer = Fuzzer()
    stats = fuzzer.stats
    report_every = max(total // 20, 1)
    next_report = report_every
    while stats.calls < total:
        if r.random() < 0.2:
            fuzzer.host_call(*random_call(r))
        else:
            fuzzer.machine_calls([random_call(r) for _ in range(r.randint(1, 16))])
        if stats.calls >= next_report:
            print(f"... {stats.line()} ({stats.machines} machines)", file=sys.stderr)
            next_report += report_every
    print(stats.line())
    for report in stats.reports[:10]:
        print("----\n" + report)
    return 1 if stats.panics or stats.escaped else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
