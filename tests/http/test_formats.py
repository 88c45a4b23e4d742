"""Every query form in every format, parsed back by rdflib; SPARQLWrapper against a real server."""

from __future__ import annotations

import io

import httpx
import pytest
from rdflib import Dataset, Graph
from rdflib.compare import isomorphic
from rdflib.query import Result
from SPARQLWrapper import CSV, JSON, N3, RDFXML, TSV, TURTLE, XML, SPARQLWrapper

from tests.helpers import LiveServer
from wise_kg.formats import GRAPH_FORMATS, negotiate, wants_html

WISE = "https://w3id.org/wise-kg/ontology#"
LABEL = "<http://www.w3.org/2004/02/skos/core#prefLabel>"
SELECT = (
    f"SELECT ?area ?label WHERE {{ ?area a <{WISE}NeedArea> ; {LABEL} ?label "
    'FILTER (LANG(?label) = "en") }'
)
ASK = f"ASK {{ ?n a <{WISE}Need> }}"
PATTERN = f"?n a <{WISE}Need> ; <{WISE}concerns> ?r"
CONSTRUCT = f"CONSTRUCT {{ {PATTERN} }} WHERE {{ {PATTERN} }}"
DESCRIBE = "DESCRIBE <https://w3id.org/wise-kg/id/need/placement>"

RESULT_TYPES = {
    "application/sparql-results+json": "json",
    "application/sparql-results+xml": "xml",
    "text/csv": "csv",
    "text/tab-separated-values": "tsv",
}
GRAPH_TYPES = {
    "text/turtle": "turtle",
    "application/n-triples": "nt",
    "application/ld+json": "json-ld",
    "application/rdf+xml": "xml",
    "application/n-quads": "nquads",
    "application/trig": "trig",
}


def _graph(body: str, fmt: str) -> Graph:
    if fmt in ("nquads", "trig"):
        dataset = Dataset()
        dataset.parse(data=body, format=fmt)
        graph = Graph()
        for s, p, o, _g in dataset.quads():
            graph.add((s, p, o))
        return graph
    return Graph().parse(data=body, format=fmt)


@pytest.mark.parametrize("media_type", RESULT_TYPES)
@pytest.mark.parametrize("query", [SELECT, ASK], ids=["select", "ask"])
def test_result_formats_parse_back(client: httpx.Client, media_type: str, query: str) -> None:
    response = client.get("/sparql", params={"query": query}, headers={"Accept": media_type})
    assert response.status_code == 200
    assert response.headers["content-type"].split(";")[0] == media_type
    if query is ASK and media_type in ("text/csv", "text/tab-separated-values"):
        assert response.text.strip().splitlines()[-1].lower() == "true"  # no rdflib parser for it
        return
    result = Result.parse(io.BytesIO(response.content), format=RESULT_TYPES[media_type])
    if query is ASK:
        assert result.askAnswer is True
    else:
        assert len(list(result)) == 4


@pytest.mark.parametrize("media_type", GRAPH_TYPES)
@pytest.mark.parametrize("query", [CONSTRUCT, DESCRIBE], ids=["construct", "describe"])
def test_graph_formats_parse_back_to_the_same_graph(
    client: httpx.Client, media_type: str, query: str
) -> None:
    reference = client.get("/sparql", params={"query": query, "format": "ntriples"})
    expected = Graph().parse(data=reference.text, format="nt")
    assert len(expected) > 0
    response = client.get("/sparql", params={"query": query}, headers={"Accept": media_type})
    assert response.status_code == 200
    assert response.headers["content-type"].split(";")[0] == media_type
    assert isomorphic(_graph(response.text, GRAPH_TYPES[media_type]), expected)


def test_q_values_are_honoured(client: httpx.Client) -> None:
    accept = "application/sparql-results+json;q=0.5, text/csv;q=0.9, */*;q=0.1"
    response = client.get("/sparql", params={"query": SELECT}, headers={"Accept": accept})
    assert response.headers["content-type"].startswith("text/csv")


@pytest.mark.parametrize(
    ("fmt", "query", "check"),
    [
        (JSON, SELECT, lambda r: len(r["results"]["bindings"]) == 4),
        (XML, SELECT, lambda r: len(r.getElementsByTagName("result")) == 4),
        (CSV, SELECT, lambda r: len(r.decode().strip().splitlines()) == 5),
        (TSV, SELECT, lambda r: len(r.decode().strip().splitlines()) == 5),
        (JSON, ASK, lambda r: r["boolean"] is True),
        (TURTLE, CONSTRUCT, lambda r: len(Graph().parse(data=r, format="turtle")) > 21),
        (RDFXML, CONSTRUCT, lambda r: len(r) > 21),
        (N3, DESCRIBE, lambda r: len(Graph().parse(data=r, format="turtle")) > 5),
    ],
)
def test_sparqlwrapper(server: LiveServer, fmt: str, query: str, check) -> None:
    for method in ("GET", "POST"):
        client = SPARQLWrapper(server.url + "/sparql")
        client.setQuery(query)
        client.setReturnFormat(fmt)
        client.setMethod(method)
        assert check(client.query().convert()), (fmt, method)


def test_media_types_are_negotiated_case_insensitively() -> None:
    assert negotiate("TEXT/TURTLE", GRAPH_FORMATS).name == "turtle"
    assert negotiate("Application/LD+JSON;q=0.9", GRAPH_FORMATS).name == "jsonld"
    assert wants_html("TEXT/HTML,*/*;q=0.8", GRAPH_FORMATS)
