"""The naive strategy: every allocation maps fresh pages with mmap, every free unmaps
them (what libk did on Linux first). Each block is a region of its own
(``KIND_NAIVE``): a header page-rounded with the payload, so even one byte costs a
page, two system calls and a page fault. It is the reference the speculative
strategies are measured against; the heap core does all its work.
"""

from __future__ import annotations

from kernel.abi import FORMAT_NONE
from userland.libk.heap.arena import Arena


class NaiveArena(Arena):
    """No arena ever exists: ``format`` NONE sends every request to its own mapping."""

    strategy = "naive"
    format = FORMAT_NONE
