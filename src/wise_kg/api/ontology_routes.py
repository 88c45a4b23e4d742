"""``/ontology``: the ontology as a page for people (``#Term`` anchors) or as RDF."""

from __future__ import annotations

from dataclasses import dataclass, field

import pyoxigraph as ox
from fastapi import APIRouter, Request, Response
from fastapi.responses import HTMLResponse

from wise_kg.api.ld_routes import _cached, choose_document_format, serialize
from wise_kg.api.pages import render
from wise_kg.config import GRAPH_BASE, ONTOLOGY_IRI

router = APIRouter(tags=["linked data"])

OWL = "http://www.w3.org/2002/07/owl#"
RDFS = "http://www.w3.org/2000/01/rdf-schema#"
RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
SKOS = "http://www.w3.org/2004/02/skos/core#"
DCTERMS = "http://purl.org/dc/terms/"
WISE = ONTOLOGY_IRI + "#"
ROWS = (
    ("subclass of", RDFS + "subClassOf"),
    ("domain", RDFS + "domain"),
    ("range", RDFS + "range"),
)


@dataclass
class Term:
    """One class or property as the ontology page shows it."""

    name: str
    iri: str
    label: str
    definition: str
    rows: list[tuple[str, list[dict[str, str | None]]]] = field(default_factory=list)


def ontology_triples(store: ox.Store) -> list[ox.Triple]:
    """Every triple of the ontology graph."""
    graph = ox.NamedNode(GRAPH_BASE + "ontology")
    return [
        ox.Triple(q.subject, q.predicate, q.object)
        for q in store.quads_for_pattern(None, None, None, graph)
    ]


def _objects(
    triples: list[ox.Triple], subject: ox.NamedNode | ox.BlankNode, predicate: str
) -> list:
    return [t.object for t in triples if t.subject == subject and t.predicate.value == predicate]


def _text(triples: list[ox.Triple], subject, predicate: str) -> str:
    values = _objects(triples, subject, predicate)
    return values[0].value if values else ""


def _targets(triples: list[ox.Triple], node) -> list[dict[str, str | None]]:
    """A class expression as links: a named class, or the members of an owl:unionOf."""
    if isinstance(node, ox.BlankNode):
        members = []
        for head in _objects(triples, node, OWL + "unionOf"):
            while head is not None and not (
                isinstance(head, ox.NamedNode) and head.value == RDF + "nil"
            ):
                members += _objects(triples, head, RDF + "first")
                rest = _objects(triples, head, RDF + "rest")
                head = rest[0] if rest else None
        return [_link(m.value) for m in members]
    return [_link(node.value)]


def _link(iri: str) -> dict[str, str | None]:
    if iri.startswith(WISE):
        return {"text": iri[len(WISE) :], "url": "#" + iri[len(WISE) :]}
    return {"text": iri.rsplit("#", 1)[-1].rsplit("/", 1)[-1], "url": iri}


def terms(triples: list[ox.Triple], kinds: tuple[str, ...]) -> list[Term]:
    """The wise: terms of the given OWL kinds, sorted by name."""
    found = []
    for t in triples:
        if (
            t.predicate.value == RDF + "type"
            and t.object.value in kinds
            and isinstance(t.subject, ox.NamedNode)
            and t.subject.value.startswith(WISE)
        ):
            subject = t.subject
            term = Term(
                subject.value[len(WISE) :],
                subject.value,
                _text(triples, subject, RDFS + "label"),
                _text(triples, subject, SKOS + "definition"),
            )
            for name, predicate in ROWS:
                links = [
                    link
                    for o in _objects(triples, subject, predicate)
                    for link in _targets(triples, o)
                ]
                if links:
                    term.rows.append((name, links))
            found.append(term)
    return sorted(found, key=lambda term: term.name)


@router.get("/ontology", summary="The ontology (HTML documentation or RDF by negotiation)")
def ontology(request: Request) -> Response:
    """The ontology: a page with one anchor per term, or its triples."""
    return _ontology(request, None)


@router.get(
    "/ontology.{extension}", summary="The ontology in one format (html, ttl, jsonld, nt, rdf)"
)
def ontology_as(request: Request, extension: str) -> Response:
    """The ontology in the format its extension names."""
    return _ontology(request, extension)


def _ontology(request: Request, extension: str | None) -> Response:
    state = request.app.state
    fmt = choose_document_format(request, extension)
    triples = ontology_triples(state.store)
    if fmt is not None:
        return _cached(
            request,
            ("ontology", fmt.name),
            lambda: serialize(request, triples, ONTOLOGY_IRI, fmt, framed=False),
        )
    header = ox.NamedNode(ONTOLOGY_IRI)

    def page() -> Response:
        html = render(
            "ontology.html",
            title=_text(triples, header, DCTERMS + "title"),
            description=_text(triples, header, DCTERMS + "description"),
            version=_text(triples, header, OWL + "versionInfo"),
            iri=ONTOLOGY_IRI,
            classes=terms(triples, (OWL + "Class",)),
            properties=terms(triples, (OWL + "ObjectProperty", OWL + "DatatypeProperty")),
            build_id=state.build.build_id,
        )
        return HTMLResponse(html, headers={"Vary": "Accept"})

    return _cached(request, ("ontology", "html"), page)
