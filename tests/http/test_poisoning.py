"""Nothing one client sends changes what the next one gets: the answer cache keys on the
request as the routes read it, links come from the configured public address, and the
caches are bounded by everything they hold. Requests go over raw sockets, as written."""

from __future__ import annotations

import httpx
import pytest

from tests.helpers import LiveServer, exchange, http_client
from wise_kg.api.deps import SCOPE_KEY, snapshot_of
from wise_kg.config import Settings

PLACEMENT = "/id/need/placement"
BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
LINKED = ["/.well-known/void", "/catalog", "/sparql", "/queries"]


def test_duplicate_accept_cannot_poison_the_cache(live: LiveServer, http: httpx.Client) -> None:
    sneaky = exchange(
        live.url,
        f"GET {PLACEMENT} HTTP/1.1\nHost: x\nAccept: text/turtle\nAccept: {BROWSER}",
    )
    assert sneaky.status == 200 and sneaky.header("content-type").startswith("text/turtle")
    browser = http.get(PLACEMENT, headers={"Accept": BROWSER})
    assert browser.headers["content-type"].startswith("text/html")
    again = http.get(PLACEMENT, headers={"Accept": "text/turtle"})
    assert again.headers["content-type"].startswith("text/turtle")


def test_duplicate_accept_language_cannot_serve_another_language(
    live: LiveServer, http: httpx.Client
) -> None:
    sneaky = exchange(
        live.url,
        f"GET / HTTP/1.1\nHost: x\nAccept: {BROWSER}\nAccept-Language: it\nAccept-Language: en",
    )
    assert sneaky.status == 200 and b'lang="it"' in sneaky.body
    english = http.get("/", headers={"Accept": BROWSER, "Accept-Language": "en"})
    assert 'lang="en"' in english.text


@pytest.mark.parametrize("path", LINKED)
def test_a_clients_host_never_reaches_a_link(
    live: LiveServer, http: httpx.Client, path: str
) -> None:
    for host in ("evil.example", "evil.example:443", "127.0.0.1@evil.example"):
        for forwarded in ("", "\nX-Forwarded-Proto: https\nX-Forwarded-Host: evil.example"):
            answer = exchange(live.url, f"GET {path} HTTP/1.1\nHost: {host}{forwarded}")
            assert answer.status in (200, 400), (path, host)
            assert b"evil.example" not in answer.body and b"https://127" not in answer.body
    text = http.get(path).text
    assert "evil.example" not in text
    assert f"{live.url}/sparql" in text or path == "/queries"


def test_links_come_from_the_configured_public_address(built: Settings) -> None:
    public = built.model_copy(update={"public_url": "https://kg.example.org/wise/"})
    with LiveServer(public) as live, http_client(live.url, timeout=30) as http:
        void = http.get("/.well-known/void", headers={"Accept": "text/turtle"}).text
        assert "<https://kg.example.org/wise/sparql>" in void
        assert "<https://kg.example.org/wise/dump.nt>" in void
        assert live.url not in void
        saved = http.get("/queries").json()
        assert all(q["url"].startswith("https://kg.example.org/wise/queries/") for q in saved)


def test_cache_entries_count_their_key_bytes(built: Settings) -> None:
    small = built.model_copy(update={"cache_bytes": 2_000_000})
    with LiveServer(small) as live, http_client(live.url, timeout=30) as http:
        replays = live.server.config.app.state.replays
        junk = "j" * 12_000
        for i in range(150):  # each a different 12 KB key to a small cacheable answer,
            for _ in range(2):  # asked for twice, so that it is kept
                assert http.get(PLACEMENT + ".nt", params={"x": f"{i}{junk}"}).status_code == 200
        held = sum(
            len(value.body) + sum(len(part) for part in key if isinstance(part, bytes))
            for key, value in replays._items.items()
        )
        assert replays.size <= replays.max_bytes
        assert held <= replays.max_bytes, "the keys' bytes were not counted"


def test_a_request_reads_one_build(live: LiveServer) -> None:
    app = live.server.config.app
    scope = {"app": app}
    first = snapshot_of(scope)
    app.state.snapshot, saved = object(), app.state.snapshot  # a new build comes in
    try:
        assert snapshot_of(scope) is first and scope[SCOPE_KEY] is first
        assert snapshot_of({"app": app}) is app.state.snapshot
    finally:
        app.state.snapshot = saved
