"""The libk ABI: everything userland may know about the kernel.

This package is the only part of ``kernel`` that userland imports (DESIGN.md §2), and
only as ``kernel.abi``: every name below is re-exported here. It owns system-call
numbers, names and argument specs (the one table, minus handlers, which the kernel binds
in ``kernel.syscall``) and the awaitable request a system call is (``syscalls``); errno
values with their messages and the one error type (``errno``); signals (``signals``);
wait statuses (``wait``); open, seek and mode flags and the stat layout (``files``);
terminal flags and ioctls (``terminal``); spawn actions and attributes (``process``);
mmap flags, resource limits and futex operations (``memory``); the MMU view
(``mmu``); the thread pointer (``tls``); the heap's layout in memory (``heap``); I/O
operations and the ring's layout (``io``); socket families, flags, options and
structures (``net``); the plugins a program may load (``plugins``).
"""

from __future__ import annotations

from kernel.abi.errno import *  # noqa: F403
from kernel.abi.files import *  # noqa: F403
from kernel.abi.heap import *  # noqa: F403
from kernel.abi.io import *  # noqa: F403
from kernel.abi.memory import *  # noqa: F403
from kernel.abi.mmu import *  # noqa: F403
from kernel.abi.net import *  # noqa: F403
from kernel.abi.plugins import *  # noqa: F403
from kernel.abi.process import *  # noqa: F403
from kernel.abi.signals import *  # noqa: F403
from kernel.abi.syscalls import *  # noqa: F403
from kernel.abi.terminal import *  # noqa: F403
from kernel.abi.tls import *  # noqa: F403
from kernel.abi.wait import *  # noqa: F403
