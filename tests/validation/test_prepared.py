"""rdflib queries through the remembering processor answer as rdflib's own does."""

from __future__ import annotations

from rdflib import Graph, Literal, URIRef
from rdflib.plugins.sparql.processor import SPARQLProcessor

from wise_kg.validation import prepared

DATA = """
@prefix ex: <http://example.org/> .
ex:a ex:label "A" . ex:b ex:label "B" . ex:b ex:label "B2" .
"""
QUERY = "SELECT ?l WHERE { ?this <http://example.org/label> ?l } ORDER BY ?l"


def test_one_text_many_bindings_each_answered_for_its_own() -> None:
    graph = Graph().parse(data=DATA, format="turtle")
    rdflib_own = SPARQLProcessor(graph)
    expected = {
        name: [row.l for row in graph.query(QUERY, rdflib_own, initBindings={"this": URIRef(name)})]
        for name in ("http://example.org/a", "http://example.org/b", "http://example.org/c")
    }
    prepared.install()
    prepared._translated.cache_clear()
    for _ in range(2):
        for name, rows in expected.items():
            got = [row.l for row in graph.query(QUERY, initBindings={"this": URIRef(name)})]
            assert got == rows
    assert expected["http://example.org/b"] == [Literal("B"), Literal("B2")]
    assert prepared._translated.cache_info().misses == 1  # parsed once, evaluated six times
