# ruff: noqa: RUF001
"""Benchmark: never-seen query texts, as research tools send them, against `oxigraph serve`.

Builds a copy of the project with the shared ESCO folder loaded (``bench_servers.prepare``),
serves it with ``wise-kg serve`` as shipped (one server process, its default query workers)
and with ``oxigraph serve`` in memory (the same quads, POSTed), then drives both with wrk
(``-t2 -c8``) on four workloads, in interleaved rounds:

* ``lookup-fresh``    — one resource's ``skos:prefLabel``, rotating over 2,000+ resources;
* ``join-fresh``      — what an ESCO consumer asks of one of 2,000+ ESCO concepts: its label,
                        its broader concept's label, and the WISE areas and profiles aligned
                        to it with their labels (a join over six patterns, two OPTIONAL);
* ``substring-fresh`` — labels containing one of 2,000+ four-letter fragments;
* ``lookup-repeated`` — one lookup text, the same every time (wise-kg's replay cache).

In the fresh workloads every request also ends with a comment naming the run, the wrk
thread and a counter, so no text is ever sent twice: neither an answer cache nor a parse
memo can help. Writes ``results-fresh.md`` and the table in ``benchmarks/README.md``.

    python benchmarks/fresh_queries.py [--rounds 3] [--seconds 10]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import shutil
import signal
import statistics
import sys
import tempfile
import urllib.request
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import quote

import bench_servers as bench

SKOS = bench.SKOS
MINIMUM = 2_000
SAMPLE = f"""SELECT DISTINCT ?s ?l WHERE {{ ?s <{SKOS}prefLabel> ?l }} ORDER BY ?s LIMIT 3000"""
ESCO = f"""SELECT DISTINCT ?c WHERE {{ ?c <{SKOS}prefLabel> ?l
  FILTER(STRSTARTS(STR(?c), "http://data.europa.eu/esco/")) }} ORDER BY ?c LIMIT 3000"""
JOIN = f"""PREFIX skos: <{SKOS}>
PREFIX wise: <{bench.WISE}>
SELECT ?escoLabel ?broaderLabel ?holder ?holderLabel WHERE {{
  <{{concept}}> skos:prefLabel ?escoLabel .
  OPTIONAL {{ <{{concept}}> skos:broader ?broader . ?broader skos:prefLabel ?broaderLabel }}
  OPTIONAL {{
    ?alignment wise:escoConcept <{{concept}}> .
    ?holder wise:hasEscoAlignment ?alignment ; skos:prefLabel ?holderLabel
  }}
}}"""
SUBSTRING = f"""PREFIX skos: <{SKOS}>
SELECT ?s ?l WHERE {{ ?s skos:prefLabel ?l FILTER(CONTAINS(LCASE(STR(?l)), "{{word}}")) }}"""
#: The issue's targets: workload → (what, threshold).
TARGETS = {
    "lookup-fresh": ("req/s", 3_000),
    "join-fresh": ("req/s", 2_000),
    "substring-fresh": ("ratio", 0.8),
    "lookup-repeated": ("req/s", 5_000),
}


def _select(url: str, query: str) -> list[dict[str, dict[str, str]]]:
    request = urllib.request.Request(
        f"{url}?query={quote(query)}", headers={"Accept": bench.JSON_RESULTS}
    )
    with urllib.request.urlopen(request, timeout=120) as response:
        return json.load(response)["results"]["bindings"]


def workloads(oxigraph: bench.Server) -> dict[str, list[str]]:
    """The query texts of each workload, drawn from the data itself."""
    endpoint = oxigraph.url + oxigraph.sparql_path
    rows = _select(endpoint, SAMPLE)
    resources = [r["s"]["value"] for r in rows if r["s"]["type"] == "uri"]
    words = sorted(
        {
            label[i : i + 4]
            for label in (r["l"]["value"].lower() for r in rows)
            for i in range(0, max(len(label) - 4, 0), 3)
            if re.fullmatch(r"[a-z]{4}", label[i : i + 4])
        }
    )
    concepts = [r["c"]["value"] for r in _select(endpoint, ESCO)]
    texts = {
        "lookup-fresh": [bench.LOOKUP.replace("{iri}", iri) for iri in resources],
        "join-fresh": [JOIN.replace("{concept}", c) for c in concepts],
        "substring-fresh": [SUBSTRING.replace("{word}", w) for w in words],
        "lookup-repeated": [bench.LOOKUP.replace("{iri}", bench.LOOKUP_IRI)],
    }
    for name, found in texts.items():
        if name != "lookup-repeated" and len(found) < MINIMUM:
            raise SystemExit(f"{name}: only {len(found)} distinct texts (need {MINIMUM})")
        # Shuffled (the same way every run): a server gets through more or fewer of the texts
        # in a run, and every stretch of the rotation must cost the same on average.
        random.Random(name).shuffle(found)
    return texts


def measure(server: bench.Server, texts: list[str], args, work: Path) -> dict:
    paths = [server.query_path(bench.Query("q", text)) for text in texts]
    result = bench.wrk(
        server.url, paths, unique=len(texts) > 1, args=args, accept=bench.JSON_RESULTS, work=work
    )
    bench.wait_idle(server.process)
    return result


def table(results: dict[str, dict[str, list[dict]]], sizes: dict[str, int]) -> list[str]:
    lines = [
        "| workload | distinct texts | wise-kg req/s | p99 ms | oxigraph serve (memory) req/s "
        "| wise-kg / oxigraph | target | met |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for name, per_server in results.items():
        ours = statistics.median(r["rps"] for r in per_server["wise-kg"])
        theirs = statistics.median(r["rps"] for r in per_server["ox-mem"])
        p99 = statistics.median(r["p99_ms"] for r in per_server["wise-kg"])
        errors = sum(r["errors"] for r in per_server["wise-kg"])
        kind, threshold = TARGETS[name]
        value = ours / theirs if kind == "ratio" else ours
        target = f"≥ {threshold}× oxigraph" if kind == "ratio" else f"≥ {threshold:,} req/s"
        texts = "1 (repeated)" if name == "lookup-repeated" else f"{sizes[name]:,} + counter"
        lines.append(
            f"| {name} | {texts} | {ours:,.0f} | {p99:.1f} | {theirs:,.0f} | {ours / theirs:.2f} "
            f"| {target} | {'yes' if value >= threshold else 'no'}"
            + (f" ({errors} errors)" if errors else "")
            + " |"
        )
    return lines


def report(results: dict, sizes: dict[str, int], args, data: dict) -> str:
    runs = ", ".join(
        f"{name}: " + " / ".join(f"{r['rps']:,.0f}" for r in per["wise-kg"])
        for name, per in results.items()
    )
    return "\n".join(
        [
            f"Run {datetime.now(UTC):%Y-%m-%d %H:%M} UTC on {bench.machine()}; "
            f"{data['quads']:,} quads (WISE + ESCO). "
            f"`wrk -t{args.threads} -c{args.connections} -d{args.seconds}s`, {args.rounds} "
            "interleaved rounds, median req/s; `python benchmarks/fresh_queries.py "
            f"--rounds {args.rounds} --seconds {args.seconds}`.",
            "",
            *table(results, sizes),
            "",
            f"wise-kg per round: {runs}.",
            "",
        ]
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument(
        "--esco", type=Path, default=bench.ROOT.parent / "shared" / "esco" / "v1.2.0"
    )
    parser.add_argument("--workloads", default="", help="comma-separated names (default: all)")
    parser.add_argument("--out", type=Path, default=bench.ROOT / "benchmarks" / "results-fresh.md")
    args = parser.parse_args()
    if not shutil.which("wrk"):
        raise SystemExit("wrk is missing: apt-get install wrk")
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    work = Path(tempfile.mkdtemp(prefix="wise-kg-fresh-"))
    (work / "logs").mkdir()
    procs = bench.Processes(work / "logs")
    try:
        print(f"preparing data in {work}", flush=True)
        data = bench.prepare(work, args.esco)
        servers = bench.start_servers(procs, data, ["wise-kg", "ox-mem"], work)
        texts = workloads(servers[1])
        warm = texts["lookup-fresh"][:50]
        if args.workloads:
            texts = {n: t for n, t in texts.items() if n in args.workloads.split(",")}
        sizes = {name: len(found) for name, found in texts.items()}
        print(f"texts per workload: {sizes}", flush=True)
        for server in servers:  # warm up
            measure(
                server,
                warm,
                argparse.Namespace(**{**vars(args), "seconds": 2}),
                work,
            )
        results: dict[str, dict[str, list[dict]]] = {name: {} for name in texts}
        for round_no in range(args.rounds):
            order = servers[round_no % 2 :] + servers[: round_no % 2]
            for name, found in texts.items():
                for server in order:
                    result = measure(server, found, args, work)
                    results[name].setdefault(server.name, []).append(result)
                    print(
                        f"  round {round_no + 1} {name} {server.name}: {result['rps']:,.0f} req/s",
                        flush=True,
                    )
        text = report(results, sizes, args, data)
        args.out.write_text("# Fresh query texts: wise-kg against `oxigraph serve`\n\n" + text)
        readme = bench.ROOT / "benchmarks" / "README.md"
        begin, end = "<!-- fresh:begin -->", "<!-- fresh:end -->"
        body = readme.read_text()
        if begin in body and end in body and not args.workloads:
            head, rest = body.split(begin, 1)
            readme.write_text(head + begin + "\n" + text + end + rest.split(end, 1)[1])
        print(text)
    finally:
        procs.stop_all()
        if os.environ.get("WISE_KG_BENCH_KEEP") != "1":
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
