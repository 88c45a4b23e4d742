"""What the site's pages need from the store, read once at start-up."""

from __future__ import annotations

from dataclasses import dataclass

import pyoxigraph as ox

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


def request_language(query_lang: str | None, accept_language: str | None) -> str:
    """The page language: ``?lang=`` if offered, else the best of Accept-Language, else English.

    >>> request_language(None, "it-IT,it;q=0.9,en;q=0.8")
    'it'
    >>> request_language("en", "it")
    'en'
    """
    if query_lang in LANGUAGES:
        return query_lang
    ranked = []
    for part in (accept_language or "").split(","):
        tag, _, params = part.strip().partition(";")
        q = 1.0
        if params.strip().startswith("q="):
            try:
                q = float(params.strip()[2:])
            except ValueError:
                q = 0.0
        primary = tag.strip().lower().split("-")[0]
        if primary in LANGUAGES and q > 0:
            ranked.append((-q, primary))
    return min(ranked)[1] if ranked else "en"


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
