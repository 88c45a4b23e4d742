"""Query workers: confined processes that evaluate queries within one request's deadline.

pyoxigraph cannot cancel a running query, so queries run in worker processes,
each with the build open read-only (copied into memory when it is small), no
network (:mod:`wise_kg.sparql.sandbox`) and a memory cap. A request takes an idle
worker (waiting briefly in a bounded queue, else :class:`~wise_kg.errors.ServerBusy`),
sends it one job and gets the answer back in one round trip, streamed in chunks when
it is long. A worker is killed and replaced when the deadline passes, when the client
leaves, or when it dies (over its memory cap); the others keep answering.
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import pickle
import signal
import sys
import threading
import time
import types
from collections import deque
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cached_property
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from typing import Any, Protocol

from wise_kg import errors
from wise_kg.sparql.evaluate import Dataset, Limits, evaluate
from wise_kg.sparql.pipe import PipeEnd
from wise_kg.sparql.sandbox import cap_memory, forbid_network, network_is_forbidden

LOG = logging.getLogger("wise_kg.pool")
#: How long a new worker may take to start (imports, opening the store).
STARTUP_SECONDS = 120.0
#: Bytes of an answer per message on the worker's pipe.
CHUNK = 256 * 1024

#: Errors a worker may report, rebuilt by name in the web process.
REPORTABLE = {
    cls.__name__: cls
    for cls in (
        errors.QuerySyntaxError,
        errors.QueryRefused,
        errors.QueryEvaluationError,
        errors.ResultTooLarge,
        errors.QueryOverMemory,
        errors.QueryFailed,
        errors.StoreUnavailable,
        errors.StoreNotBuilt,
    )
}


class StoreSpec(Protocol):
    """What a worker is given to open its store (picklable; the store layer makes it)."""

    remote: bool

    def open(self) -> Any:
        """The store, opened in the worker."""
        ...


@dataclass(frozen=True)
class Job:
    """One query for a worker: text, form, answer format, caps, dataset, bound parameters."""

    query: str
    form: str
    format_name: str
    limits: Limits
    dataset: Dataset
    bindings: tuple[tuple[str, str, str], ...] = ()
    base_iri: str | None = None

    @cached_property
    def encoded(self) -> bytes:
        """The job as sent to a worker; equal jobs encode to equal bytes (an ETag's input).

        Plain tuples, not the dataclasses: pickling those cost 5.7 µs a job against 1.3.
        """
        limits, dataset = tuple(vars(self.limits).values()), tuple(vars(self.dataset).values())
        plain = (self.query, self.form, self.format_name, limits, dataset)
        return pickle.dumps((*plain, self.bindings, self.base_iri), pickle.HIGHEST_PROTOCOL)

    @classmethod
    def decoded(cls, data: bytes) -> Job:
        """The job a worker was sent (:attr:`encoded`)."""
        query, form, format_name, limits, dataset, bindings, base_iri = pickle.loads(data)
        return cls(query, form, format_name, Limits(*limits), Dataset(*dataset), bindings, base_iri)


@dataclass(frozen=True)
class WorkerSettings:
    """A worker's memory cap, and the largest build it copies into memory."""

    memory_bytes: int
    in_memory_quads: int


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


@dataclass(frozen=True)
class _Opened:
    """What a worker answers from: the build, and in memory the merge of its published graphs.

    SPARQL's default graph over several graphs is their RDF merge (a triple stated in
    two graphs is one triple), which the engine does not make of a list of graphs: it
    answers such a triple once per graph. A memory copy therefore holds the merge as its
    own default graph, and a second store holds the merge alone: a query that reads no
    named graph scans that one, of half the quads (measured: 6-7 ms against 8-9 ms for a
    substring search). Any other default graph of several graphs (named by the protocol
    or by FROM) is merged into a store of its own when first asked for, beside the named
    graphs the query may read; the last one made is kept.
    """

    store: Any
    #: The published graphs whose merge the copy's default graph and ``merged`` hold.
    published: frozenset[str] | None = None
    merged: Any = None
    #: Every named graph of the copy.
    named: frozenset[str] = frozenset()
    #: The last other merge made: ``[(default graphs, named graphs), store]``.
    other: list[Any] = field(default_factory=lambda: [None, None], compare=False)

    def for_job(self, dataset: Dataset) -> tuple[Any, Dataset]:
        """The store to ask, and the dataset to ask it for."""
        if self.published is None:
            return self.store, dataset
        if dataset.explicit and len(set(dataset.default_graphs)) > 1:
            named = tuple(sorted(set(dataset.named_graphs)))
            own = Dataset((), named, explicit=True, own_default=True)
            if set(dataset.default_graphs) != self.published:
                return self._merge_of(dataset), own
            if dataset.merge:  # reads no named graph
                return self.merged, Dataset()
            return self.store, own  # the copy's default graph is that merge
        if dataset.explicit or dataset.union:
            return self.store, dataset
        # The store's own default graph, empty in every build (union default graph off).
        return self.store, Dataset((), dataset.named_graphs, explicit=True)

    def _merge_of(self, dataset: Dataset) -> Any:
        """A store whose default graph is the merge of ``dataset``'s default graphs, and
        whose named graphs are its named graphs."""
        import pyoxigraph as ox

        key = (frozenset(dataset.default_graphs), frozenset(dataset.named_graphs))
        if self.other[0] != key:
            store = ox.Store()
            store.bulk_extend(
                ox.Quad(q.subject, q.predicate, q.object)
                for graph in sorted(key[0])
                for q in self.store.quads_for_pattern(None, None, None, ox.NamedNode(graph))
            )
            store.bulk_extend(
                q
                for graph in sorted(key[1])
                for q in self.store.quads_for_pattern(None, None, None, ox.NamedNode(graph))
            )
            self.other[:] = [key, store]
        return self.other[1]


def _open(spec: StoreSpec, settings: WorkerSettings) -> _Opened:
    """Open the build a worker serves, copied into memory when it is small enough."""
    from wise_kg.graphs import default_graphs

    store = spec.open()
    if spec.remote or not 0 < len(store) <= settings.in_memory_quads:
        return _Opened(store)
    import pyoxigraph as ox

    # Copied one predicate at a time: a scan of one predicate (every skos:prefLabel, say)
    # then reads memory laid out in the order it reads it. Measured on WISE + ESCO, five
    # processes each (the engine seeds its hash maps per process): a substring search over
    # every label 3.2-5.6 ms, median 4.0, against 4.1-8.2 ms, median 6.6, when copied in
    # the order of the disk store's index; 0.6 s more to open, no more memory.
    every = "SELECT DISTINCT ?p { { ?s ?p ?o } UNION { GRAPH ?g { ?s ?p ?o } } }"
    predicates = [row["p"] for row in store.query(every)]
    copy = ox.Store()
    for predicate in predicates:
        copy.bulk_extend(store.quads_for_pattern(None, predicate, None))
    if next(copy.quads_for_pattern(None, None, None, ox.DefaultGraph()), None):
        return _Opened(copy)  # not a build of ours: its default graph is its own
    named = frozenset(g.value for g in copy.named_graphs())
    published = [ox.NamedNode(graph) for graph in default_graphs(sorted(named))]
    merged = ox.Store()
    for predicate in predicates:  # read from the copy, not from the disk a second time
        merged.bulk_extend(
            ox.Quad(q.subject, q.predicate, q.object)
            for graph in published
            for q in copy.quads_for_pattern(None, predicate, None, graph)
        )
    for predicate in predicates:
        copy.bulk_extend(merged.quads_for_pattern(None, predicate, None))
    return _Opened(copy, frozenset(g.value for g in published), merged, named)


def _worker_main(conn: Connection, spec: StoreSpec, settings: WorkerSettings) -> None:
    """A worker's loop: open the build, confine itself, answer jobs until the pipe closes."""
    from wise_kg.formats import GRAPH_FORMATS, RESULT_FORMATS, by_name

    opened = _open(spec, settings)
    if not spec.remote:  # the embedded store: nothing to reach over the network
        confined = forbid_network() or (
            None if network_is_forbidden() else "the seccomp filter did not take effect"
        )
    else:
        confined = "the worker reaches a remote engine over the network"
    cap_memory(settings.memory_bytes)
    formats = RESULT_FORMATS + GRAPH_FORMATS
    conn.send(("ready", confined))  # store open, confined: it may be given jobs now
    while True:
        try:
            job = Job.decoded(conn.recv_bytes())
        except (EOFError, OSError):
            return
        try:
            store, dataset = opened.for_job(job.dataset)
            body = evaluate(
                store,
                job.query,
                job.form,
                by_name(job.format_name, formats).engine,
                limits=job.limits,
                dataset=dataset,
                bindings=job.bindings,
                base_iri=job.base_iri,
            )
        except tuple(REPORTABLE.values()) as err:
            _send(conn, (type(err).__name__, str(err)))
            continue
        except MemoryError:
            _send(conn, ("QueryOverMemory", _over_memory(settings)))
            continue
        except Exception as err:
            _send(conn, ("QueryFailed", f"The query failed unexpectedly: {err}"))
            continue
        _send(conn, ("ok", len(body), body[:CHUNK]))
        for start in range(CHUNK, len(body), CHUNK):
            conn.send_bytes(body[start : start + CHUNK])


def _send(conn: Connection, message: tuple[Any, ...]) -> None:
    """Send a tuple with plain pickle (multiprocessing's own pickler is slower to set up)."""
    conn.send_bytes(pickle.dumps(message, pickle.HIGHEST_PROTOCOL))


def _over_memory(settings: WorkerSettings) -> str:
    return (
        f"The query needed more than the memory limit of a query "
        f"({settings.memory_bytes // 2**20:,} MiB) and was stopped. Narrow it down (fewer or "
        "shorter values, a LIMIT inside subqueries, no GROUP_CONCAT over everything)."
    )


def _context() -> multiprocessing.context.BaseContext:
    """Workers are forked from a clean server process that has imported their modules once.

    Not forked from the web process (its threads and open store must not be copied),
    and not spawned afresh: a replacement worker is ready in a tenth of a second (the
    copy of a small build included), not a second.
    """
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(["wise_kg.sparql.pool", "wise_kg.formats", "pyoxigraph"])
    return context


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


class _Worker:
    def __init__(
        self,
        context: multiprocessing.context.BaseContext,
        spec: StoreSpec,
        settings: WorkerSettings,
    ):
        parent, child = context.Pipe()
        self.conn: Connection = parent
        #: The event loop's end of ``conn``, made once the worker is ready (:meth:`_join`).
        self.pipe: PipeEnd
        self.confinement: str | None = None
        self.retired = False
        #: The next message from the pipe, for whoever waits for it (None: nobody does).
        self.readable: asyncio.Future[Any] | None = None
        #: Whether the next message is a raw chunk of an answer rather than a pickled tuple.
        self.raw = False
        self.process: BaseProcess = context.Process(
            target=_worker_main, args=(child, spec, settings), daemon=True, name="wise-kg-query"
        )
        with without_main_module():
            self.process.start()
        child.close()

    def wait_ready(self, timeout: float = STARTUP_SECONDS) -> None:
        """Block until the worker has started (store open, confined)."""
        message = self.conn.recv() if self.conn.poll(timeout) else None
        if not isinstance(message, tuple) or message[0] != "ready":
            raise errors.QueryFailed("a query worker did not start")
        self.confinement = message[1]

    def kill(self) -> None:
        """Kill the process at once (it may be deep in a query: nothing else stops it)."""
        if self.process.is_alive():
            self.process.kill()

    def stop(self) -> None:
        self.conn.close()
        self.kill()
        self.process.join(timeout=5)


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
        self._context = _context()
        self._idle: deque[_Worker] = deque()
        #: Requests waiting for a worker, first come first served.
        self._waiters: deque[asyncio.Future[_Worker]] = deque()
        self._all: set[_Worker] = set()
        self._replacing: set[asyncio.Task[None]] = set()
        self._closed = False
        self._waits = _Waits()
        #: Why the workers could not be kept off the network (None: they are).
        self.confinement: str | None = None

    async def start(self) -> None:
        """Start every worker at once and wait until all of them can take a query."""
        loop = asyncio.get_running_loop()
        starting = [_Worker(self._context, self.spec, self.settings) for _ in range(self.size)]
        for worker in starting:
            await loop.run_in_executor(None, worker.wait_ready)
            self.confinement = worker.confinement
            self._join(worker)

    def _spawn(self) -> _Worker:
        """A new worker, once it is ready (blocking: run it in a thread)."""
        worker = _Worker(self._context, self.spec, self.settings)
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
        worker.readable = None
        while self._waiters:
            waiter = self._waiters.popleft()
            if not waiter.done():
                waiter.set_result(worker)
                return
        self._idle.append(worker)

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

    def _deliver(self, worker: _Worker) -> None:
        """Hand the next whole message (or the end of the pipe) to whoever waits for it."""
        waiter = worker.readable
        if waiter is None or waiter.done():  # the next message is for the next wait
            return
        message = worker.pipe.take()
        if message is not None:
            waiter.set_result(message if worker.raw else pickle.loads(message))
        elif worker.pipe.ended:
            waiter.set_exception(EOFError("the worker closed its pipe"))

    def _leave(self, worker: _Worker) -> None:
        """Stop watching a worker's pipe (before it is closed: its number may be reused)."""
        self._all.discard(worker)
        if not worker.conn.closed:
            asyncio.get_running_loop().remove_reader(worker.conn.fileno())

    async def _replace(self, worker: _Worker) -> None:
        """Reap a worker and, once a fresh one is ready, make that one available."""
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(None, worker.stop)
        self._join(await loop.run_in_executor(None, self._spawn))

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
        self._replacing.add(task)
        task.add_done_callback(self._replacing.discard)

    async def _acquire(self, deadline: float, gone: Gone) -> _Worker:
        """An idle worker, waiting at most ``queue_seconds`` in a queue of bounded length."""
        while self._idle:
            worker = self._idle.popleft()
            if not worker.retired:
                return worker
        if len(self._waiters) >= self.queue_size:
            raise errors.ServerBusy(self._busy())
        handed: asyncio.Future[_Worker] = asyncio.get_running_loop().create_future()
        self._waiters.append(handed)
        until = min(deadline, time.monotonic() + self.queue_seconds)
        outcome = await self._waits.wait(handed, until, gone)
        if outcome is _READY:
            return handed.result()
        if handed.done():  # handed over just as the wait ended: pass it on
            self._release(handed.result())
        else:
            handed.cancel()
            self._waiters.remove(handed)
        if outcome is _GONE:
            raise errors.ClientGone("the client left while its query waited for a worker")
        raise errors.ServerBusy(self._busy())

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
            worker = await self._acquire(deadline, gone)
            try:
                kind, *payload = await self._receive(worker, deadline, gone, send=job)
                break
            except _WorkerLost:  # not this query's doing: once more, on another worker
                if attempt:
                    raise
        if kind == "ok":
            length, first = payload
            if length <= len(first):
                self._release(worker)
                return Answer(length, first)
            return Answer(length, first, Stream(self, worker, length - len(first), deadline))
        self._release(worker)
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
        raw: bool = False,
    ) -> tuple:
        """The worker's next message, by the deadline; the worker is retired on any failure."""
        readable = worker.readable = asyncio.get_running_loop().create_future()
        worker.raw = raw
        try:
            if send is not None:
                await worker.pipe.send(send.encoded)
            self._deliver(worker)  # a message read with the one before it
            outcome = await self._waits.wait(readable, deadline, gone)
            if outcome is _GONE:
                raise errors.ClientGone("the client left; its query was stopped")
            if outcome is _LATE:
                raise errors.QueryTimeout(self._too_slow())
            message = readable.result()
            return (message,) if raw else message
        except (errors.ClientGone, errors.QueryTimeout, asyncio.CancelledError):
            self._retire(worker)
            raise
        except (EOFError, OSError):
            # Read the exit code before the worker is replaced (a kill would hide it), without
            # blocking the event loop, and with its pipe no longer watched meanwhile.
            self._leave(worker)
            await asyncio.to_thread(worker.process.join, 0.2)
            code = worker.process.exitcode
            self._retire(worker)
            if code == -signal.SIGABRT:  # the engine's failed allocation
                raise errors.QueryOverMemory(_over_memory(self.settings)) from None
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

    def alive(self) -> int:
        """How many workers are running."""
        return sum(1 for w in self._all if w.process.is_alive())

    def close(self) -> None:
        """Stop every worker (from the event loop's thread)."""
        self._closed = True
        for worker in list(self._all):
            self._leave(worker)
            worker.stop()
        self._all.clear()
