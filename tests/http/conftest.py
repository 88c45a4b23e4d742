"""A real uvicorn on 127.0.0.1 serving the built sources, one per test module."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from tests.conftest import LiveServer
from wise_kg.config import Settings


@pytest.fixture(scope="module")
def live(built: Settings) -> Iterator[LiveServer]:
    """The server, configured as ``wise-kg serve`` runs it."""
    with LiveServer(built) as server:
        yield server


@pytest.fixture
def http(live: LiveServer) -> Iterator[httpx.Client]:
    """An httpx client of that server (gzip accepted, as httpx does by default)."""
    with httpx.Client(base_url=live.url, timeout=30) as client:
        yield client
