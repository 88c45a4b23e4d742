"""A VoID description of the dataset: size, vocabularies, access points, links to ESCO.

>>> import pyoxigraph as ox
>>> store = ox.Store()
>>> triples = describe_dataset(store, "http://127.0.0.1:8000/", "https://w3id.org/wise-kg/")
>>> any(t.predicate.value.endswith("sparqlEndpoint") for t in triples)
True
"""

from __future__ import annotations

import pyoxigraph as ox

from wise_kg import namespaces as ns
from wise_kg.graphs import default_graphs
from wise_kg.namespaces import DCTERMS, ESCO_DATA, SKOS, VOID

RDF_TYPE = ox.NamedNode(ns.RDF_TYPE)
XSD_INTEGER = ox.NamedNode(ns.XSD_INTEGER)
#: Dump files: name → media type (the last two with each statement's graph).
DUMPS = {
    "dump.ttl": "text/turtle",
    "dump.nt": "application/n-triples",
    "dump.jsonld": "application/ld+json",
    "dump.nq": "application/n-quads",
    "dump.trig": "application/trig",
}

STATISTICS = """
SELECT (COUNT(*) AS ?triples) (COUNT(DISTINCT ?s) AS ?subjects) (COUNT(DISTINCT ?p) AS ?properties)
       (COUNT(DISTINCT ?o) AS ?objects)
WHERE { ?s ?p ?o }
"""
CLASSES = "SELECT (COUNT(DISTINCT ?c) AS ?n) WHERE { ?s a ?c }"
ENTITIES = """
SELECT (COUNT(DISTINCT ?s) AS ?n) WHERE { ?s ?p ?o . FILTER (STRSTARTS(STR(?s), "%sid/")) }
"""
LINKS = """
SELECT ?p (COUNT(*) AS ?n) WHERE {
  ?s ?p ?o .
  FILTER (STRSTARTS(STR(?s), "%sid/") && STRSTARTS(STR(?o), "http://data.europa.eu/esco/"))
}
GROUP BY ?p ORDER BY ?p
"""


def _n(value: int) -> ox.Literal:
    return ox.Literal(str(value), datatype=XSD_INTEGER)


def _one(store: ox.Store, query: str, dataset: list[ox.NamedNode]) -> ox.QuerySolution:
    return next(iter(store.query(query, default_graph=dataset)))


def describe_dataset(store: ox.Store, site: str, base_iri: str) -> list[ox.Triple]:
    """VoID triples for the published graphs, with access points under ``site``."""
    graphs = [ox.NamedNode(g) for g in default_graphs(g.value for g in store.named_graphs())]
    dataset = ox.NamedNode(base_iri + "dataset")
    stats = _one(store, STATISTICS, graphs)
    triples = [
        ox.Triple(dataset, RDF_TYPE, ox.NamedNode(VOID + "Dataset")),
        ox.Triple(
            dataset,
            ox.NamedNode(DCTERMS + "title"),
            ox.Literal("The WISE capacity-building knowledge graph", language="en"),
        ),
        ox.Triple(
            dataset,
            ox.NamedNode(DCTERMS + "source"),
            ox.NamedNode(base_iri + "id/source/bwise-d3-1"),
        ),
        ox.Triple(dataset, ox.NamedNode(VOID + "triples"), _n(int(stats["triples"].value))),
        ox.Triple(
            dataset, ox.NamedNode(VOID + "distinctSubjects"), _n(int(stats["subjects"].value))
        ),
        ox.Triple(dataset, ox.NamedNode(VOID + "properties"), _n(int(stats["properties"].value))),
        ox.Triple(dataset, ox.NamedNode(VOID + "distinctObjects"), _n(int(stats["objects"].value))),
        ox.Triple(
            dataset,
            ox.NamedNode(VOID + "classes"),
            _n(int(_one(store, CLASSES, graphs)["n"].value)),
        ),
        ox.Triple(
            dataset,
            ox.NamedNode(VOID + "entities"),
            _n(int(_one(store, ENTITIES % base_iri, graphs)["n"].value)),
        ),
        ox.Triple(dataset, ox.NamedNode(VOID + "uriSpace"), ox.Literal(base_iri + "id/")),
        ox.Triple(
            dataset,
            ox.NamedNode(VOID + "vocabulary"),
            ox.NamedNode("https://w3id.org/wise-kg/ontology#"),
        ),
        ox.Triple(
            dataset,
            ox.NamedNode(VOID + "vocabulary"),
            ox.NamedNode(SKOS),
        ),
        ox.Triple(dataset, ox.NamedNode(VOID + "sparqlEndpoint"), ox.NamedNode(site + "sparql")),
        ox.Triple(
            dataset, ox.NamedNode(VOID + "rootResource"), ox.NamedNode(base_iri + "id/scheme/needs")
        ),
        ox.Triple(
            dataset,
            ox.NamedNode(VOID + "exampleResource"),
            ox.NamedNode(base_iri + "id/need/placement"),
        ),
    ]
    for name in DUMPS:
        triples.append(
            ox.Triple(dataset, ox.NamedNode(VOID + "dataDump"), ox.NamedNode(site + name))
        )
    for solution in store.query(LINKS % base_iri, default_graph=graphs):
        predicate = solution["p"].value
        linkset = ox.NamedNode(base_iri + "dataset/esco-links/" + predicate.rsplit("#", 1)[-1])
        triples += [
            ox.Triple(dataset, ox.NamedNode(VOID + "subset"), linkset),
            ox.Triple(linkset, RDF_TYPE, ox.NamedNode(VOID + "Linkset")),
            ox.Triple(linkset, ox.NamedNode(VOID + "subjectsTarget"), dataset),
            ox.Triple(linkset, ox.NamedNode(VOID + "objectsTarget"), ox.NamedNode(ESCO_DATA)),
            ox.Triple(linkset, ox.NamedNode(VOID + "linkPredicate"), ox.NamedNode(predicate)),
            ox.Triple(linkset, ox.NamedNode(VOID + "triples"), _n(int(solution["n"].value))),
        ]
    return triples
