"""The named graphs of a build, and which of them make up "the graph" users query.

>>> default_graphs([GRAPHS["shapes"], GRAPHS["data"], GRAPHS["ontology"]])
('https://w3id.org/wise-kg/graph/data', 'https://w3id.org/wise-kg/graph/ontology')
"""

from __future__ import annotations

from collections.abc import Iterable

from wise_kg.namespaces import GRAPH_BASE

#: Which source folder feeds which named graph.
GRAPHS: dict[str, str] = {
    "ontology": GRAPH_BASE + "ontology",
    "data": GRAPH_BASE + "data",
    "shapes": GRAPH_BASE + "shapes",
}
#: The graphs built from the sources that are published (the shapes are not).
PUBLISHED_GRAPHS = (GRAPHS["ontology"], GRAPHS["data"])
#: The graph ESCO is loaded into.
ESCO_GRAPH = GRAPH_BASE + "esco"
#: On a remote engine, the graph holding the manifest of the build in service.
MANIFEST_GRAPH = GRAPH_BASE + "build"


def default_graphs(stored: Iterable[str]) -> tuple[str, ...]:
    """The graphs that make up "the graph" users query and download: every stored graph but
    the shapes (tooling, queryable by name only); ESCO's too when it is loaded."""
    return tuple(sorted(g for g in stored if g != GRAPHS["shapes"]))
