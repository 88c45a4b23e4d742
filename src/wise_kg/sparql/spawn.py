"""Starting helper processes: from a clean fork server, without the parent's main module."""

from __future__ import annotations

import multiprocessing
import multiprocessing.forkserver
import os
import sys
import threading
import types
from collections.abc import Iterator
from contextlib import contextmanager

#: What the fork server imports once, so that the processes it starts begin with it.
PRELOAD = ["wise_kg.sparql.zygote", "wise_kg.formats", "pyoxigraph"]


def context() -> multiprocessing.context.BaseContext:
    """Processes are forked from a clean server process that has imported their modules once.

    Not forked from the web process (its threads and open store must not be copied),
    and not spawned afresh (each would import everything again). The fork server is
    started here, on the caller's thread, with huge pages asked for
    (:func:`with_huge_pages`); the processes forked from it keep them.
    """
    forkserver = multiprocessing.get_context("forkserver")
    forkserver.set_forkserver_preload(PRELOAD)
    with without_main_module(), with_huge_pages():
        multiprocessing.forkserver.ensure_running()
    return forkserver


_MAIN_LOCK = threading.Lock()


@contextmanager
def without_main_module() -> Iterator[None]:
    """Start processes without the parent's main module.

    multiprocessing has a forkserver (or spawn) child import the main module of the
    process that asks for it. For ``wise-kg serve`` that is the whole CLI: a query worker
    took 0.95 s to start instead of 0.13, and held every module of the web app. A child
    needs none of it (its code is in the module of its target, which it imports), so while
    it is started ``__main__`` is an empty module; it is put back at once.
    """
    with _MAIN_LOCK:
        main = sys.modules["__main__"]
        sys.modules["__main__"] = types.ModuleType("__main__")
        try:
            yield
        finally:
            sys.modules["__main__"] = main


#: glibc's malloc tunable asking the kernel for transparent huge pages (glibc 2.35 on).
HUGE_PAGES = "glibc.malloc.hugetlb"
_ENVIRONMENT_LOCK = threading.Lock()


@contextmanager
def with_huge_pages() -> Iterator[None]:
    """Start programs whose C heap is backed by transparent huge pages.

    The engine's in-memory copy of a build is one large heap read at random: with 4 KiB
    pages most of its reads miss the TLB, which costs twice the page walk on a virtual
    machine. On this project's benchmark machine a worker's substring search took 4.3 ms
    with huge pages against 5.5 ms without (median of 7 processes each). glibc reads
    ``GLIBC_TUNABLES`` when a program starts, so the tunable is in this process's
    environment while the fork server starts (:func:`context`, once, before any query
    worker); the processes forked from it keep it. An operator's own value is kept
    (``GLIBC_TUNABLES=glibc.malloc.hugetlb=0`` turns this off); a kernel whose
    transparent huge pages are ``never`` ignores it, as do older glibcs.
    """
    with _ENVIRONMENT_LOCK:
        before = os.environ.get("GLIBC_TUNABLES")
        os.environ["GLIBC_TUNABLES"] = tunables(before)
        try:
            yield
        finally:
            if before is None:
                del os.environ["GLIBC_TUNABLES"]
            else:
                os.environ["GLIBC_TUNABLES"] = before


def tunables(given: str | None) -> str:
    """``GLIBC_TUNABLES`` with huge pages asked for, unless it says otherwise already.

    >>> tunables(None), tunables("glibc.malloc.hugetlb=0")
    ('glibc.malloc.hugetlb=1', 'glibc.malloc.hugetlb=0')
    >>> tunables("glibc.malloc.arena_max=2")
    'glibc.malloc.arena_max=2:glibc.malloc.hugetlb=1'
    """
    names = [item.partition("=")[0] for item in (given or "").split(":") if item]
    if HUGE_PAGES in names:
        return given or ""
    return ":".join([*filter(None, [given]), f"{HUGE_PAGES}=1"])
