"""One navigation on every page; the favicon, ``/robots.txt`` and ``/sitemap.xml``."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import httpx
import pytest

from wise_kg.api.html import query_form
from wise_kg.api.routes.site_files import sitemap_documents

BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
SITEMAP = "{http://www.sitemaps.org/schemas/sitemap/0.9}"
NAV = '<nav aria-label="Site">'
PAGES = [
    ("/", 200),
    ("/id/", 200),
    ("/id/need/", 200),
    ("/id/need/placement", 200),
    ("/search?q=placement", 200),
    ("/sparql", 200),
    ("/ontology", 200),
    ("/queries", 200),
    ("/queries/cq_01_needs_by_area", 200),
    ("/id/need/no-such-need", 404),
    ("/docs", 200),
    ("/redoc", 200),
]


@pytest.mark.parametrize(("path", "status"), PAGES)
def test_every_page_has_the_site_navigation(http: httpx.Client, path: str, status: int) -> None:
    page = http.get(path, headers={"Accept": BROWSER})
    assert page.status_code == status
    assert page.headers["content-type"].startswith("text/html")
    assert page.text.count(NAV) == 1, path
    for link in ('href="/id/"', 'href="/sparql"', 'href="/queries"', 'href="/ontology"'):
        assert link in page.text, (path, link)
    assert '<link rel="icon" href="/favicon.svg" type="image/svg+xml">' in page.text
    assert 'id="content"' in page.text  # the skip link's target


def test_the_plain_query_form_has_the_navigation_too() -> None:
    page = query_form.page("http://127.0.0.1:8000/sparql", ["https://w3id.org/wise-kg/graph/data"])
    assert page.count(NAV) == 1
    assert 'action="http://127.0.0.1:8000/sparql"' in page
    assert "<script>" not in page


@pytest.mark.parametrize("path", ["/favicon.svg", "/favicon.ico"])
def test_the_favicon_is_our_svg(http: httpx.Client, path: str) -> None:
    icon = http.get(path)
    assert icon.status_code == 200
    assert icon.headers["content-type"] == "image/svg+xml"
    root = ET.fromstring(icon.content)
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    assert b"href" not in icon.content  # draws itself: nothing loaded
    assert http.get(path, headers={"If-None-Match": icon.headers["etag"]}).status_code == 304


def test_robots_names_the_sitemap_at_the_public_address(http: httpx.Client) -> None:
    robots = http.get("/robots.txt")
    assert robots.status_code == 200
    assert robots.headers["content-type"].startswith("text/plain")
    lines = robots.text.splitlines()
    assert "User-agent: *" in lines
    assert "Disallow: /sparql" in lines
    assert f"Sitemap: {str(http.base_url).rstrip('/')}/sitemap.xml" in lines


def test_the_sitemap_lists_every_resource_page(http: httpx.Client) -> None:
    answer = http.get("/sitemap.xml", headers={"Host": "attacker.example"})
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("application/xml")
    locs = [e.text for e in ET.fromstring(answer.content).iter(SITEMAP + "loc")]
    base = str(http.base_url).rstrip("/")
    assert all(loc.startswith(base + "/") for loc in locs)  # never from the Host header
    query = (
        "SELECT DISTINCT ?s WHERE { GRAPH <https://w3id.org/wise-kg/graph/data> { ?s ?p ?o } "
        'FILTER (STRSTARTS(STR(?s), "https://w3id.org/wise-kg/id/")) }'
    )
    rows = http.get("/sparql", params={"query": query, "format": "json"}).json()
    resources = {
        base + "/" + b["s"]["value"][len("https://w3id.org/wise-kg/") :]
        for b in rows["results"]["bindings"]
    }
    assert resources and resources <= set(locs)
    assert base + "/id/need/" in locs
    again = http.get("/sitemap.xml", headers={"If-None-Match": answer.headers["etag"]})
    assert again.status_code == 304
    assert http.get("/sitemap-1.xml").status_code == 404  # one file: no parts


def test_a_long_sitemap_becomes_an_index_of_parts() -> None:
    urls = [f"http://kg.example/id/need/n{i}" for i in range(5)]
    documents = sitemap_documents(urls, "2026-01-01", "http://kg.example", limit=2)
    assert len(documents) == 4
    index = ET.fromstring(documents[0])
    assert index.tag == SITEMAP + "sitemapindex"
    parts = [e.text for e in index.iter(SITEMAP + "loc")]
    assert parts == [f"http://kg.example/sitemap-{n}.xml" for n in (1, 2, 3)]
    listed = [e.text for doc in documents[1:] for e in ET.fromstring(doc).iter(SITEMAP + "loc")]
    assert listed == urls
    assert (
        sitemap_documents(urls, "2026-01-01", "http://kg.example", limit=5)[0].count("<url>") == 5
    )


@pytest.mark.parametrize("number", ["-1", "-850277", "0", "99"])
def test_a_sitemap_part_out_of_range_is_a_404_or_422(http: httpx.Client, number: str) -> None:
    assert http.get(f"/sitemap-{number}.xml").status_code in (404, 422)
