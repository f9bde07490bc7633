"""``libk-tui``: the command-line entry point of every front end.

``libk-tui [IMAGE]`` boots the machine and opens the Textual app (``tui.app``);
``--plain`` gives its console in this terminal (``tui.repl``); ``--headless`` runs
it without a screen (``-c CMD``, or a script on standard input) and exits with the
shell's status. ``-c CMD`` also works with ``--plain`` (the command runs in this
terminal, then the machine powers off), and is a usage error without one of them.
Usage errors and image mistakes (printed as ``file:line:col: message``) exit 2.
"""

from __future__ import annotations

import argparse
import sys
import time

EXIT_USAGE = 2


def build_parser() -> argparse.ArgumentParser:
    """The command line."""
    from kernel.kernel import RELEASE

    p = argparse.ArgumentParser(
        prog="libk-tui",
        description="Boot a simulated machine described in a YAML file and use its console.",
    )
    p.add_argument("image", nargs="?", help="machine file (default: the embedded default.yaml)")
    mode = p.add_mutually_exclusive_group()
    mode.add_argument(
        "--plain",
        action="store_true",
        help="the console in this terminal (prompt-toolkit line editing), no panes; "
        "the session ends when the login shell exits",
    )
    mode.add_argument(
        "--headless",
        action="store_true",
        help="no screen: run -c CMD (or a script on stdin), print the console, "
        "exit with the shell's status",
    )
    p.add_argument(
        "-c",
        dest="command",
        metavar="CMD",
        help="with --headless or --plain: run the shell command CMD instead of a login "
        "shell, then power off and exit with its status",
    )
    p.add_argument(
        "--realtime",
        action="store_true",
        help="with --headless: pace the virtual clock to the host's "
        "(default: fast, idle time is skipped)",
    )
    p.add_argument("--speed", type=float, default=None, help="realtime speed factor (0.1 to 100)")
    p.add_argument("--version", action="version", version=f"libk-tui {RELEASE}")
    return p


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``libk-tui`` console script."""
    args = build_parser().parse_args(argv)
    if args.command is not None and not (args.headless or args.plain):
        sys.stderr.write("libk-tui: -c needs --headless or --plain\n")
        return EXIT_USAGE
    from kernel import boot
    from kernel.image import ImageError

    try:
        info = boot.load(args.image)
    except ImageError as err:
        sys.stderr.write(f"{err}\n")
        return EXIT_USAGE
    if args.speed is not None and not 0.1 <= args.speed <= 100:
        sys.stderr.write("libk-tui: --speed must be between 0.1 and 100\n")
        return EXIT_USAGE
    if args.headless:
        return headless(info, args)
    if args.plain:
        from tui.repl import run_plain

        return run_plain(info, speed=args.speed, command=args.command)
    from tui.app import LibkApp

    app = LibkApp(info, speed=args.speed)
    status = app.run()
    if app.machine.panic_report is not None:
        sys.stderr.write(app.machine.panic_report + "\n")
        return 70
    return status if isinstance(status, int) else 0


def headless(info: object, args: argparse.Namespace) -> int:
    """``--headless``: run a command or a script and print the console."""
    from kernel import boot
    from tui.headless import quiet_console, run_machine, stdin_reader

    if args.command is not None:
        command = args.command
        read_input = None if sys.stdin is None or sys.stdin.closed else stdin_reader()
    else:
        command = sys.stdin.read() if sys.stdin is not None else ""
        read_input = None
    machine = boot.with_init(info, ["/bin/sh", "-c", command])  # type: ignore[arg-type]
    k = boot.boot(machine)
    k.host_clock = time.perf_counter_ns  # clock_gettime(CLOCK_HOST): benchmarks' host cost
    quiet_console(k)
    speed = args.speed if args.speed is not None else machine.clock.speed
    try:
        return run_machine(k, realtime=args.realtime, speed=speed, read_input=read_input)
    except KeyboardInterrupt:  # ^C on the host: power the machine off, quietly
        if not k.halted:
            k.power_off(130)
        k.shutdown()  # in case the interrupt came in the middle of a run
        return 130


if __name__ == "__main__":
    raise SystemExit(main())
