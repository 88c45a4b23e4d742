"""The pages as a person gets them: Debian's Chromium, driven by Playwright, on a real server.

Playwright never downloads a browser here: it starts ``/usr/bin/chromium`` (Debian's
package, which ``.ci/run`` installs), in a fresh temporary profile, with the background
networking switched off. Every request the pages make is recorded and must go to the
test server on 127.0.0.1 alone; anything else is also aborted, so a test cannot reach
out even when it fails. Every page runs under the server's Content-Security-Policy: a
violation Chromium reports on the console counts as a script error.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest

from tests.helpers import PROJECT, TEST_DATA, LiveServer, copy_project
from wise_kg.api.html import yasgui
from wise_kg.api.routes import docs
from wise_kg.config import Settings
from wise_kg.sparql import queries
from wise_kg.store.build import build

CHROMIUM = Path("/usr/bin/chromium")
if not CHROMIUM.is_file():
    pytest.skip(
        "Debian's chromium is not installed (/usr/bin/chromium): "
        "`apt-get install chromium`, as .ci/run does",
        allow_module_level=True,
    )
sync_api = pytest.importorskip("playwright.sync_api", reason="the playwright package is missing")

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
#: What Chromium's console messages about a blocked script, style or request contain.
CSP_MESSAGE = "Content Security Policy"


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
    """One browser tab and what it did: every request made, every script error and
    every Content-Security-Policy violation."""

    def __init__(self, page: sync_api.Page):
        self.page = page
        self.requests: list[str] = []
        self.errors: list[str] = []

    def console(self, message: sync_api.ConsoleMessage) -> None:
        """Count a console message about the Content-Security-Policy as an error."""
        if CSP_MESSAGE in message.text:
            self.errors.append(message.text)

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
    page.on("console", seen.console)
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


def _open_yasgui(page: sync_api.Page, url: str) -> sync_api.Response | None:
    """Open the YASGUI page and wait until its first tab is there; the page's response."""
    response = page.goto(url)
    assert page.locator("#yasgui").count() == 1, (
        f"{url} does not serve the YASGUI page (is yasgui.page wired into /sparql?)"
    )
    page.wait_for_function("() => window.yasgui && window.yasgui.getTab()")
    return response


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

    # Result IRIs of the graph open this server's pages, not the published address.
    href = rows.first.locator("a.iri").first.get_attribute("href")
    assert href is not None and href.startswith("/id/"), href
    _has_navigation(page)
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


# --- Under the Content-Security-Policy ----------------------------------------------------


def _policy(response: sync_api.Response | None, status: int = 200) -> None:
    """The page came with a Content-Security-Policy that runs this server's scripts only."""
    assert response is not None and response.status == status, response and response.status
    policy = response.headers.get("content-security-policy", "")
    directives = dict(part.strip().partition(" ")[::2] for part in policy.split(";"))
    assert directives.get("script-src") == "'self'", policy


def _has_navigation(page: sync_api.Page) -> None:
    """The page carries the site's one header: its navigation, with every entry point."""
    nav = page.locator('header.site nav[aria-label="Site"]')
    assert nav.count() == 1, page.url
    assert nav.is_visible(), page.url
    for href in ("/", "/id/", "/ontology", "/sparql", "/queries"):
        assert nav.locator(f'a[href="{href}"]').count() == 1, (page.url, href)


@pytest.mark.parametrize(
    "path",
    [
        "/",
        "/id/need/placement",
        "/id/need/placement?lang=it",
        "/search?q=placement",
        "/ontology",
        "/id/",
        "/id/source/?page=2",
        "/hierarchy/needs",
        "/queries",
        "/queries/cq_01_needs_by_area",
        "/graph/data",
        "/shapes",
        "/esco",
    ],
)
def test_site_pages_run_under_the_policy(server, visit: Visit, path: str) -> None:
    page = visit.page
    _policy(page.goto(server.url + path))
    page.wait_for_load_state("networkidle")
    assert page.locator("h1").count() >= 1
    _has_navigation(page)
    assert visit.errors == []
    assert visit.foreign() == []


def test_not_found_page_runs_under_the_policy(server, visit: Visit) -> None:
    _policy(visit.page.goto(server.url + "/id/need/no-such-need"), 404)
    visit.page.wait_for_load_state("networkidle")
    _has_navigation(visit.page)
    assert visit.errors == []
    assert visit.foreign() == []


# --- A walk through the site, as a reader takes it ---------------------------------------

PEOPLE_AREA = "https://w3id.org/wise-kg/id/need-area/people-area"


def test_walk_from_home_to_a_saved_querys_answer(
    server, client: httpx.Client, visit: Visit, tmp_path: Path
) -> None:
    """Home → a kind's list → a resource → its scheme's hierarchy → a saved query's page →
    its answer, each page with the navigation, screenshotted, and nothing from elsewhere."""
    page = visit.page
    shots: list[Path] = []

    def arrived(name: str) -> None:
        page.wait_for_load_state("networkidle")
        _has_navigation(page)
        shot = tmp_path / f"{len(shots):02d}-{name}.png"
        page.screenshot(path=str(shot), full_page=True)
        shots.append(shot)

    _policy(page.goto(server.url + "/"))
    arrived("home")
    page.locator('header.site a[href="/id/"]').click()
    page.wait_for_url(server.url + "/id/")
    arrived("kinds")
    page.locator('main a[href="/id/need/"]').click()
    page.wait_for_url(server.url + "/id/need/")
    assert page.locator("table.members tbody tr").count() == 21
    arrived("kind")
    page.locator('main a[href="/id/need/placement"]').click()
    page.wait_for_url(server.url + "/id/need/placement")
    assert page.locator("h1").inner_text().strip() == _label(client, PLACEMENT)
    arrived("resource")
    page.locator("p.hierarchies a").first.click()
    page.wait_for_url(server.url + "/hierarchy/needs#need/placement")
    placed = page.locator('nav.hierarchy li[id="need-area/people-area"] li[id="need/placement"]')
    assert placed.count() == 1  # the need, below its need area
    arrived("hierarchy")
    page.locator('header.site a[href="/queries"]').click()
    page.wait_for_url(server.url + "/queries")
    arrived("queries")
    page.locator('main a[href="/queries/cq_01_needs_by_area"]').click()
    page.wait_for_url(server.url + "/queries/cq_01_needs_by_area")
    assert page.locator("form.query-params input#param-area").count() == 1
    arrived("query")
    page.locator("input#param-area").fill(PEOPLE_AREA)
    with page.expect_navigation():
        page.locator("form.query-params button[type=submit]").click()
    assert "area=" in page.url
    rows = page.locator("table.results tbody tr")
    expected = client.get(
        "/queries/cq_01_needs_by_area", params={"area": PEOPLE_AREA, "format": "json"}
    ).json()["results"]["bindings"]
    assert rows.count() == len(expected) > 0
    arrived("answer")
    rows.first.locator('a[href^="/id/need/"]').first.click()
    page.wait_for_load_state()
    assert urlsplit(page.url).path.startswith("/id/need/")
    _has_navigation(page)

    assert all(shot.stat().st_size > 10_000 for shot in shots)
    assert visit.errors == []
    assert visit.foreign() == [], "a page asked another host"


@needs_yasgui
def test_yasgui_runs_under_the_policy(server, visit: Visit) -> None:
    page = visit.page
    _policy(_open_yasgui(page, server.url + "/sparql"))
    assert page.evaluate("() => window.yasgui.getTab().getYasqe().getValue()").strip()
    page.wait_for_load_state("networkidle")
    assert visit.errors == []
    assert visit.foreign() == []


needs_docs = pytest.mark.skipif(
    any(docs.package_dir(v, PROJECT) is None for v in (docs.SWAGGER_UI, docs.REDOC)),
    reason="Swagger UI and ReDoc are not installed in node_modules/ (`make` runs `npm ci`); "
    "/docs and /redoc say so",
)


def _operations(client: httpx.Client) -> list[tuple[str, str]]:
    """Every (method, path) of the OpenAPI description."""
    paths = client.get("/openapi.json").json()["paths"]
    return [(method, path) for path, item in paths.items() for method in item]


@needs_docs
def test_swagger_ui_lists_the_operations(server, client: httpx.Client, visit: Visit) -> None:
    page = visit.page
    _policy(page.goto(server.url + "/docs"))
    page.locator(".opblock").first.wait_for()
    _has_navigation(page)
    operations = _operations(client)
    assert page.locator(".opblock").count() == len(operations)
    shown = page.locator(".opblock-summary-path").evaluate_all(
        "nodes => nodes.map(n => n.dataset.path)"
    )
    assert sorted(set(shown)) == sorted({path for _method, path in operations})

    # Open GET /sparql: its answer's media types and error statuses, as described.
    operation = page.locator("#operations-sparql-sparql_get")
    operation.locator(".opblock-summary").click()
    ok = operation.locator('tr.response[data-code="200"] select.content-type option')
    ok.first.wait_for(state="attached")
    assert {"application/sparql-results+json", "text/csv", "text/html"} <= set(ok.all_inner_texts())
    codes = operation.locator("tr.response").evaluate_all("rows => rows.map(r => r.dataset.code)")
    assert {"200", "400", "406", "503"} <= set(codes)
    assert visit.errors == []
    assert visit.foreign() == [], "Swagger UI asked another host"
    assert any(url.endswith("/swagger-ui-bundle.js") for url in visit.requests)


@needs_docs
def test_redoc_shows_the_operations(server, client: httpx.Client, visit: Visit) -> None:
    page = visit.page
    _policy(page.goto(server.url + "/redoc"))
    heading = page.locator("h2", has_text="SPARQL query via GET")
    heading.first.wait_for()
    _has_navigation(page)
    summaries = client.get("/openapi.json").json()["paths"]["/ontology"]["get"]["summary"]
    assert page.locator("h2", has_text=summaries).count() == 1
    page.wait_for_load_state("networkidle")
    assert visit.errors == []
    assert visit.foreign() == [], "ReDoc asked another host"


# --- An IRI that is not http(s) is never a live link --------------------------------------

TRAP_FIXTURE = TEST_DATA / "invalid" / "WebIri.ttl"
TRAP_PAGE = "/id/fixture/WebIri/need"
TRAP_IRI = "javascript:alert(document.domain)"


@pytest.fixture(scope="module")
def trap_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """A server over the real sources plus a need that points at a ``javascript:`` IRI."""
    root = copy_project(tmp_path_factory.mktemp("trap"))
    shutil.copy(TRAP_FIXTURE, root / "data" / "web-iri-trap.ttl")
    settings = Settings(project_dir=root, store_path=root / ".wise-kg" / "store")
    build(settings)
    with LiveServer(settings) as live:
        yield live


def _hrefs(page: sync_api.Page) -> list[str]:
    """Every link target of the page (HTML and SVG), resolved against the page's URL."""
    return page.evaluate(
        """() => Array.from(document.querySelectorAll("[href]"),
                             e => new URL(e.getAttribute("href"), location.href).href)"""
    )


@pytest.mark.parametrize("path", [TRAP_PAGE, "/search?q=Read+more"])
def test_a_javascript_iri_is_shown_as_text(
    trap_server: LiveServer, visit: Visit, path: str
) -> None:
    page = visit.page
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    response = page.goto(trap_server.url + path)
    assert response is not None and response.ok
    assert all(urlsplit(href).scheme in ("http", "https") for href in _hrefs(page)), _hrefs(page)
    label = page.locator("main").get_by_text("Read more", exact=True)
    assert label.count() >= 1
    for shown in label.all():  # in the table, the search hits and the diagram: not links
        shown.click()
    if path == TRAP_PAGE:
        assert page.locator("main").get_by_text(TRAP_IRI).count() >= 1  # shown whole
        assert page.locator("svg.diagram text", has_text="Read more").count() == 1
    assert dialogs == []
    assert page.url == trap_server.url + path
    assert visit.errors == []
    assert visit.foreign() == []
