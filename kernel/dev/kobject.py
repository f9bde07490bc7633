"""kobjects: the named, reference-counted objects whose tree /sys shows (lib/kobject.c).

A :class:`KObject` has a name, a parent, a reference count and attributes. Adding one
under a parent (:meth:`KObject.add`) makes it a directory of the parent's in /sys and
takes a reference on the parent, so no kobject outlives its parent; deleting it
(:meth:`KObject.delete`) takes it out of the tree and drops that reference; when its
own count reaches zero its ``release`` runs (a device's frees its number, a module's
its memory). A :class:`KSet` is a kobject that collects others of one kind (``/sys/
module``, ``/sys/class/tty``, a bus's ``devices``): members live under it in /sys
unless they have a parent of their own, and then the kset holds a link to them.

Attributes are sysfs node specs (``kernel.fs.sysfs``): a callable for a read-only
file, ``Store`` for a writable one, ``Link`` for a symlink, a dict for a group
directory. Links to other kobjects are ``links`` (name -> kobject); /sys computes their
relative paths, as sysfs_create_link does.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

__all__ = ["KObject", "KSet", "KObjectError"]


class KObjectError(Exception):
    """A misuse of the kobject API (a kernel bug, not a user's error)."""


@dataclass(slots=True, eq=False)
class KObject:
    """A node of the device model (see the module docstring).

    Attributes:
        name: its directory's name in /sys.
        parent: the kobject it lives under (None: not in the tree, or a top directory).
        attrs: sysfs specs of its attribute files and groups.
        links: symlinks in its directory, to other kobjects.
        children: kobjects added under it, by name.
        refcount: references held; the tree's own is one.
        release: runs once when the count reaches zero.
        kset: the set it belongs to (None: none).
    """

    name: str
    parent: KObject | None = None
    attrs: dict[str, Any] = field(default_factory=dict)
    links: dict[str, KObject] = field(default_factory=dict)
    children: dict[str, KObject] = field(default_factory=dict)
    refcount: int = 1
    release: Callable[[KObject], None] | None = None
    kset: KSet | None = None
    in_sysfs: bool = False

    # ------------------------------------------------------------------ references
    def get(self) -> KObject:
        """Take a reference (kobject_get)."""
        if self.refcount <= 0:
            raise KObjectError(f"kobject {self.name}: get after release")
        self.refcount += 1
        return self

    def put(self) -> None:
        """Drop a reference (kobject_put); the last one releases the object and the
        reference it held on its parent."""
        if self.refcount <= 0:
            raise KObjectError(f"kobject {self.name}: put after release")
        self.refcount -= 1
        if self.refcount:
            return
        if self.in_sysfs:
            self._unlink()
        if self.release is not None:
            self.release(self)

    # ------------------------------------------------------------------ the tree
    def add(self, parent: KObject | None) -> None:
        """Put this kobject in the tree under ``parent`` (or its kset when None),
        taking a reference on the parent (kobject_add).

        Raises:
            KObjectError: it is in the tree already, or the name is taken there.
        """
        if self.in_sysfs:
            raise KObjectError(f"kobject {self.name}: added twice")
        if parent is None and self.kset is not None:
            parent = self.kset
        if parent is not None:
            if self.name in parent.children:
                raise KObjectError(f"kobject {parent.path()}/{self.name}: name taken")
            parent.get()
            parent.children[self.name] = self
        self.parent = parent
        if self.kset is not None:
            self.kset.members[self.name] = self
        self.in_sysfs = True

    def delete(self) -> None:
        """Take it out of the tree (kobject_del): its directory goes, its parent's
        reference is dropped. The object lives on while references remain."""
        if self.in_sysfs:
            self._unlink()

    def _unlink(self) -> None:
        self.in_sysfs = False
        if self.kset is not None and self.kset.members.get(self.name) is self:
            del self.kset.members[self.name]
        parent = self.parent
        if parent is not None and parent.children.get(self.name) is self:
            del parent.children[self.name]
            parent.put()

    def path(self) -> str:
        """Its path under /sys, with a leading slash (``/devices/virtual/mem/null``)."""
        parts = []
        node: KObject | None = self
        while node is not None and node.name:
            parts.append(node.name)
            node = node.parent
        return "/" + "/".join(reversed(parts))

    def ancestors(self) -> list[KObject]:
        """Its parents, nearest first."""
        out = []
        node = self.parent
        while node is not None:
            out.append(node)
            node = node.parent
        return out


@dataclass(slots=True, eq=False)
class KSet(KObject):
    """A kobject collecting others of one kind (``members``, by name)."""

    members: dict[str, KObject] = field(default_factory=dict)


def relative(src: KObject, dst: KObject) -> str:
    """The symlink text from ``src``'s directory to ``dst``'s (``../../devices/...``)."""
    a = src.path().strip("/").split("/")
    b = dst.path().strip("/").split("/")
    common = 0
    while common < min(len(a), len(b)) and a[common] == b[common]:
        common += 1
    return "/".join([".."] * (len(a) - common) + b[common:]) or "."
