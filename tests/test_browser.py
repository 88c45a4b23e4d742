"""The pages as a person gets them: Debian's Chromium, driven by Playwright, on a real server.

Playwright never downloads a browser here: it starts ``/usr/bin/chromium`` (Debian's
package, which ``.ci/run`` installs), in a fresh temporary profile, with the background
networking switched off. Every request the pages make is recorded and must go to the
test server on 127.0.0.1 alone; anything else is also aborted, so a test cannot reach
out even when it fails.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest

from wise_kg import queries
from wise_kg.api import yasgui

CHROMIUM = Path("/usr/bin/chromium")
if not CHROMIUM.is_file():
    pytest.skip(
        "Debian's chromium is not installed (/usr/bin/chromium): "
        "`apt-get install chromium`, as .ci/run does",
        allow_module_level=True,
    )
sync_api = pytest.importorskip("playwright.sync_api", reason="the playwright package is missing")

PROJECT = Path(__file__).resolve().parents[1]
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
LOCAL = "127.0.0.1"
PLACEMENT = "https://w3id.org/wise-kg/id/need/placement"
TIMEOUT_MS = 20_000


@pytest.fixture(scope="module")
def browser() -> Iterator[sync_api.Browser]:
    """Debian's Chromium, headless; ``launch`` gives it a new empty profile each time."""
    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=FLAGS)
        try:
            yield chromium
        finally:
            chromium.close()


class Visit:
    """One browser tab and what it did: every request made and every script error."""

    def __init__(self, page: sync_api.Page):
        self.page = page
        self.requests: list[str] = []
        self.errors: list[str] = []

    def foreign(self) -> list[str]:
        """The requests that went (or tried to go) anywhere but the test server."""
        return [url for url in self.requests if not _is_local(url)]


def _is_local(url: str) -> bool:
    parts = urlsplit(url)
    return parts.scheme in ("data", "blob", "about") or parts.hostname == LOCAL


@pytest.fixture
def visit(browser: sync_api.Browser) -> Iterator[Visit]:
    """A new context and page, recording requests and aborting any off this machine."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    context.set_default_timeout(TIMEOUT_MS)

    def guard(route: sync_api.Route) -> None:
        if _is_local(route.request.url):
            route.continue_()
        else:
            route.abort("blockedbyclient")

    context.route("**/*", guard)
    page = context.new_page()
    seen = Visit(page)
    page.on("request", lambda request: seen.requests.append(request.url))
    page.on("pageerror", lambda error: seen.errors.append(str(error)))
    try:
        yield seen
    finally:
        context.close()


def _label(client: httpx.Client, iri: str) -> str:
    """The English ``skos:prefLabel`` of a resource, asked of the endpoint."""
    query = (
        "PREFIX skos: <http://www.w3.org/2004/02/skos/core#>\n"
        f"SELECT ?label WHERE {{ <{iri}> skos:prefLabel ?label FILTER(lang(?label) = 'en') }}"
    )
    answer = client.get("/sparql", params={"query": query, "format": "json"})
    answer.raise_for_status()
    (row,) = answer.json()["results"]["bindings"]
    return row["label"]["value"]


# --- YASGUI at /sparql ---------------------------------------------------------------


needs_yasgui = pytest.mark.skipif(
    yasgui.assets_dir(PROJECT) is None,
    reason="YASGUI is not installed in node_modules/ (`make` runs `npm ci`); "
    "/sparql serves the plain form",
)


def _open_yasgui(page: sync_api.Page, url: str) -> None:
    """Open the YASGUI page and wait until its first tab is there."""
    page.goto(url)
    assert page.locator("#yasgui").count() == 1, (
        f"{url} does not serve the YASGUI page (is yasgui.page wired into /sparql?)"
    )
    page.wait_for_function("() => window.yasgui && window.yasgui.getTab()")


@needs_yasgui
def test_yasgui_bundle_is_served_locally(client: httpx.Client) -> None:
    for name in yasgui.FILES:
        answer = client.get(f"{yasgui.PREFIX}/{name}")
        assert answer.status_code == 200, name
        assert len(answer.content) > 10_000, name


@needs_yasgui
def test_yasgui_runs_the_first_saved_query(server, visit: Visit) -> None:
    saved = list(queries.load(PROJECT / "queries").values())
    assert saved, "queries/ holds no saved query"
    page = visit.page

    _open_yasgui(page, server.url + "/sparql")
    assert page.locator("html").get_attribute("lang") == "en"
    assert "SPARQL" in page.title()
    assert "SPARQL" in page.locator("h1").inner_text()
    assert page.locator("main").count() == 1

    # One tab per saved query, the first one open with the query's own text.
    names = page.evaluate(
        "() => yasgui.persistentConfig.getTabs().map(id => yasgui.getTab(id).name())"
    )
    assert names == [q.name for q in saved]
    assert page.get_by_role("tab").count() == len(saved)
    editor_text = page.evaluate("() => window.yasgui.getTab().getYasqe().getValue()")
    assert editor_text.strip() == saved[0].text.strip()
    assert page.locator("#examples li", has_text=saved[0].summary).count() == 1

    # Run it: one POST to this endpoint, and its rows in YASR's table.
    with page.expect_response(
        lambda r: r.url == server.url + "/sparql" and r.request.method == "POST"
    ) as answer:
        page.locator(".yasqe .yasqe_queryButton").first.click()
    assert answer.value.status == 200, (
        answer.value.text(),
        answer.value.request.post_data,
        answer.value.request.headers,
    )
    assert answer.value.request.post_data and "query=" in answer.value.request.post_data
    rows = page.locator(".yasr table.dataTable tbody tr")
    rows.first.wait_for()
    expected = len(answer.value.json()["results"]["bindings"])
    assert expected > 0
    assert rows.count() == min(expected, 50)  # YASR's first page holds 50 rows
    assert "https://w3id.org/wise-kg/id/need/" in rows.first.inner_text()

    assert visit.errors == []
    assert visit.foreign() == [], "the page asked another host"
    assert f"{server.url}{yasgui.PREFIX}/yasgui.min.js" in visit.requests


@needs_yasgui
def test_yasgui_switches_to_a_saved_query_from_the_list(server, visit: Visit) -> None:
    saved = list(queries.load(PROJECT / "queries").values())
    page = visit.page
    _open_yasgui(page, server.url + "/sparql")

    last = saved[-1]
    page.locator("#examples button.example", has_text=last.name).click()
    assert page.evaluate("() => window.yasgui.getTab().name()") == last.name
    assert page.evaluate("() => window.yasgui.getTab().getYasqe().getValue()").strip() == (
        last.text.strip()
    )
    # Completing a class or a property must not ask a vocabulary service on another host
    # (YASQE's default autocompleters ask Linked Open Vocabularies).
    for partial, key in (("?s a skos:Con", "c"), ("?s skos:pref", "L")):
        page.evaluate(
            """partial => {
                const editor = yasgui.getTab().getYasqe();
                editor.setValue(`PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
SELECT * WHERE {
  ${partial}`);
                editor.focus();
                editor.getDoc().setCursor({line: 2, ch: partial.length + 2});
            }""",
            partial,
        )
        page.keyboard.type(key)
        page.keyboard.press("Control+Space")
        page.wait_for_timeout(700)
        page.keyboard.press("Escape")
    assert visit.errors == []
    assert visit.foreign() == []


# --- The linked-data site (pages being written) --------------------------------------


def test_home_page_has_a_search_box(server, visit: Visit) -> None:
    page = visit.page
    response = page.goto(server.url + "/")
    assert response is not None and response.ok
    assert "text/html" in response.headers["content-type"]
    assert page.locator("html").get_attribute("lang")
    assert page.locator("h1").count() == 1
    assert page.locator("main").count() == 1
    box = page.locator("#site-search")
    box.wait_for(state="visible")
    assert visit.errors == []
    assert visit.foreign() == []


def test_concept_page_is_titled_by_its_label(server, client: httpx.Client, visit: Visit) -> None:
    label = _label(client, PLACEMENT)
    page = visit.page
    response = page.goto(server.url + "/id/need/placement")
    assert response is not None and response.ok
    assert "text/html" in response.headers["content-type"]
    assert page.locator("h1").inner_text().strip() == label
    assert label in page.title()
    assert visit.errors == []
    assert visit.foreign() == []


def test_search_box_suggests_concepts(server, client: httpx.Client, visit: Visit) -> None:
    label = _label(client, PLACEMENT)
    page = visit.page
    page.goto(server.url + "/")
    box = page.locator("#site-search")
    with page.expect_response(lambda r: urlsplit(r.url).path == "/search") as answer:
        box.fill(label[:5])
    assert answer.value.ok
    assert "json" in answer.value.headers["content-type"]
    assert PLACEMENT in json.dumps(answer.value.json())
    # The suggestion reaches the page (a list, a listbox or a datalist).
    page.wait_for_function(
        "label => document.body.innerHTML.includes(label)", arg=label, timeout=TIMEOUT_MS
    )
    assert visit.errors == []
    assert visit.foreign() == []
