"""Shared fixtures: the real project, copies of it to break, a real server."""

from __future__ import annotations

import shutil
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import uvicorn
from rdflib import Graph

from wise_kg.api import create_app
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
    """A real uvicorn serving the app on 127.0.0.1 in a background thread."""

    def __init__(self, settings: Settings):
        self.settings = settings.model_copy(update={"port": _free_port()})
        config = uvicorn.Config(
            create_app(self.settings),
            host="127.0.0.1",
            port=self.settings.port,
            log_level="warning",
        )
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
def server(built: Settings) -> Iterator[LiveServer]:
    """A real server over the session store."""
    with LiveServer(built) as live:
        yield live


@pytest.fixture
def client(server: LiveServer) -> Iterator[httpx.Client]:
    """An HTTP client bound to the live server."""
    with httpx.Client(base_url=server.url, timeout=30) as http:
        yield http
