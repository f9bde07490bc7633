"""The OOM killer: when no frame is left for a fault, end the process that frees most.

Linux's rule: a process's badness is its resident pages plus its page tables, shifted
by ``oom_score_adj`` (-1000 to 1000, in thousandths of the machine's memory); -1000
exempts it, and init is never chosen. The victim is killed with SIGKILL and the choice
is logged in Linux's words (``Out of memory: Killed process …``), with the task table
that precedes it. ``/proc/<pid>/oom_score`` shows the badness the way Linux scales it.
Where Linux panics (no process may be chosen), the allocation fails instead: a page
fault ends its own process with SIGKILL, a kernel access gets ENOMEM. The kernel never
panics for want of user memory.
"""

from __future__ import annotations

from operator import attrgetter
from typing import TYPE_CHECKING

from kernel.abi import SIGKILL
from kernel.proc import ALIVE

if TYPE_CHECKING:
    from kernel.kernel import Kernel
    from kernel.proc import Process

OOM_SCORE_ADJ_MIN = -1000
OOM_SCORE_ADJ_MAX = 1000


class OomKiller:
    """Victim selection and killing for one kernel."""

    def __init__(self, k: Kernel) -> None:
        self.k = k

    def _total(self) -> int:
        return max(1, self.k.frames.buddy.total_pages)

    def badness(self, proc: Process) -> int | None:
        """Points as Linux's oom_badness counts them (resident pages plus page-table
        pages, plus ``oom_score_adj`` thousandths of memory; negative points are
        possible), or None for a process that may not be chosen (init, an exempt or
        ended one)."""
        if proc.state != ALIVE or proc.pid <= 1 or not proc.threads:
            return None
        adj = proc.oom_score_adj
        if adj == OOM_SCORE_ADJ_MIN:
            return None
        mm = proc.mm
        points = mm.resident + mm.pagetable_bytes() // self.k.frames.page_size
        return points + adj * self._total() // 1000

    def score(self, proc: Process) -> int:
        """/proc/<pid>/oom_score, as Linux computes it: ``(1000 + badness * 1000 /
        total) * 2 / 3`` (666 for a process with almost nothing resident), 0 when
        it may not be chosen."""
        points = self.badness(proc)
        if points is None:
            return 0
        return _div((1000 + _div(points * 1000, self._total())) * 2, 3)

    def out_of_memory(self, faulting: Process | None) -> Process | None:
        """Choose a victim and kill it; the caller retries its allocation.

        Logs what Linux logs: who invoked the killer, the task table, the kill. The
        victim is the process with the most points (on a tie, the newer one); it
        may be ``faulting`` itself, which the caller then ends (a running program
        cannot be closed from inside its own fault). Returns None when no process
        may be chosen (Linux would panic; here the caller fails its allocation).
        """
        k = self.k
        procs = sorted(
            (p for p in k.procs.procs.values() if p.state == ALIVE), key=attrgetter("pid")
        )
        who = faulting.comm if faulting is not None else "kernel"
        adj = faulting.oom_score_adj if faulting is not None else 0
        k.log(
            f"{who} invoked oom-killer: gfp_mask=0x140dca(GFP_HIGHUSER_MOVABLE|__GFP_COMP"
            f"|__GFP_ZERO), order=0, oom_score_adj={adj}"
        )
        k.log("Tasks state (memory values in pages):")
        k.log("[  pid  ]   uid  tgid total_vm      rss pgtables_bytes swapents oom_score_adj name")
        ps = k.frames.page_size
        for p in procs:
            mm = p.mm
            k.log(
                f"[{p.pid:>7}] {p.cred.uid:>5} {p.pid:>5} {mm.size // ps:>8} {mm.resident:>8} "
                f"{mm.pagetable_bytes():>8} {0:>8}         {p.oom_score_adj:>5} {p.comm}"
            )
        victim: Process | None = None
        best = 0
        for p in procs:  # Linux's select_bad_process: the most points, the later on a tie
            points = self.badness(p)
            if points is not None and (victim is None or points >= best):
                victim, best = p, points
        if victim is None:
            k.log("Out of memory and no killable processes...")
            return None
        mm = victim.mm
        kb = ps // 1024
        k.log(
            "oom-kill:constraint=CONSTRAINT_NONE,nodemask=(null),cpuset=/,mems_allowed=0,"
            f"global_oom,task_memcg=/,task={victim.comm},pid={victim.pid},uid={victim.cred.uid}"
        )
        k.log(
            f"Out of memory: Killed process {victim.pid} ({victim.comm}) "
            f"total-vm:{mm.size // 1024}kB, anon-rss:{mm.rss['anon'] * kb}kB, "
            f"file-rss:{mm.rss['file'] * kb}kB, shmem-rss:{mm.rss['shmem'] * kb}kB, "
            f"UID:{victim.cred.uid} pgtables:{mm.pagetable_bytes() // 1024}kB "
            f"oom_score_adj:{victim.oom_score_adj}"
        )
        k.frames.events.oom_kill += 1
        if victim is not faulting:
            k.signals.send(victim, SIGKILL)
        return victim


def _div(a: int, b: int) -> int:
    """C's integer division (rounds toward zero), as Linux's arithmetic on longs."""
    q = abs(a) // abs(b)
    return q if (a < 0) == (b < 0) else -q
