"""Machine images: stage 1 of the boot loader.

This module is what callers import. It reads a YAML machine file and turns it into a
validated, immutable :class:`BootInfo` that the kernel boots from. The YAML is only
*composed* (a tree of nodes that keep their line and column); every value is built from
scalars, mappings and lists, so no file can make the host construct an object. Every
mistake is an :class:`ImageError` reading ``file:line:col: message``, never a traceback.
The image modules import nothing else from libk, so tools can check an image without a
kernel.

The work is split along its seams: :mod:`kernel.imagetypes` holds the constants, the
dataclasses, :class:`ImageError` and the formatters (all re-exported here),
:mod:`kernel.imageyaml` composes the YAML and reads typed values from its nodes, and
:mod:`kernel.imageschema` checks them against the schema and builds the :class:`BootInfo`.
"""

from __future__ import annotations

import yaml

from kernel.imageschema import SchemaParser
from kernel.imagetypes import (
    CLOCK_MODES,
    DEFAULT_IMAGE_NAME,
    FILE_KINDS,
    FILESYSTEM_TYPES,
    INIT_ON_EXIT,
    KERNEL_RESERVED,
    MAX_DEPTH,
    RESERVED_DIRS,
    ROOT,
    SCHEDULER_POLICIES,
    BootInfo,
    ClockConfig,
    CostModel,
    FileSpec,
    GiB,
    ImageError,
    InitSpec,
    KiB,
    MemoryRegion,
    MiB,
    MountSpec,
    SchedulerConfig,
    TiB,
    User,
    default_mounts,
    format_duration,
    format_size,
    free_memory_regions,
)
from kernel.imageyaml import compose

__all__ = [
    "CLOCK_MODES", "DEFAULT_IMAGE_NAME", "FILE_KINDS", "FILESYSTEM_TYPES", "INIT_ON_EXIT",
    "KERNEL_RESERVED", "MAX_DEPTH", "RESERVED_DIRS", "ROOT", "SCHEDULER_POLICIES", "BootInfo",
    "ClockConfig", "CostModel", "FileSpec", "GiB", "ImageError", "InitSpec", "KiB",
    "MemoryRegion", "MiB", "MountSpec", "SchedulerConfig", "TiB", "User", "default_mounts",
    "format_duration", "format_size", "free_memory_regions", "load_image", "parse_image",
]  # fmt: skip

_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # read at each parse, so tests can swap it


def load_image(path: str) -> BootInfo:
    """Read and validate the machine image at ``path``.

    Args:
        path: The YAML file to read.

    Returns:
        The validated boot information.

    Raises:
        ImageError: The file cannot be read or the image has a mistake.
    """
    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError as e:
        raise ImageError(path, 1, 1, e.strerror or str(e)) from None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        line = data.count(b"\n", 0, e.start) + 1
        col = e.start - data.rfind(b"\n", 0, e.start)
        raise ImageError(path, line, col, f"not valid UTF-8 (byte 0x{data[e.start]:02x})") from None
    return parse_image(text, path)


def parse_image(text: str, path: str = "<image>") -> BootInfo:
    """Validate the machine image in ``text``.

    Args:
        text: The YAML source.
        path: The name to report in errors and to store as ``BootInfo.source``.

    Returns:
        The validated boot information.

    Raises:
        ImageError: The image has a mistake.
    """
    root = compose(text, path, _Loader)
    if root is None:
        raise ImageError(path, 1, 1, "image is empty")
    return SchemaParser(path).machine(root)
