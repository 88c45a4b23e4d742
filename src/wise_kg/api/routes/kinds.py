"""The kinds of resources under ``…/id/`` and their members, read once per build.

A kind is the first path segment of a resource IRI (``…/id/need/placement`` is of the
kind ``need``). The index lists every IRI of the data graph under ``…/id/``, grouped by
kind and ordered by notation, then slug (so pages of a long kind are stable across
languages); labels are looked up per request in the build's label index.
"""

from __future__ import annotations

import threading
from collections import Counter
from dataclasses import dataclass
from typing import Any

import pyoxigraph as ox

from wise_kg.api.html.pages import natural
from wise_kg.api.live import Snapshot
from wise_kg.namespaces import GRAPH_BASE, WISE

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
        "graph": ox.NamedNode(GRAPH_BASE + "data"),
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


class _PerBuild:
    """The kinds of the last few builds served (a new build gets its own)."""

    KEEP = 3

    def __init__(self) -> None:
        self._found: dict[tuple[str, str], dict[str, Kind]] = {}
        self._lock = threading.Lock()

    def get(self, snap: Snapshot, base_iri: str) -> dict[str, Kind]:
        key = (snap.build.build_id, base_iri)
        with self._lock:
            found = self._found.get(key)
        if found is None:
            found = read_kinds(snap.store, base_iri)
            with self._lock:
                self._found[key] = found
                while len(self._found) > self.KEEP:
                    del self._found[next(iter(self._found))]
        return found


_KINDS = _PerBuild()


def kinds(snap: Snapshot, base_iri: str) -> dict[str, Kind]:
    """The kinds of the build ``snap`` (read on first use, then remembered)."""
    return _KINDS.get(snap, base_iri)
