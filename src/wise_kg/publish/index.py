"""What the site lists of a build, read once when it is opened: the kinds of resources
under ``…/id/`` and their members, the concept schemes, the names of the ontology's terms.

A kind is the first path segment of a resource IRI (``…/id/need/placement`` is of the
kind ``need``). Members are ordered by notation, then slug (so pages of a long kind are
stable across languages); labels are looked up per request in the build's label index.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from typing import Any

import pyoxigraph as ox

from wise_kg.graphs import GRAPHS
from wise_kg.namespaces import WISE

NAMES = """
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
SELECT ?term ?label WHERE {
  ?term rdfs:label ?label .
  FILTER (STRSTARTS(STR(?term), "https://w3id.org/wise-kg/ontology#"))
}
"""


#: The languages pages are offered in (labels fall back to English).
LANGUAGES = ("en", "it")


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


def property_names(store: ox.Store) -> dict[str, dict[str, str]]:
    """The ``rdfs:label`` of every wise: term, by language then IRI (English filled in)."""
    names: dict[str, dict[str, str]] = {lang: {} for lang in LANGUAGES}
    for s in store.query(NAMES, use_default_graph_as_union=True):
        lang = s["label"].language or "en"
        names.setdefault(lang, {})[s["term"].value] = s["label"].value
    return {lang: {**names["en"], **found} for lang, found in names.items()}


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


MEMBERS = """
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
SELECT ?s (SAMPLE(?n) AS ?notation) (SAMPLE(?t) AS ?type) WHERE {
  GRAPH %(graph)s { ?s ?p ?o }
  FILTER (isIRI(?s) && STRSTARTS(STR(?s), %(prefix)s))
  OPTIONAL { ?s skos:notation ?n }
  OPTIONAL { ?s a ?t FILTER (STRSTARTS(STR(?t), %(wise)s)) }
}
GROUP BY ?s
"""


@dataclass(frozen=True)
class Member:
    """One resource of a kind."""

    iri: str
    slug: str  # its path after the kind: ``placement``, ``bwise-d3-1/section/2.2.3``
    notation: str | None
    type: str | None  # its wise: class, if any


@dataclass(frozen=True)
class Kind:
    """A kind and its members, in a stable order."""

    name: str
    members: tuple[Member, ...]

    @property
    def type(self) -> str | None:
        """The wise: class most of its members have (names the kind for people)."""
        found = Counter(m.type for m in self.members if m.type)
        return found.most_common(1)[0][0] if found else None


def read_kinds(store: Any, base_iri: str) -> dict[str, Kind]:
    """Every kind under ``{base_iri}id/`` with its members, by name."""
    prefix = base_iri + "id/"
    query = MEMBERS % {
        "graph": ox.NamedNode(GRAPHS["data"]),
        "prefix": ox.Literal(prefix),
        "wise": ox.Literal(WISE),
    }
    grouped: dict[str, list[Member]] = {}
    for row in store.query(query, use_default_graph_as_union=True):
        iri = row["s"].value
        kind, slash, slug = iri[len(prefix) :].partition("/")
        if not (kind and slash and slug):
            continue
        notation = row["notation"].value if row["notation"] is not None else None
        type_ = row["type"].value if row["type"] is not None else None
        grouped.setdefault(kind, []).append(Member(iri, slug, notation, type_))
    return {
        name: Kind(name, tuple(sorted(members, key=_order)))
        for name, members in sorted(grouped.items())
    }


def _order(member: Member) -> tuple[bool, list[object], list[object]]:
    return (member.notation is None, natural(member.notation or ""), natural(member.slug))


def natural(text: str) -> list[object]:
    """A sort key that puts §2.8.2 before §2.8.10."""
    return [int(part) if part.isdigit() else part.casefold() for part in re.split(r"(\d+)", text)]
