"""The 20 SPARQL 1.1 Protocol tests a read-only endpoint must pass, and the 3 Service
Description tests, replayed against ``/sparql``."""

from __future__ import annotations

import httpx
import pyoxigraph as ox
import pytest

from tests.helpers import LiveServer
from tests.w3c import suite
from tests.w3c.runner import replay, unmet
from tests.w3c.xfail import param

if not suite.available():
    pytest.skip(f"W3C suite not found at {suite.SHARED}", allow_module_level=True)

SD = "http://www.w3.org/ns/sparql-service-description#"
RDF_TYPE = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
RDF_ACCEPT = "text/turtle, application/n-triples;q=0.9, application/rdf+xml;q=0.8"


@pytest.mark.parametrize("test", [param(t.iri, t, t.id) for t in suite.protocol_tests()])
def test_protocol(test: suite.ProtocolTest, w3c_client: httpx.Client) -> None:
    """Each request of the test meets its expectation (status class, format, boolean)."""
    for request in test.requests:
        response = replay(w3c_client, request)
        assert response.status_code < 500, f"HTTP {response.status_code}: {response.text}"
        problem = unmet(response, request["expect"])
        assert problem is None, problem


@pytest.mark.parametrize(
    "test_id", [param(iri, test_id, test_id) for iri, test_id in suite.service_description_tests()]
)
def test_service_description(
    test_id: str, w3c_client: httpx.Client, w3c_server: LiveServer
) -> None:
    """GET /sparql without a query answers RDF describing the service."""
    response = w3c_client.get("/sparql", headers={"accept": RDF_ACCEPT})
    assert 200 <= response.status_code < 300, f"HTTP {response.status_code}: {response.text}"
    endpoint = w3c_server.url + "/sparql"
    rdf_format = ox.RdfFormat.from_media_type(response.headers.get("content-type", ""))
    assert rdf_format is not None, f"not RDF: {response.headers.get('content-type')}"
    triples = [q.triple for q in ox.parse(response.content, rdf_format, base_iri=endpoint)]
    assert triples, "the service description is empty"
    if test_id == "has-endpoint-triple":
        assert any(
            t.predicate.value == SD + "endpoint" and t.object == ox.NamedNode(endpoint)
            for t in triples
        ), f"no ?service sd:endpoint <{endpoint}>"
    elif test_id == "conforms-to-schema":
        assert any(t.predicate == RDF_TYPE and t.object.value == SD + "Service" for t in triples)
        named = {
            t.subject
            for t in triples
            if t.predicate == RDF_TYPE and t.object.value == SD + "NamedGraph"
        }
        names = {t.subject for t in triples if t.predicate.value == SD + "name"}
        assert named <= names, f"sd:NamedGraph without sd:name: {named - names}"
