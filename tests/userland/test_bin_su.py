"""su's and passwd's passwords: /etc/shadow from the image, the crypt call, echo off."""

from __future__ import annotations

import dataclasses

import pytest

from kernel.abi import EINVAL, Error
from kernel.crypt import crypt, hash_password, is_hash
from kernel.image import BootInfo, ImageError, parse_image
from kernel.imagetypes import User
from tests.kernel.ksim import BASE, machine, run, run_until_idle
from tui.headless import run_command

FAIL = "su: Authentication failure\n"


@pytest.fixture(scope="module")
def info() -> BootInfo:
    """The default machine plus bob (no password), carol (plain text) and dave (locked)."""
    extra = (
        User("bob", 1001, 1001, "/home/bob"),
        User("carol", 1002, 1002, "/home/carol", password="secret", plain=True),
        User("dave", 1003, 1003, "/home/dave", password="!"),
    )
    return dataclasses.replace(BASE, users=BASE.users + extra)


def test_crypt_formats_round_trip_and_reject_malformed_settings() -> None:
    h = hash_password("pw", "abcdefghijklmnopqrstuv")
    assert is_hash(h) and h.startswith("$libk-scrypt$ln=14,r=8,p=1$")
    assert crypt("pw", h) == h and crypt("pW", h) != h
    p = crypt("pw", "$pbkdf2-sha256$1000$abc$")
    assert is_hash(p) and crypt("pw", p) == p
    for bad in ("", "$6$salt$", "$libk-scrypt$ln=40,r=8,p=1$abc$", "$pbkdf2-sha256$1000$a:b$"):
        with pytest.raises(Error) as err:
            crypt("pw", bad)
        assert err.value.errno == EINVAL


def test_shadow_is_root_only_and_holds_the_images_passwords(info: BootInfo) -> None:
    out, _ = run_command("ls -l /etc/shadow; cat /etc/shadow", info)
    lines = out.splitlines()
    assert lines[0].startswith("-rw------- 1 root root ")
    rows = {line.split(":")[0]: line.split(":") for line in lines[1:]}
    assert all(len(r) == 9 and r[3:6] == ["0", "99999", "7"] for r in rows.values())
    assert is_hash(rows["root"][1]) and crypt("root", rows["root"][1]) == rows["root"][1]
    assert crypt("alice", rows["alice"][1]) == rows["alice"][1]
    assert rows["bob"][1] == "" and rows["dave"][1] == "!"
    assert crypt("secret", rows["carol"][1]) == rows["carol"][1]  # hashed at boot
    again, _ = run_command("cat /etc/shadow", info)
    assert again == "\n".join(lines[1:]) + "\n"  # same image, same seed: same salts


def test_su_asks_and_refuses_a_wrong_password(info: BootInfo) -> None:
    out, _ = run_command("su alice -c 'su -c id'; echo st=$?", info, stdin=b"wrong\n")
    assert out == "Password: \n" + FAIL + "st=1\n"
    out, _ = run_command("su alice -c 'su -c \"id -un\"'; echo st=$?", info, stdin=b"root\n")
    assert out == "Password: \nroot\nst=0\n"
    out, _ = run_command("su alice -c 'su carol -c \"id -un\"'", info, stdin=b"secret\n")
    assert out == "Password: \ncarol\n"
    out, _ = run_command("su alice -c 'su -c id'; echo st=$?", info)  # no input at all
    assert out == "Password: \n" + FAIL + "st=1\n"


def test_root_and_passwordless_accounts_need_none_and_locked_ones_cannot(info: BootInfo) -> None:
    out, _ = run_command("su alice -c 'id -un'; su alice -c 'su bob -c \"id -un\"'", info)
    assert out == "alice\nbob\n"
    out, _ = run_command("su alice -c 'su dave -c id'; echo st=$?", info, stdin=b"\n")
    assert out == "Password: \n" + FAIL + "st=1\n"


def test_password_is_not_echoed() -> None:
    k = machine(["/bin/sh", "-c", "su alice -c 'su -c \"id -u\"'"])
    run_until_idle(k)
    k.console.feed(b"root\n")
    r = run(k)
    assert r.status == 0, r.log
    assert r.output.endswith("Password: \n0\n") and "root" not in r.output


def test_passwd_changes_ones_own_password(info: BootInfo) -> None:
    script = (
        "su alice -c passwd; echo st=$?; su bob -c 'su alice -c \"id -un\"'; "
        "su alice -c 'passwd -S'; su alice -c 'passwd root'; echo st=$?"
    )
    out, _ = run_command(script, info, stdin=b"alice\nnew1\nnew1\nnew1\n")
    assert out.splitlines() == [
        "Changing password for alice.",
        "Current password: ",
        "New password: ",
        "Retype new password: ",
        "passwd: password updated successfully",
        "st=0",
        "Password: ",
        "alice",
        "alice P 2026-01-01 0 99999 7 -1",
        "passwd: You may not view or modify password information for root.",
        "st=1",
    ]


def test_passwd_refuses_wrong_current_and_mismatched_new(info: BootInfo) -> None:
    out, _ = run_command("su alice -c passwd; echo st=$?", info, stdin=b"nope\n")
    assert out.endswith(
        "passwd: Authentication token manipulation error\npasswd: password unchanged\nst=10\n"
    )
    out, _ = run_command("passwd bob; echo st=$?; passwd -S bob", info, stdin=b"a\nb\n")
    assert "Sorry, passwords do not match.\n" in out and "st=10\n" in out
    assert out.endswith("bob NP never 0 99999 7 -1\n")  # root is not asked the old one


def test_passwd_delete_help_and_errors(info: BootInfo) -> None:
    out, _ = run_command(
        "passwd -d carol; passwd -S carol; su alice -c 'su carol -c \"id -un\"'", info
    )
    assert out == "passwd: password changed.\ncarol NP 2026-01-01 0 99999 7 -1\ncarol\n"
    out, _ = run_command("passwd --help; passwd nosuch; echo st=$?; passwd -x; echo st=$?", info)
    assert out.startswith("Usage: passwd [options] [LOGIN]\n")
    assert "passwd: user 'nosuch' does not exist\nst=1\n" in out
    assert out.endswith("st=2\n")


IMAGE = """name: t
users:
  - name: eve
    uid: 1000
    password: {pw}
"""


def test_image_password_key_checks_hashes() -> None:
    good = hash_password("x", "./salt")
    info = parse_image(IMAGE.format(pw=f'"{good}"'), "t.yaml")
    assert [u.password for u in info.users if u.name == "eve"] == [good]
    plain = parse_image(IMAGE.format(pw="hunter2"), "t.yaml")
    assert [(u.password, u.plain) for u in plain.users if u.name == "eve"] == [("hunter2", True)]
    with pytest.raises(ImageError) as err:
        parse_image(IMAGE.format(pw='"$6$abc$def"'), "t.yaml")
    assert "t.yaml:5:15" in str(err.value) and "not a supported hash" in str(err.value)


def test_su_traced_by_a_user_runs_without_root_and_cannot_read_shadow(info: BootInfo) -> None:
    out, _ = run_command(
        "su alice -c 'strace -s 200 su -c id 2>&1 | grep -e shadow -e failure'",
        info,
        stdin=b"root\n",
    )
    assert out == (
        'open("/etc/shadow", O_RDONLY) = -1 EACCES (Permission denied)\n'
        "su: Authentication failure\n"
        'write(2, "su: Authentication failure\\n", 27) = 27\n'
    )
    out, _ = run_command("strace -s 20 passwd -S alice 2>&1 | grep -c shadow", info)
    assert out == "1\n"  # root may trace it: the set-user-ID program opens the file
