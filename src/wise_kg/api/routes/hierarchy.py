"""``/hierarchy/{scheme}``: a concept scheme as a tree, as Skosmos shows one.

The top concepts first, each with its narrower concepts nested below it (from
``skos:broader`` and ``skos:narrower`` between members of the scheme), ordered by
notation then label. Members no top concept reaches are listed at the top level too,
so the tree always shows the whole scheme. HTML for browsers; the SKOS triples it is
drawn from (``hasTopConcept``, ``broader``, labels, notations) as RDF by negotiation.
Each concept has an anchor (its path under ``/id/``), which concept pages link to.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pyoxigraph as ox
from fastapi import APIRouter, Request, Response
from fastapi.responses import HTMLResponse

from wise_kg.api.deps import Build, Config
from wise_kg.api.documents import (
    BY_FORMAT_AND_LANGUAGE,
    FORMAT_CHOICES,
    FormatParam,
    cached,
    choose,
    format_key,
    language,
    render_page,
    serialize,
)
from wise_kg.api.routes.query_pages import label_of
from wise_kg.errors import NotFound
from wise_kg.namespaces import SKOS
from wise_kg.publish.index import natural
from wise_kg.publish.search import LabelIndex

router = APIRouter(tags=["linked data"])

TREE = """
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
CONSTRUCT {
  %(scheme)s skos:hasTopConcept ?top .
  ?c skos:inScheme %(scheme)s ; skos:broader ?parent ; skos:prefLabel ?label ;
     skos:notation ?notation .
  %(scheme)s skos:prefLabel ?schemeLabel .
} WHERE {
  { %(scheme)s skos:prefLabel ?schemeLabel }
  UNION
  { { %(scheme)s skos:hasTopConcept ?top } UNION { ?top skos:topConceptOf %(scheme)s } }
  UNION
  {
    { ?c skos:inScheme %(scheme)s } UNION { ?c skos:topConceptOf %(scheme)s }
    OPTIONAL { { ?c skos:broader ?parent } UNION { ?parent skos:narrower ?c } }
    OPTIONAL { ?c skos:prefLabel ?label }
    OPTIONAL { ?c skos:notation ?notation }
  }
}
"""


@dataclass
class Node:
    """One concept in the tree."""

    iri: str
    url: str
    anchor: str
    label: str
    notation: str | None
    children: list[Node] = field(default_factory=list)


def tree_triples(store: Any, scheme: str) -> list[ox.Triple]:
    """The SKOS triples a scheme's tree is drawn from."""
    found = store.query(TREE % {"scheme": ox.NamedNode(scheme)}, use_default_graph_as_union=True)
    return sorted(set(found), key=lambda t: (str(t.subject), str(t.predicate), str(t.object)))


def build_tree(
    triples: list[ox.Triple], scheme: str, base_iri: str, index: LabelIndex, lang: str
) -> list[Node]:
    """The top level of the tree of ``scheme``, each node holding its narrower ones."""
    members: set[str] = set()
    tops: set[str] = set()
    parents: dict[str, set[str]] = {}
    notations: dict[str, str] = {}
    for t in triples:
        s, p, o = t.subject.value, t.predicate.value, t.object.value
        if p == SKOS + "inScheme":
            members.add(s)
        elif p == SKOS + "hasTopConcept" and s == scheme:
            tops.add(o)
        elif p == SKOS + "broader":
            parents.setdefault(s, set()).add(o)
        elif p == SKOS + "notation":
            notations.setdefault(s, o)
    members |= tops
    children: dict[str, list[str]] = {}
    for child, ps in parents.items():
        for parent in ps & members:
            if child in members:
                children.setdefault(parent, []).append(child)

    def node(iri: str, seen: frozenset[str]) -> Node:
        path = iri[len(base_iri) :] if iri.startswith(base_iri) else ""
        label = label_of(index, iri, lang) or iri.rsplit("/", 1)[-1]
        made = Node(
            iri, "/" + path if path else iri, path.removeprefix("id/"), label, notations.get(iri)
        )
        kids = [c for c in children.get(iri, []) if c not in seen]
        made.children = [node(c, seen | {c}) for c in _ordered(kids, notations, index, lang)]
        return made

    roots = tops or {m for m in members if not (parents.get(m, set()) & members)}
    reached = _reachable(roots, children)
    roots |= members - reached  # what no top concept reaches is shown at the top too
    return [node(r, frozenset({r})) for r in _ordered(list(roots), notations, index, lang)]


def _reachable(roots: set[str], children: dict[str, list[str]]) -> set[str]:
    seen, todo = set(roots), list(roots)
    while todo:
        for child in children.get(todo.pop(), []):
            if child not in seen:
                seen.add(child)
                todo.append(child)
    return seen


def _ordered(iris: list[str], notations: dict[str, str], index: LabelIndex, lang: str) -> list[str]:
    def key(iri: str) -> tuple[bool, list[object], list[object]]:
        notation = notations.get(iri)
        return (
            notation is None,
            natural(notation or ""),
            natural(label_of(index, iri, lang) or iri),
        )

    return sorted(set(iris), key=key)


@router.get("/hierarchy/{scheme}", summary="A concept scheme as a tree (HTML, or its SKOS triples)")
def hierarchy(
    request: Request, snap: Build, settings: Config, scheme: str, format: FormatParam = None
) -> Response:
    """The tree of the concept scheme ``{base}id/scheme/{scheme}``."""
    iri = settings.base_iri + "id/scheme/" + scheme
    entry = next((s for s in snap.schemes if s.url == f"/id/scheme/{scheme}"), None)
    if entry is None:
        raise NotFound(f"No concept scheme is called '{scheme}'; the home page lists them.")
    fmt = choose(request, format)
    triples = tree_triples(snap.store, iri)

    def make() -> Response:
        if fmt is not None:
            return serialize(request, triples, iri, fmt, framed=False)
        lang = language(request)
        tree = build_tree(triples, iri, settings.base_iri, snap.search, lang)
        page = render_page(
            request,
            "hierarchy.html",
            scheme=entry,
            label=label_of(snap.search, iri, lang) or entry.label,
            iri=iri,
            tree=tree,
            formats=FORMAT_CHOICES,
        )
        return HTMLResponse(page)

    key = ("hierarchy", scheme, format_key(fmt), language(request))
    return cached(request, key, make, BY_FORMAT_AND_LANGUAGE)
