"""Query workers: processes that evaluate queries and can be stopped at the time limit.

pyoxigraph cannot cancel a running query, so queries run in worker processes,
each with the store open read-only (or its own connections to a remote engine).
The web process waits on a worker's pipe without blocking its event loop; at
the time limit it kills that worker, starts a replacement and answers 503.
Slow queries hold one worker each; the others keep answering.
"""

from __future__ import annotations

import asyncio
import multiprocessing
from collections import OrderedDict
from dataclasses import dataclass
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from typing import TYPE_CHECKING, Any

from wise_kg import errors
from wise_kg.backends import open_spec
from wise_kg.evaluate import Dataset, evaluate
from wise_kg.formats import GRAPH_FORMATS, RESULT_FORMATS, by_name

if TYPE_CHECKING:
    from wise_kg.remote import RemoteConfig
    from wise_kg.sparql import QueryInfo

#: How many parsed queries the web process remembers.
INSPECTED = 4096
#: How long a new worker may take to start (imports, opening the store).
STARTUP_SECONDS = 120.0

#: Errors a worker may report, rebuilt by name in the web process.
REPORTABLE = {
    cls.__name__: cls
    for cls in (
        errors.QuerySyntaxError,
        errors.QueryRefused,
        errors.QueryEvaluationError,
        errors.ResultTooLarge,
        errors.QueryFailed,
        errors.StoreUnavailable,
        errors.StoreNotBuilt,
    )
}


@dataclass(frozen=True)
class Job:
    """One query for a worker: text, answer format, limits, dataset, bound parameters."""

    query: str
    format_name: str
    result_limit: int
    count_rows: bool
    dataset: Dataset
    bindings: tuple[tuple[str, str, str], ...] = ()
    base_iri: str | None = None


@dataclass(frozen=True)
class Inspect:
    """A query for a worker to parse and check (parsing can be slow: it is time-limited too)."""

    query: str


def _worker_main(conn: Connection, spec: str | RemoteConfig) -> None:
    """A worker's loop: open the store read-only, answer jobs until the pipe closes."""
    from wise_kg.sparql import inspect  # rdflib's parser, loaded once per worker

    store = open_spec(spec)
    formats = RESULT_FORMATS + GRAPH_FORMATS
    conn.send(("ready",))  # imports done, store open: it may be given jobs now
    while True:
        try:
            job: Job | Inspect = conn.recv()
        except (EOFError, OSError):
            return
        try:
            if isinstance(job, Inspect):
                conn.send(("ok", inspect(job.query)))
                continue
            body = evaluate(
                store,
                job.query,
                by_name(job.format_name, formats).engine,
                result_limit=job.result_limit,
                count_rows=job.count_rows,
                dataset=job.dataset,
                bindings=job.bindings,
                base_iri=job.base_iri,
            )
            conn.send(("ok", body))
        except tuple(REPORTABLE.values()) as err:
            conn.send((type(err).__name__, str(err)))
        except OSError as err:  # the engine could not read the store
            conn.send(("OSError", str(err)))
        except Exception as err:
            conn.send(("QueryFailed", f"The query failed unexpectedly: {err}"))


def _context() -> multiprocessing.context.BaseContext:
    """Workers are forked from a clean server process that has imported their modules once.

    Not forked from the web process (its threads and open store must not be copied),
    and not spawned afresh: a replacement worker is ready in milliseconds, not a second.
    """
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(["wise_kg.pool", "wise_kg.sparql"])
    return context


class _Worker:
    def __init__(self, context: multiprocessing.context.BaseContext, spec: str | RemoteConfig):
        parent, child = context.Pipe()
        self.conn: Connection = parent
        self.process: BaseProcess = context.Process(
            target=_worker_main, args=(child, spec), daemon=True, name="wise-kg-query"
        )
        self.process.start()
        child.close()

    def wait_ready(self, timeout: float = STARTUP_SECONDS) -> None:
        """Block until the worker has started (imports done, store open)."""
        if not self.conn.poll(timeout) or self.conn.recv() != ("ready",):
            raise errors.QueryFailed("a query worker did not start")

    def stop(self) -> None:
        self.conn.close()
        if self.process.is_alive():
            self.process.kill()
        self.process.join(timeout=5)


class QueryPool:
    """A fixed number of query workers over one build of the store."""

    def __init__(self, spec: str | RemoteConfig, size: int, timeout: float):
        self.spec, self.size, self.timeout = spec, size, timeout
        self._context = _context()
        self._idle: asyncio.Queue[_Worker] = asyncio.Queue()
        self._all: set[_Worker] = set()
        self._inspected: OrderedDict[str, QueryInfo] = OrderedDict()
        self._replacing: set[asyncio.Task[None]] = set()

    async def start(self) -> None:
        """Start every worker at once and wait until all of them can take a query."""
        loop = asyncio.get_running_loop()
        starting = [_Worker(self._context, self.spec) for _ in range(self.size)]
        for worker in starting:
            await loop.run_in_executor(None, worker.wait_ready)
            self._join(worker)

    def _spawn(self) -> _Worker:
        """A new worker, once it is ready (blocking: run it in a thread)."""
        worker = _Worker(self._context, self.spec)
        worker.wait_ready()
        return worker

    def _join(self, worker: _Worker) -> None:
        self._all.add(worker)
        self._idle.put_nowait(worker)

    async def _replace(self, worker: _Worker) -> None:
        """Kill a worker and, once a fresh one is ready, make that one available."""
        self._all.discard(worker)
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(None, worker.stop)
        self._join(await loop.run_in_executor(None, self._spawn))

    def _retire(self, worker: _Worker) -> None:
        """Replace a worker in the background, so the answer at hand is not delayed."""
        task = asyncio.get_running_loop().create_task(self._replace(worker))
        self._replacing.add(task)
        task.add_done_callback(self._replacing.discard)

    async def inspect(self, query: str) -> QueryInfo:
        """Parse and check a query in a worker (remembered: a query is parsed once)."""
        info = self._inspected.get(query)
        if info is None:
            info = await self.run(Inspect(query))
            self._inspected[query] = info
            if len(self._inspected) > INSPECTED:
                self._inspected.popitem(last=False)
        else:
            self._inspected.move_to_end(query)
        return info

    async def run(self, job: Job | Inspect) -> Any:
        """Do a job on an idle worker within the time limit: bytes, or a QueryInfo."""
        worker = await self._idle.get()
        loop = asyncio.get_running_loop()
        while not worker.process.is_alive():  # died while idle (killed, out of memory)
            await self._replace(worker)
            worker = await self._idle.get()
        ready: asyncio.Future[None] = loop.create_future()
        try:
            worker.conn.send(job)
            loop.add_reader(worker.conn.fileno(), lambda: ready.done() or ready.set_result(None))
            try:
                await asyncio.wait_for(ready, self.timeout)
            finally:
                loop.remove_reader(worker.conn.fileno())
            kind, *payload = worker.conn.recv()
        except TimeoutError:
            self._retire(worker)
            raise errors.QueryTimeout(
                f"The query ran past the {self.timeout:g} s time limit and was stopped. "
                "Narrow it down (add LIMIT, more specific patterns) and try again."
            ) from None
        except (EOFError, OSError):
            self._retire(worker)
            raise errors.QueryFailed(
                "The query worker stopped before answering (out of memory?); it was replaced."
            ) from None
        except asyncio.CancelledError:  # the client went away: stop the work too
            self._retire(worker)
            raise
        self._idle.put_nowait(worker)
        if kind == "ok":
            return payload[0]
        if kind in REPORTABLE:
            raise REPORTABLE[kind](payload[0])
        raise errors.StoreNotBuilt(f"the store could not be read: {payload[0]}")

    def alive(self) -> int:
        """How many workers are running."""
        return sum(1 for w in self._all if w.process.is_alive())

    def close(self) -> None:
        """Stop every worker."""
        for worker in list(self._all):
            worker.stop()
        self._all.clear()
