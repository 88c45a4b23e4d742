"""Graph and shape IRIs dereference: ``/graph/{name}`` and ``/shapes`` (``#Name`` anchors)."""

from __future__ import annotations

import re

import httpx
import pytest
from rdflib import Graph, Literal, Namespace, URIRef
from rdflib.namespace import RDF, SH

BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
GRAPH = "https://w3id.org/wise-kg/graph/"
SHAPES = "https://w3id.org/wise-kg/shapes#"
VOID = Namespace("http://rdfs.org/ns/void#")


@pytest.mark.parametrize("name", ["data", "ontology", "shapes"])
def test_a_graph_page_gives_its_size_and_dumps(http: httpx.Client, name: str) -> None:
    size = http.get("/health").json()  # the manifest's sizes, as the VoID gives them
    page = http.get(f"/graph/{name}", headers={"Accept": BROWSER})
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert f"{GRAPH}{name}" in page.text
    base = str(http.base_url).rstrip("/")
    assert f'href="{base}/dump.nq"' in page.text and f'href="{base}/dump.trig"' in page.text
    graph = Graph().parse(
        data=http.get(f"/graph/{name}", headers={"Accept": "text/turtle"}).text, format="turtle"
    )
    subject = URIRef(GRAPH + name)
    assert (subject, RDF.type, VOID.Dataset) in graph
    triples = int(graph.value(subject, VOID.triples))
    assert f"{triples:,} triples" in page.text
    assert 0 < triples < size["quads"]
    assert (subject, VOID.dataDump, URIRef(base + "/dump.nq")) in graph
    count = f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{GRAPH}{name}> {{ ?s ?p ?o }} }}"
    rows = http.get("/sparql", params={"query": count, "format": "json"}).json()
    assert int(rows["results"]["bindings"][0]["n"]["value"]) == triples


def test_an_unknown_graph_is_a_404(http: httpx.Client) -> None:
    answer = http.get("/graph/no-such-graph")
    assert answer.status_code == 404
    assert "data" in answer.text


def test_graph_pages_answer_304(http: httpx.Client) -> None:
    first = http.get("/graph/data", headers={"Accept": BROWSER})
    again = http.get(
        "/graph/data", headers={"Accept": BROWSER, "If-None-Match": first.headers["etag"]}
    )
    assert again.status_code == 304


def _shape_iris(http: httpx.Client) -> set[str]:
    query = (
        f"SELECT DISTINCT ?s WHERE {{ GRAPH <{GRAPH}shapes> {{ ?s ?p ?o }} "
        f'FILTER (isIRI(?s) && STRSTARTS(STR(?s), "{SHAPES}") && STR(?s) != "{SHAPES}") }}'
    )
    rows = http.get("/sparql", params={"query": query, "format": "json"}).json()
    return {b["s"]["value"] for b in rows["results"]["bindings"]}


def test_every_shape_has_its_anchor_on_the_shapes_page(http: httpx.Client) -> None:
    shapes = _shape_iris(http)
    assert len(shapes) > 20
    page = http.get("/shapes", headers={"Accept": BROWSER})
    assert page.status_code == 200
    anchors = set(re.findall(r'<section id="([^"]+)" class="shape"', page.text))
    assert anchors == {iri[len(SHAPES) :] for iri in shapes}
    assert 'href="/ontology#NeedArea"' in page.text  # targets link to the ontology
    assert 'href="/shapes#NeedArea-notation"' in page.text  # property shapes to their anchor


def test_the_shapes_as_rdf(http: httpx.Client) -> None:
    answer = http.get("/shapes", headers={"Accept": "text/turtle"})
    assert answer.status_code == 200
    graph = Graph().parse(data=answer.text, format="turtle")
    need_area = URIRef(SHAPES + "NeedArea")
    assert (need_area, RDF.type, SH.NodeShape) in graph
    assert graph.value(need_area, SH.name) == Literal("need area")
    assert (
        http.get(
            "/shapes", headers={"Accept": "text/turtle", "If-None-Match": answer.headers["etag"]}
        ).status_code
        == 304
    )


def test_shape_and_graph_iris_link_to_their_pages() -> None:
    from wise_kg.api.html.pages import Linker

    linker = Linker("https://w3id.org/wise-kg/", {})
    assert linker.url(SHAPES + "NeedArea") == ("/shapes#NeedArea", False)
    assert linker.url(GRAPH + "esco") == ("/graph/esco", False)
