"""A label index for search and autocomplete, built once from the store at start-up.

Every ``skos:prefLabel``, ``skos:altLabel``, ``skos:notation`` and ``rdfs:label``
in every language is indexed, folded (case and accents ignored). A query is
ranked: exact label, then label prefix, then word prefix, then substring;
preferred labels before alternative ones, shorter labels first.

>>> index = LabelIndex([("http://x/a", "Placement", "en", "prefLabel", "Need"),
...                     ("http://x/b", "Supporting work 3 - Placement", "en", "prefLabel", "Area")])
>>> [hit.iri for hit in index.search("place")]
['http://x/a', 'http://x/b']
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

import pyoxigraph as ox

LABELS = """
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
SELECT ?s ?label ?p ?type WHERE {
  VALUES ?p { skos:prefLabel skos:altLabel skos:notation rdfs:label }
  ?s ?p ?label .
  FILTER (isIRI(?s) && isLiteral(?label))
  OPTIONAL { ?s a ?type . FILTER (STRSTARTS(STR(?type), "https://w3id.org/wise-kg/ontology#")) }
}
"""
#: Rank of each kind of label (lower is better).
KIND_RANK = {"prefLabel": 0, "notation": 1, "label": 1, "altLabel": 2}


def fold(text: str) -> str:
    """Lower case without accents, for matching."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


@dataclass(frozen=True)
class Entry:
    """One indexed label."""

    iri: str
    label: str
    lang: str | None
    kind: str
    type: str
    folded: str


@dataclass(frozen=True)
class Hit:
    """A search result: the resource, its best label, and the label that matched."""

    iri: str
    label: str
    matched: str
    lang: str | None
    type: str


class LabelIndex:
    """Labels of every resource, searchable by prefix and substring."""

    def __init__(self, rows: list[tuple[str, str, str | None, str, str]]):
        self.entries = [
            Entry(iri, label, lang, kind, type_, fold(label))
            for iri, label, lang, kind, type_ in rows
        ]
        self.best: dict[str, str] = {}
        self.preferred: dict[tuple[str, str], str] = {}
        for entry in sorted(self.entries, key=lambda e: (KIND_RANK.get(e.kind, 3), e.lang != "en")):
            self.best.setdefault(entry.iri, entry.label)
            if entry.kind == "prefLabel" and entry.lang:
                self.preferred.setdefault((entry.iri, entry.lang), entry.label)

    @classmethod
    def from_store(cls, store: ox.Store) -> LabelIndex:
        """Index the labels of every resource in the store (all graphs)."""
        rows = []
        for solution in store.query(LABELS, use_default_graph_as_union=True):
            label = solution["label"]
            kind = solution["p"].value.rsplit("#", 1)[-1]
            type_ = solution["type"].value.rsplit("#", 1)[-1] if solution["type"] else ""
            rows.append((solution["s"].value, label.value, label.language, kind, type_))
        return cls(rows)

    def search(self, query: str, limit: int = 10, lang: str | None = None) -> list[Hit]:
        """The best matches of ``query``, one per resource (remembered: the index never changes)."""
        return list(self._search(query, limit, lang))

    @lru_cache(maxsize=4096)  # noqa: B019 - one index per app, kept for the app's life
    def _search(self, query: str, limit: int, lang: str | None) -> tuple[Hit, ...]:
        needle = fold(query.strip())
        if not needle:
            return ()
        word = re.compile(r"(?:^|[\s\-/(])" + re.escape(needle))
        scored: dict[str, tuple[tuple[int, int, int], Entry]] = {}
        for entry in self.entries:
            if lang and entry.lang not in (lang, None):
                continue
            text = entry.folded
            if text == needle:
                match = 0
            elif text.startswith(needle):
                match = 1
            elif word.search(text):
                match = 2
            elif needle in text:
                match = 3
            else:
                continue
            score = (match, KIND_RANK.get(entry.kind, 3), len(text))
            if entry.iri not in scored or score < scored[entry.iri][0]:
                scored[entry.iri] = (score, entry)
        ranked = sorted(scored.values(), key=lambda item: (item[0], item[1].label))
        return tuple(
            Hit(e.iri, self.best.get(e.iri, e.label), e.label, e.lang, e.type)
            for _score, e in ranked[:limit]
        )

    def label_for(self, iri: str, lang: str) -> str | None:
        """The preferred label of a resource in a language, if it has one."""
        return self.preferred.get((iri, lang))

    def similar(self, iri: str, limit: int = 5) -> list[Hit]:
        """Known resources whose IRI is close to ``iri`` (for "did you mean" on a 404)."""
        close = difflib.get_close_matches(iri, list(self.best), n=limit, cutoff=0.8)
        types = {e.iri: e.type for e in self.entries}
        return [Hit(c, self.best[c], self.best[c], None, types.get(c, "")) for c in close]
