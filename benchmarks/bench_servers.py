# ruff: noqa: RUF001
"""Benchmark: wise-kg's /sparql against `oxigraph serve` and rdflib-endpoint, same data.

Builds a copy of the project, loads the shared ESCO folder into it, dumps the
whole dataset as N-Quads and serves it, all on 127.0.0.1, from:

* ``wise-kg``          — ``wise-kg serve`` as shipped (answer cache on);
* ``wise-kg-nocache``  — the same with ``WISE_KG_CACHE_BYTES=0`` (every request evaluated);
* ``ox-mem``           — ``oxigraph serve`` in memory (data POSTed to /store);
* ``ox-disk``          — ``oxigraph load`` then ``oxigraph serve-read-only`` on disk;
* ``rdflib-endpoint``  — ``rdflib-endpoint serve all.nq`` (rdflib Dataset, union default graph).

Every server answers with the union of the graphs as default graph. Each query is
first run once on every server and the row counts compared; then wrk drives each
(query, server) pair with the same bounded load (``-t2 -c8``, ``--seconds`` each,
``--timeout 30s``), the servers' order rotating from round to round, and waits for
the server to go idle before the next run. Queries:

* ``lookup``        — label of one IRI (the same request every time);
* ``lookup-rot200`` — label of one of 200 resources, rotating (each text repeats);
* ``lookup-unique`` — the same with a comment that makes every request's text new,
                      so neither wise-kg's answer cache nor its parse cache can help;
* ``substring``     — every skos:prefLabel containing "work" (case-insensitive);
* ``join``          — WISE areas/profiles → ESCO concepts → their broader concepts' labels;
* ``cq_*``          — each saved query of queries/, its header defaults pasted into the
                      text for the peers; wise-kg runs it by name at /queries/{name}.

Also measured: wise-kg's /search?q=plac, cold start (build + validate + serve of a fresh
project copy to the first 200 on /health), ``wise-kg validate`` wall time, and ``wise-kg
esco load`` wall time and peak RSS. Writes a Markdown table and the raw numbers (JSON).

    python benchmarks/bench_servers.py [--rounds 3] [--seconds 10] [--servers …] [--queries …]

Needs ``wrk`` (Debian package) and the ``oxigraph``, ``rdflib-endpoint`` PyPI packages.
Every process it starts is stopped at the end, whatever happens.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from urllib.parse import quote

import load_test
import psutil

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
HOST = "127.0.0.1"
JSON_RESULTS = "application/sparql-results+json"
SKOS = "http://www.w3.org/2004/02/skos/core#"
WISE = "https://w3id.org/wise-kg/ontology#"

LOOKUP = f"SELECT ?l WHERE {{ <{{iri}}> <{SKOS}prefLabel> ?l }}"
LOOKUP_IRI = "https://w3id.org/wise-kg/id/need/placement"
SUBSTRING = f"""PREFIX skos: <{SKOS}>
SELECT ?s ?l WHERE {{ ?s skos:prefLabel ?l FILTER(CONTAINS(LCASE(STR(?l)), "work")) }}"""
JOIN = f"""PREFIX skos: <{SKOS}>
PREFIX wise: <{WISE}>
SELECT DISTINCT ?holder ?holderLabel ?esco ?escoLabel ?broader ?broaderLabel WHERE {{
  ?holder wise:hasEscoAlignment ?alignment ;
          skos:prefLabel ?holderLabel .
  ?alignment wise:escoConcept ?esco .
  ?esco skos:prefLabel ?escoLabel .
  OPTIONAL {{ ?esco skos:broader ?broader . ?broader skos:prefLabel ?broaderLabel }}
}}"""
RESOURCES = f"""SELECT DISTINCT ?s WHERE {{
  ?s <{SKOS}prefLabel> ?l FILTER(STRSTARTS(STR(?s), "https://w3id.org/wise-kg/id/"))
}} ORDER BY ?s LIMIT 200"""

#: Autocomplete as people type it: every prefix of some words, in English and in Italian
#: (``lang=it``), and a few that match nothing; wrk rotates over them.
SEARCH_WORDS = ("placement", "management", "digital", "network", "tutor", "ict", "s1.8")
SEARCH_WORDS_IT = ("lavoro", "inserimento", "competenze", "zzzz")
SEARCHES = [
    f"/search?q={word[:n]}{lang}"
    for word in (*SEARCH_WORDS, *SEARCH_WORDS_IT)
    for n in range(1, len(word) + 1)
    for lang in ("", "&lang=it")
]
JSON = "application/json"

#: wrk script: rotate over the paths; optionally make every request's query text new;
#: print a JSON summary (latencies in microseconds) when done.
LUA = """
wrk.method = "GET"
wrk.headers["Accept"] = "%(accept)s"
local paths = { %(paths)s }
local n = #paths
local unique = %(unique)s
local i = 0
local counter = 0
function setup(thread)
  counter = counter + 1
  thread:set("tid", "%(nonce)s-" .. counter)
end
function request()
  i = i + 1
  local p = paths[(i %% n) + 1]
  if unique then p = p .. "%%0A%%23%%20" .. tid .. "-" .. i end
  return wrk.format(nil, p)
end
function done(summary, latency, requests)
  io.write(string.format(
    'WRKJSON {"requests": %%d, "duration_us": %%d, "status_errors": %%d, "timeouts": %%d, ' ..
    '"connect_errors": %%d, "read_errors": %%d, "p50_us": %%d, "p99_us": %%d, "max_us": %%d}\\n',
    summary.requests, summary.duration, summary.errors.status, summary.errors.timeout,
    summary.errors.connect, summary.errors.read,
    latency:percentile(50), latency:percentile(99), latency.max))
end
"""


# --------------------------------------------------------------------------- processes


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


@dataclass
class Server:
    """A server this script started: its name, base URL, how to ask it a query."""

    name: str
    url: str
    process: subprocess.Popen
    sparql_path: str
    saved_queries: bool = False  # wise-kg: competency queries by name at /queries/{name}

    def query_path(self, query: Query) -> str:
        if self.saved_queries and query.saved:
            return f"/queries/{query.saved}"
        return f"{self.sparql_path}?query={quote(query.text, safe='')}"


class Processes:
    """Every process started here, each in its own session; all stopped on exit."""

    def __init__(self, logs: Path):
        self.logs, self.started = logs, []

    def start(self, name: str, argv: list[str], env: dict[str, str] | None = None):
        log = open(self.logs / f"{name}.log", "wb")  # noqa: SIM115 - closed with the process
        process = subprocess.Popen(
            argv,
            stdout=log,
            stderr=subprocess.STDOUT,
            env={**os.environ, **(env or {})},
            start_new_session=True,
        )
        self.started.append(process)
        return process

    def stop_all(self) -> None:
        for process in self.started:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        deadline = time.monotonic() + 10
        for process in self.started:
            try:
                process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=5)


def wait_http(url: str, process: subprocess.Popen, timeout: float = 300) -> float:
    """Poll ``url`` until it answers 200; the seconds it took."""
    start = time.monotonic()
    while time.monotonic() - start < timeout:
        if process.poll() is not None:
            raise RuntimeError(f"{url}: the server exited with {process.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return time.monotonic() - start
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.02)
    raise RuntimeError(f"{url} did not answer within {timeout} s")


def wait_idle(process: subprocess.Popen, timeout: float = 120) -> None:
    """Wait until a server (and its children) stop using CPU: left-over work must not
    spill into the next measurement."""
    try:
        root = psutil.Process(process.pid)
    except psutil.NoSuchProcess:
        return
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        procs = [root, *root.children(recursive=True)]
        before = sum(p.cpu_times().user + p.cpu_times().system for p in procs if p.is_running())
        time.sleep(0.5)
        after = sum(p.cpu_times().user + p.cpu_times().system for p in procs if p.is_running())
        if after - before < 0.05:
            return


# --------------------------------------------------------------------------- data


def prepare(work: Path, esco: Path) -> dict[str, object]:
    """Build a project copy, load ESCO, dump N-Quads; returns facts about the data."""
    project = work / "project"
    for name in ("ontology", "data", "shapes", "queries"):
        shutil.copytree(ROOT / name, project / name)
    subprocess.run(
        [BIN / "wise-kg", "build", "--project", project], check=True, capture_output=True
    )
    esco_runs = [_timed([BIN / "wise-kg", "esco", "load", esco, "--project", project, "--quiet"])]
    dump = work / "all.nq"
    code = (
        "import sys, pyoxigraph as ox\n"
        "from pathlib import Path\n"
        "from wise_kg.store.embedded import open_read_only\n"
        "store, _ = open_read_only(Path(sys.argv[1]))\n"
        "store.dump(sys.argv[2], format=ox.RdfFormat.N_QUADS)\n"
        "rows = store.query(sys.argv[3], use_default_graph_as_union=True)\n"
        "print('\\n'.join(r['s'].value for r in rows))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code, project / ".wise-kg" / "store", dump, RESOURCES],
        check=True,
        capture_output=True,
        text=True,
    )
    with dump.open("rb") as f:
        quads = sum(1 for _ in f)
    return {
        "project": project,
        "dump": dump,
        "quads": quads,
        "resources": out.stdout.split(),
        "esco_first": esco_runs[0],
    }


def _timed(argv: list) -> dict[str, float]:
    """Wall seconds and peak RSS (MiB) of one command, via GNU time."""
    out = subprocess.run(
        ["/usr/bin/time", "-f", "TIME %e %M", *map(str, argv)],
        check=True,
        capture_output=True,
        text=True,
    )
    seconds, kb = re.findall(r"TIME ([\d.]+) (\d+)", out.stderr)[-1]
    return {"seconds": float(seconds), "rss_mib": int(kb) / 1024}


# --------------------------------------------------------------------------- queries


@dataclass
class Query:
    name: str
    text: str  # the text every server without saved queries runs
    saved: str | None = None  # wise-kg runs this saved query by name instead
    paths_texts: list[str] = field(default_factory=list)  # several texts, rotating
    unique: bool = False


def saved_queries() -> list[Query]:
    """The competency questions, their header defaults pasted into the text."""
    sys.path.insert(0, str(ROOT / "src"))
    from wise_kg.sparql.queries import load

    out = []
    for name, saved in load(ROOT / "queries").items():
        text = saved.text
        for param in saved.params:
            if not param.required:
                continue
            if param.default is None:
                raise SystemExit(f"{name}: required parameter {param.name} has no default")
            value = _term(param.kind, param.default)
            head, sep, body = text.partition("WHERE")
            var = "?" + param.variable
            head = re.sub(re.escape(var) + r"\b", f"({value} AS {var})", head)
            body = re.sub(re.escape(var) + r"\b", value, body)
            text = head + sep + body
        out.append(Query(name[:5], text, saved=name))
    return out


def _term(kind: str, value: str) -> str:
    if kind == "iri":
        return f"<{value}>"
    if kind in ("integer", "decimal"):
        return value
    escaped = value.replace("\\", "\\\\").replace('"', '\\"')
    return f'"{escaped}"' if kind == "string" else f'"{escaped}"@{kind}'


def all_queries(resources: list[str]) -> list[Query]:
    lookup = LOOKUP.replace("{iri}", LOOKUP_IRI)
    rotating = [LOOKUP.replace("{iri}", iri) for iri in resources]
    return [
        Query("lookup", lookup),
        Query("lookup-rot200", rotating[0], paths_texts=rotating),
        Query("lookup-unique", rotating[0], paths_texts=rotating, unique=True),
        Query("substring", SUBSTRING),
        Query("join", JOIN),
        *saved_queries(),
    ]


def rows(server: Server, query: Query, timeout: float) -> tuple[int | str, float]:
    """The number of rows of one answer, and the seconds it took."""
    request = urllib.request.Request(
        server.url + server.query_path(query), headers={"Accept": JSON_RESULTS}
    )
    start = time.monotonic()
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            answer = json.load(response)
    except urllib.error.HTTPError as err:
        return f"HTTP {err.code}", time.monotonic() - start
    except (TimeoutError, urllib.error.URLError):
        return f"over {timeout:g} s", time.monotonic() - start
    count = len(answer["results"]["bindings"]) if "results" in answer else 1
    return count, time.monotonic() - start


# --------------------------------------------------------------------------- servers


def start_servers(procs: Processes, data: dict, names: list[str], work: Path) -> list[Server]:
    servers: list[Server] = []
    project, dump = data["project"], data["dump"]
    for name in names:
        port = free_port()
        url = f"http://{HOST}:{port}"
        if name.startswith("wise-kg"):
            env = {"WISE_KG_CACHE_BYTES": "0"} if name == "wise-kg-nocache" else {}
            argv = [BIN / "wise-kg", "serve", "--project", project, "--port", str(port)]
            process = procs.start(name, list(map(str, argv)), env)
            wait_http(url + "/health", process)
            servers.append(Server(name, url, process, "/sparql", saved_queries=True))
        elif name == "ox-mem":
            argv = [BIN / "oxigraph", "serve", "--bind", f"{HOST}:{port}", "--union-default-graph"]
            process = procs.start(name, list(map(str, argv)))
            wait_http(url + "/query?query=" + quote("ASK {}"), process)
            with open(dump, "rb") as body:
                request = urllib.request.Request(
                    url + "/store",
                    data=body,
                    method="POST",
                    headers={
                        "Content-Type": "application/n-quads",
                        "Content-Length": str(dump.stat().st_size),
                    },
                )
                urllib.request.urlopen(request, timeout=300).close()
            servers.append(Server(name, url, process, "/query"))
        elif name == "ox-disk":
            location = work / "oxigraph-disk"
            subprocess.run(
                [BIN / "oxigraph", "load", "--location", location, "--file", dump],
                check=True,
                capture_output=True,
            )
            argv = [BIN / "oxigraph", "serve-read-only", "--location", location]
            argv += ["--bind", f"{HOST}:{port}", "--union-default-graph"]
            process = procs.start(name, list(map(str, argv)))
            wait_http(url + "/query?query=" + quote("ASK {}"), process)
            servers.append(Server(name, url, process, "/query"))
        elif name == "rdflib-endpoint":
            argv = [BIN / "rdflib-endpoint", "serve", dump, "--host", HOST, "--port", str(port)]
            process = procs.start(name, list(map(str, argv)))
            wait_http(url + "/?query=" + quote("ASK {}"), process, timeout=600)
            servers.append(Server(name, url, process, "/"))
        else:
            raise SystemExit(f"unknown server {name}")
        print(f"  {name} on {url}", flush=True)
    return servers


def restart_server(procs: Processes, data: dict, server: Server, work: Path) -> Server:
    """Stop a server (and whatever it is still evaluating) and start it afresh."""
    if server.process.poll() is None:
        os.killpg(server.process.pid, signal.SIGKILL)
        server.process.wait(timeout=10)
    return start_servers(procs, data, [server.name], work)[0]


# --------------------------------------------------------------------------- load


def wrk(
    url: str, paths: list[str], *, unique: bool, args, accept: str, work: Path, seconds=None
) -> dict:
    script = work / "wrk.lua"
    script.write_text(
        LUA
        % {
            "accept": accept,
            "paths": ", ".join(json.dumps(p) for p in paths),
            "unique": "true" if unique else "false",
            # every run's counters are its own: a text sent in an earlier run never repeats
            "nonce": str(time.time_ns()),
        }
    )
    seconds = seconds or args.seconds
    argv = ["wrk", f"-t{args.threads}", f"-c{args.connections}", f"-d{seconds}s"]
    argv += ["--timeout", "30s", "-s", str(script), url]
    out = subprocess.run(argv, capture_output=True, text=True, timeout=seconds + 120)
    found = re.search(r"WRKJSON (\{.*\})", out.stdout)
    if not found:
        raise RuntimeError(f"wrk gave no summary: {out.stdout}\n{out.stderr}")
    raw = json.loads(found.group(1))
    failed = raw["status_errors"] + raw["timeouts"] + raw["connect_errors"] + raw["read_errors"]
    ok = raw["requests"] - raw["status_errors"]
    return {
        "rps": ok / (raw["duration_us"] / 1e6),
        "p50_ms": raw["p50_us"] / 1000,
        "p99_ms": raw["p99_us"] / 1000,
        "requests": raw["requests"],
        "errors": failed,
    }


def run_query(server: Server, query: Query, args, work: Path) -> dict:
    texts = query.paths_texts or [query.text]
    if server.saved_queries and query.saved:
        paths = [server.query_path(query)]
    else:
        paths = [server.query_path(Query(query.name, t)) for t in texts]
    result = wrk(server.url, paths, unique=query.unique, args=args, accept=JSON_RESULTS, work=work)
    wait_idle(server.process)
    return result


def extras(args, data: dict, servers: list[Server], work: Path) -> dict:
    """/search p99, cold start, validate time, ESCO load time and memory."""
    out: dict[str, object] = {}
    for wise in (s for s in servers if s.name in ("wise-kg", "wise-kg-nocache")):
        runs = []
        for _ in range(args.rounds):
            runs.append(wrk(wise.url, SEARCHES, unique=False, args=args, accept=JSON, work=work))
            wait_idle(wise.process)
        out["search" if wise.name == "wise-kg" else "search-nocache"] = runs
    cold, validate = [], []
    procs = Processes(work / "logs")
    try:
        for i in range(args.rounds):
            project = work / f"cold-{i}"
            for name in ("ontology", "data", "shapes", "queries"):
                shutil.copytree(ROOT / name, project / name)
            port = free_port()
            start = time.monotonic()
            process = procs.start(
                f"cold-{i}",
                [str(BIN / "wise-kg"), "serve", "--project", str(project), "--port", str(port)],
            )
            wait_http(f"http://{HOST}:{port}/health", process)
            cold.append(time.monotonic() - start)
            os.killpg(process.pid, signal.SIGTERM)
            process.wait(timeout=10)
            start = time.monotonic()
            subprocess.run(
                [BIN / "wise-kg", "validate", "--project", project], check=True, capture_output=True
            )
            validate.append(time.monotonic() - start)
            shutil.rmtree(project, ignore_errors=True)
    finally:
        procs.stop_all()
    out["cold_start_s"], out["validate_s"] = cold, validate
    esco = [data["esco_first"]]
    for _ in range(args.rounds - 1):
        argv = [BIN / "wise-kg", "esco", "load", args.esco, "--project", data["project"]]
        esco.append(_timed([*argv, "--quiet"]))
    out["esco_load"] = esco
    return out


# --------------------------------------------------------------------------- report


def med(values):
    return statistics.median(values) if values else float("nan")


def versions() -> dict[str, str]:
    names = ["wise-kg", "pyoxigraph", "oxigraph", "rdflib", "rdflib-endpoint", "fastapi"]
    names += ["uvicorn", "pyshacl"]
    found = {}
    for name in names:
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            found[name] = "-"
    wrk_version = subprocess.run(["wrk", "-v"], capture_output=True, text=True).stdout
    found["wrk"] = (wrk_version.split() or ["?", "?"])[1]
    found["python"] = platform.python_version()
    return found


def machine() -> str:
    model = load_test.cpu_model()
    mem = psutil.virtual_memory().total / 2**30
    python = f"Python {platform.python_version()} ({os.path.realpath(sys.executable)})"
    return f"{os.cpu_count()} CPUs ({model}), {mem:.0f} GiB RAM, {platform.platform()}, {python}"


def report(
    results: dict, args, data: dict, check: dict, extra: dict, names: list[str], single: dict
) -> str:
    lines = [
        "# wise-kg against its peers: measured",
        "",
        f"Run {datetime.now(UTC):%Y-%m-%d %H:%M} UTC on {machine()}.  ",
        f"Load average (1 min) at start / end: {args.load_start:.2f} / {os.getloadavg()[0]:.2f} "
        "(other jobs on the machine compete for the same cores).  ",
        "Versions: " + ", ".join(f"{k} {v}" for k, v in versions().items()) + ".  ",
        f"Data: {data['quads']:,} quads (the WISE graph, its shapes and ontology, and the "
        f"ESCO folder `{args.esco}` loaded by `wise-kg esco load`), union default graph "
        "everywhere.  ",
        f"Load: `wrk -t{args.threads} -c{args.connections} -d{args.seconds}s --timeout 30s` per "
        f"(query, server), {args.rounds} interleaved rounds, server order rotating; "
        "`python benchmarks/bench_servers.py "
        f"--rounds {args.rounds} --seconds {args.seconds}`.",
        "",
        "req/s is successful answers per second: median (min–max) over the rounds; p50/p99 are",
        "the medians over the rounds of wrk's latency percentiles, in ms.",
        "`wise-kg` is the server as shipped (answer cache on); `wise-kg-nocache` sets",
        "`WISE_KG_CACHE_BYTES=0`, so every request is parsed-checked (LRU), sent to a worker",
        "and evaluated. Competency queries run on wise-kg by name (`/queries/{name}`), on the",
        "peers as text with the header defaults pasted in.",
        "",
        "| query | rows | " + " | ".join(names) + " |",
        "|---|---|" + "---|" * len(names),
    ]
    for qname, per_server in results.items():
        cells = []
        for name in names:
            runs = per_server.get(name, [])
            if not runs:
                took = single.get(qname, {}).get(name)
                cells.append(f"not load-tested: one answer took {took:.0f} s" if took else "–")
                continue
            rps = [r["rps"] for r in runs]
            errors = sum(r["errors"] for r in runs)
            if not any(r["requests"] for r in runs):
                cells.append(f"no answer within {args.seconds} s")
                continue
            cell = (
                f"**{med(rps):,.0f}** ({min(rps):,.0f}–{max(rps):,.0f}) "
                f"{med([r['p50_ms'] for r in runs]):.1f}/{med([r['p99_ms'] for r in runs]):.1f}"
            )
            if errors:
                cell += f" ⚠{errors} err"
            cells.append(cell)
        counts = check.get(qname, {})
        distinct = set(map(str, counts.values()))
        row_cell = (
            next(iter(distinct))
            if len(distinct) == 1
            else "≠ " + ", ".join(f"{k} {v}" for k, v in counts.items())
        )
        lines.append(f"| {qname} | {row_cell} | " + " | ".join(cells) + " |")

    def ratio(q: str, a: str, b: str) -> float:
        ra = med([r["rps"] for r in results.get(q, {}).get(a, [])])
        rb = med([r["rps"] for r in results.get(q, {}).get(b, [])])
        return ra / rb if rb else float("nan")

    lines += [
        "",
        "## Ratios (median req/s of wise-kg ÷ the peer's)",
        "",
        "| query | wise-kg ÷ ox-mem | nocache ÷ ox-mem | wise-kg ÷ rdflib-endpoint "
        "| nocache ÷ rdflib-endpoint |",
        "|---|---|---|---|---|",
    ]
    for q in results:
        lines.append(
            f"| {q} | {ratio(q, 'wise-kg', 'ox-mem'):.2f} | "
            f"{ratio(q, 'wise-kg-nocache', 'ox-mem'):.2f} | "
            f"{ratio(q, 'wise-kg', 'rdflib-endpoint'):.1f} | "
            f"{ratio(q, 'wise-kg-nocache', 'rdflib-endpoint'):.1f} |"
        )
    lines += ["", "## Against the targets of the issue", ""]
    lines += targets(results, extra, ratio)
    lines += ["", "Raw numbers: `results-servers.json` next to this file.", ""]
    return "\n".join(lines)


def targets(results: dict, extra: dict, ratio) -> list[str]:
    def rps(q, s):
        return med([r["rps"] for r in results.get(q, {}).get(s, [])])

    def p99(q, s):
        return med([r["p99_ms"] for r in results.get(q, {}).get(s, [])])

    def mark(ok: bool) -> str:
        return "met" if ok else "**not met**"

    out = ["| target | measured | |", "|---|---|---|"]
    heavy = [q for q in ("substring", "join") if q in results]
    for server in ("wise-kg", "wise-kg-nocache"):
        for q in heavy:
            r = ratio(q, server, "ox-mem")
            out.append(f"| heavy `{q}` ≥ 1.0× ox-mem ({server}) | {r:.2f}× | {mark(r >= 1)} |")
    for server in ("wise-kg", "wise-kg-nocache"):
        for q in ("lookup", "lookup-rot200", "lookup-unique"):
            if q in results and server in results[q]:
                v, p = rps(q, server), p99(q, server)
                ok = v >= 5000 and p <= 5
                out.append(
                    f"| cheap `{q}` ≥ 5,000 req/s, p99 ≤ 5 ms ({server}) "
                    f"| {v:,.0f} req/s, p99 {p:.1f} ms | {mark(ok)} |"
                )
    for q, goal in (("join", 20), ("substring", 200)):
        for server in ("wise-kg", "wise-kg-nocache"):
            r = ratio(q, server, "rdflib-endpoint")
            if r == r:
                out.append(
                    f"| `{q}` ≥ {goal}× rdflib-endpoint ({server}) | {r:.1f}× | {mark(r >= goal)} |"
                )
    for key, name in (("search", "wise-kg"), ("search-nocache", "wise-kg-nocache")):
        if extra.get(key):
            p = med([r["p99_ms"] for r in extra[key]])
            v = med([r["rps"] for r in extra[key]])
            out.append(
                f"| /search p99 ≤ 5 ms ({len(SEARCHES)} prefixes, en and it; {name}) "
                f"| p99 {p:.1f} ms ({v:,.0f} req/s) | {mark(p <= 5)} |"
            )
    if extra.get("cold_start_s"):
        c = extra["cold_start_s"]
        out.append(
            f"| cold start (build+validate+serve → first /health 200) ≤ 2 s "
            f"| {med(c):.2f} s ({min(c):.2f}–{max(c):.2f}) | {mark(med(c) <= 2)} |"
        )
    if extra.get("validate_s"):
        v = extra["validate_s"]
        out.append(
            f"| `wise-kg validate` (process wall time) ≤ 1 s "
            f"| {med(v):.2f} s ({min(v):.2f}–{max(v):.2f}) | {mark(med(v) <= 1)} |"
        )
    if extra.get("esco_load"):
        e = extra["esco_load"]
        t, m = med([r["seconds"] for r in e]), max(r["rss_mib"] for r in e)
        out.append(
            f"| `wise-kg esco load` ≤ 30 s and ≤ 1 GB | {t:.1f} s, peak RSS {m:,.0f} MiB "
            f"| {mark(t <= 30 and m <= 1024)} |"
        )
    return out


# --------------------------------------------------------------------------- main


def finish(procs: Processes, work: Path, *, keep: bool) -> None:
    """Stop every process started, then remove the work folder (unless asked to keep it)."""
    procs.stop_all()
    if keep:
        print(f"work folder kept: {work}")
    else:
        shutil.rmtree(work, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument(
        "--servers", default="wise-kg,wise-kg-nocache,ox-mem,ox-disk,rdflib-endpoint"
    )
    parser.add_argument("--queries", default="", help="comma-separated names (default: all)")
    parser.add_argument("--esco", type=Path, default=ROOT.parent / "shared" / "esco" / "v1.2.0")
    parser.add_argument("--no-extras", action="store_true", help="skip search/cold/validate/ESCO")
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results-servers.md")
    parser.add_argument("--keep", action="store_true", help="keep the work folder")
    parser.add_argument(
        "--max-single",
        type=float,
        default=60,
        help="a server whose single answer takes over half this is not load-tested on that query",
    )
    args = parser.parse_args()
    if not shutil.which("wrk"):
        raise SystemExit("wrk is missing: apt-get install wrk")
    names = args.servers.split(",")
    args.load_start = os.getloadavg()[0]

    # Stop cleanly (the finally below) on SIGTERM, and on SIGINT even when started in the
    # background (where the shell makes SIGINT ignored).
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    signal.signal(signal.SIGINT, signal.default_int_handler)
    work = Path(tempfile.mkdtemp(prefix="wise-kg-servers-"))
    (work / "logs").mkdir()
    procs = Processes(work / "logs")
    try:
        print(f"preparing data in {work}", flush=True)
        data = prepare(work, args.esco)
        queries = all_queries(data["resources"])
        if args.queries:
            wanted = args.queries.split(",")
            queries = [q for q in queries if q.name in wanted or (q.saved or "") in wanted]
        print(f"{data['quads']} quads; starting servers", flush=True)
        servers = start_servers(procs, data, names, work)

        check: dict[str, dict[str, int | str]] = {}
        single: dict[str, dict[str, float]] = {}
        too_slow: set[tuple[str, str]] = set()
        for query in queries:
            check[query.name], single[query.name] = {}, {}
            for server in servers:
                count, seconds = rows(server, query, args.max_single)
                check[query.name][server.name], single[query.name][server.name] = count, seconds
                if seconds > args.max_single / 2 or isinstance(count, str):
                    # wrk would leave requests queued that run on long after it stops;
                    # the server must be restarted to stop them: skip it for this query.
                    too_slow.add((query.name, server.name))
                    restart = next(i for i, s in enumerate(servers) if s is server)
                    servers[restart] = restart_server(procs, data, server, work)
            print(f"  rows {query.name}: {check[query.name]}", flush=True)
        warm = Query("lookup", LOOKUP.replace("{iri}", LOOKUP_IRI))
        for server in servers:  # a short warm-up of each server before measuring
            wrk(
                server.url,
                [server.query_path(warm)],
                unique=False,
                args=args,
                accept=JSON_RESULTS,
                work=work,
                seconds=2,
            )
            wait_idle(server.process)

        results: dict[str, dict[str, list[dict]]] = {q.name: {} for q in queries}
        for round_no in range(args.rounds):
            order = servers[round_no % len(servers) :] + servers[: round_no % len(servers)]
            for query in queries:
                for server in order:
                    if (query.name, server.name) in too_slow:
                        continue
                    r = run_query(server, query, args, work)
                    results[query.name].setdefault(server.name, []).append(r)
                    print(
                        f"round {round_no + 1} {query.name:14} {server.name:16} "
                        f"{r['rps']:10.1f} req/s  p50 {r['p50_ms']:8.2f} ms  "
                        f"p99 {r['p99_ms']:8.2f} ms  errors {r['errors']}",
                        flush=True,
                    )
        extra = {} if args.no_extras else extras(args, data, servers, work)
        text = report(results, args, data, check, extra, [s.name for s in servers], single)
        args.out.write_text(text, encoding="utf-8")
        raw = {"results": results, "rows": check, "single_request_s": single}
        raw |= {"extras": extra, "versions": versions()}
        args.out.with_suffix(".json").write_text(json.dumps(raw, indent=1, default=str))
        print(text)
    finally:
        finish(procs, work, keep=args.keep)


if __name__ == "__main__":
    main()
