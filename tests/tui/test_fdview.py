"""A process's open files as the details view lists them (``tui.fdview``): sockets with
their type, state and path from /proc/net/unix, pipes, FIFOs by path, and an SVG
snapshot of the details of a process holding a listening socket and a FIFO."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest
from rich.console import Console
from tuihelp import fast_info, machine

from kernel.host import HostClient
from tui.app import LibkApp
from tui.fdview import (
    open_files,
    parse_fdinfo_access,
    parse_fdinfo_served,
    parse_net_unix,
    socket_inode,
)
from tui.procview import ProcView
from tui.widgets.panes.details import render_details

SECOND = 1_000_000_000
MS = 1_000_000
SIZE = (120, 50)

NET_UNIX = """\
Num       RefCount Protocol Flags    Type St Inode Path
0000000000000000: 00000002 00000000 00010000 0001 01     5 /tmp/s
0000000000000000: 00000003 00000000 00000000 0001 03     6 /tmp/s
0000000000000000: 00000002 00000000 00000000 0002 01     7 @abstract name
0000000000000000: 00000002 00000000 00000000 0005 03     8
garbage line
"""


def test_parse_net_unix() -> None:
    socks = parse_net_unix(NET_UNIX)
    assert sorted(socks) == [5, 6, 7, 8]
    assert (socks[5].type, socks[5].state, socks[5].path) == ("STREAM", "LISTEN", "/tmp/s")
    assert (socks[6].type, socks[6].state) == ("STREAM", "ESTAB")
    assert (socks[7].type, socks[7].state, socks[7].path) == ("DGRAM", "UNCONN", "@abstract name")
    assert (socks[8].type, socks[8].path) == ("SEQPACKET", "")


def test_fdinfo_access_and_socket_inode() -> None:
    assert parse_fdinfo_access("pos:\t0\nflags:\t0100002\nmnt_id:\t0\n") == "u"
    assert parse_fdinfo_access("flags:\t01\n") == "w"
    assert parse_fdinfo_access("flags:\t00\n") == "r"
    assert parse_fdinfo_access("pos:\t0\n") == ""
    assert socket_inode("socket:[42]") == 42
    assert socket_inode("pipe:[42]") is None
    assert socket_inode("/tmp/socket:[1]") is None


SCRIPT = (
    "mkfifo /tmp/f; cat /tmp/f & sleep 51 > /tmp/f & sleep 52 | cat & "
    "nc -lU /tmp/s & nc -luU /tmp/d & fortuned /tmp/fort & sleep 1; sleep 53 < /tmp/fort &"
    " sleep 100"
)


@pytest.fixture(scope="module")
def files() -> dict[str, list[tuple[str, str, str, str]]]:
    """(label, type, target, detail) of every descriptor of each program the
    script starts, by command line."""
    k = machine(["/bin/sh", "-c", SCRIPT])
    k.run(until=2 * SECOND)
    view = ProcView(HostClient(k))
    out = {}
    for row in view.processes():
        d = view.details(row.pid)
        assert d is not None
        out[row.command] = [(f.label, f.type, f.target, f.detail) for f in d.files]
    k.shutdown()
    return out


def test_fifo_by_path_for_its_reader_and_writer(files: dict[str, Any]) -> None:
    assert ("3r", "FIFO", "/tmp/f", "") in files["cat /tmp/f"]
    assert ("1w", "FIFO", "/tmp/f", "") in files["sleep 51"]


def test_pipe_ends_are_fifos(files: dict[str, Any]) -> None:
    assert files["cat"][0][:2] == ("0r", "FIFO")
    assert files["cat"][0][2].startswith("pipe:[")


def test_sockets_with_type_state_and_path(files: dict[str, Any]) -> None:
    stream = next(f for f in files["nc -lU /tmp/s"] if f[1] == "unix")
    assert stream[0] == "3u" and socket_inode(stream[2]) is not None
    assert stream[3] == "STREAM LISTEN /tmp/s"
    dgram = next(f for f in files["nc -luU /tmp/d"] if f[1] == "unix")
    assert dgram[3] == "DGRAM UNCONN /tmp/d"


def test_a_served_file_names_its_server_and_the_server_its_path(files: dict[str, Any]) -> None:
    (channel,) = [f for f in files["fortuned /tmp/fort"] if f[3]]
    assert channel[3] == "serving /tmp/fort"
    client = files["sleep 53"][0]
    assert client[:3] == ("0r", "CHR", "/tmp/fort") and client[3].startswith("served by ")
    assert parse_fdinfo_served("served_by:\t7 /dev/fortune (gone)\n") == "served by 7 (gone)"
    assert parse_fdinfo_served("table:\tfiles\n") == "serving the files table"
    assert parse_fdinfo_served("pos:\t0\n") == ""


def test_a_socket_missing_from_net_unix_is_still_a_socket() -> None:
    k = machine(["/bin/sh", "-c", "nc -lU /tmp/s & sleep 100"])
    k.run(until=SECOND)
    host = HostClient(k)
    pid = next(r.pid for r in ProcView(host).processes() if r.command.startswith("nc"))
    (f,) = open_files(host, pid, [(3, "socket:[999999]")])
    k.shutdown()
    assert (f.type, f.socket, f.detail) == ("unix", None, "")


def make_app() -> LibkApp:
    info = fast_info()
    costs = dataclasses.replace(info.clock.costs, checkpoint=100_000)
    info = dataclasses.replace(info, clock=dataclasses.replace(info.clock, costs=costs))
    app = LibkApp(info, autorun=False)
    app.theme = "textual-dark"
    app.animation_level = "none"
    return app


def test_details_of_a_process_with_a_socket_and_a_fifo(
    snap_compare: Any, installed_programs: dict[str, Any]
) -> None:
    """``nc -lU`` reading a pipe (fd 0), writing into a FIFO that ``cat`` reads (fd 1)
    and listening on a socket (fd 3): the details view scrolled to its open files."""
    lines = ["mkfifo /tmp/f", "cat /tmp/f &", "sleep 100 | nc -lU /tmp/s > /tmp/f &"]

    async def run_before(pilot: Any) -> None:
        app = pilot.app
        m = app.machine
        m.run_until_idle()
        app.sync()
        await pilot.pause()
        for line in lines:
            await pilot.press(*line, "enter")
            m.run_for(50 * MS)
        m.run_for(SECOND)
        app.sync()
        app.action_show_pane("processes")
        await pilot.pause()
        pane = app.query_one("#processes")
        pane.table.focus()
        pane.select_pid(max(pane.rows))  # nc, the pipeline's last
        await pilot.press("d", "f11")
        await pilot.pause()
        # Scroll the details to their "Open files" heading, as a user would.
        d = pane.view.details(pane.selected_pid)
        console = Console(width=pane.details_view.content_region.width, record=True)
        console.print(render_details(d, "nc -lU /tmp/s"))
        heading = console.export_text().splitlines().index("Open files")
        app.query_one("#proc-details").scroll_to(y=heading, animate=False)
        await pilot.pause()

    app = make_app()
    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)
    app.machine.kernel.shutdown()  # nc's clean-up awaits: close it now, not in the GC
