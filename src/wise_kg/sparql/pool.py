"""Query workers: confined processes that evaluate queries within one request's deadline.

pyoxigraph cannot cancel a running query, so queries run in worker processes forked
from the build's zygote (:mod:`wise_kg.sparql.zygote`), each with the build copied
into memory when it is small (else open read-only), no network
(:mod:`wise_kg.sparql.sandbox`) and a memory cap. A request takes an idle worker
(waiting briefly in a bounded queue, else :class:`~wise_kg.errors.ServerBusy`), sends
it one job and gets the answer back in one round trip, streamed in chunks when it is
long. A worker is killed and replaced when the deadline passes, when the client
leaves, or when it dies (over its memory cap); the others keep answering.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import pickle
import signal
import time
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from multiprocessing.connection import Connection
from typing import Any

from wise_kg import errors
from wise_kg.sparql.opened import StoreSpec
from wise_kg.sparql.pipe import PipeEnd
from wise_kg.sparql.spawn import context
from wise_kg.sparql.worker import REPORTABLE, Job, WorkerSettings, over_memory
from wise_kg.sparql.zygote import STARTUP_SECONDS, Zygote, kill

LOG = logging.getLogger("wise_kg.pool")


@dataclass(frozen=True)
class Answer:
    """A worker's answer: its length, its first chunk, and the rest (None when it all fits)."""

    length: int
    first: bytes
    rest: Stream | None = None


class Stream:
    """The rest of a long answer, chunk by chunk as the worker sends it.

    The worker is the stream's until the last chunk is read (then it is free again)
    or the stream is closed before (then it is replaced: it may still be writing).
    """

    def __init__(self, pool: QueryPool, worker: _Worker, remaining: int, deadline: float):
        self.pool, self.worker, self.remaining, self.deadline = pool, worker, remaining, deadline
        self.done = False

    def __aiter__(self) -> Stream:
        return self

    async def __anext__(self) -> bytes:
        if self.done:
            raise StopAsyncIteration
        try:
            (chunk,) = await self.pool._receive(self.worker, self.deadline, None, raw=True)
        except BaseException:
            self.done = True  # the worker was retired
            raise
        self.remaining -= len(chunk)
        if self.remaining <= 0:
            self.done = True
            self.pool._release(self.worker)
        return chunk

    def close(self) -> None:
        """Stop reading: a worker that has not sent everything is replaced."""
        if not self.done:
            self.done = True
            self.pool._retire(self.worker)


class _WorkerLost(errors.QueryFailed):
    """A worker stopped while it had a query, for no reason the query gave (killed, say)."""


#: What a wait ended with.
_READY, _LATE, _GONE = "ready", "late", "gone"
#: How long a query runs before the pool starts watching for its client leaving.
WATCH_AFTER = 0.05
#: How often waits are checked against their deadlines (one timer, not one per request).
TICK = 0.05
#: How long a worker being replaced still counts as one (:meth:`QueryPool.alive`): a fork
#: of the zygote is ready in about 20 ms, and a killed runaway is not the pool's failure.
REPLACING_COUNTS = 2.0
#: Pauses between attempts to replace a worker whose replacement failed to start.
REPLACE_FIRST_PAUSE, REPLACE_LAST_PAUSE = 1.0, 30.0

#: Makes an awaitable that returns once the client has left (None: nobody to watch).
Gone = Callable[[], Awaitable[None]] | None


def _settle(future: asyncio.Future[Any], value: object) -> None:
    if not future.done():
        future.set_result(value)


class _Wait:
    """One request waiting for ``event``: until its deadline, or until its client is gone."""

    def __init__(self, event: asyncio.Future[Any], deadline: float, gone: Gone, now: float):
        self.deadline, self.gone, self.watch_from = deadline, gone, now + WATCH_AFTER
        self.outcome: asyncio.Future[str] = event.get_loop().create_future()
        self.watcher: asyncio.Task[None] | None = None
        event.add_done_callback(lambda _: _settle(self.outcome, _READY))

    def check(self, now: float) -> None:
        """Past the deadline: late. Long enough: start watching the client."""
        if now >= self.deadline:
            _settle(self.outcome, _LATE)
        elif self.gone is not None and self.watcher is None and now >= self.watch_from:
            self.watcher = asyncio.ensure_future(self.gone())
            self.watcher.add_done_callback(lambda t: t.cancelled() or _settle(self.outcome, _GONE))

    def stop(self) -> None:
        if self.watcher is not None:
            self.watcher.cancel()


class _Waits:
    """Every wait in progress, checked against its deadline by one timer every :data:`TICK`
    seconds while there are any. A timer per request (two, with the client watch) cost more
    than the rest of the wait: cancelled timers pile up in the event loop's heap."""

    def __init__(self) -> None:
        self._open: set[_Wait] = set()
        self._ticking = False

    async def wait(self, event: asyncio.Future[Any], deadline: float, gone: Gone) -> str:
        """How the wait for ``event`` ended: ready, late, or the client gone."""
        if event.done():
            return _READY
        loop = event.get_loop()
        wait = _Wait(event, deadline, gone, loop.time())
        wait.check(loop.time())
        self._open.add(wait)
        if not self._ticking:
            self._ticking = True
            loop.call_later(TICK, self._tick, loop)
        try:
            return await wait.outcome
        finally:
            self._open.discard(wait)
            wait.stop()

    def _tick(self, loop: asyncio.AbstractEventLoop) -> None:
        now = loop.time()
        for wait in list(self._open):
            wait.check(now)
        if self._open:
            loop.call_later(TICK, self._tick, loop)
        else:
            self._ticking = False


class _Worker:
    """The web process's end of one worker: its pipe and its pid."""

    def __init__(self, zygote: Zygote):
        parent, child = zygote.context.Pipe()
        self.conn: Connection = parent
        #: The event loop's end of ``conn``, made once the worker is ready (:meth:`_join`).
        self.pipe: PipeEnd
        self.confinement: str | None = None
        self.retired = False
        #: The next message from the pipe, for whoever waits for it (None: nobody does).
        self.readable: asyncio.Future[Any] | None = None
        #: Whether the next message is a raw chunk of an answer rather than a pickled tuple.
        self.raw = False
        #: Whether its pipe is left unread until the message read already is asked for.
        self.paused = False
        #: Whether it was killed or is known to have ended: its pid is not to be killed
        #: (again), as it may be another process's by now.
        self.ended = False
        try:
            self.pid = zygote.fork(child)
        finally:
            child.close()

    def wait_ready(self, timeout: float = STARTUP_SECONDS) -> None:
        """Block until the worker has started (store open, confined)."""
        try:
            message = self.conn.recv() if self.conn.poll(timeout) else None
        except (EOFError, OSError):
            message = None
        if not isinstance(message, tuple) or message[0] != "ready":
            self.stop()
            raise errors.QueryFailed("a query worker did not start")
        self.confinement = message[1]

    def kill(self) -> None:
        """Kill the process at once (it may be deep in a query: nothing else stops it)."""
        if not self.ended:
            kill(self.pid)
            self.ended = True

    def stop(self) -> None:
        """Close the pipe and kill the process (the zygote reaps it)."""
        self.conn.close()
        self.kill()


@dataclass(frozen=True)
class _Handed:
    """A worker handed to a waiting request with its job sent: where its answer will come,
    and what of the job the pipe did not take at once."""

    worker: _Worker
    readable: asyncio.Future[Any]
    unsent: memoryview


class QueryPool:
    """A fixed number of query workers over one build of the store, and their queue."""

    def __init__(
        self,
        spec: StoreSpec,
        size: int,
        settings: WorkerSettings,
        *,
        queue_seconds: float,
        queue_size: int,
    ):
        self.spec, self.size, self.settings = spec, size, settings
        self.queue_seconds, self.queue_size = queue_seconds, queue_size
        self._zygote: Zygote | None = None
        self._idle: deque[_Worker] = deque()
        #: Requests waiting for a worker, first come first served, with their jobs.
        self._waiters: deque[tuple[asyncio.Future[_Handed], Job]] = deque()
        self._all: set[_Worker] = set()
        #: Replacements in progress, with when each began (``time.monotonic()``).
        self._replacing: dict[asyncio.Task[None], float] = {}
        #: Workers that died with a query, whose exit code is being read before they are
        #: replaced (counted as being replaced already).
        self._ending = 0
        self._closed = False
        self._waits = _Waits()
        #: Why the workers could not be kept off the network (None: they are).
        self.confinement: str | None = None

    async def start(self) -> None:
        """Start the zygote, then every worker, and wait until all of them can take a query."""
        loop = asyncio.get_running_loop()
        zygote = await loop.run_in_executor(None, Zygote, context(), self.spec, self.settings)
        self._zygote = zygote
        starting: list[_Worker] = []
        try:
            for _ in range(self.size):
                starting.append(await loop.run_in_executor(None, _Worker, zygote))
            for worker in starting:
                await loop.run_in_executor(None, worker.wait_ready)
                self.confinement = worker.confinement
                self._join(worker)
        except BaseException:  # nothing left running: a caller that tries again leaks nothing
            for worker in starting:
                if worker not in self._all:
                    worker.stop()
            self.close()
            raise

    def _spawn(self) -> _Worker:
        """A new worker, once it is ready (blocking: run it in a thread)."""
        assert self._zygote is not None, "the pool was not started"
        worker = _Worker(self._zygote)
        worker.wait_ready()
        return worker

    def _join(self, worker: _Worker) -> None:
        if self._closed:  # a replacement that came up after the pool was closed
            worker.stop()
            return
        worker.pipe = PipeEnd(worker.conn)
        asyncio.get_running_loop().add_reader(worker.pipe.fd, self._readable, worker)
        self._all.add(worker)
        self._release(worker)

    def _release(self, worker: _Worker) -> None:
        """Hand a worker to the first request waiting for one, or put it back among the idle."""
        if self._closed:  # the end of a long answer after the pool's end: the worker is gone
            return
        worker.readable = None
        while self._waiters:
            waiter, job = self._waiters.popleft()
            if not waiter.done():
                waiter.set_result(self._hand(worker, job))
                return
        self._idle.append(worker)

    def _hand(self, worker: _Worker, job: Job) -> _Handed:
        """Send a waiting request's job to a worker at once, as it is handed over.

        The waiting request resumes later (after the callbacks queued before it); the job
        written now keeps the worker busy meanwhile. Measured under the benchmark's load
        of fresh substring searches: the workers stood idle 17% of the time between an
        answer and their next job.
        """
        readable = worker.readable = asyncio.get_running_loop().create_future()
        worker.raw = False
        try:
            unsent = worker.pipe.send_now(job.encoded)
        except OSError:  # the worker is gone: its pipe's end of file says so to the request
            unsent = memoryview(b"")
        return _Handed(worker, readable, unsent)

    def _readable(self, worker: _Worker) -> None:
        """The event loop's reader callback: read what the pipe has, wake whoever waits.

        An idle worker's pipe has nothing to say unless the worker has died (end of
        file): it is replaced then, rather than be read again and again.
        """
        worker.pipe.fill()
        if worker.pipe.ended:
            asyncio.get_running_loop().remove_reader(worker.pipe.fd)
        if worker.readable is None:
            self._retire(worker)
            return
        self._deliver(worker)
        if worker.readable is not None and worker.readable.done() and worker.pipe.holds_message():
            # A chunk of a long answer, read while the one before is still being sent to a
            # slow client: the worker waits on its full pipe, not in this process's memory.
            worker.paused = True
            asyncio.get_running_loop().remove_reader(worker.pipe.fd)

    def _deliver(self, worker: _Worker) -> None:
        """Hand the next whole message (or the end of the pipe) to whoever waits for it.

        A whole answer (or an error) frees the worker at once, for the next request.
        """
        waiter = worker.readable
        if waiter is None or waiter.done():  # the next message is for the next wait
            return
        message = worker.pipe.take()
        if message is None:
            if worker.pipe.ended:
                waiter.set_exception(EOFError("the worker closed its pipe"))
        elif worker.raw:
            waiter.set_result(message)
        else:
            reply = pickle.loads(message)
            waiter.set_result(reply)
            if reply[0] != "ok" or reply[1] <= len(reply[2]):
                self._release(worker)

    def _leave(self, worker: _Worker) -> None:
        """Stop watching a worker's pipe (before it is closed: its number may be reused)."""
        self._all.discard(worker)
        if not worker.conn.closed:
            asyncio.get_running_loop().remove_reader(worker.conn.fileno())

    async def _replace(self, worker: _Worker) -> None:
        """Stop a worker and, once a fresh one is ready, make that one available; a fresh
        one that fails to start is tried again, less and less often, while the pool lasts."""
        loop = asyncio.get_running_loop()
        worker.stop()
        pause = REPLACE_FIRST_PAUSE
        while not self._closed:
            try:
                fresh = await loop.run_in_executor(None, self._spawn)
            except errors.QueryFailed as err:  # the pool closed meanwhile, or cannot fork
                if not self._closed:
                    LOG.error("a query worker could not be replaced (again in %gs): %s", pause, err)
                    await asyncio.sleep(pause)
                    pause = min(2 * pause, REPLACE_LAST_PAUSE)
                continue
            # No longer a replacement as it joins (not a moment later, with the task's end:
            # /ready would count it twice meanwhile).
            self._replacing.pop(asyncio.current_task(), None)  # type: ignore[arg-type]
            self._join(fresh)
            return

    def _retire(self, worker: _Worker) -> None:
        """Kill a worker now and replace it in the background, so the answer at hand is
        not delayed. It leaves the pool at once: nothing waits on the background task for
        a stopped query to stop (nor counts the worker among the pool's meanwhile)."""
        if worker.retired:
            return
        worker.retired = True
        self._leave(worker)  # no longer the pool's, even while it takes a moment to die
        worker.kill()
        task = asyncio.get_running_loop().create_task(self._replace(worker))
        self._replacing[task] = time.monotonic()
        task.add_done_callback(lambda done: self._replacing.pop(done, None))

    async def _acquire(self, deadline: float, gone: Gone, job: Job) -> _Worker | _Handed:
        """An idle worker, or one handed over with ``job`` sent to it, waiting at most
        ``queue_seconds`` in a queue of bounded length."""
        while self._idle:
            worker = self._idle.popleft()
            if not worker.retired:
                return worker
        if len(self._waiters) >= self.queue_size:
            raise errors.ServerBusy(self._busy())
        handed: asyncio.Future[_Handed] = asyncio.get_running_loop().create_future()
        waiter = (handed, job)
        self._waiters.append(waiter)
        until = min(deadline, time.monotonic() + self.queue_seconds)
        try:
            outcome = await self._waits.wait(handed, until, gone)
        except asyncio.CancelledError:  # the request is cancelled: nobody will read an answer
            if handed.done() and not handed.cancelled():
                got = handed.result()  # its job was sent already: unless answered and freed,
                if got.worker.readable is got.readable:  # the worker is still this request's
                    self._retire(got.worker)
            else:
                self._give_up(waiter)
            raise
        if handed.done():  # handed over, perhaps just as the wait ended: the job is sent
            return handed.result()
        self._give_up(waiter)
        if outcome is _GONE:
            raise errors.ClientGone("the client left while its query waited for a worker")
        raise errors.ServerBusy(self._busy())

    def _give_up(self, waiter: tuple[asyncio.Future[_Handed], Job]) -> None:
        """Leave the queue without a worker."""
        waiter[0].cancel()
        with contextlib.suppress(ValueError):
            self._waiters.remove(waiter)

    def _busy(self) -> str:
        return (
            f"All {self.size} query workers are busy and the queue is full; try again in a moment."
        )

    async def run(self, job: Job, *, deadline: float, gone: Gone = None) -> Answer:
        """Answer ``job`` by ``deadline`` (``time.monotonic()``), unless the client is ``gone``.

        ``gone`` makes an awaitable that returns when the client has left; it is only
        started for a query that is not answered at once.
        """
        for attempt in range(2):
            got = await self._acquire(deadline, gone, job)
            worker = got.worker if isinstance(got, _Handed) else got
            try:
                kind, *payload = await self._receive(worker, deadline, gone, send=job, handed=got)
                break
            except _WorkerLost:  # not this query's doing: once more, on another worker
                if attempt:
                    raise
        if kind == "ok":
            length, first = payload
            if length <= len(first):
                return Answer(length, first)
            return Answer(length, first, Stream(self, worker, length - len(first), deadline))
        if kind in REPORTABLE:
            raise REPORTABLE[kind](payload[0])
        raise errors.StoreNotBuilt(f"the store could not be read: {payload[0]}")

    async def _receive(
        self,
        worker: _Worker,
        deadline: float,
        gone: Gone,
        *,
        send: Job | None = None,
        handed: _Worker | _Handed | None = None,
        raw: bool = False,
    ) -> tuple:
        """The worker's next message, by the deadline; the worker is retired on any failure.

        ``send``: a job to send first, unless it was sent as the worker was ``handed``
        over (:meth:`_hand`; then only what the pipe did not take at once is left to write).
        """
        if isinstance(handed, _Handed):
            readable = handed.readable
        else:
            readable = worker.readable = asyncio.get_running_loop().create_future()
            worker.raw = raw
        if worker.paused:
            worker.paused = False
            asyncio.get_running_loop().add_reader(worker.pipe.fd, self._readable, worker)
        try:
            if isinstance(handed, _Handed):
                await worker.pipe.finish(handed.unsent)
            elif send is not None:
                await worker.pipe.send(send.encoded)
            self._deliver(worker)  # a message read with the one before it
            outcome = await self._waits.wait(readable, deadline, gone)
            if not readable.done():  # the answer, once come, wins over a late tick
                if outcome is _GONE:
                    raise errors.ClientGone("the client left; its query was stopped")
                raise errors.QueryTimeout(self._too_slow())
            message = readable.result()
            return (message,) if raw else message
        except (errors.ClientGone, errors.QueryTimeout, asyncio.CancelledError):
            if worker.readable is readable:  # still this request's (not freed by its answer)
                self._retire(worker)
            raise
        except (EOFError, OSError):
            # Read the exit code before the worker is replaced (a kill would hide it), without
            # blocking the event loop, and with its pipe no longer watched meanwhile.
            self._leave(worker)
            assert self._zygote is not None
            code = None
            self._ending += 1
            try:
                code = await asyncio.to_thread(self._zygote.exit_code, worker.pid, 0.2)
            finally:  # replaced even when the request is cancelled meanwhile
                self._ending -= 1
                worker.ended |= code is not None  # reaped: its pid is not to be killed
                self._retire(worker)
            if code == -signal.SIGABRT:  # the engine's failed allocation
                raise errors.QueryOverMemory(over_memory(self.settings)) from None
            if code == -signal.SIGSEGV:  # the engine crashed on this query
                raise errors.QueryFailed(
                    "The SPARQL engine crashed on this query; its worker was replaced."
                ) from None
            LOG.warning("a query worker stopped before answering (exit code %s)", code)
            raise _WorkerLost(
                f"The query worker stopped before answering (exit code {code}); it was replaced."
            ) from None

    def _too_slow(self) -> str:
        return (
            "The query ran past the request's time limit and was stopped. "
            "Narrow it down (add LIMIT, more specific patterns) and try again."
        )

    @property
    def in_memory(self) -> bool:
        """Whether the workers answer from a memory copy of the build."""
        return self._zygote is not None and self._zygote.in_memory

    def alive(self) -> int:
        """How many workers the pool has, counting each one being replaced for its first
        :data:`REPLACING_COUNTS` seconds (from the event loop's thread). A worker that has
        just died counts until the pool reads the end of its pipe, a moment later, and
        then as being replaced: /ready said 503 for those few milliseconds."""
        recent = time.monotonic() - REPLACING_COUNTS
        replacing = sum(1 for began in self._replacing.values() if began > recent)
        return len(self._all) + self._ending + replacing

    def close(self) -> None:
        """Stop every worker and the zygote (from the event loop's thread, which waits
        for the zygote to end: for a server stopping)."""
        zygote = self._stop_workers()
        if zygote is not None:
            zygote.close()

    async def aclose(self) -> None:
        """Stop every worker, and the zygote from another thread: the event loop goes on
        answering meanwhile. Stopping a zygote waits for the fork or question it may be
        busy with (up to its start-up time) and for its process to end; a retired build's
        pool closed from the loop held up every request of the build that replaced it."""
        zygote = self._stop_workers()
        if zygote is not None:
            await asyncio.get_running_loop().run_in_executor(None, zygote.close)

    def _stop_workers(self) -> Zygote | None:
        """Close the pool and stop its workers (from the event loop's thread); its zygote,
        still to be stopped."""
        self._closed = True
        for task in self._replacing:
            task.cancel()
        for worker in list(self._all):
            self._leave(worker)
            worker.stop()
        self._all.clear()
        return self._zygote
