"""Benchmark: loading the shared ESCO folder, against rdflib loading the same triples.

Each run is a fresh process (so peak memory is that run's own): ``wise-kg esco
load`` on a built copy of the project, and, as the peer, rdflib parsing the
same ESCO graph written as N-Triples. Runs are interleaved; the table gives the
median, min and max of wall time and peak RSS, and the ratios.

    python benchmarks/esco_load.py [--runs 5] [--esco ../shared/esco/v1.2.0]
"""

from __future__ import annotations

import argparse
import json
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PEER = """
import resource, sys, time
from rdflib import Graph
start = time.monotonic()
graph = Graph()
graph.parse(sys.argv[1], format="nt")
print(len(graph), time.monotonic() - start,
      resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, flush=True)
"""
DUMP = """
import sys
from pathlib import Path
import pyoxigraph as ox
from wise_kg.config import Settings
from wise_kg.graphs import ESCO_GRAPH
from wise_kg.store.embedded import open_read_only
store, _ = open_read_only(Settings(project_dir=Path(sys.argv[1])).resolved_store_path())
quads = store.quads_for_pattern(None, None, None, ox.NamedNode(ESCO_GRAPH))
triples = (ox.Triple(q.subject, q.predicate, q.object) for q in quads)
ox.serialize(triples, sys.argv[2], format=ox.RdfFormat.N_TRIPLES)
"""
OURS = """
import resource, sys, time
from pathlib import Path
from wise_kg.esco import load as esco
from wise_kg.config import Settings
start = time.monotonic()
summary = esco.load(Settings(project_dir=Path(sys.argv[1])), Path(sys.argv[2]))
print(summary.triples, time.monotonic() - start,
      resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, flush=True)
"""


def _run(code: str, *args: str) -> tuple[int, float, float]:
    out = subprocess.run(
        [sys.executable, "-c", code, *args], capture_output=True, text=True, check=True
    )
    triples, seconds, rss_kb = out.stdout.split()
    return int(triples), float(seconds), int(rss_kb) / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--esco", type=Path, default=ROOT.parent / "shared" / "esco" / "v1.2.0")
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="wise-kg-bench-"))
    for name in ("ontology", "data", "shapes", "queries"):
        shutil.copytree(ROOT / name, work / name)
    subprocess.run(
        [sys.executable, "-m", "wise_kg.cli", "build", "--project", str(work)],
        check=True,
        capture_output=True,
    )
    # The peer's input: the same ESCO graph as N-Triples.
    _run(OURS, str(work), str(args.esco))
    nt = work / "esco.nt"
    subprocess.run([sys.executable, "-c", DUMP, str(work), str(nt)], check=True)
    ours, peer = [], []
    for _ in range(args.runs):
        ours.append(_run(OURS, str(work), str(args.esco)))
        peer.append(_run(PEER, str(nt)))
    shutil.rmtree(work, ignore_errors=True)

    def stats(rows: list[tuple[int, float, float]], index: int) -> tuple[float, float, float]:
        values = [row[index] for row in rows]
        return statistics.median(values), min(values), max(values)

    t_ours, t_peer = stats(ours, 1), stats(peer, 1)
    m_ours, m_peer = stats(ours, 2), stats(peer, 2)
    result = {
        "date": time.strftime("%Y-%m-%d"),
        "machine": f"{platform.machine()}, Python {platform.python_version()}",
        "runs": args.runs,
        "triples_ours": ours[0][0],
        "triples_peer": peer[0][0],
        "wise_kg_seconds": t_ours,
        "rdflib_seconds": t_peer,
        "wise_kg_peak_mb": m_ours,
        "rdflib_peak_mb": m_peer,
        "time_ratio": t_peer[0] / t_ours[0],
        "memory_ratio": m_peer[0] / m_ours[0],
    }
    print(json.dumps(result, indent=2))
    print()
    print("| what | median | min | max |")
    print("|---|---|---|---|")
    print(
        "| `wise-kg esco load` (CSV → store, atomic swap), s | {:.2f} | {:.2f} | {:.2f} |".format(
            *t_ours
        )
    )
    print(
        "| rdflib parsing the same ESCO graph as N-Triples, s | {:.2f} | {:.2f} | {:.2f} |".format(
            *t_peer
        )
    )
    print("| `wise-kg esco load` peak RSS, MB | {:.0f} | {:.0f} | {:.0f} |".format(*m_ours))
    print("| rdflib peak RSS, MB | {:.0f} | {:.0f} | {:.0f} |".format(*m_peer))
    ratios = (result["time_ratio"], result["memory_ratio"])
    print("\nrdflib / wise-kg: {:.1f}x time, {:.1f}x memory".format(*ratios))


if __name__ == "__main__":
    main()
