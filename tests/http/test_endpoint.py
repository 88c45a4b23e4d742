"""The first server, over HTTP on a real uvicorn: queries, refusals, health, OpenAPI."""

from __future__ import annotations

import httpx
import pytest
from rdflib import Graph

pytestmark = pytest.mark.both_stores

WISE = "https://w3id.org/wise-kg/ontology#"
SKOS = "http://www.w3.org/2004/02/skos/core#"
AREAS = f"SELECT ?a ?n WHERE {{ ?a a <{WISE}NeedArea> ; <{SKOS}notation> ?n }} ORDER BY ?n"
CONSTRUCT = f"CONSTRUCT WHERE {{ ?a a <{WISE}NeedArea> }}"


def test_select_via_get_answers_sparql_json(client: httpx.Client) -> None:
    response = client.get("/sparql", params={"query": AREAS})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/sparql-results+json")
    rows = response.json()["results"]["bindings"]
    assert [r["n"]["value"] for r in rows] == ["1.2", "1.3", "1.4", "1.5"]


def test_ask_via_post_form(client: httpx.Client) -> None:
    query = f"ASK {{ <https://w3id.org/wise-kg/id/need/placement> a <{WISE}Need> }}"
    response = client.post("/sparql", data={"query": query})
    assert response.status_code == 200 and response.json()["boolean"] is True


def test_construct_via_post_direct_answers_turtle(client: httpx.Client) -> None:
    response = client.post(
        "/sparql", content=CONSTRUCT, headers={"Content-Type": "application/sparql-query"}
    )
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/turtle")
    assert len(Graph().parse(data=response.text, format="turtle")) == 4


def test_accept_header_selects_format(client: httpx.Client) -> None:
    response = client.get(
        "/sparql", params={"query": CONSTRUCT}, headers={"Accept": "application/n-triples"}
    )
    assert response.headers["content-type"].startswith("application/n-triples")
    assert len(Graph().parse(data=response.text, format="nt")) == 4
    csv = client.get("/sparql", params={"query": AREAS}, headers={"Accept": "text/csv"})
    assert csv.text.splitlines()[0].strip() == "a,n"


def test_unacceptable_type_is_406_listing_offers(client: httpx.Client) -> None:
    response = client.get("/sparql", params={"query": AREAS}, headers={"Accept": "image/png"})
    assert response.status_code == 406
    assert "application/sparql-results+json" in response.text


@pytest.mark.parametrize(
    "query",
    [
        "INSERT DATA { <urn:a> <urn:b> <urn:c> }",
        "DELETE WHERE { ?s ?p ?o }",
        "LOAD <http://example.org/data.ttl>",
        "DROP ALL",
    ],
)
def test_updates_are_refused_as_read_only(client: httpx.Client, query: str) -> None:
    for response in (
        client.get("/sparql", params={"query": query}),
        client.post("/sparql", data={"update": query}),
        client.post("/sparql", content=query, headers={"Content-Type": "application/sparql-query"}),
    ):
        assert response.status_code == 400
        assert "read-only" in response.text


def test_syntax_error_is_400_with_position(client: httpx.Client) -> None:
    response = client.get("/sparql", params={"query": "SELECT * WHERE { ?s ?p }"})
    assert response.status_code == 400
    assert "line 1, column" in response.text


def test_protocol_errors(client: httpx.Client) -> None:
    two = client.get("/sparql?query=ASK%7B%7D&query=ASK%7B%7D")
    assert two.status_code == 400 and "2 'query'" in two.text
    assert client.put("/sparql", content="ASK {}").status_code == 405
    wrong = client.post("/sparql", content="ASK {}", headers={"Content-Type": "text/plain"})
    assert wrong.status_code == 415
    latin1 = client.post(
        "/sparql",
        content="ASK { ?s ?p 'é' }".encode("latin-1"),
        headers={"Content-Type": "application/sparql-query"},
    )
    assert latin1.status_code == 400 and "UTF-8" in latin1.text


def test_row_limit_is_explicit(client: httpx.Client, server) -> None:
    limit = server.settings.result_limit
    response = client.get("/sparql", params={"query": "SELECT * WHERE { ?s ?p ?o . ?a ?b ?c }"})
    assert response.status_code == 400 and f"{limit:,} rows" in response.text


def test_health_and_openapi(client: httpx.Client) -> None:
    health = client.get("/health").json()
    assert health["status"] == "ok" and health["quads"] > 1000
    assert "/sparql" in client.get("/openapi.json").json()["paths"]
    assert client.get("/docs").status_code == 200
