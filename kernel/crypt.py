"""Password hashing: crypt(3)'s self-describing strings over a real key-derivation function.

Userland may not hash (it only makes system calls), so the kernel offers ``crypt``:
given a password and a *setting* (a stored hash, or just its prefix with a salt), it
returns the hash in the same format. ``su`` and ``passwd`` (setuid root) read
/etc/shadow themselves and compare, as Linux's do with libcrypt.

Formats (the fields of shadow(5)'s second column):

``$libk-scrypt$ln=L,r=R,p=P$SALT$HASH``
    scrypt (RFC 7914) with N = 2**L, block size R, parallelism P; SALT is up to 64
    characters of ``./0-9A-Za-z``; HASH is 32 bytes in crypt's base64 (43 characters).
``$pbkdf2-sha256$ROUNDS$SALT$HASH``
    PBKDF2-HMAC-SHA256 with ROUNDS iterations (1000 .. 10**7), same salt and hash rules.

An empty field means no password; one starting with ``!`` or ``*`` never matches.
"""

from __future__ import annotations

import hashlib
import re

from kernel.abi import EINVAL, Error

SCRYPT = "libk-scrypt"
PBKDF2 = "pbkdf2-sha256"
DEFAULT_LOG_N = 14
DEFAULT_R = 8
DEFAULT_P = 1
DEFAULT_ROUNDS = 100_000
HASH_BYTES = 32
SALT_ALPHABET = _B64 = "./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
_SALT = "[./0-9A-Za-z]{1,64}"
_SCRYPT_RE = re.compile(rf"\$libk-scrypt\$ln=(\d{{1,2}}),r=(\d{{1,2}}),p=(\d{{1,2}})\$({_SALT})")
_PBKDF2_RE = re.compile(rf"\$pbkdf2-sha256\$(\d{{4,8}})\$({_SALT})")
_HASH_RE = re.compile(r"\$[./0-9A-Za-z]{43}")


def b64(data: bytes) -> str:
    """``data`` in crypt's base64 alphabet (``./0-9A-Za-z``), without padding."""
    bits = int.from_bytes(data, "big") << (-len(data) * 8) % 6
    n = (len(data) * 8 + 5) // 6
    return "".join(_B64[(bits >> (6 * (n - 1 - i))) & 63] for i in range(n))


def crypt(key: str, setting: str) -> str:
    """Hash ``key`` with the method, parameters and salt that ``setting`` names.

    Args:
        key: the password.
        setting: a full hash, or its prefix up to and including the salt.

    Returns:
        The complete hash string; equal to a stored hash exactly when the password is right.

    Raises:
        Error: EINVAL if ``setting`` is not a supported, well-formed method.
    """
    secret = key.encode()
    m = _SCRYPT_RE.match(setting)
    if m is not None:
        log_n, r, p, salt = int(m[1]), int(m[2]), int(m[3]), m[4]
        if not (10 <= log_n <= 20 and 1 <= r <= 32 and 1 <= p <= 16) or not _tail_ok(setting, m):
            raise Error(EINVAL)
        digest = hashlib.scrypt(
            secret, salt=salt.encode(), n=1 << log_n, r=r, p=p, maxmem=256 << 20, dklen=HASH_BYTES
        )
        return f"${SCRYPT}$ln={log_n},r={r},p={p}${salt}${b64(digest)}"
    m = _PBKDF2_RE.match(setting)
    if m is not None:
        rounds, salt = int(m[1]), m[2]
        if not 1000 <= rounds <= 10**7 or not _tail_ok(setting, m):
            raise Error(EINVAL)
        digest = hashlib.pbkdf2_hmac("sha256", secret, salt.encode(), rounds, HASH_BYTES)
        return f"${PBKDF2}${rounds}${salt}${b64(digest)}"
    raise Error(EINVAL)


def _tail_ok(setting: str, m: re.Match[str]) -> bool:
    """After the salt: nothing, a lone ``$``, or ``$`` and a 43-character hash."""
    tail = setting[m.end() :]
    return tail in ("", "$") or _HASH_RE.fullmatch(tail) is not None


def is_hash(field: str) -> bool:
    """Whether ``field`` is a complete hash in a supported format."""
    for pattern in (_SCRYPT_RE, _PBKDF2_RE):
        m = pattern.match(field)
        if m is not None:
            return _HASH_RE.fullmatch(field[m.end() :]) is not None
    return False


def image_password(text: str) -> tuple[str, bool]:
    """A machine image's ``password`` value as (shadow field, is plain text).

    A ``$`` hash must be well formed; ``!``/``*`` lock the account; ``""`` is no
    password; anything else is a plain text for boot to hash.

    Raises:
        ValueError: with the message for the image's error.
    """
    if text.startswith("$"):
        if not is_hash(text):
            raise ValueError(
                "not a supported hash (use $libk-scrypt$ or $pbkdf2-sha256$, "
                "or give the password in plain text)"
            )
        return text, False
    if text.startswith(("!", "*")):
        if ":" in text or "\n" in text:
            raise ValueError("a locked entry may not contain ':' or a newline")
        return text, False
    return text, bool(text)


def hash_password(key: str, salt: str) -> str:
    """A scrypt hash of ``key`` with the default parameters and ``salt`` (what boot writes).

    Args:
        key: the password.
        salt: 1 to 64 characters of :data:`SALT_ALPHABET`.
    """
    return crypt(key, f"${SCRYPT}$ln={DEFAULT_LOG_N},r={DEFAULT_R},p={DEFAULT_P}${salt}")


def sys_crypt(k: object, t: object, key: str, setting: str) -> str:
    """crypt(key, setting): the hash of ``key`` in the format and salt of ``setting``."""
    return crypt(key, setting)
