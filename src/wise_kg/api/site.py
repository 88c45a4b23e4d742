"""What the site's pages need from the store, read once at start-up."""

from __future__ import annotations

from dataclasses import dataclass

import pyoxigraph as ox

NAMES = """
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
SELECT ?term ?label WHERE {
  ?term rdfs:label ?label .
  FILTER (STRSTARTS(STR(?term), "https://w3id.org/wise-kg/ontology#"))
  FILTER (LANGMATCHES(LANG(?label), "en"))
}
"""
SCHEMES = """
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
SELECT ?scheme (SAMPLE(?l) AS ?label) (SAMPLE(?d) AS ?definition) (COUNT(DISTINCT ?c) AS ?count)
WHERE {
  ?scheme a skos:ConceptScheme ; skos:prefLabel ?l .
  FILTER (LANGMATCHES(LANG(?l), "en"))
  OPTIONAL { ?scheme skos:definition ?d }
  OPTIONAL { ?c skos:inScheme ?scheme }
}
GROUP BY ?scheme
ORDER BY ?label
"""


@dataclass(frozen=True)
class SchemeEntry:
    """A concept scheme as the home page lists it."""

    url: str
    label: str
    definition: str
    count: int


def property_names(store: ox.Store) -> dict[str, str]:
    """The English ``rdfs:label`` of every wise: term, by IRI."""
    return {
        s["term"].value: s["label"].value
        for s in store.query(NAMES, use_default_graph_as_union=True)
    }


def schemes(store: ox.Store, base_iri: str) -> list[SchemeEntry]:
    """Our concept schemes with their number of concepts."""
    entries = []
    for s in store.query(SCHEMES, use_default_graph_as_union=True):
        iri = s["scheme"].value
        if iri.startswith(base_iri):
            entries.append(
                SchemeEntry(
                    "/" + iri[len(base_iri) :],
                    s["label"].value,
                    s["definition"].value if s["definition"] else "",
                    int(s["count"].value),
                )
            )
    return entries
