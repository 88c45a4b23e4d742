"""The few entailments the build materialises, so sources state each fact once.

Sources say ``skos:topConceptOf``; the inverse ``skos:hasTopConcept`` that
SKOS consumers navigate from a scheme is added here, in one place, as one more
(virtual) source file of the data graph.
"""

from __future__ import annotations

from pathlib import Path

import pyoxigraph as ox

from wise_kg.graphs import GRAPHS
from wise_kg.namespaces import SKOS
from wise_kg.sources.reader import SourceFile

#: (stated property, materialised inverse)
INVERSES = ((ox.NamedNode(SKOS + "topConceptOf"), ox.NamedNode(SKOS + "hasTopConcept")),)

#: How entailed triples are named in reports.
ENTAILED = Path("(entailed)")


def entailed(files: list[SourceFile]) -> SourceFile:
    """The inverse triples of :data:`INVERSES` over the data and ontology sources."""
    out = SourceFile(ENTAILED, GRAPHS["data"])
    for source in files:
        if source.graph == GRAPHS["shapes"]:
            continue
        for t in source.triples:
            for stated, inverse in INVERSES:
                if t.predicate == stated and not isinstance(t.object, ox.Literal):
                    out.triples.append(ox.Triple(t.object, inverse, t.subject))
    return out


def with_entailments(files: list[SourceFile]) -> list[SourceFile]:
    """The sources followed by their entailments."""
    return [*files, entailed(files)]
