"""The SPARQL 1.1 Service Description of the endpoint, as RDF.

>>> triples = describe("http://127.0.0.1:8000/sparql", {"https://w3id.org/wise-kg/graph/data": 3})
>>> any(t.object.value.endswith("SPARQL11Query") for t in triples)
True
"""

from __future__ import annotations

import pyoxigraph as ox

from wise_kg import namespaces as ns
from wise_kg.formats import GRAPH_FORMATS, RESULT_FORMATS
from wise_kg.graphs import default_graphs
from wise_kg.namespaces import SD

RDF_TYPE = ox.NamedNode(ns.RDF_TYPE)
VOID_TRIPLES = ox.NamedNode(ns.VOID + "triples")
DCTERMS_TITLE = ox.NamedNode(ns.DCTERMS + "title")
XSD_INTEGER = ox.NamedNode(ns.XSD_INTEGER)


def _sd(name: str) -> ox.NamedNode:
    return ox.NamedNode(SD + name)


def _count(n: int) -> ox.Literal:
    return ox.Literal(str(n), datatype=XSD_INTEGER)


def describe(
    endpoint: str, graphs: dict[str, int], *, union_default_graph: bool = True
) -> list[ox.Triple]:
    """Describe the endpoint: languages, formats, features and its stored graphs.

    The default graph is the union of the published graphs (every graph but the
    shapes, :func:`wise_kg.sources.reader.default_graphs`); ``sd:UnionDefaultGraph`` is
    claimed only when that is every graph. Blank nodes have fixed labels, so the
    same build is described in the same bytes.
    """
    service = ox.NamedNode(endpoint)
    dataset, default = ox.BlankNode("dataset"), ox.BlankNode("default")
    unioned = default_graphs(name for name in graphs if name)
    triples = [
        ox.Triple(service, RDF_TYPE, _sd("Service")),
        ox.Triple(service, _sd("endpoint"), service),
        ox.Triple(service, _sd("supportedLanguage"), _sd("SPARQL11Query")),
        ox.Triple(
            service, DCTERMS_TITLE, ox.Literal("wise-kg SPARQL endpoint (read-only)", language="en")
        ),
        ox.Triple(service, _sd("defaultDataset"), dataset),
        ox.Triple(dataset, RDF_TYPE, _sd("Dataset")),
        ox.Triple(dataset, _sd("defaultGraph"), default),
        ox.Triple(default, RDF_TYPE, _sd("Graph")),
    ]
    if union_default_graph:
        if len(unioned) == len([name for name in graphs if name]):
            triples.append(ox.Triple(service, _sd("feature"), _sd("UnionDefaultGraph")))
        triples.append(ox.Triple(default, VOID_TRIPLES, _count(sum(graphs[g] for g in unioned))))
    for fmt in RESULT_FORMATS + GRAPH_FORMATS:
        triples.append(ox.Triple(service, _sd("resultFormat"), ox.NamedNode(fmt.w3c)))
    for number, (name, count) in enumerate(sorted(graphs.items())):
        if not name:
            continue
        named, graph = ox.BlankNode(f"named{number}"), ox.BlankNode(f"graph{number}")
        triples += [
            ox.Triple(dataset, _sd("namedGraph"), named),
            ox.Triple(named, RDF_TYPE, _sd("NamedGraph")),
            ox.Triple(named, _sd("name"), ox.NamedNode(name)),
            ox.Triple(named, _sd("graph"), graph),
            ox.Triple(graph, RDF_TYPE, _sd("Graph")),
            ox.Triple(graph, VOID_TRIPLES, _count(count)),
        ]
    return triples
