"""Query syntax tests over HTTP: negative ones must get 4xx (never 5xx), positive ones 2xx.

Queries run on an explicitly empty dataset (a ``default-graph-uri`` the store lacks).
"""

from __future__ import annotations

import httpx
import pytest

from tests.w3c import suite
from tests.w3c.runner import DIRECT, query_with_base
from tests.w3c.xfail import param

if not suite.available():
    pytest.skip(f"W3C suite not found at {suite.SHARED}", allow_module_level=True)

EMPTY = [("default-graph-uri", "urn:x-w3c-harness:empty")]


def _params(positive: bool) -> list[object]:
    return [
        param(t.iri, t, f"{t.directory.rsplit('/', 1)[-1]}/{t.short}")
        for t in suite.syntax_tests(positive)
    ]


def _send(client: httpx.Client, test: suite.Test) -> httpx.Response:
    return client.post(
        "/sparql",
        params=EMPTY,
        content=query_with_base(test).encode("utf-8"),
        headers={"content-type": DIRECT},
    )


@pytest.mark.parametrize("test", _params(positive=False))
def test_negative_syntax(test: suite.Test, w3c_client: httpx.Client) -> None:
    """An invalid query is refused as a client error."""
    response = _send(w3c_client, test)
    assert 400 <= response.status_code < 500, f"HTTP {response.status_code}: {response.text}"


@pytest.mark.parametrize("test", _params(positive=True))
def test_positive_syntax(test: suite.Test, w3c_client: httpx.Client) -> None:
    """A valid query is answered."""
    response = _send(w3c_client, test)
    assert response.status_code == 200, f"HTTP {response.status_code}: {response.text}"
