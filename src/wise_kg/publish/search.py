"""A label index for search and autocomplete, built once from the store at start-up.

Every ``skos:prefLabel``, ``skos:altLabel``, ``skos:notation`` and ``rdfs:label``
in every language is indexed, folded (case and accents ignored). A query is
ranked: exact label, then label prefix, then word prefix, then substring;
preferred labels before alternative ones, shorter labels first. An unknown IRI
gets the indexed IRIs close to it (a typo in a slug), at a bounded cost.

>>> index = LabelIndex([("http://x/a", "Placement", "en", "prefLabel", "Need"),
...                     ("http://x/b", "Supporting work 3 - Placement", "en", "prefLabel", "Area")])
>>> [hit.iri for hit in index.search("place")]
['http://x/a', 'http://x/b']
"""

from __future__ import annotations

import bisect
import difflib
import heapq
import itertools
import unicodedata
from array import array
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

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


def rank(entry: Entry) -> tuple[int, int, str, str]:
    """How good a label is within one kind of match: preferred, short, then by label and IRI."""
    return KIND_RANK.get(entry.kind, 3), len(entry.folded), entry.label, entry.iri


@dataclass(frozen=True)
class Hit:
    """A search result: the resource, its best label, and the label that matched."""

    iri: str
    label: str
    matched: str
    lang: str | None
    type: str


class LabelIndex:
    """Labels of every resource, searchable by prefix and substring in a few milliseconds.

    The folded labels are kept in their rank order (kind of label, length, label)
    as one newline-separated text per language, so each kind of match is found
    by the C string search, best first, and the search stops as soon as it has
    enough resources: the cost does not grow with the number of matches.
    """

    def __init__(self, rows: list[tuple[str, str, str | None, str, str]]):
        entries = (Entry(i, label, lang, kind, t, fold(label)) for i, label, lang, kind, t in rows)
        self.entries = sorted(entries, key=rank)
        self.best: dict[str, str] = {}
        self.preferred: dict[tuple[str, str], str] = {}
        for entry in sorted(self.entries, key=lambda e: (KIND_RANK.get(e.kind, 3), e.lang != "en")):
            self.best.setdefault(entry.iri, entry.label)
            if entry.kind == "prefLabel" and entry.lang:
                self.preferred.setdefault((entry.iri, entry.lang), entry.label)
        # One text for every language (key None). A language with few labels gets its own
        # (with the labels that have no language), so that its matches are not searched for
        # among the others'; key "" has the language-less labels alone.
        self._texts = {None: _Text(self.entries)}
        languages = Counter(e.lang or "" for e in self.entries)
        for lang in {lang for lang, n in languages.items() if n < len(self.entries) / 2} | {""}:
            self._texts[lang] = _Text([e for e in self.entries if e.lang in (lang, None)])
        self._languages = frozenset(languages)
        self._types = {e.iri: e.type for e in self.entries}
        self._iris = _Trigrams(list(self.best))

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
        """The best matches of ``query``, one per resource: exact, prefix, word prefix, substring.

        With ``lang``, only labels in that language or in none (such as notations).
        """
        needle = fold(query.strip()).replace("\n", " ")
        if not needle:
            return []
        if lang and lang not in self._languages:
            lang = ""
        text = self._texts.get(lang, self._texts[None])
        found: dict[str, Entry] = {}
        for matches in (
            text.exact(needle),
            text.prefix(needle),
            text.word(needle),
            text.inner(needle),
        ):
            for entry in matches:
                if lang is not None and entry.lang not in (lang or None, None):
                    continue
                found.setdefault(entry.iri, entry)
                if len(found) >= limit:
                    break
            if len(found) >= limit:
                break
        return [
            Hit(e.iri, self.best.get(e.iri, e.label), e.label, e.lang, e.type)
            for e in found.values()
        ]

    def label_for(self, iri: str, lang: str) -> str | None:
        """The preferred label of a resource in a language, if it has one."""
        return self.preferred.get((iri, lang))

    def similar(self, iri: str, limit: int = 5) -> list[Hit]:
        """Known resources whose IRI is close to ``iri`` (for "did you mean" on a 404).

        Only the few IRIs sharing the most of its rarer trigrams are compared, so the
        cost does not grow with the number of resources.
        """
        close = closest(iri, self._iris.candidates(iri), limit)
        return [Hit(c, self.best[c], self.best[c], None, self._types.get(c, "")) for c in close]


#: At most this many postings of the trigram index are read for one unknown IRI ...
READ = 4000
#: ... and this many of the IRIs found there (those sharing the most trigrams) compared.
SCORED = 50
#: How close a suggestion must be (difflib's ratio, past the folder both IRIs share).
CUTOFF = 0.75


def trigrams(text: str) -> set[str]:
    """The three-character substrings of ``text``."""
    return {text[i : i + 3] for i in range(len(text) - 2)}


class _Trigrams:
    """IRIs by the trigrams they hold, to find the few IRIs worth comparing to an unknown one."""

    def __init__(self, iris: list[str]):
        self.iris = iris
        postings: dict[str, list[int]] = {}
        for i, iri in enumerate(iris):
            for gram in trigrams(iri):
                postings.setdefault(gram, []).append(i)
        self.postings = {gram: array("I", ids) for gram, ids in postings.items()}

    def candidates(self, iri: str) -> list[str]:
        """The (at most ``SCORED``) IRIs sharing the most of the rarer trigrams of ``iri``.

        The trigrams' postings are read rarest first, whole, while they fit in ``READ``
        (the first in part if it alone does not): rare trigrams tell a resource from
        its siblings, and a typo spoils only the few around it; common ones, such as
        the base IRI's, are not worth reading.
        """
        found = (self.postings.get(gram) for gram in trigrams(iri))
        lists = sorted((ids for ids in found if ids), key=len)
        first = lists[0][:READ] if lists else array("I")
        shared = Counter(first)
        read = len(first)
        for ids in lists[1:]:
            read += len(ids)
            if read > READ:
                break
            shared.update(ids)
        return [self.iris[i] for i, _n in shared.most_common(SCORED)]


def closest(iri: str, candidates: Iterable[str], limit: int) -> list[str]:
    """The candidates close to ``iri``, closest first: compared past the folder they share,
    so that a long common base does not make every short IRI look alike."""
    scored = []
    for candidate in candidates:
        ours, theirs = _past_shared_folder(iri, candidate)
        matcher = difflib.SequenceMatcher(None, ours, theirs)
        if matcher.real_quick_ratio() >= CUTOFF and matcher.quick_ratio() >= CUTOFF:
            score = matcher.ratio()
            if score >= CUTOFF:
                scored.append((-score, candidate))
    return [candidate for _score, candidate in sorted(scored)[:limit]]


def _past_shared_folder(one: str, other: str) -> tuple[str, str]:
    """Both strings without the longest prefix they share that ends with a slash or a hash."""
    shared = 0
    for at, (a, b) in enumerate(zip(one, other, strict=False)):
        if a != b:
            break
        if a in "/#":
            shared = at + 1
    return one[shared:], other[shared:]


#: What may precede a word inside a label (the start of a label is a match by prefix).
WORD_STARTS = (" ", "\t", "-", "/", "(")


#: Up to this many matches are ranked by sorting them; more are found by a scan in rank
#: order that stops at the limit (with that many, the best ones come early).
FEW = 2000


class _Sorted:
    """Strings in sorted order with the entry each comes from, for prefix ranges by bisection."""

    def __init__(self, pairs: Iterable[tuple[str, int]]):
        ordered = sorted(pairs)
        self.keys = [key for key, _ in ordered]
        self.ids = array("I", (i for _, i in ordered))

    def starting(self, prefix: str) -> list[int] | None:
        """The entries (best first) with a string starting with ``prefix``; None if too many."""
        lo = bisect.bisect_left(self.keys, prefix)
        hi = bisect.bisect_left(self.keys, prefix + "\U0010ffff", lo)
        if hi - lo > FEW:
            return None
        return sorted(set(self.ids[lo:hi]))


class _Text:
    """Entries in rank order as one text, each folded label on a line of its own."""

    def __init__(self, entries: list[Entry]):
        self.entries = entries
        lines = [e.folded.replace("\n", " ") for e in entries]
        self.text = "".join("\n" + line for line in lines)
        self.starts = list(itertools.accumulate((len(line) + 1 for line in lines), initial=0))
        self.by_label: dict[str, list[Entry]] = {}
        for entry, line in zip(entries, lines, strict=True):
            self.by_label.setdefault(line, []).append(entry)
        self.labels = _Sorted((line, i) for i, line in enumerate(lines))
        self.words = _Sorted(
            (line[at + 1 :], i)
            for i, line in enumerate(lines)
            for at, char in enumerate(line[:-1])
            if char in WORD_STARTS
        )

    def exact(self, needle: str) -> Iterator[Entry]:
        """Entries whose whole label is ``needle``."""
        return iter(self.by_label.get(needle, ()))

    def prefix(self, needle: str) -> Iterator[Entry]:
        """Entries whose label starts with ``needle``, best first."""
        few = self.labels.starting(needle)
        if few is not None:
            return (self.entries[i] for i in few)
        return self._at(self._finds("\n" + needle))  # many: the first ones are near

    def word(self, needle: str) -> Iterator[Entry]:
        """Entries with a word (after a space, dash, slash or bracket) starting with ``needle``."""
        few = self.words.starting(needle)
        if few is not None:
            return (self.entries[i] for i in few)
        return self._at(heapq.merge(*(self._finds(c + needle) for c in WORD_STARTS)))

    def inner(self, needle: str) -> Iterator[Entry]:
        """Entries with ``needle`` anywhere in the label, best first."""
        return self._at(self._finds(needle))

    def _finds(self, pattern: str) -> Iterator[int]:
        at = self.text.find(pattern)
        while at >= 0:
            yield at
            at = self.text.find(pattern, at + 1)

    def _at(self, offsets: Iterator[int]) -> Iterator[Entry]:
        """The entries the offsets fall in, each once, in order."""
        last = -1
        for offset in offsets:
            index = bisect.bisect_right(self.starts, offset) - 1
            if index != last and index < len(self.entries):
                last = index
                yield self.entries[index]
