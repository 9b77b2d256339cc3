"""How many files and connections this process may hold open (POSIX `RLIMIT_NOFILE`), and the share a server or an
upstream pool may take of them.

Every connection is a file descriptor. macOS starts GUI apps with a soft limit of 256 and Linux desktops with 1,024,
while the hard limit is far higher: a busy bridge (each proxied request is a local connection and an upstream one)
would run out long before the machine does. So the soft limit is raised to the hard one once, at start, where the OS
allows it (nothing to do on Windows, which has no such per-process limit for sockets). What is left is shared out by
`connection_cap`: the local server, the upstream pool and (in tests and the demo) the sandbox in the same process each
get a quarter, so that together they never take the last descriptors and a new connection is refused with an answer
that says why, not with a failure deep inside.
"""

from __future__ import annotations

import errno
import functools
import sys

MACOS_OPEN_MAX = 10240  # what macOS accepts as a soft limit when the hard one is "unlimited" (its OPEN_MAX)
RESERVE = 64  # the interpreter, its libraries, logs, settings, the keychain, pipes to child processes
MAX_CAP = 1000  # more simultaneous connections than any set of IDEs opens; a flood beyond it is turned away
MIN_CAP = 8
# this process's limit, the whole system's, and Windows' own code for sockets (where `errno` carries the WSA code)
OUT_OF_DESCRIPTORS = frozenset({errno.EMFILE, errno.ENFILE, getattr(errno, "WSAEMFILE", errno.EMFILE)})


@functools.cache
def raise_open_files_limit() -> int | None:
    """Raise the soft limit on open files to the hard one (once per process); the soft limit in force afterwards, or
    None where there is none to read (Windows)."""
    try:
        import resource
    except ImportError:  # Windows
        return None
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = [hard] if hard != resource.RLIM_INFINITY else []
    if sys.platform == "darwin":
        wanted.append(min(hard, MACOS_OPEN_MAX) if hard != resource.RLIM_INFINITY else MACOS_OPEN_MAX)
    for target in wanted:
        if target <= soft:
            break
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
        except (ValueError, OSError):  # macOS refuses more than OPEN_MAX whatever the hard limit says
            continue
        soft = target
        break
    return soft if soft != resource.RLIM_INFINITY else None


def connection_cap() -> int:
    """How many connections one server (or one upstream pool) of this process may hold at once: a quarter of the
    descriptors left after `RESERVE`, between `MIN_CAP` and `MAX_CAP` (MAX_CAP where the OS sets no limit)."""
    limit = raise_open_files_limit()
    if limit is None:
        return MAX_CAP
    return max(MIN_CAP, min(MAX_CAP, (limit - RESERVE) // 4))


def out_of_descriptors(exc: BaseException | None) -> bool:
    """Whether `exc`, or an exception it was raised from, is the OS saying it has no file descriptor left (EMFILE:
    this process has all it may have; ENFILE: the whole system has)."""
    seen = 0
    while exc is not None and seen < 8:
        if isinstance(exc, OSError) and exc.errno in OUT_OF_DESCRIPTORS:
            return True
        exc = exc.__cause__ or exc.__context__
        seen += 1
    return False
