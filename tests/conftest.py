"""Shared fixtures: the real project, copies of it to break, a real server."""

from __future__ import annotations

import shutil
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import uvicorn
from rdflib import Graph

from wise_kg.api import create_app
from wise_kg.api.middleware.server import uvicorn_options
from wise_kg.config import Settings
from wise_kg.store.build import build

from .engines import KNOWN_DIFFERENCES, OxigraphServer, VirtuosoServer
from .engines import free_port as _free_port

PROJECT = Path(__file__).resolve().parents[1]
SHARED = PROJECT.parent / "shared"
REPORT = SHARED / "sources" / "000_4dcbe06487096b33.txt"
SOURCE_DIRS = ("ontology", "data", "shapes", "queries")


def copy_project(target: Path) -> Path:
    """Copy the project's sources (not its store) to ``target``."""
    for name in SOURCE_DIRS:
        if (PROJECT / name).is_dir():
            shutil.copytree(PROJECT / name, target / name)
    return target


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


class LiveServer:
    """A real uvicorn serving the app on 127.0.0.1 in a background thread, with the
    options ``wise-kg serve`` uses."""

    def __init__(self, settings: Settings):
        self.settings = settings.model_copy(update={"host": "127.0.0.1", "port": _free_port()})
        options = {**uvicorn_options(self.settings), "log_level": "warning"}
        config = uvicorn.Config(create_app(self.settings), **options)
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.url = f"http://127.0.0.1:{self.settings.port}"

    def __enter__(self) -> LiveServer:
        self.thread.start()
        deadline = time.monotonic() + 20
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("the test server did not start")
            time.sleep(0.05)
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)


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
    return settings


#: The stores the tests marked ``both_stores`` run on, and the fixture of each one's build.
STORES = {"embedded": "built", "oxigraph": "built_remote", "virtuoso": "built_virtuoso"}


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
    with httpx.Client(base_url=server.url, timeout=30) as http:
        yield http
