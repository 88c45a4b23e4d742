"""SPARQL 1.1 Protocol details and safety defaults, each shown over HTTP on a real server."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import httpx
import pytest
from rdflib import Graph, URIRef
from rdflib.namespace import RDF
from SPARQLWrapper import JSON, SPARQLWrapper

from tests.helpers import LiveServer, http_client
from wise_kg.config import Settings

SD = "http://www.w3.org/ns/sparql-service-description#"
GRAPH = "https://w3id.org/wise-kg/graph/"
EXPLOSIVE = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l }"
CHEAP = "ASK { ?s ?p ?o }"


@pytest.fixture(scope="module")
def strict_server(built: Settings) -> Iterator[LiveServer]:
    """A server with a 2-second time limit and two workers."""
    with LiveServer(built.model_copy(update={"query_timeout": 2.0, "query_workers": 2})) as live:
        yield live


@pytest.mark.timing
def test_runaway_query_is_stopped_while_others_are_answered(strict_server: LiveServer) -> None:
    outcome: dict[str, object] = {}

    def runaway() -> None:
        started = time.monotonic()
        with http_client(strict_server.url, timeout=30) as http:
            response = http.get("/sparql", params={"query": EXPLOSIVE})
        outcome["status"], outcome["text"] = response.status_code, response.text
        outcome["seconds"] = time.monotonic() - started

    thread = threading.Thread(target=runaway)
    thread.start()
    time.sleep(0.3)
    with http_client(strict_server.url, timeout=30) as http:
        for _ in range(5):
            started = time.monotonic()
            response = http.get("/sparql", params={"query": CHEAP})
            assert response.status_code == 200 and response.json()["boolean"] is True
            assert time.monotonic() - started < 1.0
    thread.join(timeout=30)
    assert outcome["status"] == 503
    assert "time limit" in str(outcome["text"])
    assert 2.0 <= float(outcome["seconds"]) <= 3.0  # the limit, plus at most one second
    with http_client(strict_server.url, timeout=30) as http:  # replaced, still serving
        for _ in range(3):
            assert http.get("/sparql", params={"query": CHEAP}).status_code == 200


def test_from_a_stored_graph_is_allowed_and_unknown_refused(client: httpx.Client) -> None:
    stored = f"ASK FROM <{GRAPH}ontology> {{ ?c a <http://www.w3.org/2002/07/owl#Class> }}"
    assert client.get("/sparql", params={"query": stored}).json()["boolean"] is True
    only_data = f"ASK FROM <{GRAPH}data> {{ ?c a <http://www.w3.org/2002/07/owl#Class> }}"
    assert client.get("/sparql", params={"query": only_data}).json()["boolean"] is False
    remote = "ASK FROM <http://example.org/remote.ttl> { ?s ?p ?o }"
    response = client.get("/sparql", params={"query": remote})
    assert response.status_code == 400 and "never fetches" in response.text


def test_protocol_graph_parameters_select_stored_graphs(client: httpx.Client) -> None:
    count = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"

    def n(**params: object) -> int:
        response = client.get("/sparql", params={"query": count, **params})
        return int(response.json()["results"]["bindings"][0]["n"]["value"])

    health = client.get("/health").json()
    shapes = n(**{"default-graph-uri": GRAPH + "shapes"})
    assert shapes > 0 and n() == health["quads"] - shapes  # "the graph": all but the shapes
    by_name = f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{GRAPH}shapes> {{ ?s ?p ?o }} }}"
    answer = client.get("/sparql", params={"query": by_name}).json()
    assert int(answer["results"]["bindings"][0]["n"]["value"]) == shapes
    ontology = n(**{"default-graph-uri": GRAPH + "ontology"})
    assert 0 < ontology < health["quads"]
    both = n(**{"default-graph-uri": [GRAPH + "ontology", GRAPH + "shapes"]})
    assert both > ontology
    assert n(**{"default-graph-uri": "http://example.org/not-stored"}) == 0
    named = client.post(
        "/sparql",
        data={
            "query": "SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }",
            "named-graph-uri": GRAPH + "data",
        },
    ).json()["results"]["bindings"]
    assert [row["g"]["value"] for row in named] == [GRAPH + "data"]


def test_the_published_graphs_as_default_graph_still_name_only_the_named_graphs_asked(
    server: LiveServer,
) -> None:
    """SPARQLWrapper names the published graphs as the default graph and one other graph
    as the only named graph: GRAPH ?g ranges over that one (a worker answering from its
    copy's merged default graph must not widen the named graphs to all it holds)."""
    client = SPARQLWrapper(server.url + "/sparql")
    for name in ("data", "ontology"):
        client.addDefaultGraph(GRAPH + name)
    client.addNamedGraph(GRAPH + "shapes")
    client.setQuery("SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }")
    client.setReturnFormat(JSON)
    rows = client.queryAndConvert()["results"]["bindings"]  # type: ignore[index]
    assert [row["g"]["value"] for row in rows] == [GRAPH + "shapes"]


@pytest.mark.parametrize(
    ("accept", "fmt"),
    [("text/turtle", "turtle"), ("application/ld+json", "json-ld"), ("application/rdf+xml", "xml")],
)
def test_service_description(client: httpx.Client, accept: str, fmt: str) -> None:
    response = client.get("/sparql", headers={"Accept": accept})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith(accept)
    graph = Graph().parse(data=response.text, format=fmt)
    services = list(graph.subjects(RDF.type, URIRef(SD + "Service")))
    assert len(services) == 1
    service = services[0]
    assert (service, URIRef(SD + "supportedLanguage"), URIRef(SD + "SPARQL11Query")) in graph
    assert str(graph.value(service, URIRef(SD + "endpoint"))).endswith("/sparql")
    names = {str(o) for o in graph.objects(None, URIRef(SD + "name"))}
    assert names == {GRAPH + "ontology", GRAPH + "data", GRAPH + "shapes"}
    formats = {str(o) for o in graph.objects(service, URIRef(SD + "resultFormat"))}
    assert "http://www.w3.org/ns/formats/SPARQL_Results_JSON" in formats


def test_browsers_get_a_working_query_form(client: httpx.Client) -> None:
    accept = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
    page = client.get("/sparql", headers={"Accept": accept})
    assert page.headers["content-type"].startswith("text/html")
    assert '<form method="get"' in page.text and 'name="query"' in page.text
    answer = client.get(
        "/sparql", params={"query": CHEAP, "format": "json"}, headers={"Accept": accept}
    )
    assert answer.json()["boolean"] is True


def test_cors_allows_reads_without_credentials(client: httpx.Client) -> None:
    response = client.get(
        "/sparql", params={"query": CHEAP}, headers={"Origin": "https://yasgui.example"}
    )
    assert response.headers["access-control-allow-origin"] == "*"
    assert "access-control-allow-credentials" not in response.headers


def test_etag_and_304(client: httpx.Client) -> None:
    first = client.get("/sparql", params={"query": CHEAP})
    tag = first.headers["etag"]
    assert tag.startswith('"') and first.headers["vary"].startswith("Accept")
    again = client.get("/sparql", params={"query": CHEAP}, headers={"If-None-Match": tag})
    assert again.status_code == 304 and again.headers["etag"] == tag and not again.content
    other_format = client.get("/sparql", params={"query": CHEAP, "format": "xml"})
    assert other_format.headers["etag"] != tag
    stale = client.get("/sparql", params={"query": CHEAP}, headers={"If-None-Match": '"stale"'})
    assert stale.status_code == 200 and stale.json()["boolean"] is True


def test_oversize_body_is_refused(client: httpx.Client, server: LiveServer) -> None:
    limit = server.settings.max_body_bytes
    padding = "#" + "x" * limit + "\n"
    response = client.post(
        "/sparql", content=padding + CHEAP, headers={"Content-Type": "application/sparql-query"}
    )
    assert response.status_code == 413 and "limit" in response.text


def test_engine_errors_are_400_and_workers_survive(client: httpx.Client) -> None:
    unknown = "SELECT * WHERE { FILTER(<http://example.org/f>(1)) }"
    for _ in range(3):
        response = client.get("/sparql", params={"query": unknown})
        assert response.status_code == 400 and "cannot be evaluated" in response.text
    relative = client.post(
        "/sparql",
        content="CONSTRUCT { <s> <p> 1 } WHERE {}",
        headers={"Content-Type": "application/sparql-query", "Accept": "application/n-triples"},
    )
    assert relative.status_code == 200 and "/s>" in relative.text
    negative = "SELECT * WHERE { <http://a/s> <http://a/p> -1.5 }"
    assert client.get("/sparql", params={"query": negative}).status_code == 200
    sneaky = "SELECT * WHERE { <http://a/s> <http://a/p> -1.5 . SERVICE <http://x/> {} }"
    assert client.get("/sparql", params={"query": sneaky}).status_code == 400
