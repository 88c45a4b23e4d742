"""Confining a query worker: no network sockets at all, and a memory cap.

pyoxigraph performs ``SERVICE`` calls itself. Admission refuses them, and this is
the second layer: a seccomp filter makes ``socket()`` fail for every address
family but ``AF_UNIX`` (the worker's pipe to the web process keeps working), so a
query that admission ever misread still reaches nothing. The memory cap is
``RLIMIT_DATA``: an allocation past it fails, the worker stops, and the pool
replaces it and answers the query with a clear error.
"""

from __future__ import annotations

import resource
import socket

#: Address families a confined worker may still open sockets in.
ALLOWED_FAMILIES = (socket.AF_UNIX,)


def forbid_network() -> str | None:
    """Install the seccomp filter in this process; the reason it could not be, or None."""
    try:
        import pyseccomp as seccomp
    except (ImportError, OSError) as err:  # the package, or libseccomp, is missing
        return f"seccomp is not available here ({err})"
    try:
        rules = seccomp.SyscallFilter(seccomp.ALLOW)
        for family in range(1, 64):
            if family not in ALLOWED_FAMILIES:
                rules.add_rule(seccomp.ERRNO(1), "socket", seccomp.Arg(0, seccomp.EQ, family))
        rules.load()
    except (OSError, RuntimeError, ValueError) as err:
        return f"the seccomp filter could not be installed ({err})"
    return None


def network_is_forbidden() -> bool:
    """Whether this process can no longer open an IPv4 or IPv6 socket."""
    for family in (socket.AF_INET, socket.AF_INET6):
        try:
            socket.socket(family, socket.SOCK_STREAM).close()
        except PermissionError:
            continue
        except OSError:  # the family is absent from this kernel: nothing to reach with it
            continue
        return False
    return True


def cap_memory(extra_bytes: int) -> None:
    """Let this process's data grow by at most ``extra_bytes`` past what it holds now."""
    held = _data_bytes()
    _soft, hard = resource.getrlimit(resource.RLIMIT_DATA)
    limit = held + extra_bytes
    if hard != resource.RLIM_INFINITY:
        limit = min(limit, hard)
    resource.setrlimit(resource.RLIMIT_DATA, (limit, hard))


def _data_bytes() -> int:
    """This process's data segment and private writable mappings (``VmData``)."""
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmData:"):
                return int(line.split()[1]) * 1024
    return 0
