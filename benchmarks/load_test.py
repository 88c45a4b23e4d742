"""Load test: many clients on a real server, with runaway queries running all along.

Builds a copy of the project in a temporary folder, starts the real server
(``wise-kg serve``) as a subprocess on 127.0.0.1, and drives it for a fixed time
with a bounded mix from ``--clients`` threads, each with its own HTTP connection:

* saved competency questions (``/queries/cq_NN``, default parameters);
* lookups: a label by IRI through ``/sparql`` (a fresh query text each time, so it
  is evaluated by a worker, never answered from the cache), ``/id/…`` pages in
  Turtle and in HTML, ``/search?q=`` as JSON;
* dumps (``/dump.ttl``) and HTML pages (``/``, ``/ontology``, ``/search`` for browsers);
* runaway queries (a cartesian product), sent back to back by ``--slow-clients`` of
  the clients: each must be stopped at the time limit with a 503. They are counted
  on their own, not as errors.

Meanwhile the resident memory of the server and of its worker processes is sampled
(psutil). Writes a markdown table (``--output``, default ``benchmarks/load-results.md``).

    .venv/bin/python benchmarks/load_test.py --seconds 60 --clients 16

``tests/http/test_load.py`` runs the same driver for a few seconds against an in-process
server and asserts on the figures.
"""

from __future__ import annotations

import argparse
import datetime as dt
import math
import os
import platform
import random
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import psutil

ROOT = Path(__file__).resolve().parents[1]
SOURCE_DIRS = ("ontology", "data", "shapes", "queries")

#: The runaway query: a four-way cartesian product of the whole store.
SLOW = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l }"
LABEL = (
    "# request {n}\n"
    "SELECT ?label WHERE {{ <{iri}> <http://www.w3.org/2004/02/skos/core#prefLabel>"
    "|<http://www.w3.org/2000/01/rdf-schema#label> ?label }}"
)
RESOURCES = (
    "SELECT DISTINCT ?s WHERE { ?s ?p ?o "
    'FILTER(STRSTARTS(STR(?s), "https://w3id.org/wise-kg/id/")) } ORDER BY ?s'
)
HTML = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"

#: Request kinds and their weights in the mix of an ordinary client.
MIX = {
    "saved query": 20,
    "lookup: sparql": 20,
    "lookup: /id turtle": 15,
    "lookup: /id html": 15,
    "lookup: search": 10,
    "html page": 10,
    "dump": 5,
}
LOOKUPS = tuple(kind for kind in MIX if kind.startswith("lookup"))
SLOW_KIND = "runaway (expected 503)"


@dataclass
class Sample:
    """One request: its kind, when it started, how long it took, its status."""

    kind: str
    started: float
    seconds: float
    status: int
    during_slow: bool


@dataclass
class Run:
    """Everything a load run measured."""

    samples: list[Sample] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    rss: list[tuple[float, int]] = field(default_factory=list)
    seconds: float = 0.0
    drained: float = 0.0
    started: float = 0.0
    stopped: float = 0.0
    clients: int = 0
    slow_clients: int = 0

    def of(self, kinds: Iterable[str], *, during_slow: bool | None = None) -> list[float]:
        """Latencies of the successful requests of these kinds."""
        kinds = set(kinds)
        return [
            s.seconds
            for s in self.samples
            if s.kind in kinds
            and s.status in (200, 503)
            and (during_slow is None or s.during_slow == during_slow)
        ]

    @property
    def throughput(self) -> float:
        """Requests completed per second while the load ran."""
        done = sum(1 for s in self.samples if s.started + s.seconds <= self.stopped)
        return done / self.seconds if self.seconds else 0.0

    @property
    def error_count(self) -> int:
        return len(self.errors)

    @property
    def peak_rss(self) -> int:
        return max((r for _, r in self.rss), default=0)


def percentile(values: list[float], pct: float) -> float:
    """The ``pct`` percentile (nearest rank); NaN for no values."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = max(0, min(len(ordered) - 1, math.ceil(pct / 100 * len(ordered)) - 1))
    return ordered[rank]


def tree_sum(root_pid: int, measure: Callable[[psutil.Process], float]) -> float:
    """A measure summed over a process and all its descendants (a vanished one counts 0)."""
    try:
        root = psutil.Process(root_pid)
        processes = [root, *root.children(recursive=True)]
    except psutil.NoSuchProcess:
        return 0.0
    total = 0.0
    for process in processes:
        try:
            total += measure(process)
        except psutil.NoSuchProcess:
            continue
    return total


def tree_rss(root_pid: int) -> int:
    """Resident memory of a process and all its descendants (workers), in bytes."""
    return int(tree_sum(root_pid, lambda process: process.memory_info().rss))


class _Targets:
    """What the clients ask for, read from the server itself before the run."""

    def __init__(self, url: str):
        with httpx.Client(base_url=url, timeout=60) as http:
            rows = http.get("/sparql", params={"query": RESOURCES}).json()["results"]["bindings"]
            self.resources = [row["s"]["value"] for row in rows]
            self.queries = [q["name"] for q in http.get("/queries").json()]
            hits = [h["label"] for h in http.get("/search", params={"q": "a", "limit": 100}).json()]
        words = {w.strip("(),.").lower() for label in hits for w in label.split()}
        self.words = sorted(w for w in words if len(w) >= 3) or ["need", "area", "skill"]
        if not self.resources or not self.queries:
            raise RuntimeError("the server returned no resources or no saved queries")


def _request(http: httpx.Client, kind: str, rng: random.Random, t: _Targets, n: int):
    """Send one request of ``kind``; returns the response."""
    if kind == "saved query":
        return http.get(f"/queries/{rng.choice(t.queries)}")
    if kind == "lookup: sparql":
        query = LABEL.format(n=n, iri=rng.choice(t.resources))
        return http.get("/sparql", params={"query": query})
    if kind == "lookup: /id turtle":
        path = rng.choice(t.resources).split("/wise-kg/", 1)[1]
        return http.get("/" + path, headers={"Accept": "text/turtle"})
    if kind == "lookup: /id html":
        path = rng.choice(t.resources).split("/wise-kg/", 1)[1]
        return http.get("/" + path, headers={"Accept": HTML})
    if kind == "lookup: search":
        return http.get("/search", params={"q": rng.choice(t.words)})
    if kind == "html page":
        path = rng.choice(["/", "/ontology", "/search?q=skill", "/sparql"])
        return http.get(path, headers={"Accept": HTML})
    if kind == "dump":
        return http.get("/dump.ttl")
    if kind == SLOW_KIND:
        return http.get("/sparql", params={"query": SLOW})
    raise ValueError(kind)


def drive(
    url: str,
    *,
    seconds: float,
    clients: int,
    slow_clients: int = 1,
    rss_of: Callable[[], int] | None = None,
    slow_pause: float = 0.0,
    seed: int = 1,
    request_timeout: float = 60.0,
) -> Run:
    """Run ``clients`` threads against ``url`` for ``seconds``.

    The first ``slow_clients`` of them send runaway queries, pausing ``slow_pause``
    seconds after each, so lookups are measured both with and without one running.
    Requests still in flight at the end are waited for and counted.
    """
    targets = _Targets(url)
    run = Run(clients=clients, slow_clients=slow_clients)
    lock = threading.Lock()
    slow_in_flight = [0]
    counter = [0]
    stop = threading.Event()
    kinds, weights = list(MIX), list(MIX.values())

    def client(index: int) -> None:
        rng = random.Random(seed * 1000 + index)
        slow = index < slow_clients
        first = True
        with httpx.Client(base_url=url, timeout=request_timeout) as http:
            while not stop.is_set():
                if slow:
                    kind = SLOW_KIND
                elif first:  # the clients start on different kinds, so each kind is seen
                    kind = kinds[(index - slow_clients) % len(kinds)]
                else:
                    kind = rng.choices(kinds, weights)[0]
                first = False
                with lock:
                    counter[0] += 1
                    n = counter[0]
                    during = slow_in_flight[0] > 0
                    if slow:
                        slow_in_flight[0] += 1
                started = time.monotonic()
                try:
                    response = _request(http, kind, rng, targets, n)
                    status, body = response.status_code, response.text
                except httpx.HTTPError as err:
                    status, body = 0, f"{type(err).__name__}: {err}"
                finally:
                    if slow:
                        with lock:
                            slow_in_flight[0] -= 1
                elapsed = time.monotonic() - started
                expected = 503 if slow else 200
                with lock:
                    run.samples.append(Sample(kind, started, elapsed, status, during))
                    if status != expected or (slow and "time limit" not in body):
                        run.errors.append(f"{kind}: {status} {body[:200]!r}")
                if slow:
                    stop.wait(slow_pause)

    def sampler() -> None:
        while not stop.is_set():
            if rss_of is not None:
                run.rss.append((time.monotonic(), rss_of()))
            stop.wait(0.25)

    threads = [threading.Thread(target=client, args=(i,), daemon=True) for i in range(clients)]
    watcher = threading.Thread(target=sampler, daemon=True)
    started = time.monotonic()
    watcher.start()
    for thread in threads:
        thread.start()
    time.sleep(seconds)
    stop.set()
    run.stopped = time.monotonic()
    for thread in threads:
        thread.join(timeout=request_timeout + 5)
    watcher.join(timeout=5)
    if rss_of is not None:
        run.rss.append((time.monotonic(), rss_of()))
    run.seconds = run.stopped - started
    run.drained = time.monotonic() - run.stopped
    run.started = started
    return run


# --- the benchmark as a script ------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def build_copy(target: Path) -> Path:
    """Copy the project's sources to ``target`` and build its store there."""
    from wise_kg.config import Settings
    from wise_kg.store.build import build

    for name in SOURCE_DIRS:
        if (ROOT / name).is_dir():
            shutil.copytree(ROOT / name, target / name)
    build(Settings(project_dir=target, store_path=target / ".wise-kg" / "store"))
    return target


def start_server(project: Path, port: int, timeout: float, workers: int, log: Path):
    """``wise-kg serve`` as a subprocess on 127.0.0.1; returns it once /health answers."""
    env = {
        **os.environ,
        "WISE_KG_QUERY_TIMEOUT": str(timeout),
        "WISE_KG_QUERY_WORKERS": str(workers),
    }
    command = [sys.executable, "-m", "wise_kg.cli", "serve", "--project", str(project)]
    command += ["--host", "127.0.0.1", "--port", str(port)]
    with log.open("wb") as err:
        process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=err)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the server exited: {log.read_text(errors='replace')[-2000:]}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/health", timeout=2).status_code == 200:
                return process
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    process.kill()
    raise RuntimeError("the server did not start within 60 s")


def cpu_model() -> str:
    """The CPU's model name (from /proc/cpuinfo), or what the platform says."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _machine() -> str:
    cpu = cpu_model()
    memory = psutil.virtual_memory().total / 2**30
    return (
        f"{platform.system()} {platform.release()}, {cpu}, {os.cpu_count()} CPUs, "
        f"{memory:.0f} GiB RAM, Python {platform.python_version()}"
    )


def _ms(value: float) -> str:
    return "n/a" if value != value else f"{value * 1000:.0f}"  # NaN: no such requests


def _mb(value: int) -> str:
    return f"{value / 2**20:.0f} MB"


def report(run: Run, *, timeout: float, workers: int, slow_pause: float, command: str) -> str:
    """The run as a markdown document."""
    total = len(run.samples)
    lines = [
        "# Load test",
        "",
        f"`{command}` — written by `benchmarks/load_test.py`.",
        "",
        "| | |",
        "|---|---|",
        f"| date | {dt.datetime.now(dt.UTC).strftime('%Y-%m-%d %H:%M UTC')} |",
        f"| machine | {_machine()} |",
        "| server | `wise-kg serve` on 127.0.0.1 (one uvicorn process), "
        f"{workers} query workers, time limit {timeout:g} s |",
        f"| duration | {run.seconds:.1f} s of load, then {run.drained:.1f} s for the requests "
        "in flight |",
        f"| clients | {run.clients}, {run.slow_clients} of them sending runaway queries "
        f"(pausing {slow_pause:g} s after each) |",
        f"| requests | {total} |",
        f"| throughput | {run.throughput:.1f} req/s |",
        f"| errors | **{run.error_count}** |",
        f"| lookups p99 while a runaway query runs | "
        f"**{_ms(percentile(run.of(LOOKUPS, during_slow=True), 99))} ms** "
        f"({len(run.of(LOOKUPS, during_slow=True))} lookups) |",
        f"| lookups p99 while none runs | "
        f"{_ms(percentile(run.of(LOOKUPS, during_slow=False), 99))} ms "
        f"({len(run.of(LOOKUPS, during_slow=False))} lookups) |",
        f"| RSS of server + workers: start / peak / end | {_mb(run.rss[0][1])} / "
        f"**{_mb(run.peak_rss)}** / {_mb(run.rss[-1][1])} |",
        "",
        "| request kind | requests | errors | p50 ms | p99 ms | max ms |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for kind in [*MIX, SLOW_KIND]:
        times = [s.seconds for s in run.samples if s.kind == kind]
        errors = sum(1 for e in run.errors if e.startswith(kind + ":"))
        lines.append(
            f"| {kind} | {len(times)} | {errors} | {_ms(percentile(times, 50))} | "
            f"{_ms(percentile(times, 99))} | {_ms(max(times, default=float('nan')))} |"
        )
    lines += [
        "",
        "Lookups are label-by-IRI SPARQL queries (a new query text each time, so each is "
        "evaluated by a worker, not served from the cache), `/id/…` pages in Turtle and HTML, "
        "and `/search` as JSON. A runaway query (a four-way cartesian product) holds one "
        "worker until it is stopped at the time limit with a 503 (counted apart from the "
        'errors); a lookup counts as "while a runaway query runs" when one was in flight '
        "as it started. RSS is sampled every 0.25 s over the server process and all its "
        "children. The clients run on the same machine as the server.",
    ]
    if run.errors:
        lines += ["", "First errors:", ""] + [f"- `{e}`" for e in run.errors[:10]]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--slow-clients", type=int, default=1)
    parser.add_argument("--timeout", type=float, default=10.0, help="the server's time limit")
    parser.add_argument("--workers", type=int, default=2, help="the server's query workers")
    parser.add_argument("--slow-pause", type=float, default=5.0, help="pause after a runaway")
    parser.add_argument("--output", type=Path, default=ROOT / "benchmarks" / "load-results.md")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="wise-kg-load-") as tmp:
        project = build_copy(Path(tmp) / "project")
        port = _free_port()
        server = start_server(project, port, args.timeout, args.workers, Path(tmp) / "server.log")
        try:
            url = f"http://127.0.0.1:{port}"
            with httpx.Client(base_url=url, timeout=60) as http:  # warm up every route once
                for path in ("/", "/ontology", "/dump.ttl", "/search?q=need", "/queries"):
                    http.get(path)
            run = drive(
                url,
                seconds=args.seconds,
                clients=args.clients,
                slow_clients=args.slow_clients,
                rss_of=lambda: tree_rss(server.pid),
                slow_pause=args.slow_pause,
            )
        finally:
            server.terminate()
            try:
                server.wait(timeout=15)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()
    command = (
        f".venv/bin/python benchmarks/load_test.py --seconds {args.seconds:g} "
        f"--clients {args.clients}"
    )
    text = report(
        run,
        timeout=args.timeout,
        workers=args.workers,
        slow_pause=args.slow_pause,
        command=command,
    )
    args.output.write_text(text, encoding="utf-8")
    print(text)
    print(f"median request: {statistics.median(s.seconds for s in run.samples) * 1000:.0f} ms")
    return 1 if run.errors else 0


if __name__ == "__main__":
    sys.exit(main())
