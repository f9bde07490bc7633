"""System calls that load and unload kernel modules: init_module, finit_module,
delete_module (kernel/module/main.c). Root only (CAP_SYS_MODULE): EPERM otherwise.

The image is a module file's bytes (``kernel.modules.files``): its first line names
the registered module. ``params`` is modprobe's ``name=value ...`` text. The work is
``k.modules``' (``kernel.modules.core``).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from kernel.abi import EBADF, EINVAL, SIGSEGV, Error
from kernel.fs.vfs import FileInode
from kernel.modules.core import ModuleOops, check_root
from kernel.modules.files import parse_image

if TYPE_CHECKING:
    from kernel.kernel import Kernel
    from kernel.thread import Thread

O_TRUNC = 0o1000  # delete_module's "force" flag: refused (no CONFIG_MODULE_FORCE_UNLOAD)


def sys_init_module(k: Kernel, t: Thread, image: bytes, params: str = "") -> int:
    check_root(t)
    with _oopses(k, t):
        k.modules.load(parse_image(image), params)
    return 0


def sys_finit_module(k: Kernel, t: Thread, fd: int, params: str = "", flags: int = 0) -> int:
    check_root(t)
    if flags:
        raise Error(EINVAL)
    f = t.proc.fds.get(fd)
    inode = f.inode
    if not isinstance(inode, FileInode):
        raise Error(EBADF)
    with _oopses(k, t):
        k.modules.load(parse_image(inode.cache.read(0, inode.size)), params)
    return 0


def sys_delete_module(k: Kernel, t: Thread, name: str, flags: int = 0) -> int:
    check_root(t)
    if flags & O_TRUNC:
        raise Error(EINVAL)
    with _oopses(k, t):
        k.modules.unload(name)
    return 0


@contextmanager
def _oopses(k: Kernel, t: Thread) -> Iterator[None]:
    """A module that oopsed kills its caller with SIGSEGV (the kernel lives on)."""
    try:
        yield
    except ModuleOops:
        k.exits.exit_process(t.proc, SIGSEGV)
