"""The W3C session: one store holding every graph, one live server, one client, one summary.

The summary line (``W3C: query evaluation …``) is written at the end of the run.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.helpers import LiveServer
from tests.w3c import suite
from tests.w3c.runner import build_store, graph_files
from wise_kg.config import Settings

#: Test function → the name of its count in the summary line.
CATEGORIES = {
    "test_query_evaluation": "query evaluation",
    "test_protocol": "protocol",
    "test_service_description": "service description",
    "test_negative_syntax": "negative syntax",
    "test_positive_syntax": "positive syntax",
}
IN_PROCESS = "pyoxigraph in-process"
#: Category → test id → whether it passed.
TALLY: dict[str, dict[str, bool]] = {}


@pytest.fixture(scope="session")
def w3c_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """A live wise-kg server over one store holding every file the selected suites need.

    Each file is a named graph named by its canonical IRI (the protocol tests' by the
    kasei.us names they give); the default graph is empty and not the union.
    """
    if not suite.available():
        pytest.skip(f"W3C suite not found at {suite.SHARED}")
    link: Path = tmp_path_factory.mktemp("w3c") / "store"
    build_store(link, graph_files(suite.evaluation_tests()) | suite.protocol_graphs())
    settings = Settings(
        store_path=link,
        union_default_graph=False,
        query_timeout=20,
        query_workers=2,
        result_limit=100_000,
    )
    with LiveServer(settings) as live:
        yield live


class _Client(httpx.Client):
    """A client that resends a request once when its connection was dropped.

    After an unhandled exception (HTTP 500) uvicorn closes the connection, and the
    next request on it would fail with a reset that belongs to the previous test.
    """

    def send(self, request: httpx.Request, **kwargs: object) -> httpx.Response:  # type: ignore[override]
        try:
            return super().send(request, **kwargs)  # type: ignore[arg-type]
        except (httpx.ReadError, httpx.RemoteProtocolError):
            return super().send(request, **kwargs)  # type: ignore[arg-type]


@pytest.fixture(scope="session")
def w3c_client(w3c_server: LiveServer) -> Iterator[httpx.Client]:
    """An HTTP client bound to the W3C server."""
    with _Client(base_url=w3c_server.url, timeout=60) as client:
        yield client


@pytest.fixture(scope="session")
def in_process_tally() -> dict[str, bool]:
    """Where each evaluation test records whether pyoxigraph itself passes it."""
    return TALLY.setdefault(IN_PROCESS, {})


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    """Count each W3C test as passed or not (xfailed counts as not passed)."""
    category = CATEGORIES.get(report.nodeid.split("::")[-1].split("[")[0])
    if category is None or (report.skipped and not hasattr(report, "wasxfail")):
        return
    xpassed = report.failed and str(report.longrepr).startswith("[XPASS(strict)]")
    passed = (report.passed and not hasattr(report, "wasxfail")) or xpassed
    outcomes = TALLY.setdefault(category, {})
    outcomes[report.nodeid] = outcomes.get(report.nodeid, True) and passed


def summary_line() -> str | None:
    """``W3C: query evaluation 226/232 over HTTP (pyoxigraph in-process 230/232); …``."""

    def count(name: str) -> str:
        outcomes = TALLY.get(name, {})
        return f"{sum(outcomes.values())}/{len(outcomes)}"

    parts = []
    for name in CATEGORIES.values():
        if not TALLY.get(name):
            continue
        if name == "query evaluation":
            parts.append(f"{name} {count(name)} over HTTP ({IN_PROCESS} {count(IN_PROCESS)})")
        else:
            parts.append(f"{name} {count(name)}")
    return "W3C: " + "; ".join(parts) if parts else None


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Write the summary line at the end of the run."""
    line = summary_line()
    if line:
        terminalreporter.write_line(line)
