"""End-to-end: the real ``libk-tui`` app in a terminal (tmux), typed at like a person would."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import time
import uuid

import pytest

pytestmark = pytest.mark.skipif(shutil.which("tmux") is None, reason="needs tmux")


def tmux(*args: str) -> str:
    return subprocess.run(["tmux", *args], capture_output=True, text=True, check=False).stdout


def wait_for(session: str, needle: str | re.Pattern[str], timeout: float = 30.0) -> str:
    """The screen once ``needle`` (a text, or a pattern to search) is on it (failing
    after ``timeout``)."""
    deadline = time.monotonic() + timeout
    while True:
        screen = tmux("capture-pane", "-p", "-t", session)
        if needle.search(screen) if isinstance(needle, re.Pattern) else needle in screen:
            return screen
        if time.monotonic() > deadline:
            raise AssertionError(f"never saw {needle!r}; the screen:\n{screen}")
        time.sleep(0.2)


def test_type_a_command_see_its_output_and_quit() -> None:
    session = f"libk-e2e-{uuid.uuid4().hex[:8]}"
    command = f"{sys.executable} -m tui.cli; echo exit=$?; sleep 30"
    tmux("new-session", "-d", "-s", session, "-x", "140", "-y", "40", command)
    try:
        screen = wait_for(session, "root@libk:~#")
        assert "Processes" in screen and "console" in screen  # the panes and the console
        tmux("send-keys", "-t", session, "-l", "echo $((6 * 7))xyz")
        tmux("send-keys", "-t", session, "Enter")
        wait_for(session, "42xyz")  # the typed line only has the formula
        tmux("send-keys", "-t", session, "C-q")  # quit: powers the machine off
        wait_for(session, "exit=0")
    finally:
        tmux("kill-session", "-t", session)


def test_tab_tab_lists_the_choices_below_the_typed_word() -> None:
    session = f"libk-e2e-{uuid.uuid4().hex[:8]}"
    command = f"{sys.executable} -m tui.cli; sleep 30"
    tmux("new-session", "-d", "-s", session, "-x", "140", "-y", "40", command)
    try:
        wait_for(session, "root@libk:~#")
        tmux("send-keys", "-t", session, "-l", "ls /bin/mk")
        tmux("send-keys", "-t", session, "Tab")
        tmux("send-keys", "-t", session, "Tab")
        # the typed word stays above the list, and the prompt and word come again below
        # (the screen is looked at until all of it is drawn: the app draws in steps)
        wait_for(
            session,
            re.compile(
                r"root@libk:~# ls /bin/mk *│?\n│?mkdir +mkfifo +mknod *│?\n"
                r"│?root@libk:~# ls /bin/mk"
            ),
        )
        tmux("send-keys", "-t", session, "-l", "dir")
        tmux("send-keys", "-t", session, "Enter")
        wait_for(session, "/bin/mkdir")
    finally:
        tmux("kill-session", "-t", session)
