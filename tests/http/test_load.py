"""A short load test (item 1): the driver of ``benchmarks/load_test.py``, for a few seconds.

Eight clients mix saved queries, lookups, dumps and HTML pages while one keeps
sending runaway queries; no request may fail, lookups must not wait for the
runaway queries, and memory must not grow without bound. The full 60-second run
with its figures is ``benchmarks/load_test.py`` (results in ``benchmarks/load-results.md``).
"""

from __future__ import annotations

import importlib.util
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest

from tests.helpers import PROJECT, LiveServer
from wise_kg.config import Settings

TIMEOUT = 3.0  # the server's time limit in this test, seconds


def _driver() -> ModuleType:
    path = PROJECT / "benchmarks" / "load_test.py"
    spec = importlib.util.spec_from_file_location("wise_kg_load_test", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up by name
    spec.loader.exec_module(module)
    return module


load = _driver()


@pytest.fixture(scope="module")
def loaded_server(built: Settings) -> Iterator[LiveServer]:
    """A server with a short time limit and the default two query workers."""
    update = {"query_timeout": TIMEOUT, "query_workers": 2}
    with LiveServer(built.model_copy(update=update)) as live:
        yield live


@pytest.mark.timing
def test_load_with_runaway_queries(loaded_server: LiveServer) -> None:
    me = os.getpid()  # the server runs in this process; its workers are children of it
    run = load.drive(
        loaded_server.url,
        seconds=6,
        clients=8,
        slow_clients=1,
        slow_pause=0.5,
        rss_of=lambda: load.tree_rss(me),
        request_timeout=30,
    )
    assert run.errors == []
    kinds = {sample.kind for sample in run.samples}
    assert kinds >= set(load.MIX) | {load.SLOW_KIND}, kinds
    assert len(run.samples) >= 80
    runaway = [s for s in run.samples if s.kind == load.SLOW_KIND]
    assert runaway and all(s.status == 503 for s in runaway)
    # Stopped at the limit; under load a runaway may first wait for a free worker.
    times = [round(s.seconds, 2) for s in runaway]
    assert all(TIMEOUT - 0.1 <= t <= TIMEOUT + 3.0 for t in times), times
    # Lookups do not wait for the runaway query: well under its time limit, even at p99.
    during = run.of(load.LOOKUPS, during_slow=True)
    assert len(during) >= 20
    assert load.percentile(during, 99) < TIMEOUT * 0.75, sorted(during)[-5:]
    # Memory: the peak stays within a bound of the start, and the end near the start.
    start, end = run.rss[0][1], run.rss[-1][1]
    assert run.peak_rss - start < 400 * 2**20, (start, run.peak_rss)
    assert end - start < 200 * 2**20, (start, end)


def test_driver_percentile() -> None:
    assert load.percentile([0.1, 0.2, 0.3, 0.4], 50) == 0.2
    assert load.percentile(list(range(1, 101)), 99) == 99
    assert load.percentile([], 99) != load.percentile([], 99)  # NaN


def test_driver_reports_markdown(tmp_path: Path) -> None:
    run = load.Run(clients=2, slow_clients=1, seconds=1.0, stopped=1.0)
    run.samples = [load.Sample("dump", 0.0, 0.2, 200, False)]
    run.rss = [(0.0, 100 * 2**20), (1.0, 120 * 2**20)]
    text = load.report(run, timeout=2, workers=2, slow_pause=0.5, command="x")
    assert "| errors | **0** |" in text and "| dump | 1 | 0 | 200 | 200 | 200 |" in text
    assert "100 MB / **120 MB** / 120 MB" in text
