"""Shared fixtures: the real project, copies of it to break, a real server, real engines.

The helpers these fixtures build on (and that tests import) are in ``tests/helpers.py``.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from rdflib import Graph

from tests.engines import KNOWN_DIFFERENCES, OxigraphServer, VirtuosoServer
from tests.helpers import PROJECT, STORES, Listener, LiveServer, copy_project, http_client
from wise_kg.config import Settings
from wise_kg.store.build import build


@pytest.fixture(scope="session")
def graph() -> Graph:
    """Every file of data/, parsed once (read-only: tests must not change it)."""
    data = Graph()
    for path in sorted((PROJECT / "data").rglob("*.ttl")):
        data.parse(path)
    return data


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A private copy of the sources, safe to break."""
    return copy_project(tmp_path / "project")


@pytest.fixture
def settings(project: Path) -> Settings:
    """Settings over the private copy, with its own store."""
    return Settings(project_dir=project, store_path=project / ".wise-kg" / "store")


@pytest.fixture(scope="session")
def built(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """The real sources, built once into a session store."""
    root = copy_project(tmp_path_factory.mktemp("built"))
    settings = Settings(project_dir=root, store_path=root / ".wise-kg" / "store")
    build(settings)
    return settings


@pytest.fixture(scope="session")
def oxigraph(tmp_path_factory: pytest.TempPathFactory) -> Iterator[OxigraphServer]:
    """``oxigraph serve`` for the remote store, started once for the session."""
    engine = OxigraphServer(tmp_path_factory.mktemp("oxigraph")).start()
    yield engine
    engine.stop()


@pytest.fixture(scope="session")
def virtuoso(tmp_path_factory: pytest.TempPathFactory) -> Iterator[VirtuosoServer]:
    """Virtuoso 7 for the remote store, started once for the session (skips when missing)."""
    if not VirtuosoServer.available():
        pytest.skip("Virtuoso is not installed: apt-get install virtuoso-opensource")
    engine = VirtuosoServer(tmp_path_factory.mktemp("virtuoso")).start()
    yield engine
    engine.stop()


@pytest.fixture(scope="session")
def built_remote(built: Settings, oxigraph: OxigraphServer) -> Settings:
    """The real sources, built once into ``oxigraph serve``."""
    settings = oxigraph.settings(built)
    build(settings)
    return settings


@pytest.fixture(scope="session")
def built_virtuoso(built: Settings, virtuoso: VirtuosoServer) -> Settings:
    """The real sources, built once into Virtuoso (writes with Digest credentials)."""
    settings = virtuoso.settings(built)
    build(settings)
    virtuoso.analyze()
    return settings


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Tests marked ``both_stores`` run once on each store: embedded and every engine."""
    marked = metafunc.definition.get_closest_marker("both_stores") is not None
    if marked and "store_kind" in metafunc.fixturenames:
        metafunc.parametrize("store_kind", list(STORES), indirect=True, scope="session")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Known differences of an engine (tests/engines.py) are expected failures there."""
    for item in items:
        kind = getattr(item, "callspec", None) and item.callspec.params.get("store_kind")
        known = KNOWN_DIFFERENCES.get((kind, getattr(item, "originalname", item.name)))
        if known:
            item.add_marker(pytest.mark.xfail(reason=known[0], strict=known[1]))


@pytest.fixture(scope="session")
def store_kind(request: pytest.FixtureRequest) -> str:
    """Which store the server runs on: embedded unless a test is marked ``both_stores``."""
    return getattr(request, "param", "embedded")


@pytest.fixture(scope="session")
def served(store_kind: str, request: pytest.FixtureRequest) -> Settings:
    """The settings of the session store of that kind."""
    return request.getfixturevalue(STORES[store_kind])


@pytest.fixture(scope="session")
def server(served: Settings) -> Iterator[LiveServer]:
    """A real server over the session store (on each store, for tests marked ``both_stores``)."""
    with LiveServer(served) as live:
        yield live


@pytest.fixture
def client(server: LiveServer) -> Iterator[httpx.Client]:
    """An HTTP client bound to the live server."""
    with http_client(server.url, timeout=30) as http:
        yield http


@pytest.fixture(scope="module")
def live(built: Settings) -> Iterator[LiveServer]:
    """A server of the test module's own over the session build (embedded store only),
    configured as ``wise-kg serve`` runs it: for tests that count, log or break things."""
    with LiveServer(built) as server:
        yield server


@pytest.fixture
def http(live: LiveServer) -> Iterator[httpx.Client]:
    """An httpx client of that server (gzip accepted, as httpx does by default)."""
    with http_client(live.url, timeout=30) as client:
        yield client


@pytest.fixture
def listener() -> Iterator[Listener]:
    """A socket on 127.0.0.1 that nothing may connect to."""
    sock = Listener()
    try:
        yield sock
    finally:
        sock.sock.close()
