"""Query workers: confined (no network, a memory cap), one round trip, bounded queue."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, replace
from pathlib import Path

import psutil
import pyoxigraph as ox
import pytest

from tests.helpers import PROJECT, Recorder
from wise_kg.errors import (
    QueryEvaluationError,
    QueryFailed,
    QueryOverMemory,
    QuerySyntaxError,
    QueryTimeout,
    ServerBusy,
)
from wise_kg.sparql import pool as pool_module
from wise_kg.sparql.evaluate import Dataset, Limits
from wise_kg.sparql.pool import QueryPool
from wise_kg.sparql.spawn import context
from wise_kg.sparql.worker import CHUNK, Job, WorkerSettings
from wise_kg.sparql.zygote import Zygote
from wise_kg.store.embedded import BuildFolder

LIMITS = Limits(10_000, 64 << 20)


@pytest.fixture(scope="module")
def store_path(tmp_path_factory: pytest.TempPathFactory) -> str:
    path = tmp_path_factory.mktemp("store") / "store"
    store = ox.Store(str(path))
    store.extend(
        ox.Quad(ox.NamedNode(f"urn:x:{i}"), ox.NamedNode("urn:x:p"), ox.Literal("v" * 100))
        for i in range(3_000)
    )
    store.flush()
    del store
    return str(path)


def _pool(
    path: str,
    spec: BuildFolder | None = None,
    queue_seconds: float = 0.5,
    queue_size: int = 2,
    **settings: object,
) -> QueryPool:
    worker = {"memory_bytes": 256 << 20, "in_memory_quads": 1_000_000, **settings}
    spec = spec or BuildFolder(path)
    queue = {"queue_seconds": queue_seconds, "queue_size": queue_size}
    return QueryPool(spec, 2, WorkerSettings(**worker), **queue)  # type: ignore[arg-type]


def _job(query: str, form: str = "SELECT", fmt: str = "json") -> Job:
    return Job(query, form, fmt, LIMITS, Dataset(union=True))


async def _with_pool(path: str, work, spec: BuildFolder | None = None, **settings: object):
    pool = _pool(path, spec, **settings)  # type: ignore[arg-type]
    await pool.start()
    try:
        return await work(pool)
    finally:
        pool.close()


def test_a_worker_cannot_reach_the_network_even_past_admission(store_path: str) -> None:
    """SERVICE sent straight to a worker (as if admission had missed it) connects nowhere."""
    recorder = Recorder()

    async def work(pool: QueryPool) -> None:
        assert pool.confinement is None  # the seccomp filter is in place
        deadline = time.monotonic() + 10
        with pytest.raises(QueryEvaluationError):
            await pool.run(
                _job(f"SELECT * {{ SERVICE <{recorder.base}x> {{ ?s ?p ?o }} }}"), deadline=deadline
            )
        silent = f"SELECT * {{ SERVICE SILENT <{recorder.base}x> {{ ?s ?p ?o }} }}"
        answer = await pool.run(_job(silent), deadline=deadline)
        assert b"bindings" in answer.first

    asyncio.run(_with_pool(store_path, work))
    time.sleep(0.1)
    assert recorder.connections == 0


def test_a_long_answer_comes_in_chunks_and_whole(store_path: str) -> None:
    async def work(pool: QueryPool) -> bytes:
        answer = await pool.run(
            _job("CONSTRUCT WHERE { ?s ?p ?o }", "CONSTRUCT", "ntriples"),
            deadline=time.monotonic() + 10,
        )
        assert answer.rest is not None and len(answer.first) == CHUNK
        body = answer.first + b"".join([chunk async for chunk in answer.rest])
        assert len(body) == answer.length
        return body

    body = asyncio.run(_with_pool(store_path, work))
    assert body.count(b"\n") == 3_000


def test_every_request_gets_its_own_answer_when_workers_are_handed_on_with_their_next_job(
    store_path: str,
) -> None:
    """A worker freed by its answer is handed to the next waiting request with that
    request's job already sent: answers, errors and streamed answers, many at once,
    each reach the request that asked."""

    async def one(pool: QueryPool, i: int) -> tuple[int, object]:
        deadline = time.monotonic() + 20
        if i % 7 == 3:  # a syntax error, reported by the worker
            with pytest.raises(QuerySyntaxError):
                await pool.run(_job(f"SELECT {i} WHERE"), deadline=deadline)
            return i, "error"
        if i % 11 == 5:  # a streamed answer, read to its end
            answer = await pool.run(
                _job(f"CONSTRUCT WHERE {{ ?s ?p ?o }} # {i}", "CONSTRUCT", "ntriples"),
                deadline=deadline,
            )
            assert answer.rest is not None
            body = answer.first + b"".join([chunk async for chunk in answer.rest])
            return i, body.count(b"\n")
        answer = await pool.run(_job(f"SELECT ({i} AS ?n) {{}}", fmt="csv"), deadline=deadline)
        return i, int(answer.first.decode().split()[1])

    async def work(pool: QueryPool) -> list[tuple[int, object]]:
        return await asyncio.gather(*(one(pool, i) for i in range(60)))

    results = asyncio.run(_with_pool(store_path, work, queue_size=100, queue_seconds=20))
    for i, got in results:
        expected = "error" if i % 7 == 3 else 3_000 if i % 11 == 5 else i
        assert got == expected, (i, got)


def test_a_job_longer_than_the_pipe_holds_is_written_whole_when_its_worker_is_handed_over(
    store_path: str,
) -> None:
    """A waiting request's job is written as its worker is freed, as far as the pipe takes
    it at once; the request writes the rest when it resumes (a 2 MB text, say)."""
    slow = "SELECT (COUNT(*) AS ?n) { ?a ?b ?c . ?d ?e ?f }"  # about a second
    long = "SELECT (7 AS ?n) {} # " + "x" * 2_000_000

    async def work(pool: QueryPool) -> list[bytes]:
        deadline = time.monotonic() + 20
        busy = [pool.run(_job(f"{slow} # {i}", fmt="csv"), deadline=deadline) for i in range(2)]
        running = [asyncio.ensure_future(run) for run in busy]
        await asyncio.sleep(0.2)  # both workers busy: the long job waits for one
        waiting = asyncio.ensure_future(pool.run(_job(long, fmt="csv"), deadline=deadline))
        answers = await asyncio.gather(*running, waiting)
        return [answer.first for answer in answers]

    answers = asyncio.run(_with_pool(store_path, work, queue_seconds=20))
    assert [a.split() for a in answers] == [[b"n", b"9000000"]] * 2 + [[b"n", b"7"]]


def test_a_query_over_the_memory_cap_is_stopped_and_its_worker_replaced(store_path: str) -> None:
    bomb = "SELECT (STRLEN(GROUP_CONCAT(?o)) AS ?n) WHERE { ?a ?b ?o . ?c ?d ?e } "

    async def work(pool: QueryPool) -> None:
        with pytest.raises((QueryOverMemory,)):
            await pool.run(_job(bomb), deadline=time.monotonic() + 30)
        for _ in range(50):  # replaced in the background
            if pool.alive() == 2:
                break
            await asyncio.sleep(0.1)
        assert pool.alive() == 2
        answer = await pool.run(_job("ASK { ?s ?p ?o }", "ASK"), deadline=time.monotonic() + 10)
        assert b"true" in answer.first

    asyncio.run(_with_pool(store_path, work, memory_bytes=64 << 20))


@pytest.mark.timing
def test_a_full_queue_answers_busy_at_once_and_a_waiter_gives_up_in_time(store_path: str) -> None:
    slow = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"

    async def work(pool: QueryPool) -> list[object]:
        deadline = time.monotonic() + 3
        runs = [pool.run(_job(f"{slow} # {i}"), deadline=deadline) for i in range(6)]
        started = time.monotonic()
        outcomes = await asyncio.gather(*runs, return_exceptions=True)
        assert time.monotonic() - started < 4
        return outcomes

    outcomes = asyncio.run(_with_pool(store_path, work))
    busy = [o for o in outcomes if isinstance(o, ServerBusy)]
    assert len(busy) == 4, outcomes  # two running, two waited 0.5 s, two found the queue full


def test_the_published_graphs_are_one_merged_default_graph_in_a_memory_copy(
    tmp_path: pytest.TempPathFactory,
) -> None:
    """A triple stated in two published graphs is one triple of "the graph" (an RDF merge);
    the shapes stay out of it; GRAPH still reaches every graph by name."""
    from wise_kg.graphs import GRAPHS, default_graphs

    path = str(tmp_path / "store")  # type: ignore[operator]
    store = ox.Store(path)
    triple = (ox.NamedNode("urn:x:s"), ox.NamedNode("urn:x:p"), ox.Literal("o"))
    for name in ("data", "ontology", "shapes"):
        store.add(ox.Quad(*triple, ox.NamedNode(GRAPHS[name])))
    store.flush()
    del store
    stored = sorted(GRAPHS[name] for name in ("data", "ontology", "shapes"))
    published = Dataset(default_graphs(stored), tuple(stored), explicit=True)

    async def work(pool: QueryPool) -> tuple[bytes, bytes, bytes]:
        deadline = time.monotonic() + 10
        merged = await pool.run(
            Job("SELECT * { ?s ?p ?o }", "SELECT", "csv", LIMITS, published), deadline=deadline
        )
        named = await pool.run(
            Job("SELECT ?g { GRAPH ?g { ?s ?p ?o } }", "SELECT", "csv", LIMITS, published),
            deadline=deadline,
        )
        own = await pool.run(  # union_default_graph off: the store's own, empty, default graph
            Job("SELECT * { ?s ?p ?o }", "SELECT", "csv", LIMITS, Dataset()), deadline=deadline
        )
        alone = await pool.run(  # no named graph read: the store holding the merge alone
            Job("SELECT * { ?s ?p ?o }", "SELECT", "csv", LIMITS, replace(published, merge=True)),
            deadline=deadline,
        )
        assert alone.first == merged.first
        return merged.first, named.first, own.first

    merged, named, own = asyncio.run(_with_pool(path, work))
    assert merged.decode().splitlines() == ["o,p,s", "o,urn:x:p,urn:x:s"]  # one row, not two
    assert sorted(named.decode().splitlines()[1:]) == stored
    assert own.decode().splitlines() == ["o,p,s"]


def test_a_worker_stopped_just_before_the_pool_closes_does_not_outlive_it(
    store_path: str,
) -> None:
    """A runaway past its deadline, then the pool closed at once (a server stopping, an
    old build's pool retired): its worker is dead, not left computing on its own."""

    async def work(pool: QueryPool) -> list[int]:
        pids = [w.pid for w in pool._all]
        runaway = _job("SELECT (COUNT(*) AS ?n) { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }")
        with pytest.raises(QueryTimeout):
            await pool.run(runaway, deadline=time.monotonic() + 0.3)
        return pids

    pids = asyncio.run(_with_pool(store_path, work))
    time.sleep(0.5)
    alive = [
        pid for pid in pids if psutil.pid_exists(pid) and psutil.Process(pid).status() != "zombie"
    ]
    assert alive == []


@dataclass(frozen=True)
class SlowBuild(BuildFolder):
    """A build that takes two seconds to open, as a large one takes to copy into memory."""

    def open(self) -> ox.Store:
        time.sleep(2)
        return super().open()


def test_a_killed_worker_is_replaced_at_once_however_long_the_build_takes_to_copy(
    store_path: str,
) -> None:
    """With ESCO loaded, a worker's memory copy took 3.4 s to make: six abandoned runaways
    left the pool short that long, and a cheap query after them got a 503 after a second.
    Workers are forked from a zygote that made the copy once."""

    async def work(pool: QueryPool) -> list[float]:
        runaway = _job("SELECT (COUNT(*) AS ?n) { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }")
        waits = []
        for _ in range(3):
            both = [pool.run(runaway, deadline=time.monotonic() + 0.2) for _ in range(2)]
            stopped = await asyncio.gather(*both, return_exceptions=True)
            assert all(isinstance(outcome, QueryTimeout) for outcome in stopped)
            started = time.monotonic()
            answer = await pool.run(_job("ASK { ?s ?p ?o }", "ASK"), deadline=started + 5)
            waits.append(time.monotonic() - started)
            assert b"true" in answer.first
        return waits

    waits = asyncio.run(_with_pool(store_path, work, SlowBuild(store_path)))
    assert max(waits) < 0.5, waits


def test_the_zygote_is_one_thread_that_never_opened_the_disk_store(store_path: str) -> None:
    """A fork copies only the thread that calls it: a zygote with RocksDB's threads (or any
    other) could fork workers that deadlock on a lock one of them held."""

    async def work(pool: QueryPool) -> tuple[list[str], list[str]]:
        zygote = pool._zygote.process.pid  # type: ignore[union-attr]
        threads = os.listdir(f"/proc/{zygote}/task")
        fds = Path(f"/proc/{zygote}/fd")
        opened = [os.readlink(fd) for fd in fds.iterdir()]
        mapped = Path(f"/proc/{zygote}/maps").read_text().splitlines()
        return threads, [name for name in opened + mapped if store_path in name]

    threads, store_files = asyncio.run(_with_pool(store_path, work))
    assert len(threads) == 1, threads
    assert store_files == []  # none of the store's files is open or mapped in it


@pytest.mark.parametrize("most_quads", [0, 2_999])
def test_a_build_over_the_copy_limit_is_opened_by_each_worker_from_disk(
    store_path: str, most_quads: int
) -> None:
    """0 (never copy), or a limit under the build's 3,000 quads: no copy in the zygote."""

    async def work(pool: QueryPool) -> tuple[bool, bytes]:
        answer = await pool.run(
            _job("SELECT (COUNT(*) AS ?n) { ?s ?p ?o }", fmt="csv"),
            deadline=time.monotonic() + 10,
        )
        return pool.in_memory, answer.first

    in_memory, first = asyncio.run(_with_pool(store_path, work, in_memory_quads=most_quads))
    assert in_memory is False
    assert first.split() == [b"n", b"3000"]


def test_a_build_within_the_copy_limit_is_copied_once_in_the_zygote(store_path: str) -> None:
    async def work(pool: QueryPool) -> bool:
        return pool.in_memory

    assert asyncio.run(_with_pool(store_path, work, in_memory_quads=3_000)) is True


def test_a_job_reaches_its_worker_as_it_was_made() -> None:
    job = Job(
        "SELECT * WHERE { ?s ?p $o }",
        "SELECT",
        "json",
        Limits(rows=10, bytes=1000),
        Dataset(("urn:a", "urn:b"), ("urn:c",), explicit=True, merge=True),
        (("o", "iri", "urn:x"),),
        "https://w3id.org/wise-kg/",
    )
    assert Job.decoded(job.encoded) == job
    assert job.encoded == Job.decoded(job.encoded).encoded  # the ETag's input is stable


MAIN_SCRIPT = """\
import asyncio, pathlib, sys, time
if __name__ == "__mp_main__":  # a worker importing this server's main module
    pathlib.Path(sys.argv[2]).touch()
else:
    from wise_kg.sparql.evaluate import Dataset, Limits
    from wise_kg.sparql.pool import QueryPool
    from wise_kg.sparql.worker import Job, WorkerSettings
    from wise_kg.store.embedded import BuildFolder

    async def run() -> bytes:
        settings = WorkerSettings(256 << 20, 1_000_000)
        pool = QueryPool(BuildFolder(sys.argv[1]), 1, settings, queue_seconds=1, queue_size=1)
        await pool.start()
        try:
            job = Job("ASK {}", "ASK", "json", Limits(10, 1 << 20), Dataset(union=True))
            return (await pool.run(job, deadline=time.monotonic() + 10)).first
        finally:
            pool.close()

    assert b"true" in asyncio.run(run())
"""


def test_a_worker_does_not_import_the_servers_main_module(store_path: str, tmp_path: Path) -> None:
    """``wise-kg serve``'s main module is the whole CLI: a worker that imported it took 0.95 s
    to start (0.13 s without) and held the web app's modules."""
    script, marker = tmp_path / "server_main.py", tmp_path / "imported"
    script.write_text(MAIN_SCRIPT, encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": str(PROJECT)}
    done = subprocess.run(
        [sys.executable, str(script), store_path, str(marker)],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert not marker.exists()


@pytest.mark.parametrize("waiting", ["a long answer", "a runaway"])
def test_a_request_cancelled_in_the_queue_leaves_no_worker_behind(
    store_path: str, waiting: str
) -> None:
    """Cancelled while it waited, its queue entry stayed: the next worker freed was handed
    its job, and nobody ever read the answer (one worker lost for good, or left running a
    runaway without a deadline, while the pool still counted it)."""
    slow = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f }"
    queued = {
        "a long answer": _job("CONSTRUCT WHERE { ?s ?p ?o }", "CONSTRUCT", "ntriples"),
        "a runaway": _job("SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"),
    }[waiting]

    async def work(pool: QueryPool) -> None:
        deadline = time.monotonic() + 30
        busy = [
            asyncio.ensure_future(pool.run(_job(f"{slow} # {i}"), deadline=deadline))
            for i in range(2)
        ]
        await asyncio.sleep(0.2)  # both workers busy
        waiter = asyncio.ensure_future(pool.run(queued, deadline=deadline))
        await asyncio.sleep(0.1)
        waiter.cancel()
        await asyncio.gather(*busy)
        await asyncio.sleep(0.5)
        assert len(pool._idle) == 2 and not pool._waiters
        cheap = [
            pool.run(_job(f"SELECT ({i} AS ?n) {{}}"), deadline=time.monotonic() + 3)
            for i in range(2)
        ]
        assert all(b"n" in answer.first for answer in await asyncio.gather(*cheap))

    asyncio.run(_with_pool(store_path, work, queue_seconds=20, queue_size=10))


def test_a_pool_whose_workers_cannot_start_leaves_nothing_running(tmp_path: Path) -> None:
    """A server retries a newer build it cannot open every few seconds: each failed start
    had left its zygote running (and any worker that had started), one more per retry."""
    pool = _pool(str(tmp_path / "no-such-build"), in_memory_quads=0)

    async def start() -> None:
        with pytest.raises(QueryFailed):
            await pool.start()

    asyncio.run(start())
    assert pool._zygote is not None
    assert not pool._zygote.process.is_alive()
    assert not pool._all and not pool._idle


def test_a_stopped_zygote_forks_nothing_not_even_a_new_zygote(store_path: str) -> None:
    """A replacement that reached the zygote after its pool had closed found the control
    pipe closed, took the zygote for dead and started a new one that nobody would stop."""
    zygote = Zygote(context(), BuildFolder(store_path), WorkerSettings(256 << 20, 0))
    zygote.close()
    parent, child = context().Pipe()
    with parent, child, pytest.raises(QueryFailed, match="stopped"):
        zygote.fork(child)
    assert not zygote.process.is_alive()


def test_a_worker_whose_replacement_fails_to_start_is_replaced_later(
    store_path: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A failed replacement was given up: the pool stayed a worker short until a restart."""
    monkeypatch.setattr(pool_module, "REPLACE_FIRST_PAUSE", 0.05)

    async def work(pool: QueryPool) -> None:
        spawn, failures = pool._spawn, [1, 2]

        def failing_twice() -> object:
            if failures:
                failures.pop()
                raise QueryFailed("cannot fork now")
            return spawn()

        pool._spawn = failing_twice  # type: ignore[method-assign]
        pool._retire(next(iter(pool._all)))
        for _ in range(100):
            if len(pool._all) == 2 and not failures:
                break
            await asyncio.sleep(0.05)
        assert len(pool._all) == 2 and not failures
        answer = await pool.run(_job("ASK { ?s ?p ?o }", "ASK"), deadline=time.monotonic() + 10)
        assert b"true" in answer.first

    asyncio.run(_with_pool(store_path, work))


def test_closing_a_pool_holds_up_no_request_while_its_zygote_is_busy(store_path: str) -> None:
    """A replaced build's pool is closed on the event loop. Stopping its zygote waits for a
    fork or a question in progress (up to the zygote's start-up time), and for its process
    to end: closed from the loop, that held up every request of the build in service."""

    async def work(pool: QueryPool) -> tuple[float, bool]:
        zygote = pool._zygote
        assert zygote is not None
        busy = threading.Thread(target=_hold, args=(zygote._lock, 0.5))
        busy.start()  # a fork in progress, as far as the zygote's lock tells
        await asyncio.sleep(0.05)
        gaps: list[float] = []

        async def tick() -> None:
            last = time.monotonic()
            while True:
                await asyncio.sleep(0.01)
                gaps.append(time.monotonic() - last)
                last = time.monotonic()

        ticking = asyncio.create_task(tick())
        await pool.aclose()
        ticking.cancel()
        busy.join()
        return max(gaps), zygote.process.is_alive()

    longest, alive = asyncio.run(_with_pool(store_path, work))
    assert longest < 0.2, f"the event loop stood still {longest:.2f} s"
    assert not alive


def _hold(lock: threading.Lock, seconds: float) -> None:
    with lock:
        time.sleep(seconds)
