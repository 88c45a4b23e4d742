"""``/id/`` and ``/id/{kind}/``: the kinds and their members, HTML and Hydra RDF, paged."""

from __future__ import annotations

import httpx
import pytest
from rdflib import Graph, Literal, Namespace, URIRef
from rdflib.namespace import RDF

from wise_kg.api.routes.collections import PAGE_SIZE

HYDRA = Namespace("http://www.w3.org/ns/hydra/core#")
BASE = "https://w3id.org/wise-kg/id/"
BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"


def _count(http: httpx.Client, prefix: str) -> int:
    """How many IRIs of the data graph start with ``prefix``, asked of the endpoint."""
    query = (
        "SELECT (COUNT(DISTINCT ?s) AS ?n) WHERE { GRAPH <https://w3id.org/wise-kg/graph/data> "
        f'{{ ?s ?p ?o }} FILTER (STRSTARTS(STR(?s), "{prefix}")) }}'
    )
    answer = http.get("/sparql", params={"query": query, "format": "json"})
    return int(answer.json()["results"]["bindings"][0]["n"]["value"])


def _turtle(answer: httpx.Response) -> Graph:
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].startswith("text/turtle")
    return Graph().parse(data=answer.text, format="turtle")


def test_the_kinds_page_lists_each_kind_with_its_count(http: httpx.Client) -> None:
    answer = http.get("/id/", headers={"Accept": BROWSER})
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/html")
    for kind in ("need", "area-of-expertise", "profile", "persona", "scheme"):
        count = _count(http, f"{BASE}{kind}/")
        assert f'<a href="/id/{kind}/">{kind}</a>' in answer.text
        assert f"<td>{count}</td>" in answer.text


def test_the_kinds_as_hydra(http: httpx.Client) -> None:
    graph = _turtle(http.get("/id/", headers={"Accept": "text/turtle"}))
    root = URIRef(BASE)
    assert (root, RDF.type, HYDRA.Collection) in graph
    need = URIRef(BASE + "need/")
    assert (root, HYDRA.member, need) in graph
    assert graph.value(need, HYDRA.totalItems) == Literal(_count(http, BASE + "need/"))


def test_a_kind_lists_its_members_with_labels_and_notations(http: httpx.Client) -> None:
    page = http.get("/id/need/", headers={"Accept": BROWSER})
    assert page.status_code == 200
    assert '<a href="/id/need/placement">Placement</a>' in page.text
    assert "<td>1.5.4</td>" in page.text
    graph = _turtle(http.get("/id/need/", headers={"Accept": "text/turtle"}))
    need = URIRef(BASE + "need/")
    members = set(graph.objects(need, HYDRA.member))
    assert len(members) == _count(http, BASE + "need/") == 21
    placement = URIRef(BASE + "need/placement")
    assert placement in members
    assert str(graph.value(placement, URIRef("http://www.w3.org/2004/02/skos/core#notation"))) == (
        "1.5.4"
    )
    assert graph.value(need, HYDRA.view) is None  # one page: no view


@pytest.mark.parametrize(
    ("accept", "format_", "media_type"),
    [
        ("application/ld+json", None, "application/ld+json"),
        ("application/n-triples", None, "application/n-triples"),
        (BROWSER, "ttl", "text/turtle"),
        (None, "trig", "application/trig"),
        ("text/turtle", "html", "text/html"),
    ],
)
def test_a_kind_in_each_format(
    http: httpx.Client, accept: str | None, format_: str | None, media_type: str
) -> None:
    headers = {"Accept": accept} if accept else {}
    params = {"format": format_} if format_ else {}
    answer = http.get("/id/persona/", headers=headers, params=params)
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith(media_type)
    assert "Accept" in answer.headers["vary"]


def test_a_long_kind_is_paged_with_links(http: httpx.Client) -> None:
    total = _count(http, BASE + "source/")
    assert total > PAGE_SIZE, "the sources are the one kind longer than a page"
    first = http.get("/id/source/", headers={"Accept": "text/turtle"})
    graph = _turtle(first)
    collection = URIRef(BASE + "source/")
    assert len(set(graph.objects(collection, HYDRA.member))) == PAGE_SIZE
    assert graph.value(collection, HYDRA.totalItems) == Literal(total)
    view = graph.value(collection, HYDRA.view)
    assert graph.value(view, HYDRA.next) == URIRef(BASE + "source/?page=2")
    assert graph.value(view, HYDRA.previous) is None
    links = first.links
    assert links["next"]["url"].endswith("/id/source/?page=2")
    assert links["first"]["url"].endswith("/id/source/?page=1")
    assert links["next"]["url"].startswith(http.base_url.scheme + "://")

    second = http.get("/id/source/", params={"page": 2}, headers={"Accept": "text/turtle"})
    graph2 = _turtle(second)
    rest = set(graph2.objects(collection, HYDRA.member))
    assert len(rest) == total - PAGE_SIZE
    assert not rest & set(graph.objects(collection, HYDRA.member))
    assert "prev" in second.links and "next" not in second.links

    html = http.get("/id/source/", params={"page": 2}, headers={"Accept": BROWSER})
    assert 'href="/id/source/?page=1" rel="prev"' in html.text
    assert http.get("/id/source/", params={"page": 3}).status_code == 404
    assert http.get("/id/source/", params={"page": 0}).status_code == 422


def test_an_unknown_kind_is_a_404_and_resources_still_resolve(http: httpx.Client) -> None:
    assert http.get("/id/no-such-kind/").status_code == 404
    assert http.get("/id/need/placement", headers={"Accept": BROWSER}).status_code == 200


@pytest.mark.parametrize("path", ["/id/", "/id/need/", "/id/source/?page=2"])
def test_collections_answer_304_to_their_etag(http: httpx.Client, path: str) -> None:
    first = http.get(path, headers={"Accept": "text/turtle"})
    tag = first.headers["etag"]
    again = http.get(path, headers={"Accept": "text/turtle", "If-None-Match": tag})
    assert again.status_code == 304
    other = http.get(path, headers={"Accept": BROWSER, "If-None-Match": tag})
    assert other.status_code == 200  # the page is another answer, with its own ETag
    assert other.headers["etag"] != tag
