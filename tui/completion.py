"""Tab completion and per-user history for the console, read through system calls.

Shared by the console pane and the plain REPL. Everything comes from inside the
machine through the host client: the foreground job (the terminal's foreground
process group, ``tpgid`` in ``/proc/<pid>/stat``), its user (``/proc/<pid>/status``
and ``/etc/passwd``), working directory (``/proc/<pid>/cwd``) and ``PATH``
(``/proc/<pid>/environ``), and the directories completed from (``getdents``). The
history file lives in the foreground user's home directory on the machine.
"""

from __future__ import annotations

import posixpath
from dataclasses import dataclass

from kernel.abi import (
    DT_DIR,
    DT_LNK,
    O_APPEND,
    O_CREAT,
    O_DIRECTORY,
    O_RDONLY,
    O_TRUNC,
    O_WRONLY,
    S_ISDIR,
    Error,
)
from kernel.host import HostClient

HISTORY_FILE = ".libk_history"
HISTORY_MAX = 1000
DEFAULT_PATH = "/bin:/sbin:/usr/bin:/usr/sbin"
#: Tokens after which a command name comes next.
COMMAND_SEPARATORS = ("|", ";", "&", "(", "&&", "||", "!", "then", "do", "else")


@dataclass(slots=True)
class Foreground:
    """What completion and history need to know about the console's foreground job."""

    pid: int | None = None
    uid: int = 0
    home: str = "/"
    cwd: str = "/"
    path: str = DEFAULT_PATH


def _stat_fields(host: HostClient, pid: int) -> list[str] | None:
    try:
        raw = host.read_file(f"/proc/{pid}/stat").decode()
    except Error:
        return None
    # The command name is in parentheses and may hold spaces: split after it.
    close = raw.rfind(")")
    return raw[close + 2 :].split() if close >= 0 else None


def console_foreground_pid(host: HostClient) -> int | None:
    """The foreground process group of the console, from ``tpgid`` in /proc.

    Looks at pid 1 first (init has the console), then at the first few processes.
    """
    candidates = [1]
    try:
        candidates += sorted(int(n) for n in host.listdir("/proc") if n.isdigit())[:32]
    except Error:
        return None
    for pid in candidates:
        fields = _stat_fields(host, pid)
        # fields[0] is state; tpgid is field 8 of stat, index 5 here.
        if fields and len(fields) > 5 and fields[5].lstrip("-").isdigit():
            tpgid = int(fields[5])
            if tpgid > 0:
                return tpgid
    return None


def foreground(host: HostClient) -> Foreground:
    """Who is at the console: its user, home, working directory and PATH."""
    fg = Foreground()
    pid = console_foreground_pid(host)
    fg.pid = pid
    if pid is None:
        fg.home = _home_of(host, 0) or "/root"
        fg.cwd = fg.home
        return fg
    try:
        for line in host.read_file(f"/proc/{pid}/status").decode().splitlines():
            if line.startswith("Uid:"):
                fg.uid = int(line.split()[1])
                break
    except (Error, ValueError, IndexError):
        pass
    fg.home = _home_of(host, fg.uid) or ("/root" if fg.uid == 0 else "/")
    try:
        fg.cwd = host.readlink(f"/proc/{pid}/cwd")
    except Error:
        fg.cwd = fg.home
    try:
        env = host.read_file(f"/proc/{pid}/environ").split(b"\0")
        for item in env:
            if item.startswith(b"PATH="):
                fg.path = item[5:].decode(errors="replace")
    except Error:
        pass
    return fg


def _home_of(host: HostClient, uid: int) -> str | None:
    try:
        passwd = host.read_file("/etc/passwd").decode(errors="replace")
    except Error:
        return None
    for line in passwd.splitlines():
        parts = line.split(":")
        if len(parts) >= 6 and parts[2] == str(uid):
            return parts[5]
    return None


# ---------------------------------------------------------------------- completion
def _entries(host: HostClient, path: str) -> list[tuple[str, bool]]:
    """(name, is_directory) of a directory's entries, following symlinks for the flag."""
    try:
        fd = host.open(path, O_RDONLY | O_DIRECTORY)
    except Error:
        return []
    out: list[tuple[str, bool]] = []
    try:
        while True:
            batch = host.getdents(fd)
            if not batch:
                break
            for d in batch:
                if d.d_name in (".", ".."):
                    continue
                is_dir = d.d_type == DT_DIR
                if d.d_type == DT_LNK:
                    try:
                        is_dir = S_ISDIR(host.stat(posixpath.join(path, d.d_name)).st_mode)
                    except Error:
                        is_dir = False
                out.append((d.d_name, is_dir))
    except Error:
        pass
    finally:
        host.close(fd)
    return out


def current_word(line: str, cursor: int) -> tuple[int, str, bool]:
    """The word being completed: (start index, word, is it in command position)."""
    start = cursor
    while start > 0 and line[start - 1] not in " \t|;&()<>":
        start -= 1
    before = line[:start].rstrip()
    if not before:
        return start, line[start:cursor], True
    if before.endswith(("|", ";", "&", "(")):
        return start, line[start:cursor], True
    last = before.split()[-1] if before.split() else ""
    return start, line[start:cursor], last in COMMAND_SEPARATORS


def complete(host: HostClient, fg: Foreground, line: str, cursor: int) -> tuple[int, list[str]]:
    """Candidates for the word before ``cursor``.

    Returns:
        (start, candidates): each candidate replaces ``line[start:cursor]``; a directory
        ends in ``/``, a finished command or file name in a space.
    """
    start, word, command = current_word(line, cursor)
    if command and "/" not in word:
        names: set[str] = set()
        for d in fg.path.split(":"):
            if d:
                names.update(n for n, is_dir in _entries(host, d) if not is_dir)
        return start, sorted(n + " " for n in names if n.startswith(word))
    expanded = word
    if word.startswith("~"):
        slash = word.find("/")
        head = word[:slash] if slash >= 0 else word
        if head == "~":
            expanded = fg.home + (word[slash:] if slash >= 0 else "")
        if slash < 0:
            return start, [word + "/"] if head == "~" else []
    dirpart, base = posixpath.split(expanded)
    look = posixpath.join(fg.cwd, dirpart) if dirpart else fg.cwd
    keep = word[: len(word) - len(base)]
    out = []
    for name, is_dir in _entries(host, look or "/"):
        if not name.startswith(base) or (name.startswith(".") and not base.startswith(".")):
            continue
        out.append(keep + name + ("/" if is_dir else " "))
    return start, sorted(out)


def columns(options: list[str], cols: int) -> str:
    """Candidates listed in columns across ``cols`` (as bash lists them), last names
    only (``dir/`` for a directory), lines joined by newlines."""
    names = [o.rstrip() for o in options]
    names = [n.rsplit("/", 2)[-2] + "/" if n.endswith("/") else n.rsplit("/", 1)[-1] for n in names]
    width = max(len(n) for n in names) + 2
    per_row = max(1, cols // width)
    rows = [names[i : i + per_row] for i in range(0, len(names), per_row)]
    return "\n".join("".join(n.ljust(width) for n in r).rstrip() for r in rows)


def common_prefix(words: list[str]) -> str:
    """The longest prefix every word shares."""
    if not words:
        return ""
    return posixpath.commonprefix(words)


# ---------------------------------------------------------------------- history
class History:
    """Lines typed at the console, kept per user in ``~/.libk_history`` on the machine.

    Lines are loaded when the user changes and appended to the file as they are
    entered; when the file cannot be read or written (no home, read-only), the
    history still works for the session, in memory.
    """

    def __init__(self) -> None:
        self.lines: list[str] = []
        self.path: str | None = None
        self.uid: int | None = None

    def load(self, host: HostClient, fg: Foreground) -> None:
        """Switch to ``fg``'s user (reads their history file once)."""
        path = posixpath.join(fg.home, HISTORY_FILE)
        if path == self.path and fg.uid == self.uid:
            return
        self.path, self.uid = path, fg.uid
        try:
            text = host.read_file(path).decode(errors="replace")
        except Error:
            self.lines = []
            return
        self.lines = [ln for ln in text.splitlines() if ln][-HISTORY_MAX:]

    def add(self, host: HostClient, line: str) -> None:
        """Remember ``line`` (not blank, not a repeat of the last one) and save it."""
        if not line.strip() or (self.lines and self.lines[-1] == line):
            return
        self.lines.append(line)
        trimmed = len(self.lines) > HISTORY_MAX
        del self.lines[:-HISTORY_MAX]
        if self.path is None:
            return
        try:
            if trimmed:
                fd = host.open(self.path, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
                data = "".join(ln + "\n" for ln in self.lines)
            else:
                fd = host.open(self.path, O_WRONLY | O_CREAT | O_APPEND, 0o600)
                data = line + "\n"
            try:
                host.write(fd, data.encode())
            finally:
                host.close(fd)
            if self.uid:
                host.chown(self.path, self.uid, -1)
        except Error:
            pass


# ---------------------------------------------------------------------- ^R search
class ReverseSearch:
    """readline's reverse incremental search (``^R``) over history lines.

    Typing extends the search string and looks for it from the current match back to
    older lines; :meth:`older` (``^R`` again) goes on to the next older line holding it
    (an empty search string reuses the previous search, as readline does). A failed
    search keeps showing the last match. The widget draws :meth:`prompt` followed by
    :attr:`match`, with the cursor at :attr:`at`.

    Attributes:
        query: what is being searched for.
        index: the history line matched (None: nothing matched yet).
        at: where the query is in the matched line.
        failed: the last search found nothing.
        original: the line and cursor being edited when the search began.
    """

    def __init__(self, lines: list[str], line: str, pos: int, last_query: str = "") -> None:
        self.lines = lines
        self.query = ""
        self.index: int | None = None
        self.at = pos
        self.failed = False
        self.original = (line, pos)
        self.last_query = last_query

    @property
    def match(self) -> str:
        """The matched line (the original line while nothing has matched)."""
        return self.lines[self.index] if self.index is not None else self.original[0]

    def prompt(self) -> str:
        """``(reverse-i-search)`query': `` (``failed`` when nothing matched)."""
        failed = "failed " if self.failed else ""
        return f"({failed}reverse-i-search)`{self.query}': "

    def type(self, text: str) -> None:
        """Add ``text`` to the query and search from the current match back."""
        self.query += text
        start = self.index if self.index is not None else len(self.lines) - 1
        self._find(start)

    def backspace(self) -> None:
        """Drop the query's last character and search again from the newest line."""
        self.query = self.query[:-1]
        if not self.query:
            self.index, self.failed = None, False
            self.at = self.original[1]
            return
        self._find(len(self.lines) - 1)

    def older(self) -> None:
        """The next older line holding the query (``^R`` again)."""
        if not self.query:
            self.query = self.last_query
        if not self.query:
            return
        start = self.index - 1 if self.index is not None else len(self.lines) - 1
        self._find(start, skip=self.match if self.index is not None else None)

    def _find(self, start: int, skip: str | None = None) -> None:
        for i in range(min(start, len(self.lines) - 1), -1, -1):
            line = self.lines[i]
            k = line.rfind(self.query)
            if k >= 0 and line != skip:
                self.index, self.at, self.failed = i, k, False
                return
        self.failed = True

    def result(self) -> tuple[str, int]:
        """The line and cursor position the search leaves for editing."""
        if self.index is None:
            return self.original
        return self.match, self.at
