"""``cat`` throughput: ``cat`` of an 8 MiB file through a pipe into ``wc -c``.

libk side: the host writes an 8 MiB file to /tmp/big through the host syscall client
(not timed). A registered parent makes a pipe, spawns the real ``/bin/cat /tmp/big``
with its standard output on the write end and the real ``/bin/wc -c`` on the read end
(its output to /tmp/count), and waits for both. The figure is 8 MiB divided by the
host time of the machine run, minus the same run over an empty file (boot-to-halt
fixed costs: init, three spawns, exits). The host checks wc's count.

Baseline: plain Python copying the same bytes in 64 KiB chunks from one end of an
``os.pipe()`` to the other, with a reader thread counting them.

Target: libk MiB/s ≥ 0.25 × baseline MiB/s.
"""

from __future__ import annotations

import _common as c
from bench_pipe import cat_into, measure


async def pipeline(argv: list[str]) -> int:
    """``bench_cat_parent FILE``: ``cat FILE | wc -c > /tmp/count``."""
    return await cat_into(argv[1], "/bin/wc", ["wc", "-c"])


def main() -> int:
    args = c.parser(__doc__.splitlines()[0], repeats=9).parse_args()
    c.register_program("bench_cat_parent", pipeline)
    return measure(args, "cat", "bench_cat_parent", " | wc -c", "libk cat | wc -c", "wc -c counted")


if __name__ == "__main__":
    raise SystemExit(main())
