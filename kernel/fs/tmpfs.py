"""tmpfs: the in-memory file system at / and /tmp.

Its files are the VFS's in-memory inodes; what tmpfs adds is memory accounting: file
data is charged to the machine's page frames (``shmem``), so a full machine answers
ENOSPC and /proc/meminfo shows what the files hold.
"""

from __future__ import annotations

from typing import Any

from kernel.abi import ENOSPC, Error
from kernel.fs.vfs import DirInode, FileSystem
from kernel.mm.frames import FrameAllocator


class TmpFS(FileSystem):
    """An in-memory file system charged to the machine's frames."""

    fstype = "tmpfs"

    def __init__(
        self, dev: int, kernel: Any, frames: FrameAllocator | None, mode: int = 0o755
    ) -> None:
        super().__init__(dev, kernel)
        self.frames = frames
        self.pages = 0
        self.root = DirInode(self, mode)

    def charge(self, old_size: int, new_size: int) -> None:
        if self.frames is None:
            return
        frames = self.frames
        delta = frames.pages_for(new_size) - frames.pages_for(old_size)
        if delta > 0:
            if delta > frames.free:
                raise Error(ENOSPC)
            frames.alloc(delta, "shmem")
        elif delta < 0:
            frames.release(-delta, "shmem")
        self.pages += delta
