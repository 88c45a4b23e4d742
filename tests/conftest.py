"""Shared fixtures: the real project, copies of it to break, a real server."""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
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
from wise_kg.build import build
from wise_kg.config import Settings

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


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


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


class OxigraphServer:
    """``oxigraph serve`` (the ``oxigraph`` PyPI package) on 127.0.0.1, storing on disk.

    It can be stopped and started again on the same port and data, as an engine
    going down and coming back.
    """

    def __init__(self, location: Path):
        self.location, self.port = location, _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> OxigraphServer:
        binary = shutil.which("oxigraph") or str(Path(sys.executable).with_name("oxigraph"))
        command = [binary, "serve", "--location", str(self.location)]
        self.process = subprocess.Popen(
            [*command, "--bind", f"127.0.0.1:{self.port}"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 20
        while True:
            try:
                if httpx.get(self.url + "/query", params={"query": "ASK {}"}).is_success:
                    return self
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline or self.process.poll() is not None:
                raise RuntimeError("oxigraph serve did not start")
            time.sleep(0.1)

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=10)
            self.process = None

    def settings(self, base: Settings) -> Settings:
        """``base`` pointed at this engine (query, update and Graph Store endpoints)."""
        return base.model_copy(
            update={"store": f"sparql+{self.url}/query", "store_gsp_url": f"{self.url}/store"}
        )


@pytest.fixture(scope="session")
def oxigraph(tmp_path_factory: pytest.TempPathFactory) -> Iterator[OxigraphServer]:
    """A real SPARQL engine for the remote store, started once for the session."""
    engine = OxigraphServer(tmp_path_factory.mktemp("oxigraph")).start()
    yield engine
    engine.stop()


@pytest.fixture(scope="session")
def built_remote(built: Settings, oxigraph: OxigraphServer) -> Settings:
    """The real sources, built once into the oxigraph engine."""
    settings = oxigraph.settings(built)
    build(settings)
    return settings


#: The stores the tests marked ``both_stores`` run on.
STORES = ("embedded", "oxigraph")


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Tests marked ``both_stores`` run once on each store."""
    marked = metafunc.definition.get_closest_marker("both_stores") is not None
    if marked and "store_kind" in metafunc.fixturenames:
        metafunc.parametrize("store_kind", STORES, indirect=True, scope="session")


@pytest.fixture(scope="session")
def store_kind(request: pytest.FixtureRequest) -> str:
    """Which store the server runs on: embedded unless a test is marked ``both_stores``."""
    return getattr(request, "param", "embedded")


@pytest.fixture(scope="session")
def served(store_kind: str, request: pytest.FixtureRequest) -> Settings:
    """The settings of the session store of that kind."""
    return request.getfixturevalue("built" if store_kind == "embedded" else "built_remote")


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
