"""The zygote: one process per build that holds the workers' copy of it and forks them.

A worker used to open the build itself. With ESCO loaded its memory copy took 3.4 s
to make, so a worker killed under a runaway query left the pool a worker short for
that long, and six abandoned runaways delayed a cheap query past a second. Forked
from the zygote, a worker starts with the copy already made (its pages shared with
every other worker until written) and is ready in milliseconds.

The zygote is a process of one thread, as a fork needs: it never opens the disk
store itself (:func:`~wise_kg.sparql.opened.memory_copy`). It forks a worker for
each request of the pool, over a control pipe that also hands it the worker's end of
the worker's pipe, and it reaps the workers: the pool asks it how one ended (killed
for its memory, crashed) to tell the client. A build that is not copied (too large, or
on a remote engine) still goes through the zygote; each worker then opens it itself.
"""

from __future__ import annotations

import contextlib
import itertools
import multiprocessing
import os
import signal
import sys
import threading
import time
import traceback
from multiprocessing import reduction
from multiprocessing.connection import Connection, wait

from wise_kg import errors
from wise_kg.sparql.opened import Opened, StoreSpec, memory_copy
from wise_kg.sparql.spawn import without_main_module
from wise_kg.sparql.worker import WorkerSettings, serve

#: How long the zygote may take to start (the copy of a large build included).
STARTUP_SECONDS = 120.0
#: How many ended workers' exit codes the zygote keeps for the pool to ask about.
KEEP_ENDED = 1024


class Zygote:
    """The web process's handle on a build's zygote: new workers, and how old ones ended.

    Thread-safe (the pool asks from its executor's threads). A zygote found dead is
    started again, once, before the request fails. Each request carries a number its
    reply repeats: a reply that comes after its request was given up on is dropped,
    never read as the answer to the next one (an exit code taken for a pid, say).
    """

    def __init__(
        self,
        context: multiprocessing.context.BaseContext,
        spec: StoreSpec,
        settings: WorkerSettings,
    ):
        self.context, self._spec, self._settings = context, spec, settings
        self._lock = threading.Lock()
        self._numbers = itertools.count()
        self._closed = False
        self._start()

    def _start(self) -> None:
        parent, child = self.context.Pipe()
        self.control: Connection = parent
        self.process = self.context.Process(
            target=_zygote_main,
            args=(child, self._spec, self._settings),
            daemon=True,
            name="wise-kg-zygote",
        )
        with without_main_module():
            self.process.start()
        child.close()
        reply = self._read(STARTUP_SECONDS)
        if not (isinstance(reply, tuple) and reply[0] == "ready"):
            self._stop()
            raise errors.QueryFailed("the query workers' zygote did not start")
        #: Whether the workers answer from its memory copy (else each opens the build).
        self.in_memory: bool = reply[1]

    def _read(self, timeout: float) -> object:
        try:
            return self.control.recv() if self.control.poll(timeout) else None
        except (EOFError, OSError):
            return None

    def _reply(self, number: int, timeout: float) -> object:
        """The reply to request ``number`` (None if it does not come in time)."""
        deadline = time.monotonic() + timeout
        while (left := deadline - time.monotonic()) > 0:
            reply = self._read(left)
            if reply is None:
                return None
            if isinstance(reply, tuple) and len(reply) == 2 and reply[0] == number:
                return reply[1]
        return None

    def fork(self, worker_end: Connection) -> int:
        """A new worker on ``worker_end`` (a pipe end, closed by the caller after); its pid."""
        with self._lock:
            for attempt in range(2):
                if self._closed:  # a replacement that comes after the pool's end
                    raise errors.QueryFailed("the query workers' zygote is stopped")
                number = next(self._numbers)
                try:
                    self.control.send(("fork", number))
                    reduction.send_handle(self.control, worker_end.fileno(), self.process.pid)
                except OSError:
                    pid = None
                else:
                    pid = self._reply(number, STARTUP_SECONDS)
                if isinstance(pid, int) and pid > 0:  # never 0 or -1: kill() would take a group
                    return pid
                if attempt == 0:  # the zygote is gone (killed, say): a new one, once
                    self._stop()
                    self._start()
            raise errors.QueryFailed("the query workers' zygote does not answer")

    def exit_code(self, pid: int, timeout: float) -> int | None:
        """How worker ``pid`` ended (as :attr:`multiprocessing.Process.exitcode`), waiting
        at most ``timeout`` seconds for it to end; None when not known."""
        with self._lock:
            number = next(self._numbers)
            try:
                self.control.send(("exit code", number, pid, timeout))
            except OSError:
                return None
            code = self._reply(number, timeout + 5)
            return code if isinstance(code, int) else None

    def _stop(self) -> None:
        self.control.close()
        self.process.join(5)
        if self.process.is_alive():
            self.process.kill()
            self.process.join(5)

    def close(self) -> None:
        """Stop the zygote; it kills the workers it forked that still run."""
        with self._lock:
            self._closed = True
            self._stop()


def _zygote_main(control: Connection, spec: StoreSpec, settings: WorkerSettings) -> None:
    """The zygote's loop: make the copy, then fork workers and report how they ended."""
    prepared = memory_copy(spec, settings.in_memory_quads)
    with contextlib.suppress(ImportError, OSError):  # imported once here, not in every worker
        import pyseccomp  # noqa: F401
    ended_fd = _on_child_end()
    control.send(("ready", prepared is not None))
    running: set[int] = set()
    ended: dict[int, int] = {}
    try:
        while True:
            _reap(running, ended)  # at once: a killed worker is no zombie for long
            if control not in wait([control, ended_fd]):
                with contextlib.suppress(BlockingIOError):
                    os.read(ended_fd, 4096)
                continue
            try:
                request = control.recv()
            except (EOFError, OSError):  # the pool is closed, or its process gone
                return
            if request[0] == "fork":
                number = request[1]
                fd = reduction.recv_handle(control)
                pid = os.fork()
                if pid == 0:
                    control.close()
                    signal.set_wakeup_fd(-1)
                    signal.signal(signal.SIGCHLD, signal.SIG_DFL)
                    os.close(ended_fd)
                    _worker(fd, prepared, spec, settings)
                os.close(fd)
                running.add(pid)
                control.send((number, pid))
            else:
                _, number, pid, timeout = request
                control.send((number, _exit_code(pid, timeout, running, ended)))
    finally:
        for pid in running:
            kill(pid)
        for pid in running:
            os.waitpid(pid, 0)


def _on_child_end() -> int:
    """A descriptor that becomes readable each time a child process ends (SIGCHLD)."""
    readable, writable = os.pipe()
    for fd in (readable, writable):
        os.set_blocking(fd, False)
    signal.set_wakeup_fd(writable)
    signal.signal(signal.SIGCHLD, lambda _signal, _frame: None)
    return readable


def _worker(fd: int, prepared: Opened | None, spec: StoreSpec, settings: WorkerSettings) -> None:
    """A forked worker's life; it never returns."""
    code = 1
    try:
        opened = prepared if prepared is not None else Opened(spec.open())
        serve(Connection(fd), opened, settings, spec.remote)
        code = 0
    except BaseException:
        traceback.print_exc()
        sys.stderr.flush()
    finally:
        os._exit(code)


def _reap(running: set[int], ended: dict[int, int]) -> None:
    """Note the exit codes of the workers that have ended."""
    for pid in list(running):
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            running.discard(pid)
            ended[pid] = os.waitstatus_to_exitcode(status)
    while len(ended) > KEEP_ENDED:
        del ended[next(iter(ended))]


def _exit_code(pid: int, timeout: float, running: set[int], ended: dict[int, int]) -> int | None:
    deadline = time.monotonic() + timeout
    while True:
        _reap(running, ended)
        if pid in ended or pid not in running or time.monotonic() >= deadline:
            return ended.pop(pid, None)
        time.sleep(0.01)


def kill(pid: int) -> None:
    """Kill process ``pid`` at once, if it still runs."""
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGKILL)
