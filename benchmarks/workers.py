# ruff: noqa: RUF001, RUF002
"""Benchmark: ``wise-kg serve --workers N`` (N = 1, 2), embedded store and remote Oxigraph.

Copies the project's sources into a temporary folder twice and builds each copy, then
loads the shared ESCO folder into it: one into the embedded store
(``.wise-kg/store``), one into an ``oxigraph serve --location DIR`` started here
(``WISE_KG_STORE=sparql+http://…/query``, loaded through its Graph Store Protocol
endpoint). Then, for each round, store, number of processes and request, it starts
``wise-kg serve --workers N`` on 127.0.0.1, waits for ``/ready`` and for the N processes
to answer ``/health``, checks the answer once, warms up, and drives it with
``wrk -t1 -c8 --latency`` for ``--seconds``. The server is stopped after each run: every
configuration starts afresh. The configurations' order rotates from round to round.

Requests:

* ``lookup``  — one IRI's ``skos:prefLabel`` by ``GET /sparql`` (the same text every time,
  answer cache on: after the first request it is answered from the cache);
* ``join``    — WISE alignments → ESCO concepts → their labels, answer cache off
  (``WISE_KG_CACHE_BYTES=0``), so every request is evaluated by a query worker;
* ``id-page`` — the Linked Data page of the same IRI, ``Accept: text/turtle``.

Also recorded: the CPU the server (and each of its processes, with their query
workers), the Oxigraph server, wrk and everything else on the machine used during each
run, in cores, and whether the sources under ``src/`` changed while it ran. Writes a
Markdown report.

    .venv/bin/python benchmarks/workers.py --rounds 3 --seconds 10

Needs ``wrk`` (Debian package) and the ``oxigraph`` PyPI package (the ``bench`` extra).
Every process it starts is stopped at the end of its run, and at exit whatever happens.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import quote

import bench_servers as bs
import load_test
import psutil

RESULTS_JSON = bs.JSON_RESULTS
TURTLE = "text/turtle"
DEFAULT_IRI = "https://w3id.org/wise-kg/id/need-area/people-area"
JOIN = (
    f"SELECT ?a ?esco ?label WHERE {{ ?a <{bs.WISE}hasEscoAlignment>/<{bs.WISE}escoConcept> "
    f"?esco . ?esco <{bs.SKOS}prefLabel> ?label }}"
)
UNITS = {"us": 1e-3, "ms": 1.0, "s": 1e3, "m": 60e3, "h": 3600e3}
CPU_KEYS = ("cpu_server", "cpu_engine", "cpu_wrk", "cpu_other")

# --------------------------------------------------------------------------- what is measured


@dataclass(frozen=True)
class Case:
    """One request driven by wrk: its path, Accept header, and whether the cache is on."""

    name: str
    path: str
    accept: str
    cache: bool
    describe: str


@dataclass(frozen=True)
class Variant:
    """How the server runs: its number of processes (``--workers``)."""

    workers: int

    @property
    def label(self) -> str:
        return str(self.workers)


@dataclass
class Store:
    """A built project and the environment that points wise-kg at its store."""

    name: str
    project: Path
    env: dict[str, str] = field(default_factory=dict)
    engine: psutil.Process | None = None  # the remote engine, whose CPU is counted too


@dataclass(frozen=True)
class Config:
    """One measured configuration: a store, a server variant, a request."""

    store: Store
    variant: Variant
    case: Case

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.store.name, self.variant.label, self.case.name)


def cases(iri: str) -> list[Case]:
    """The three requests: cached lookup, uncached join, Linked Data page in Turtle."""
    lookup = bs.LOOKUP.replace("{iri}", iri)
    page = "/" + iri.split("/wise-kg/", 1)[1]
    return [
        Case("lookup", sparql_path(lookup), RESULTS_JSON, True, "cached label lookup"),
        Case("join", sparql_path(JOIN), RESULTS_JSON, False, "WISE → ESCO join, cache off"),
        Case("id-page", page, TURTLE, True, f"`GET {page}`, Turtle, cache on"),
    ]


def variants(counts: list[int]) -> list[Variant]:
    """The server variants measured."""
    return [Variant(n) for n in counts]


def sparql_path(text: str) -> str:
    """``/sparql?query=…`` for a query text."""
    return "/sparql?query=" + quote(text, safe="")


# --------------------------------------------------------------------------- data


def sources_digest() -> str:
    """A digest of the code under ``src/``: the report says if it changed during the run."""
    digest = hashlib.sha256()
    for path in sorted((bs.ROOT / "src").rglob("*")):
        if path.is_file() and "__pycache__" not in path.parts:
            digest.update(str(path.relative_to(bs.ROOT)).encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:12]


def copy_project(target: Path) -> Path:
    """Copy the project's sources (not its store) to ``target``."""
    for name in ("ontology", "data", "shapes", "queries"):
        shutil.copytree(bs.ROOT / name, target / name)
    return target


def build_and_load(project: Path, esco: Path, env: dict[str, str]) -> None:
    """``wise-kg build`` then ``wise-kg esco load`` into the store ``env`` names."""
    full_env = {**os.environ, **env}
    wise = str(bs.BIN / "wise-kg")
    for argv in (
        [wise, "build", "--project", str(project)],
        [wise, "esco", "load", str(esco), "--project", str(project), "--quiet"],
    ):
        done = subprocess.run(argv, env=full_env, capture_output=True, text=True)
        if done.returncode:
            raise RuntimeError(f"{' '.join(argv)} failed:\n{done.stdout}\n{done.stderr}")


def embedded_store(work: Path, esco: Path) -> Store:
    """A project copy with its own embedded store, ESCO loaded."""
    project = copy_project(work / "embedded")
    build_and_load(project, esco, {})
    return Store("embedded", project)


def remote_store(procs: bs.Processes, work: Path, esco: Path) -> Store:
    """``oxigraph serve`` on a fresh folder, a project copy built and ESCO-loaded into it."""
    port = bs.free_port()
    url = f"http://{bs.HOST}:{port}"
    argv = [str(bs.BIN / "oxigraph"), "serve", "--location", str(work / "oxigraph")]
    process = procs.start("oxigraph", [*argv, "--bind", f"{bs.HOST}:{port}"])
    bs.wait_http(url + "/query?query=" + quote("ASK {}"), process)
    env = {"WISE_KG_STORE": f"sparql+{url}/query", "WISE_KG_STORE_GSP_URL": f"{url}/store"}
    project = copy_project(work / "remote")
    build_and_load(project, esco, env)
    return Store("remote oxigraph", project, env, psutil.Process(process.pid))


# --------------------------------------------------------------------------- servers


def server_argv(config: Config, port: int) -> list[str]:
    """The command line of ``wise-kg serve`` for one configuration."""
    return [
        str(bs.BIN / "wise-kg"),
        "serve",
        "--project",
        str(config.store.project),
        "--host",
        bs.HOST,
        "--port",
        str(port),
        "--workers",
        str(config.variant.workers),
    ]


@contextmanager
def wise_server(config: Config, logs: Path, tag: str) -> Iterator[tuple[str, psutil.Process]]:
    """``wise-kg serve`` for one configuration, ready; stopped (its whole group) on leaving."""
    procs = bs.Processes(logs)
    port = bs.free_port()
    env = {**config.store.env}
    if not config.case.cache:
        env["WISE_KG_CACHE_BYTES"] = "0"
    try:
        process = procs.start(tag, server_argv(config, port), env)
        url = f"http://{bs.HOST}:{port}"
        wait_ready(url, process, config.variant.workers)
        yield url, psutil.Process(process.pid)
    finally:
        procs.stop_all()


def wait_ready(url: str, process: subprocess.Popen, workers: int, timeout: float = 120) -> None:
    """Wait for ``/ready`` 200, then until ``/health`` has named ``workers`` distinct pids."""
    bs.wait_http(url + "/ready", process, timeout=timeout)
    pids: set[int] = set()
    deadline = time.monotonic() + timeout
    while len(pids) < workers:
        if time.monotonic() > deadline:
            raise RuntimeError(f"{url}: only {len(pids)} of {workers} processes answered")
        pids.add(get_json(url + "/health")["pid"])
    for _ in range(10 * workers):  # every process must be ready, not only the first
        bs.wait_http(url + "/ready", process, timeout=timeout)


def get_json(url: str) -> dict:
    """GET a JSON document (a fresh connection each time)."""
    with urllib.request.urlopen(url, timeout=10) as response:
        return json.load(response)


def check_answer(url: str, case: Case) -> str:
    """Ask once; fail unless the answer is 200 and not empty. A summary of the answer."""
    request = urllib.request.Request(url + case.path, headers={"Accept": case.accept})
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            body = response.read()
    except urllib.error.HTTPError as err:
        raise RuntimeError(f"{case.name}: HTTP {err.code} {err.read()[:300]!r}") from err
    if case.accept == RESULTS_JSON:
        rows = len(json.loads(body)["results"]["bindings"])
        if not rows:
            raise RuntimeError(f"{case.name}: no rows")
        return f"{rows} rows"
    if not body.strip():
        raise RuntimeError(f"{case.name}: empty page")
    return f"{len(body):,} bytes"


# --------------------------------------------------------------------------- load


def run_wrk(url: str, case: Case, args: argparse.Namespace, seconds: float) -> dict:
    """wrk with ``--latency`` on one request; its parsed summary."""
    argv = ["wrk", f"-t{args.threads}", f"-c{args.connections}", f"-d{seconds:g}s", "--latency"]
    argv += ["--timeout", "30s", "-H", f"Accept: {case.accept}", url + case.path]
    done = subprocess.run(argv, capture_output=True, text=True, timeout=seconds + 120)
    if done.returncode:
        raise RuntimeError(f"wrk failed: {done.stdout.strip()} {done.stderr.strip()}")
    return parse_wrk(done.stdout)


def parse_wrk(text: str) -> dict:
    """Requests/sec, p50/p99 (ms), requests, non-2xx/3xx and socket errors of wrk's output."""
    rps = re.search(r"Requests/sec:\s*([\d.]+)", text)
    p50 = re.search(r"^\s*50%\s+([\d.]+)(us|ms|s|m|h)\s*$", text, re.M)
    p99 = re.search(r"^\s*99%\s+([\d.]+)(us|ms|s|m|h)\s*$", text, re.M)
    requests = re.search(r"(\d+) requests in", text)
    if not (rps and p50 and p99 and requests):
        raise RuntimeError(f"unexpected wrk output:\n{text}")
    socket = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", text
    )
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
    return {
        "rps": float(rps.group(1)),
        "p50_ms": float(p50.group(1)) * UNITS[p50.group(2)],
        "p99_ms": float(p99.group(1)) * UNITS[p99.group(2)],
        "requests": int(requests.group(1)),
        "non2xx": int(non2xx.group(1)) if non2xx else 0,
        "socket_errors": sum(map(int, socket.groups())) if socket else 0,
        "socket_detail": socket.group(0) if socket else "",
    }


def tree_cpu(root: psutil.Process | None) -> float:
    """CPU seconds (user + system) of a process and its live descendants."""
    if root is None:
        return 0.0
    return load_test.tree_sum(root.pid, lambda p: p.cpu_times().user + p.cpu_times().system)


def children_cpu() -> float:
    """CPU seconds used by this script's finished children (wrk, once it is waited for)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def machine_busy() -> float:
    """CPU seconds the whole machine spent busy (all CPUs, not idle nor waiting for I/O)."""
    times = psutil.cpu_times()
    return sum(times) - times.idle - getattr(times, "iowait", 0.0)


def server_processes(master: psutil.Process, workers: int) -> list[psutil.Process]:
    """The processes that accept connections: the master itself, or uvicorn's workers."""
    if workers == 1:
        return [master]
    return [c for c in master.children() if "spawn_main" in " ".join(c.cmdline())]


def with_cpu(measure: Callable[[], dict], server: psutil.Process, engine, workers: int) -> dict:
    """Run ``measure``; add the cores used meanwhile by the server, the engine, wrk, the rest,
    and by each server process (with its query workers), busiest first."""
    counters = [
        lambda: tree_cpu(server),
        lambda: tree_cpu(engine),
        children_cpu,
        machine_busy,
    ]
    counters += [lambda p=p: tree_cpu(p) for p in server_processes(server, workers)]
    before = [count() for count in counters]
    start = time.monotonic()
    result = measure()
    wall = time.monotonic() - start
    after = [count() for count in counters]
    server_s, engine_s, wrk_s, busy_s, *split = (
        (b - a) / wall for a, b in zip(before, after, strict=True)
    )
    other = max(0.0, busy_s - server_s - engine_s - wrk_s)
    cores = (server_s, engine_s, wrk_s, other)
    return result | dict(zip(CPU_KEYS, cores, strict=True)) | {"split": sorted(split)[::-1]}


def run_config(config: Config, args: argparse.Namespace, logs: Path, tag: str) -> dict:
    """One run of one configuration; a failure is recorded, not raised."""
    try:
        return measure_config(config, args, logs, tag)
    except (RuntimeError, OSError, subprocess.SubprocessError) as err:
        return {"failed": str(err).replace("\n", " ")[:300]}


def measure_config(config: Config, args: argparse.Namespace, logs: Path, tag: str) -> dict:
    """Start the server, check and warm up, measure with wrk, stop it."""
    with wise_server(config, logs, tag) as (url, server):
        answer = check_answer(url, config.case)
        if args.warmup > 0:
            run_wrk(url, config.case, args, args.warmup)
        settle(server, config.store.engine)
        try:
            result = with_cpu(
                lambda: run_wrk(url, config.case, args, args.seconds),
                server,
                config.store.engine,
                config.variant.workers,
            )
        except RuntimeError as err:
            raise RuntimeError(f"{err} (server still running: {server.is_running()})") from err
        disturbed(server, logs / f"{tag}.log")
    return result | {"answer": answer}


def disturbed(server: psutil.Process, log: Path) -> None:
    """Fail the run if the server was stopped or lost a process while it ran (not by us)."""
    text = log.read_text(errors="replace") if log.exists() else ""
    signs = [line for line in text.splitlines() if "Received SIGTERM" in line or " died" in line]
    if not server.is_running() or signs:
        raise RuntimeError(f"the server was stopped during the run, not by this script: {signs}")


def settle(server: psutil.Process, engine: psutil.Process | None) -> None:
    """Wait until the server and the engine are idle (no work left from the warm-up)."""
    for process in (server, engine):
        if process is not None:
            bs.wait_idle(process, timeout=30)  # type: ignore[arg-type]  # only .pid is used


# --------------------------------------------------------------------------- report


def header(args: argparse.Namespace, stores: list[Store], answers: dict) -> list[str]:
    """Date, machine, versions, command, what was measured."""
    found = bs.versions()
    names = ("python", "pyoxigraph", "oxigraph", "uvicorn", "fastapi", "wise-kg", "wrk")
    listed = ", ".join(f"{name} {found.get(name, '-')}" for name in names)
    command = f".venv/bin/python benchmarks/workers.py --rounds {args.rounds} "
    command += f"--seconds {args.seconds:g}"
    if args.workers != [1, 2]:
        command += " --workers " + ",".join(map(str, args.workers))
    query_workers = os.environ.get("WISE_KG_QUERY_WORKERS", "2")
    digest_end = sources_digest()
    changed = digest_end != args.digest_start
    lines = [
        "# `wise-kg serve --workers N`: measured",
        "",
        "| | |",
        "|---|---|",
        f"| date | {datetime.now(UTC):%Y-%m-%d %H:%M} UTC |",
        f"| machine | nproc {len(os.sched_getaffinity(0))}; {bs.machine()} |",
        f"| load average (1 min) at start / end | {args.load_start:.2f} / "
        f"{os.getloadavg()[0]:.2f} |",
        f"| versions | {listed} |",
        f"| command | `{command}` |",
        f"| load | `wrk -t{args.threads} -c{args.connections} -d{args.seconds:g}s --latency "
        f"--timeout 30s`, after a {args.warmup:g} s warm-up, on the same machine |",
        f"| server | `wise-kg serve --workers N` on 127.0.0.1, restarted for every run; "
        f"{query_workers} query-evaluation processes per server process "
        "(`WISE_KG_QUERY_WORKERS`) |",
        "| stores | embedded: pyoxigraph on disk, opened read-only by each server process; "
        "remote oxigraph: `oxigraph serve --location DIR` on 127.0.0.1 "
        "(`WISE_KG_STORE=sparql+http://…/query`), the same build and ESCO load |",
        f"| rounds | {args.rounds}, every configuration once per round, the order rotating |",
        f"| code under `src/` | digest {args.digest_start} at start, {digest_end} at end"
        + (" — **changed during the run: the runs mix two versions**" if changed else "")
        + " |",
        "",
        "Requests (each answer checked once before the run):",
        "",
    ]
    for case in cases(args.iri):
        seen = "; ".join(f"{s.name}: {answers.get((s.name, case.name), '?')}" for s in stores)
        lines.append(f"- `{case.name}` — {case.describe} ({seen})")
    return lines


def ok_runs(results: dict, key: tuple) -> list[dict]:
    """The runs of one configuration that completed."""
    return [r for r in results.get(key, []) if "failed" not in r]


def store_table(store: str, results: dict, names: list[str], labels: list[str]) -> list[str]:
    """The table of one store: request × server variant."""
    lines = [
        f"## {store}",
        "",
        "| request | workers | req/s median (min–max) | p50 ms | p99 ms | non-2xx | "
        "socket errors | CPU cores: wise-kg / engine / wrk / other | per server process |",
        "|---|---|---|---:|---:|---:|---:|---|---|",
    ]
    for case in names:
        for label in labels:
            all_runs = results.get((store, label, case), [])
            runs = ok_runs(results, (store, label, case))
            failed = len(all_runs) - len(runs)
            if not runs:
                lines.append(f"| {case} | {label} | all {failed} runs failed | | | | | | |")
                continue
            rps = [r["rps"] for r in runs]
            cpu = " / ".join(f"{bs.med([r[k] for r in runs]):.2f}" for k in CPU_KEYS)
            note = f" ⚠ {failed} run(s) failed" if failed else ""
            lines.append(
                f"| {case} | {label} | **{bs.med(rps):,.0f}** ({min(rps):,.0f}–{max(rps):,.0f})"
                f"{note} | {bs.med([r['p50_ms'] for r in runs]):.2f}"
                f" | {bs.med([r['p99_ms'] for r in runs]):.2f}"
                f" | {sum(r['non2xx'] for r in runs)} | {sum(r['socket_errors'] for r in runs)}"
                f" | {cpu} | {split_cell(runs)} |"
            )
    return lines


def split_cell(runs: list[dict]) -> str:
    """Cores of each server process (busiest first), median over the runs per position."""
    positions = zip(*(r["split"] for r in runs), strict=False)
    return " + ".join(f"{bs.med(list(cores)):.2f}" for cores in positions)


def ratio(results: dict, store: str, case: str, label: str) -> float:
    """Median req/s of a variant ÷ that of one server process."""
    one = bs.med([r["rps"] for r in ok_runs(results, (store, "1", case))])
    other = bs.med([r["rps"] for r in ok_runs(results, (store, label, case))])
    return other / one if one else float("nan")


def ratio_table(results: dict, stores: list[str], names: list[str], labels: list[str]) -> list[str]:
    """Each multi-process variant ÷ 1 worker, per store and request."""
    columns = [(store, label) for store in stores for label in labels if label != "1"]
    lines = [
        "## Ratio to 1 worker (median req/s)",
        "",
        "| request | " + " | ".join(f"{s}: {label} ÷ 1" for s, label in columns) + " |",
        "|---|" + "---:|" * len(columns),
    ]
    for case in names:
        cells = [f"{ratio(results, store, case, label):.2f}×" for store, label in columns]
        lines.append(f"| {case} | " + " | ".join(cells) + " |")
    return lines


def raw_table(raw: list[tuple[int, tuple, dict]]) -> list[str]:
    """Every run, in the order it ran."""
    lines = [
        "## Every run",
        "",
        "| round | store | workers | request | req/s | p50 ms | p99 ms | non-2xx | socket errors "
        "| CPU wise-kg / engine / wrk / other | per server process |",
        "|---:|---|---|---|---:|---:|---:|---:|---:|---|---|",
    ]
    for round_no, (store, label, case), r in raw:
        if "failed" in r:
            lines.append(f"| {round_no} | {store} | {label} | {case} | failed: {r['failed']} |")
            continue
        cpu = " / ".join(f"{r[k]:.2f}" for k in CPU_KEYS)
        errors = f"{r['socket_errors']} ({r['socket_detail']})" if r["socket_errors"] else "0"
        lines.append(
            f"| {round_no} | {store} | {label} | {case} | {r['rps']:,.0f} | {r['p50_ms']:.2f} "
            f"| {r['p99_ms']:.2f} | {r['non2xx']} | {errors} | {cpu} "
            f"| {split_cell([r])} |"
        )
    return lines


INTERPRETATION = """\
## Reading the numbers

The machine has {cores} cores and everything runs on it: wrk, every `wise-kg serve`
process with its {qw} query-evaluation subprocesses, `oxigraph serve` for the remote store,
and whatever else the machine is doing (the `other` CPU column: busy CPU of the whole
machine less the server, the engine and wrk). A second server process can only help while
the first leaves a core idle; a run whose CPU columns add up to about {cores} is bound by
the cores of this machine, and there more server processes only share the same cores. What
bounds each case:

- `lookup` (answer cache on): no evaluation; the cost is HTTP parsing, routing, the cache
  look-up and the response, all Python in the server process. One server process is one
  interpreter and uses one core at most (the GIL): its wise-kg column sits at 1.00 while
  part of the machine is idle, so the interpreter, not the machine, is the bound. A second
  process that gets connections can use the other core; the sum is then capped by the {cores}
  cores less wrk's share, which grows with the request rate. The store makes no
  difference: the answer never reaches it.
- `id-page` (Turtle, cache on): the page of one resource, from the cache after the first
  request; like `lookup`, bound by Python in the server process.
- `join` (cache off): every request is parsed, checked and sent to a query worker; one
  server process already has {qw} query workers, so it already keeps most of both cores busy
  (see the CPU column), and a second server process only adds processes competing for the
  same cores. With the remote store the evaluation runs in `oxigraph serve`, and wise-kg's
  own share (sending the query over HTTP, parsing the engine's JSON answer, writing its own)
  is larger than the engine's.

Connections, not requests, are shared out: wrk opens its {connections} keep-alive connections
at once and keeps them for the whole run. `wise-kg serve --workers N` accepts every
connection in its parent process and hands them to the N server processes in turn
(`api/processes.py`), so each gets {connections}/N whatever the timing. (Before, with
uvicorn's `--workers`, the processes accepted from one shared socket, the first awake took
every waiting connection, and two processes gave 0.98× to 1.72× of one, run to run.) The
`per server process` column shows the split (cores of each server process with its query
workers, busiest first; medians per position), and the table below compares the runs where
the work was shared with those where one process did (nearly) all of it.

"""


def lopsided(run: dict) -> bool:
    """Whether one server process did over 85 % of a multi-process run's work."""
    split = run["split"]
    return len(split) > 1 and split[0] > 0.85 * sum(split)


def split_table(results: dict, stores: list[str], names: list[str], labels: list[str]) -> list:
    """Per store, request and multi-process variant: shared runs against one-process runs."""
    lines = [
        "| store | request | workers | 1 worker: req/s | runs shared: n, req/s | "
        "runs on one process: n, req/s |",
        "|---|---|---|---:|---:|---:|",
    ]
    for store in stores:
        for case in names:
            one = bs.med([r["rps"] for r in ok_runs(results, (store, "1", case))])
            for label in [label for label in labels if label != "1"]:
                runs = ok_runs(results, (store, label, case))
                cells = []
                for group in (
                    [r for r in runs if not lopsided(r)],
                    [r for r in runs if lopsided(r)],
                ):
                    rps = bs.med([r["rps"] for r in group])
                    cells.append(f"{len(group)}, {rps:,.0f}" if group else "0, –")
                lines.append(
                    f"| {store} | {case} | {label} | {one:,.0f} | " + " | ".join(cells) + " |"
                )
    return [*lines, ""]


def report(args, stores: list[Store], results: dict, raw: list, answers: dict) -> str:
    """The whole Markdown report."""
    names = [case.name for case in cases(args.iri)]
    labels = [variant.label for variant in variants(args.workers)]
    store_names = [store.name for store in stores]
    lines = [*header(args, stores, answers), ""]
    lines += [
        "req/s is wrk's Requests/sec (all answers; non-2xx are counted apart), median and "
        "(min–max) over the rounds; p50 and p99 are the medians over the rounds of wrk's "
        "latency percentiles; non-2xx and socket errors are summed over the rounds. CPU cores "
        "are CPU seconds used during the measured run ÷ its wall time (medians).",
        "",
    ]
    repeated = [entry for entry in raw if "failed" in entry[2]]
    if repeated:
        lines += [
            f"{len(repeated)} run(s) failed and were run once more (the reasons are in the "
            "last table); the tables use the runs that completed.",
            "",
        ]
    for store in store_names:
        lines += [*store_table(store, results, names, labels), ""]
    lines += [*ratio_table(results, store_names, names, labels), ""]
    qw = os.environ.get("WISE_KG_QUERY_WORKERS", "2")
    cores = len(os.sched_getaffinity(0))
    lines += [INTERPRETATION.format(cores=cores, qw=qw, connections=args.connections).rstrip(), ""]
    lines += [*split_table(results, store_names, names, labels), *raw_table(raw), ""]
    return "\n".join(lines)


# --------------------------------------------------------------------------- main


def configs(stores: list[Store], args: argparse.Namespace) -> list[Config]:
    """Every (store, variant, request) combination."""
    return [
        Config(store, variant, case)
        for store in stores
        for variant in variants(args.workers)
        for case in cases(args.iri)
    ]


def measure_all(args, stores: list[Store], logs: Path) -> tuple[dict, list, dict]:
    """Every configuration once per round, the order rotating; results, raw runs, answers."""
    results: dict[tuple, list[dict]] = {}
    raw: list[tuple[int, tuple, dict]] = []
    answers: dict[tuple[str, str], str] = {}
    todo = configs(stores, args)
    step = len(cases(args.iri))  # each round starts one server variant further on
    for round_no in range(1, args.rounds + 1):
        shift = (round_no - 1) * step % len(todo)
        for config in todo[shift:] + todo[:shift]:
            tag = f"r{round_no}-{'-'.join(config.key).replace(' ', '-')}"
            r = run_config(config, args, logs, tag)
            if "failed" in r:  # once more: an outside event must not cost the round
                print(f"round {round_no} {' | '.join(config.key):42} {summary(r)}", flush=True)
                raw.append((round_no, config.key, r))
                r = run_config(config, args, logs, tag + "-again")
            results.setdefault(config.key, []).append(r)
            raw.append((round_no, config.key, r))
            if "answer" in r:
                answers[(config.store.name, config.case.name)] = r["answer"]
            print(f"round {round_no} {' | '.join(config.key):42} {summary(r)}", flush=True)
    return results, raw, answers


def summary(r: dict) -> str:
    """One run, on one line."""
    if "failed" in r:
        return f"FAILED {r['failed']}"
    return (
        f"{r['rps']:9.1f} req/s  p50 {r['p50_ms']:7.2f} ms  p99 {r['p99_ms']:7.2f} ms  "
        f"non-2xx {r['non2xx']}  socket errors {r['socket_errors']}  cpu "
        + "/".join(f"{r[k]:.2f}" for k in CPU_KEYS)
        + f"  per process {split_cell([r])}"
    )


def parse_args() -> argparse.Namespace:
    """The command line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--warmup", type=int, default=2, help="seconds of wrk before each run")
    parser.add_argument(
        "--threads",
        type=int,
        default=1,
        help="wrk threads (one drives 8 connections; a second takes CPU from the servers)",
    )
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--iri", default=DEFAULT_IRI, help="the resource looked up and paged")
    parser.add_argument(
        "--workers",
        type=lambda v: [int(n) for n in v.split(",")],
        default=[1, 2],
        help="server process counts, comma-separated (1,2)",
    )
    parser.add_argument("--esco", type=Path, default=bs.ROOT.parent / "shared" / "esco" / "v1.2.0")
    parser.add_argument("--out", type=Path, default=bs.ROOT / "benchmarks" / "results-workers.md")
    parser.add_argument("--keep", action="store_true", help="keep the work folder (and logs)")
    return parser.parse_args()


def main() -> None:
    """Prepare both stores, measure every configuration, write the report."""
    args = parse_args()
    if not shutil.which("wrk"):
        raise SystemExit("wrk is missing: apt-get install wrk")
    args.load_start = os.getloadavg()[0]
    args.digest_start = sources_digest()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    signal.signal(signal.SIGINT, signal.default_int_handler)
    work = Path(tempfile.mkdtemp(prefix="wise-kg-workers-"))
    logs = work / "logs"
    logs.mkdir()
    engines = bs.Processes(logs)
    try:
        print(f"building both stores in {work}", flush=True)
        stores = [embedded_store(work, args.esco), remote_store(engines, work, args.esco)]
        results, raw, answers = measure_all(args, stores, logs)
        text = report(args, stores, results, raw, answers)
        args.out.write_text(text, encoding="utf-8")
        print(text)
    finally:
        bs.finish(engines, work, keep=args.keep)


if __name__ == "__main__":
    main()
