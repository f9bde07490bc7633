"""``sh``: the shell program: options, start-up files, and the command loop.

``sh -c 'cmd' [name [args…]]`` runs a string; ``sh script [args…]`` a file; with
neither, commands come from standard input — interactively (prompts, job control, ^C
interrupting the job and not the shell) when it is a terminal, or ``-i`` says so.
Scripts run command by command, so a syntax error on line 5 stops the script there,
after lines 1–4 ran.
"""

from __future__ import annotations

from kernel.abi import (
    EINTR,
    SIG_CATCH,
    SIG_IGN,
    SIGINT,
    SIGQUIT,
    SIGTSTP,
    SIGTTIN,
    SIGTTOU,
    TCGETS,
    TIOCSPGRP,
    Error,
)
from userland.libk import io as kio
from userland.libk import sys
from userland.sh.builtins import run_source
from userland.sh.builtins_cd import initial_pwd
from userland.sh.builtins_history import record
from userland.sh.interp import FunctionReturn, LoopControl, Shell, ShellExit
from userland.sh.parser import IncompleteInput, Parser, ShSyntaxError
from userland.sh.substate import STATE_VAR, run_child

USAGE = "Usage: sh [-eiluxC] [-o option] [-c command [name [arg…]] | script [arg…]]\n"
HELP = """The libk shell: a POSIX command interpreter with job control.
  -c command  run command, then exit (name and args become $0, $1, ...)
  -e          exit when a command fails (set -e)
  -i          interactive, even if standard input is not a terminal
  -l          login shell: read /etc/profile and ~/.profile first
  -u          using an unset variable is an error (set -u)
  -x          print commands as they run (set -x)
  -C          do not overwrite files with > (set -C)
  -o option   set an option by name (set -o lists them)
With no command and no script, commands are read from standard input.
Type 'help' in the shell for its builtins; man sh for the whole story.
"""


async def isatty(fd: int) -> bool:
    """Is ``fd`` a terminal?"""
    try:
        await sys.ioctl(fd, TCGETS)
        return True
    except Error:
        return False


async def prompt_text(sh: Shell, template: str) -> str:
    """Expand the prompt escapes ``\\u \\h \\w \\W \\$ \\n``."""
    out = []
    i = 0
    while i < len(template):
        c = template[i]
        if c == "\\" and i + 1 < len(template):
            e = template[i + 1]
            i += 2
            if e == "u":
                out.append(sh.get("USER") or str(await sys.geteuid()))
            elif e == "h":
                out.append((await sys.uname()).nodename.split(".")[0])
            elif e in "wW":
                home = sh.get("HOME") or ""
                cwd = sh.cwd
                if home and home != "/" and (cwd == home or cwd.startswith(home + "/")):
                    cwd = "~" + cwd[len(home) :]
                out.append(cwd if e == "w" else (cwd.rsplit("/", 1)[-1] or "/"))
            elif e == "$":
                out.append("#" if await sys.geteuid() == 0 else "$")
            elif e == "n":
                out.append("\n")
            else:
                out.append("\\" + e)
            continue
        out.append(c)
        i += 1
    return "".join(out)


async def source_file(sh: Shell, path: str) -> None:
    """Run a start-up file if it exists."""
    try:
        text = (await kio.read_file(sh.abspath(path))).decode(errors="replace")
    except Error:
        return
    await run_source(sh, text, {0: 0, 1: 1, 2: 2})


async def read_command_line(sh: Shell, reader: kio.LineReader) -> bytes | None:
    """The next line typed at the prompt, or None when ^C cancelled it.

    While the shell waits here SIGINT is caught, not ignored, so ^C interrupts the
    read (the terminal has dropped the typed line and echoed ``^C``): the command loop
    then starts again with a fresh prompt and ``$?`` 130, as in dash and bash.
    """
    catch = sh.jobctl
    if catch:
        await sys.sigaction(SIGINT, SIG_CATCH)
    try:
        while True:
            try:
                return await reader.readline()
            except Error as err:
                if err.errno != EINTR:
                    raise
            if not catch:
                await sh.run_traps()
                continue
            sigs = await sys.sigtake()
            for sig in sigs:
                if sh.traps.get(sig):
                    await sh.run_trap_action(sh.traps[sig])
            if SIGINT in sigs:
                return None
    except GeneratorExit:  # the machine is going away: no system call can run any more
        catch = False
        raise
    finally:
        if catch:
            await sys.sigaction(SIGINT, SIG_CATCH if sh.traps.get(SIGINT) else SIG_IGN)


async def interactive_loop(sh: Shell) -> int:
    """Read, parse and run commands from the terminal until end of file or ``exit``."""
    reader = kio.LineReader(0)
    io = {0: 0, 1: 1, 2: 2}
    lineno = 1
    while True:
        await sh.reap_jobs(notify=True)
        await sh.write(io, 2, await prompt_text(sh, sh.get("PS1") or ""))
        buf = ""
        nodes = []
        while True:
            raw = await read_command_line(sh, reader)
            if raw is None:  # ^C: the line is dropped, a new prompt comes
                reader = kio.LineReader(0)
                sh.status = 130
                buf = ""
                nodes = []
                break
            line = raw.decode(errors="replace")
            if not line:
                if buf:
                    await sh.error("syntax error: unexpected end of file", io)
                await sh.write(io, 2, "exit\n")
                return sh.status
            buf += line
            parser = Parser(buf, first_line=lineno, aliases=sh.aliases)
            nodes = []
            try:
                while (node := parser.parse_next()) is not None:
                    nodes.append(node)
            except IncompleteInput:
                await sh.write(io, 2, await prompt_text(sh, sh.get("PS2") or "> "))
                continue
            except ShSyntaxError as err:
                sh.lineno = err.line
                await sh.error(str(err), io)
                sh.status = 2
                nodes = []
            break
        lineno += buf.count("\n")
        if buf.strip():
            await record(sh, buf)
        for node in nodes:
            try:
                await sh.run(node, io)
            except ShellExit:
                raise
            except (LoopControl, FunctionReturn):
                pass
            except Error as err:
                await sh.error(err.message, io)
                sh.status = 1


async def main(argv: list[str]) -> int:
    """The shell's entry point: runs, then the EXIT trap."""
    sh = Shell("sh")
    try:
        status = await start(sh, argv)
    except ShellExit as ex:
        status = ex.status
    except FunctionReturn as ret:  # `return` outside a function ends the script
        status = ret.status
    except LoopControl:
        status = sh.status
    except RecursionError:  # a function calling itself forever, nesting 1,000 deep...
        await sh.error("recursion too deep")
        status = 2
    try:
        return await sh.run_exit_trap(status)
    except ShellExit as ex:
        return ex.status


async def start(sh: Shell, argv: list[str]) -> int:
    """Options, start-up files, then the commands from -c, a script or standard input."""
    name = argv[0].rsplit("/", 1)[-1] if argv else "sh"
    login = name.startswith("-")
    env = await sys.environ()
    if STATE_VAR in env:  # a subshell: the parent's state, not a new shell's
        return await run_child(sh, env)
    for key, value in env.items():
        sh.set_var(key, value, export=True)
    sh.vars["PPID"] = str(await sys.getppid())
    sh.pid = await sys.getpid()
    sh.pgid = await sys.getpgid(0)
    sh.cwd = await initial_pwd(sh)
    sh.set_var("PWD", sh.cwd, export=True)
    sh.vars.setdefault("IFS", " \t\n")
    sh.vars.setdefault("PS2", "> ")
    sh.vars.setdefault("PS4", "+ ")
    sh.vars["OPTIND"] = "1"
    sh.vars.setdefault("PATH", "/bin:/usr/bin")
    command = None
    command_mode = False
    force_interactive = False
    args = argv[1:]
    if args[:1] == ["--help"]:
        await kio.write_all(1, USAGE + HELP)
        return 0
    while args and args[0].startswith(("-", "+")) and args[0] not in ("-", "--"):
        opt = args.pop(0)
        if opt.startswith("--"):
            await kio.write_all(2, f"sh: {opt}: invalid option\n{USAGE}")
            return 2
        for c in opt[1:]:
            if c == "c":
                command_mode = True  # the command is the first operand (sh -c -x 'cmd')
            elif c == "i":
                force_interactive = True
            elif c == "l":
                login = True
            elif c in "euxCafvn":
                (sh.options.add if opt[0] == "-" else sh.options.discard)(c)
            elif c == "o":
                from userland.sh.builtins import SET_OPTIONS

                flag = SET_OPTIONS.get(args.pop(0) if args else "")
                if flag is None:
                    await kio.write_all(2, f"sh: -o: invalid option\n{USAGE}")
                    return 2
                (sh.options.add if opt[0] == "-" else sh.options.discard)(flag)
            elif c == "s":
                pass
            else:
                await kio.write_all(2, f"sh: -{c}: invalid option\n{USAGE}")
                return 2
    if args and args[0] in ("-", "--"):
        args.pop(0)
    if command_mode:
        if not args:
            await kio.write_all(2, "sh: 0: -c requires an argument\n")
            return 2
        command = args.pop(0)
    try:
        if command is not None:
            if args:
                sh.name = args[0]
                sh.positional = args[1:]
            return await run_source(sh, command, {0: 0, 1: 1, 2: 2})
        if args:
            script = args[0]
            sh.name = script
            sh.positional = args[1:]
            try:
                text = (await kio.read_file(sh.abspath(script))).decode(errors="replace")
            except Error as err:
                await kio.write_all(2, f"sh: 0: cannot open {script}: {err.message}\n")
                return 127 if err.errno == 2 else 126
            return await run_source(sh, text, {0: 0, 1: 1, 2: 2})
        sh.interactive = force_interactive or (await isatty(0) and await isatty(2))
        if sh.interactive:
            await setup_job_control(sh)
            sh.vars.setdefault("PS1", "\\u@\\h:\\w\\$ ")
        if login:
            await source_file(sh, "/etc/profile")
            await source_file(sh, (sh.get("HOME") or "/") + "/.profile")
            if sh.interactive:
                try:
                    await kio.write_all(1, await kio.read_file("/etc/motd"))
                except Error:
                    pass
        if sh.interactive:
            await source_file(sh, sh.get("ENV") or (sh.get("HOME") or "/") + "/.shrc")
            return await interactive_loop(sh)
        text = (await kio.read_all(0)).decode(errors="replace")
        return await run_source(sh, text, {0: 0, 1: 1, 2: 2})
    except ShellExit as ex:
        return ex.status


async def setup_job_control(sh: Shell) -> None:
    """Ignore the job-control signals and take the terminal, as interactive shells do."""
    for sig in (SIGINT, SIGQUIT, SIGTSTP, SIGTTIN, SIGTTOU):
        await sys.sigaction(sig, SIG_IGN)
    try:
        if sh.pgid != sh.pid:
            await sys.setpgid(0, 0)
            sh.pgid = sh.pid
        await sys.ioctl(0, TIOCSPGRP, sh.pgid)
        sh.jobctl = True
        sh.tty_fd = 0
    except Error:
        sh.jobctl = False
