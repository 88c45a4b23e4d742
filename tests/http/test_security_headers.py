"""Security headers: every answer says ``nosniff`` and a Referrer-Policy; every HTML page
carries the site's Content-Security-Policy (replayed answers too) and has no inline
script; any other answer carries a policy that allows nothing."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import httpx
import pytest

from tests.helpers import LiveServer
from wise_kg.api.middleware.security import DATA_POLICY, page_policy

BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
PAGES = [
    "/",
    "/id/need/placement",
    "/id/need/placement.html",
    "/id/need/placement?lang=it",
    "/search?q=placement",
    "/ontology",
    "/sparql",
    "/docs",
    "/redoc",
]
#: Answers that are not pages: (path, Accept, status).
DATA = [
    ("/id/need/placement.ttl", "*/*", 200),
    ("/id/need/placement", "application/ld+json", 200),
    ("/sparql?query=ASK%7B%7D", "application/sparql-results+json", 200),
    ("/sparql?query=SELEC", "*/*", 400),
    ("/id/need/placement", "image/png", 406),
    ("/id/need/no-such-need", "text/turtle", 404),
    ("/no/such/route", "*/*", 404),
    ("/health", "*/*", 200),
    ("/openapi.json", "*/*", 200),
    ("/static/wise-kg/site.js", "*/*", 200),
]
#: Script types that are data, never run (the YASGUI configuration, pyLODE's JSON-LD).
DATA_BLOCKS = {"application/json", "application/ld+json"}
HITS = re.compile(r'^wise_kg_cache_total\{outcome="hit"\} (\S+)$', re.MULTILINE)


def _one(response: httpx.Response, name: str) -> str:
    """The one value of a header that must be sent exactly once."""
    values = response.headers.get_list(name)
    assert len(values) == 1, (name, values)
    return values[0]


def _common(response: httpx.Response) -> None:
    assert _one(response, "x-content-type-options") == "nosniff"
    assert _one(response, "referrer-policy") == "strict-origin-when-cross-origin"


class _Scripts(HTMLParser):
    """The ``<script>`` elements of a page that would run without a ``src``."""

    def __init__(self) -> None:
        super().__init__()
        self.inline: list[dict[str, str | None]] = []
        self.handlers: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        self.handlers += [name for name in attributes if name.startswith("on")]
        runs = attributes.get("type") not in DATA_BLOCKS
        if tag == "script" and "src" not in attributes and runs:
            self.inline.append(attributes)


@pytest.mark.parametrize("path", PAGES)
def test_every_page_carries_the_policy(client: httpx.Client, server: LiveServer, path: str) -> None:
    page = client.get(path, headers={"Accept": BROWSER})
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    policy = _one(page, "content-security-policy")
    assert policy == page_policy(server.settings.public_base())
    script_src = re.search(r"script-src ([^;]*)", policy)
    assert script_src and script_src.group(1) == "'self'", policy
    assert "frame-ancestors 'none'" in policy
    _common(page)


@pytest.mark.parametrize("path", PAGES)
def test_no_page_has_an_inline_script(client: httpx.Client, path: str) -> None:
    scripts = _Scripts()
    scripts.feed(client.get(path, headers={"Accept": BROWSER}).text)
    assert scripts.inline == [], "an inline script would need 'unsafe-inline' in script-src"
    assert scripts.handlers == [], "an on… attribute would need 'unsafe-inline' in script-src"


def test_the_not_found_page_carries_the_policy(client: httpx.Client, server: LiveServer) -> None:
    page = client.get("/id/need/no-such-need", headers={"Accept": BROWSER})
    assert page.status_code == 404 and page.headers["content-type"].startswith("text/html")
    assert _one(page, "content-security-policy") == page_policy(server.settings.public_base())
    _common(page)


@pytest.mark.parametrize(("path", "accept", "status"), DATA)
def test_other_answers_allow_nothing(
    client: httpx.Client, path: str, accept: str, status: int
) -> None:
    answer = client.get(path, headers={"Accept": accept})
    assert answer.status_code == status, answer.text[:200]
    assert not answer.headers["content-type"].startswith("text/html")
    assert _one(answer, "content-security-policy") == DATA_POLICY
    _common(answer)


def test_a_304_carries_no_policy(client: httpx.Client) -> None:
    """A browser merges a 304's headers into the page it holds: no policy may replace its own."""
    first = client.get("/", headers={"Accept": BROWSER})
    again = client.get("/", headers={"Accept": BROWSER, "If-None-Match": first.headers["etag"]})
    assert again.status_code == 304
    assert "content-security-policy" not in again.headers
    _common(again)


def _hits(client: httpx.Client) -> float:
    """How many answers the replay cache has given so far."""
    found = HITS.search(client.get("/metrics").text)
    return float(found.group(1)) if found else 0.0


@pytest.mark.parametrize(
    ("path", "accept"),
    [("/", BROWSER), ("/id/need/placement", BROWSER), ("/id/need/placement", "text/turtle")],
)
def test_replayed_answers_keep_the_headers(client: httpx.Client, path: str, accept: str) -> None:
    headers = {"Accept": accept, "Accept-Language": "en;q=0.9"}  # a key of its own
    first = client.get(path, headers=headers)
    before = _hits(client)
    replayed = client.get(path, headers=headers)
    assert _hits(client) == before + 1, "the second answer did not come from the replay cache"
    policy = _one(replayed, "content-security-policy")
    assert policy == _one(first, "content-security-policy")
    _common(replayed)

    not_modified = client.get(path, headers={**headers, "If-None-Match": first.headers["etag"]})
    assert not_modified.status_code == 304
    assert "content-security-policy" not in not_modified.headers
    _common(not_modified)


def test_refused_requests_carry_the_headers(client: httpx.Client) -> None:
    """The request guard's refusals (before any route) get them too: the middleware is outermost."""
    crowded = {f"X-Filler-{i}": "x" for i in range(101)}
    refused = client.get("/", headers=crowded)
    assert refused.status_code == 431
    assert _one(refused, "content-security-policy") == DATA_POLICY
    _common(refused)
