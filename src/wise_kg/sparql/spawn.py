"""Starting helper processes: from a clean fork server, without the parent's main module."""

from __future__ import annotations

import multiprocessing
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
    and not spawned afresh (each would import everything again).
    """
    forkserver = multiprocessing.get_context("forkserver")
    forkserver.set_forkserver_preload(PRELOAD)
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
