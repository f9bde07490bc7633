"""The machine images that ship with libk, and how to find them once installed.

``default.yaml`` is the machine ``libk-tui`` boots when given no image; ``README.md``
documents the schema that ``kernel.image`` validates. Both are package data, so they are
found through importlib.resources from any working directory, after a plain install.
"""

from __future__ import annotations

from importlib.resources import files


def default_image_path() -> str:
    """Return the filesystem path of the bundled ``default.yaml``.

    Returns:
        An absolute path that ``kernel.image.load_image`` can read.
    """
    return str(files(__name__).joinpath("default.yaml"))
