"""The loader: machine file -> boot info (stage 1) -> running kernel (stage 2).

Stage 1 (``kernel.image``) reads and validates the YAML machine description into a
BootInfo: free memory regions, CPUs, clock, scheduler, users, files, mounts, init.
Stage 2 (``kernel.main.start_kernel``) hands it to the kernel, which comes up in its
init order and starts pid 1.
"""

from __future__ import annotations

import dataclasses

from kernel.image import BootInfo, InitSpec, load_image
from kernel.kernel import Kernel
from kernel.main import start_kernel


def default_image() -> str:
    """The path of the embedded default machine (inside the installed package)."""
    from images import default_image_path

    return default_image_path()


def load(path: str | None = None) -> BootInfo:
    """Stage 1: read and validate a machine file (the default one if ``path`` is None).

    Raises:
        ImageError: ``file:line:col: message`` for any mistake in the file.
    """
    return load_image(path or default_image())


def with_init(info: BootInfo, argv: list[str], *, on_exit: str = "poweroff") -> BootInfo:
    """The same machine, with init running ``argv`` instead of the image's command."""
    init = InitSpec(argv=tuple(argv), user=info.init.user, on_exit=on_exit)
    return dataclasses.replace(info, init=init)


def boot(info: BootInfo | str | None = None) -> Kernel:
    """Boot a machine: from a BootInfo, a machine-file path, or the default image."""
    if not isinstance(info, BootInfo):
        info = load(info)
    return start_kernel(info)
