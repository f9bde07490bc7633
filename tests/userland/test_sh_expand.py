"""The expander and the grammar on tricky input, compared with what dash prints."""

from __future__ import annotations

import shutil
import subprocess

import pytest

from tui.headless import run_command

CASES = [
    # nested quotes
    """echo "a 'b' \\"c $(echo "d 'e'" | cat) f\\" g" """,
    """x='it'"'"'s'; echo "$x" '$x' "\\$x" \\'""",
    """echo "$(echo "$(echo "deep inner")")" `echo 'back' "q"`""",
    # "$@" and "$*" with spaces
    """set -- 'a  b' '' c; for x in "$@"; do echo "[$x]"; done; echo $#""",
    """set -- 'a  b' c; IFS=:; echo "$*"; unset IFS; echo "$*"; printf '<%s>' $@; echo""",
    """set --; for x in "$@"; do echo never; done; echo "[$@]" "[$*]" $#""",
    """f() { printf '<%s>' "$@"; echo; }; f 'one two' "" three; f""",
    # here-documents inside functions and loops
    """f() { cat <<EOF\nline $1\n  \\$not $(echo sub)\nEOF\n}; f first; f 'sec ond'""",
    """g() {\n\tcat <<-X\n\t\ttabbed $1\n\tX\n}; g z""",
    """for i in 1 2; do cat <<'Q'\nraw $i\nQ\ndone""",
    # parameter operators
    """v=a/b/c.tar.gz; echo ${v##*/} ${v%/*} ${v%%.*} ${#v} ${u:-def} ${u-x} ${v:+set}""",
    """echo ${u:=assigned} $u; e=; echo "[${e:-dflt}][${e-dflt}]" """,
    """x=5; echo $((x*2+1)) $(( (x>3) ? 10 : 20 )) $((x<<2)) $((-x % 3))""",
    # field splitting and globbing
    """x='a:b::c'; IFS=:; for f in $x; do echo "[$f]"; done""",
    """x='  a   b  '; set -- $x; echo $#; y="$x"; echo "[$y]" """,
    """cd /bin && echo e*o [c]at nomatch* 'ech'* """,
    # control flow
    """i=0; until [ $i -ge 3 ]; do i=$((i+1)); [ $i -eq 2 ] && continue; echo $i; done""",
    """case "a b" in a\\ b) echo escaped;; *) echo no;; esac; case x in [!y]) echo neg;; esac""",
    """f() { return 4; }; f; echo $?; ! f; echo $?; (exit 9); echo $?""",
    """a=1 b=2; echo $a$b; { echo grouped; echo two; } | while read l; do echo "<$l>"; done""",
]


def _batch() -> tuple[list[str], list[str] | None]:
    sep = "echo '-----'"
    script = f"\n{sep}\n".join(f"( {c}\n)" for c in CASES) + "\n"
    ours = run_command(script)[0].split("-----\n")
    host = None
    if shutil.which("dash"):
        host = subprocess.run(
            ["dash", "-c", script], capture_output=True, text=True, cwd="/"
        ).stdout.split("-----\n")
    return ours, host


@pytest.mark.skipif(not shutil.which("dash"), reason="compares with dash")
def test_expansions_and_grammar_match_dash() -> None:
    ours, host = _batch()
    assert host is not None
    assert len(ours) == len(CASES)
    for case, mine, theirs in zip(CASES, ours, host, strict=True):
        assert mine == theirs, case


def test_dollar_at_keeps_spaces() -> None:
    out = run_command("""set -- 'a  b' c; for x in "$@"; do echo "[$x]"; done""")[0]
    assert out == "[a  b]\n[c]\n"
