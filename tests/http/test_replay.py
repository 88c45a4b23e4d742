"""The fast path for repeated GETs: the replayed answer is the answer, header for header."""

from __future__ import annotations

import json
import logging
import re
import time

import httpx
import pytest

from tests.helpers import LiveServer
from wise_kg.api.cache import ResultCache
from wise_kg.api.middleware import replay
from wise_kg.api.middleware.observability import Metrics

WISE = "https://w3id.org/wise-kg/ontology#"
AREA = "/id/need-area/network-building-area"
AREAS = f"SELECT ?a WHERE {{ ?a a <{WISE}NeedArea> }} ORDER BY ?a"
#: Headers that differ between two answers by design.
PER_REQUEST = {"x-request-id", "date"}


def _same(first: httpx.Response, second: httpx.Response) -> None:
    assert second.status_code == first.status_code == 200
    assert second.content == first.content
    strip = lambda r: {k: v for k, v in r.headers.items() if k not in PER_REQUEST}  # noqa: E731
    assert strip(second) == strip(first)


@pytest.mark.parametrize(
    ("path", "params", "headers"),
    [
        ("/sparql", {"query": AREAS}, {"Accept": "application/sparql-results+json"}),
        ("/sparql", {"query": AREAS}, {"Accept": "text/csv"}),
        (AREA, {}, {"Accept": "text/turtle"}),
        (AREA, {}, {"Accept": "text/html", "Accept-Language": "it"}),
        ("/queries/cq_01_needs_by_area", {}, {"Accept": "application/sparql-results+xml"}),
    ],
)
def test_a_replayed_answer_is_byte_for_byte_the_answer(
    client: httpx.Client, path: str, params: dict[str, str], headers: dict[str, str]
) -> None:
    first = client.get(path, params=params, headers=headers)
    client.get(path, params=params, headers=headers)  # asked for again: now kept
    replayed = client.get(path, params=params, headers=headers)
    _same(first, replayed)
    assert replayed.headers["x-request-id"] != first.headers["x-request-id"]


def test_each_variant_is_its_own_answer(client: httpx.Client) -> None:
    as_csv = client.get("/sparql", params={"query": AREAS}, headers={"Accept": "text/csv"})
    as_json = client.get("/sparql", params={"query": AREAS}, headers={"Accept": "*/*"})
    again = client.get("/sparql", params={"query": AREAS}, headers={"Accept": "text/csv"})
    assert as_csv.headers["content-type"].startswith("text/csv")
    assert as_json.headers["content-type"].startswith("application/sparql-results+json")
    assert again.content == as_csv.content and again.content != as_json.content


def test_cors_is_replayed_only_to_cross_origin_requests(client: httpx.Client) -> None:
    params = {"query": AREAS + " LIMIT 2"}
    for _ in range(3):
        plain = client.get("/sparql", params=params)
        cross = client.get("/sparql", params=params, headers={"Origin": "https://example.org"})
        assert "access-control-allow-origin" not in plain.headers
        assert cross.headers["access-control-allow-origin"] == "*"
        assert "ETag" in cross.headers["access-control-expose-headers"]


def test_if_none_match_is_a_304_on_the_fast_path_too(client: httpx.Client) -> None:
    params = {"query": AREAS + " LIMIT 3"}
    first = client.get("/sparql", params=params)
    client.get("/sparql", params=params)  # asked for again: now kept
    again = client.get("/sparql", params=params, headers={"If-None-Match": first.headers["etag"]})
    assert again.status_code == 304 and again.content == b""
    assert again.headers["etag"] == first.headers["etag"]
    assert again.headers["vary"] == first.headers["vary"]
    stale = client.get("/sparql", params=params, headers={"If-None-Match": '"other"'})
    assert stale.status_code == 200 and stale.content == first.content


def test_a_304_replayed_to_a_cross_origin_request_carries_its_cors_headers(
    client: httpx.Client,
) -> None:
    """The route's 304 to a page's request has them (the CORS middleware adds them to
    every answer); the replayed 304 left them out."""
    params = {"query": AREAS + " LIMIT 8"}
    page = {"Origin": "https://example.org"}
    first = client.get("/sparql", params=params, headers=page)
    client.get("/sparql", params=params, headers=page)  # asked for again: now kept
    again = client.get(
        "/sparql", params=params, headers={**page, "If-None-Match": first.headers["etag"]}
    )
    assert again.status_code == 304
    assert again.headers["access-control-allow-origin"] == "*"
    assert "ETag" in again.headers["access-control-expose-headers"]


def test_errors_and_live_routes_are_never_replayed(client: httpx.Client) -> None:
    bad = {"query": "SELECT * WHERE { ?s ?p }"}
    assert client.get("/sparql", params=bad).status_code == 400
    assert client.get("/sparql", params=bad).status_code == 400
    first, second = client.get("/health").json(), client.get("/health").json()
    assert first == second and "etag" not in client.get("/health").headers


def test_replays_are_logged_and_counted(
    client: httpx.Client, server: LiveServer, caplog: pytest.LogCaptureFixture
) -> None:
    params = {"query": AREAS + " LIMIT 4"}
    client.get("/sparql", params=params)
    client.get("/sparql", params=params)  # asked for again: now kept
    with caplog.at_level(logging.INFO, logger="wise_kg.access"):
        replayed = client.get("/sparql", params=params, headers={"X-Request-ID": "replay-1"})
        deadline = time.monotonic() + 5  # the line is written once the response is sent
        while not (lines := _logged(caplog, "replay-1")) and time.monotonic() < deadline:
            time.sleep(0.02)
    assert replayed.headers["x-request-id"] == "replay-1"
    line = lines[0]
    assert line["status"] == 200 and line["route"] == "/sparql"


def _logged(caplog: pytest.LogCaptureFixture, request_id: str) -> list[dict]:
    """The access-log lines of one request."""
    lines = [json.loads(r.getMessage()) for r in caplog.records if r.name == "wise_kg.access"]
    return [line for line in lines if line["request_id"] == request_id]


def test_an_answer_asked_for_once_is_not_kept(client: httpx.Client, server: LiveServer) -> None:
    """Most research tools never send a query text twice: keeping every answer cost each
    fresh query a tenth of its time in the web process and pushed out the ones asked
    for again. An answer to a query string is kept the second time it is asked for."""
    replays = server.server.config.app.state.replays
    params = {"query": AREAS + " LIMIT 5 # asked for once, then twice"}
    held = replays.size
    first = client.get("/sparql", params=params)
    assert replays.size == held, "an answer asked for once was kept"
    client.get("/sparql", params=params)
    assert replays.size > held, "an answer asked for twice was not kept"
    _same(first, client.get("/sparql", params=params))


def test_the_memory_of_keys_asked_for_once_is_bounded(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A client sending endless fresh texts fills the memory of keys seen once. It is kept
    in two generations, the older forgotten when the newer is full: a key is remembered
    for at least SEEN_KEYS new keys after it, so that a burst of junk requests (any URL
    with a query string is a key, a 404's too) cannot make everyone's next request
    forgotten at once, as emptying it did."""
    monkeypatch.setattr(replay, "SEEN_KEYS", 3)
    middleware = replay.ReplayMiddleware(app=None, cache=ResultCache(1000), metrics=Metrics())
    seen = [middleware._seen_before((n,)) for n in (1, 2, 3, 1, 4, 1, 5, 6, 7, 1)]
    assert seen == [False, False, False, True, False, True, False, False, False, False]
    assert len(middleware._seen) + len(middleware._seen_earlier) <= 2 * 3


def test_a_page_is_kept_the_first_time_and_its_revalidations_replayed(
    client: httpx.Client, server: LiveServer
) -> None:
    """A browser asks for a page once, then revalidates it each time it shows it (the
    answers say ``no-cache``). The route's 304 holds nothing to keep: had the page waited
    for a second unconditional request, each revalidation would have cost the web process
    2.6 to 3.0 ms of CPU, against 14 to 20 µs replayed."""
    replays = server.server.config.app.state.replays
    held = replays.size
    first = client.get(AREA, headers={"Accept": "text/html", "Accept-Language": "de"})
    assert replays.size > held, "a page asked for once was not kept"
    tag = {"If-None-Match": first.headers["etag"], "Accept": "text/html", "Accept-Language": "de"}
    before = _hits(client)
    again = client.get(AREA, headers=tag)
    assert again.status_code == 304 and again.headers["etag"] == first.headers["etag"]
    assert _hits(client) == before + 1, "the revalidation did not come from the cache"


def test_a_query_answer_asked_for_once_is_revalidated_without_a_worker(
    client: httpx.Client, caplog: pytest.LogCaptureFixture
) -> None:
    """Its revalidation goes to the endpoint, which compares the tag before it takes a
    worker (a worker ran for it, and a busy pool made it a 503, when the revalidation
    was answered by asking the route without its conditions)."""
    params = {"query": AREAS + " LIMIT 7 # revalidated"}
    first = client.get("/sparql", params=params)
    tag = {"If-None-Match": first.headers["etag"], "X-Request-ID": "revalidated-1"}
    with caplog.at_level(logging.INFO, logger="wise_kg.access"):
        again = client.get("/sparql", params=params, headers=tag)
        deadline = time.monotonic() + 5  # the line is written once the response is sent
        while not (lines := _logged(caplog, "revalidated-1")) and time.monotonic() < deadline:
            time.sleep(0.02)
    assert again.status_code == 304 and again.headers["etag"] == first.headers["etag"]
    assert lines[0]["status"] == 304 and lines[0]["query_hash"] is None, "a worker ran"


def _hits(client: httpx.Client) -> float:
    """How many answers the caches have given so far (/metrics)."""
    found = re.search(
        r'^wise_kg_cache_total\{outcome="hit"\} (\S+)$', client.get("/metrics").text, re.M
    )
    return float(found.group(1)) if found else 0.0
