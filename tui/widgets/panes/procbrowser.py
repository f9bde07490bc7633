"""The /proc browser: a tree of /proc or of /sys, and a viewer of the selected file.

The tree shows one root at a time, /proc first; ``s`` switches to /sys and back, each
root keeping the directories you opened, the cursor and the open file. Directories are
listed through the host client when first expanded, and listed again
on refresh while expanded (processes come and go). Symbolic links show their targets
(``cwd -> /root``); a link to a directory can be expanded. The viewer shows the
selected file and reads it again on every refresh, so ``/proc/uptime`` or a process's
``status`` change before your eyes. NUL bytes (``cmdline``, ``environ``) show as ``^@``;
a write-only attribute (``/sys/bus/*/drivers/*/bind``) says so. :meth:`browse` opens
any path under either root (the devices pane's ``o`` uses it).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import Static, Tree
from textual.widgets.tree import TreeNode

from kernel.abi import S_ISDIR, S_ISLNK, Error
from tui.widgets.panes import PaneAction

if TYPE_CHECKING:
    from kernel.host import HostClient

ROOTS = ("/proc", "/sys")
VIEW_LIMIT = 256 * 1024


@dataclass(slots=True)
class Entry:
    """What a tree node stands for."""

    path: str
    is_dir: bool
    target: str | None = None  # a symlink's target
    listed: bool = False


@dataclass(slots=True)
class RootState:
    """What a root's tree looked like when the browser switched away from it."""

    expanded: list[str] = field(default_factory=list)
    cursor: str | None = None
    open_path: str | None = None


def natural(name: str) -> tuple[int, int, str]:
    """Sort numbers (pids) numerically and first, then names."""
    return (0, int(name), "") if name.isdigit() else (1, 0, name)


class ProcBrowserPane(Horizontal):
    """The /proc browser (see the module docstring)."""

    DEFAULT_CSS = """
    ProcBrowserPane { height: 1fr; }
    ProcBrowserPane > Tree { width: 40%; min-width: 24; height: 1fr; }
    ProcBrowserPane > #procfs-viewer {
        width: 1fr; height: 1fr; border-left: solid $accent; padding: 0 1;
    }
    ProcBrowserPane #procfs-title { text-style: bold; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(
            "r",
            "reload",
            "Reload",
            tooltip="List the open directories and read the open file again",
        ),
        Binding("c", "collapse_all", "Collapse", tooltip="Fold the tree back to its root"),
        Binding("s", "switch_root", "/proc↔/sys", tooltip="Browse /sys instead of /proc, or back"),
    ]
    PANE_ACTIONS: ClassVar[list[PaneAction]] = [
        PaneAction("/proc: reload", "List the open directories and read the file again", "reload"),
        PaneAction("/proc: collapse all", "Fold the tree back to its root", "collapse_all"),
        PaneAction(
            "/proc: switch to /sys or back", "Browse the other of /proc and /sys", "switch_root"
        ),
    ]

    def __init__(
        self, host: HostClient, *, id: str | None = None, classes: str | None = None
    ) -> None:
        super().__init__(id=id, classes=classes)
        self.host = host
        self.dir_tree: Tree[Entry] = Tree("/", id="procfs-tree")
        self.dir_tree.show_root = False
        self.dir_tree.guide_depth = 2
        self.title_view = Static(id="procfs-title")
        self.viewer = Static(id="procfs-content", markup=False)
        self.open_path: str | None = None
        self._shown: bytes | None = None
        self.root_path = ROOTS[0]
        self._states: dict[str, RootState] = {}
        self._populate_roots()

    def compose(self) -> ComposeResult:
        yield self.dir_tree
        with VerticalScroll(id="procfs-viewer"):
            yield self.title_view
            yield self.viewer

    def on_mount(self) -> None:
        self.title_view.update("Select a file to see it, live.")
        roots = self.dir_tree.root.children
        if roots:
            self.dir_tree.move_cursor(roots[0])

    # ------------------------------------------------------------------ the tree
    def _populate_roots(self) -> None:
        self.dir_tree.clear()
        for path in (self.root_path,):
            try:
                is_dir = S_ISDIR(self.host.stat(path).st_mode)
            except Error:
                continue
            if is_dir:
                self.dir_tree.root.add(path, Entry(path, True))
        self.dir_tree.root.expand()

    def _entry(self, path: str, name: str) -> tuple[Text, Entry]:
        """A node's label and data for ``path`` (lstat, readlink for a link)."""
        try:
            st = self.host.lstat(path)
        except Error:
            return Text(name), Entry(path, False)
        if S_ISLNK(st.st_mode):
            try:
                target = self.host.readlink(path)
            except Error:
                target = "?"
            try:
                to_dir = S_ISDIR(self.host.stat(path).st_mode)
            except Error:
                to_dir = False
            label = Text(name, style="cyan")
            label.append(f" -> {target}", style="dim")
            return label, Entry(path, to_dir, target)
        if S_ISDIR(st.st_mode):
            return Text(name, style="bold"), Entry(path, True)
        return Text(name), Entry(path, False)

    def _list(self, node: TreeNode[Entry]) -> None:
        """(Re)list a directory node's children, keeping those that still exist (and
        their expansion)."""
        entry = node.data
        if entry is None:
            return
        try:
            names = sorted(self.host.listdir(entry.path), key=natural)
        except Error as err:
            if not entry.listed:
                node.add_leaf(Text(f"({err})", style="red"))
            entry.listed = True
            return
        for child in list(node.children):
            if child.data is None:  # an earlier error line
                child.remove()
        existing = {child.data.path.rsplit("/", 1)[-1]: child for child in node.children}
        if entry.listed and list(existing) == names:
            return
        wanted = set(names)
        for name, child in existing.items():
            if name not in wanted:
                child.remove()
        base = entry.path.rstrip("/")
        for i, name in enumerate(names):
            if name in existing:
                continue
            label, data = self._entry(f"{base}/{name}", name)
            before = i if i < len(node.children) else None
            node.add(label, data, before=before, allow_expand=data.is_dir)
        entry.listed = True

    def on_tree_node_expanded(self, event: Tree.NodeExpanded[Entry]) -> None:
        event.stop()
        entry = event.node.data
        if entry is not None and not entry.listed:
            self._list(event.node)

    def on_tree_node_highlighted(self, event: Tree.NodeHighlighted[Entry]) -> None:
        event.stop()
        entry = event.node.data
        if entry is not None and not entry.is_dir:
            self.open_file(entry.path)

    def on_tree_node_selected(self, event: Tree.NodeSelected[Entry]) -> None:
        event.stop()
        entry = event.node.data
        if entry is not None and not entry.is_dir:
            self.open_file(entry.path)

    def expand_path(self, path: str) -> TreeNode[Entry] | None:
        """Expand the tree down to ``path`` and move the cursor there; its node."""
        node = self._open_down(path)
        if node is None:
            return None
        self._move_cursor(node)
        if node.data and not node.data.is_dir:
            self.open_file(node.data.path)
        return node

    def _open_down(self, path: str, *, expand_last: bool = True) -> TreeNode[Entry] | None:
        """List and expand the directories down to ``path`` (and ``path`` itself if it
        is one, unless not ``expand_last``); its node, or None when it is not in the
        tree."""
        node: TreeNode[Entry] = self.dir_tree.root
        parts = [p for p in path.split("/") if p]
        built = ""
        for i, part in enumerate(parts):
            built = f"{built}/{part}"
            match = next((c for c in node.children if c.data and c.data.path == built), None)
            if match is None:
                return None
            node = match
            if i < len(parts) - 1 or (expand_last and node.data and node.data.is_dir):
                if node.data and not node.data.listed:
                    self._list(node)
                node.expand()
        return node if parts else None

    def browse(self, path: str) -> TreeNode[Entry] | None:
        """Show ``path`` (under /proc or /sys): switch to its root if need be, expand the
        tree down to it and put the cursor on it; its node."""
        root = next((r for r in ROOTS if path == r or path.startswith(r + "/")), None)
        if root is None:
            return None
        if root != self.root_path:
            self.switch_root(root)
        return self.expand_path(path)

    def switch_root(self, root: str) -> None:
        """Show ``root``'s tree (one of :data:`ROOTS`) as it was left."""
        if root == self.root_path:
            return
        expanded: list[str] = []
        self._expanded(self.dir_tree.root, expanded)
        cursor = self.dir_tree.cursor_node
        self._states[self.root_path] = RootState(
            expanded,
            cursor.data.path if cursor is not None and cursor.data is not None else None,
            self.open_path,
        )
        self.root_path = root
        self._populate_roots()
        state = self._states.get(root) or RootState([root], root)  # first visit: open
        for path in state.expanded:
            self._open_down(path)
        node = self._open_down(state.cursor, expand_last=False) if state.cursor else None
        roots = self.dir_tree.root.children
        self._move_cursor(node or (roots[0] if roots else None))
        if state.open_path:
            self.open_file(state.open_path)
        else:
            self.open_path = None
            self._shown = None
            self.viewer.update("")
            self.title_view.update("Select a file to see it, live.")

    def _move_cursor(self, node: TreeNode[Entry] | None) -> None:
        """Put the cursor on ``node``, nodes added or expanded just now included (the
        tree numbers its lines lazily: ``_tree_lines`` numbers them now)."""
        _ = self.dir_tree._tree_lines  # noqa: SLF001 - a node's line is stale until then
        self.dir_tree.move_cursor(node)

    def _expanded(self, node: TreeNode[Entry], out: list[str]) -> None:
        for child in node.children:
            if child.is_expanded and child.data is not None:
                out.append(child.data.path)
                self._expanded(child, out)

    # ------------------------------------------------------------------ the viewer
    def open_file(self, path: str) -> None:
        """Show ``path`` in the viewer (and keep it fresh on every refresh)."""
        self.open_path = path
        self._shown = None
        self.title_view.update(Text(path))
        self._read_open()

    def _read_open(self) -> None:
        path = self.open_path
        if path is None:
            return
        try:
            data = self.host.read_file(path, VIEW_LIMIT)
        except Error as err:
            data = b""
            if not self._write_only(path):
                data = f"cannot read {path}: {err}".encode()
        if data == self._shown:
            return
        self._shown = data
        text = data.decode(errors="replace").replace("\0", "^@")
        if not text:
            text = f"(write-only: echo VALUE > {path})" if self._write_only(path) else "(empty)"
            self.viewer.update(Text(text, style="dim"))
            return
        self.viewer.update(Text(text))

    def _write_only(self, path: str) -> bool:
        """Whether ``path`` is a write-only attribute (no read bit: ``bind``)."""
        try:
            return not self.host.stat(path).st_mode & 0o444
        except Error:
            return False

    def set_host(self, host: HostClient) -> None:
        """Show another (rebooted) machine."""
        self.host = host
        self.open_path = None
        self._shown = None
        self._states.clear()
        self.viewer.update("")
        self.title_view.update("Select a file to see it, live.")
        self._populate_roots()

    def refresh_data(self) -> None:
        """Re-read the open file, and re-list the expanded directories."""
        self._read_open()
        self._relist(self.dir_tree.root)

    def _relist(self, node: TreeNode[Entry]) -> None:
        for child in list(node.children):
            if child.is_expanded and child.data is not None and child.data.is_dir:
                self._list(child)
                self._relist(child)

    # ------------------------------------------------------------------ actions
    def action_reload(self) -> None:
        """Read the open file and the open directories again."""
        self._shown = None
        self.refresh_data()

    def action_switch_root(self) -> None:
        """Browse the other root (/proc or /sys)."""
        i = ROOTS.index(self.root_path) if self.root_path in ROOTS else -1
        self.switch_root(ROOTS[(i + 1) % len(ROOTS)])

    def action_collapse_all(self) -> None:
        """Fold every directory."""
        roots = self.dir_tree.root.children
        for child in roots:
            child.collapse_all()
        self.dir_tree.move_cursor(roots[0] if roots else None)
