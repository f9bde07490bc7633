"""errno values, their messages, and Error: the one error type of the ABI."""

from __future__ import annotations

_ERRNO = [
    ("EPERM", 1, "Operation not permitted"),
    ("ENOENT", 2, "No such file or directory"),
    ("ESRCH", 3, "No such process"),
    ("EINTR", 4, "Interrupted system call"),
    ("EIO", 5, "Input/output error"),
    ("ENXIO", 6, "No such device or address"),
    ("E2BIG", 7, "Argument list too long"),
    ("ENOEXEC", 8, "Exec format error"),
    ("EBADF", 9, "Bad file descriptor"),
    ("ECHILD", 10, "No child processes"),
    ("EAGAIN", 11, "Resource temporarily unavailable"),
    ("ENOMEM", 12, "Cannot allocate memory"),
    ("EACCES", 13, "Permission denied"),
    ("EFAULT", 14, "Bad address"),
    ("EBUSY", 16, "Device or resource busy"),
    ("EEXIST", 17, "File exists"),
    ("EXDEV", 18, "Invalid cross-device link"),
    ("ENODEV", 19, "No such device"),
    ("ENOTDIR", 20, "Not a directory"),
    ("EISDIR", 21, "Is a directory"),
    ("EINVAL", 22, "Invalid argument"),
    ("ENFILE", 23, "Too many open files in system"),
    ("EMFILE", 24, "Too many open files"),
    ("ENOTTY", 25, "Inappropriate ioctl for device"),
    ("EFBIG", 27, "File too large"),
    ("ENOSPC", 28, "No space left on device"),
    ("ESPIPE", 29, "Illegal seek"),
    ("EROFS", 30, "Read-only file system"),
    ("EMLINK", 31, "Too many links"),
    ("EPIPE", 32, "Broken pipe"),
    ("ERANGE", 34, "Numerical result out of range"),
    ("EDEADLK", 35, "Resource deadlock avoided"),
    ("ENAMETOOLONG", 36, "File name too long"),
    ("ENOSYS", 38, "Function not implemented"),
    ("ENOTEMPTY", 39, "Directory not empty"),
    ("ELOOP", 40, "Too many levels of symbolic links"),
    ("ETIME", 62, "Timer expired"),
    ("ENOTSOCK", 88, "Socket operation on non-socket"),
    ("EDESTADDRREQ", 89, "Destination address required"),
    ("EMSGSIZE", 90, "Message too long"),
    ("EPROTOTYPE", 91, "Protocol wrong type for socket"),
    ("ENOPROTOOPT", 92, "Protocol not available"),
    ("EPROTONOSUPPORT", 93, "Protocol not supported"),
    ("ESOCKTNOSUPPORT", 94, "Socket type not supported"),
    ("ENOTSUP", 95, "Operation not supported"),
    ("EAFNOSUPPORT", 97, "Address family not supported by protocol"),
    ("EADDRINUSE", 98, "Address already in use"),
    ("EADDRNOTAVAIL", 99, "Cannot assign requested address"),
    ("ECONNRESET", 104, "Connection reset by peer"),
    ("ENOBUFS", 105, "No buffer space available"),
    ("EISCONN", 106, "Transport endpoint is already connected"),
    ("ENOTCONN", 107, "Transport endpoint is not connected"),
    ("ETOOMANYREFS", 109, "Too many references: cannot splice"),
    ("ETIMEDOUT", 110, "Connection timed out"),
    ("ECONNREFUSED", 111, "Connection refused"),
    ("EALREADY", 114, "Operation already in progress"),
    ("ECANCELED", 125, "Operation canceled"),
    # libk's own: a thread id given to kill(). Threads are never killed.
    (
        "EISTHREAD",
        200,
        "Is a thread, and threads are never killed; ask it to leave with "
        "thread_request_exit(tid) instead",
    ),
]

ERRNO_NAMES: dict[int, str] = {num: name for name, num, _ in _ERRNO}
ERRNO_MESSAGES: dict[int, str] = {num: msg for _, num, msg in _ERRNO}

EPERM = 1
ENOENT = 2
ESRCH = 3
EINTR = 4
EIO = 5
ENXIO = 6
E2BIG = 7
ENOEXEC = 8
EBADF = 9
ECHILD = 10
EAGAIN = 11
ENOMEM = 12
EACCES = 13
EFAULT = 14
EBUSY = 16
EEXIST = 17
EXDEV = 18
ENODEV = 19
ENOTDIR = 20
EISDIR = 21
EINVAL = 22
ENFILE = 23
EMFILE = 24
ENOTTY = 25
EFBIG = 27
ENOSPC = 28
ESPIPE = 29
EROFS = 30
EMLINK = 31
EPIPE = 32
ERANGE = 34
EDEADLK = 35
ENAMETOOLONG = 36
ENOSYS = 38
ENOTEMPTY = 39
ELOOP = 40
ETIME = 62
ENOTSOCK = 88
EDESTADDRREQ = 89
EMSGSIZE = 90
EPROTOTYPE = 91
ENOPROTOOPT = 92
EPROTONOSUPPORT = 93
ESOCKTNOSUPPORT = 94
ENOTSUP = 95
EOPNOTSUPP = ENOTSUP
EAFNOSUPPORT = 97
EADDRINUSE = 98
EADDRNOTAVAIL = 99
ECONNRESET = 104
ENOBUFS = 105
EISCONN = 106
ENOTCONN = 107
ETOOMANYREFS = 109
ETIMEDOUT = 110
ECONNREFUSED = 111
EALREADY = 114
ECANCELED = 125
EISTHREAD = 200
EWOULDBLOCK = EAGAIN


def strerror(errno: int) -> str:
    """Return the message for an errno value, like C's strerror(3)."""
    return ERRNO_MESSAGES.get(errno, f"Unknown error {errno}")


class Error(Exception):
    """The one error type of the ABI: a failed system call.

    Attributes:
        errno: the errno value (``ENOENT``, …).
        message: the human message; ``strerror(errno)`` unless the kernel said more.
    """

    __slots__ = ("errno", "message")

    def __init__(self, errno: int, message: str | None = None) -> None:
        super().__init__(errno, message)
        self.errno = errno
        self.message = message if message is not None else strerror(errno)

    @property
    def name(self) -> str:
        """The symbolic name (``"ENOENT"``)."""
        return ERRNO_NAMES.get(self.errno, str(self.errno))

    def __str__(self) -> str:
        return self.message

    def __repr__(self) -> str:
        return f"Error({self.name}, {self.message!r})"
