"""The vocabulary documents: the ontology (``/ontology``) and its SHACL shapes (``/shapes``)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any

import pyoxigraph as ox
from fastapi import APIRouter, Request, Response
from fastapi.responses import HTMLResponse

from wise_kg.api.deps import Build, Config
from wise_kg.api.documents import (
    BY_FORMAT_AND_LANGUAGE,
    FORMAT_CHOICES,
    PREFIXES,
    FormatParam,
    cached,
    choose,
    choose_document_format,
    format_key,
    language,
    page_linker,
    render_page,
    serialize,
)
from wise_kg.api.html.pages import Linker, Row, labels_of, with_site_header
from wise_kg.api.live import Snapshot
from wise_kg.namespaces import GRAPH_BASE, ONTOLOGY_IRI, SH, SHAPES_DOCUMENT, WSH, prefixes
from wise_kg.publish import ontodoc
from wise_kg.publish.index import natural

router = APIRouter(tags=["linked data"])


def ontology_triples(store: ox.Store) -> list[ox.Triple]:
    """Every triple of the ontology graph."""
    graph = ox.NamedNode(GRAPH_BASE + "ontology")
    return [
        ox.Triple(q.subject, q.predicate, q.object)
        for q in store.quads_for_pattern(None, None, None, graph)
    ]


@router.get("/ontology", summary="The ontology (HTML documentation or RDF by negotiation)")
def ontology(request: Request, snap: Build) -> Response:
    """The ontology: a page with one anchor per term, or its triples."""
    return _ontology(request, snap, None)


@router.get(
    "/ontology.{extension}", summary="The ontology in one format (html, ttl, jsonld, nt, rdf)"
)
def ontology_as(request: Request, snap: Build, extension: str) -> Response:
    """The ontology in the format its extension names."""
    return _ontology(request, snap, extension)


def _ontology(request: Request, snap: Snapshot, extension: str | None) -> Response:
    fmt = choose_document_format(request, extension)
    triples = ontology_triples(snap.store)
    if fmt is not None:
        return cached(
            request,
            ("ontology", fmt.name),
            lambda: serialize(request, triples, ONTOLOGY_IRI, fmt, framed=False),
        )
    return cached(
        request,
        ("ontology", "html"),
        lambda: HTMLResponse(with_site_header(ontodoc.html(triples), nav="/ontology")),
    )


#: The shapes' namespace, and the IRI of the document that holds them.
TURTLE_PREFIXES = {**PREFIXES, **prefixes("sh", "wsh")}


@dataclass
class ShapeView:
    """One shape as the page shows it."""

    anchor: str
    name: str
    rows: list[Row]
    turtle: str


def shapes_triples(store: Any) -> list[ox.Triple]:
    """Every triple of the shapes graph."""
    graph = ox.NamedNode(GRAPH_BASE + "shapes")
    return [
        ox.Triple(q.subject, q.predicate, q.object)
        for q in store.quads_for_pattern(None, None, None, graph)
    ]


def shape_views(triples: list[ox.Triple], linker: Linker) -> list[ShapeView]:
    """A view of every named shape, in name order."""
    about: dict[Any, list[ox.Triple]] = defaultdict(list)
    for t in triples:
        about[t.subject].append(t)
    labels = labels_of(triples, linker.lang)
    views = []
    for subject in about:
        if not isinstance(subject, ox.NamedNode) or not subject.value.startswith(WSH):
            continue
        anchor = subject.value[len(WSH) :]
        if not anchor:
            continue  # the shapes document itself
        own = _closure(subject, about)
        by_predicate: dict[str, list[ox.Triple]] = defaultdict(list)
        for t in about[subject]:
            by_predicate[t.predicate.value].append(t)
        rows = [
            Row(
                linker.property_name(p),
                p.rsplit("#", 1)[-1],
                sorted((linker.value(t.object, labels) for t in ts), key=lambda v: natural(v.text)),
            )
            for p, ts in sorted(by_predicate.items())
        ]
        names = [t.object.value for t in about[subject] if t.predicate.value == SH + "name"]
        turtle = ox.serialize(own, format=ox.RdfFormat.TURTLE, prefixes=TURTLE_PREFIXES).decode()
        views.append(ShapeView(anchor, min(names, default=anchor), rows, _without_prefixes(turtle)))
    return sorted(views, key=lambda v: natural(v.anchor))


def _closure(subject: ox.NamedNode, about: dict[Any, list[ox.Triple]]) -> list[ox.Triple]:
    """The triples of ``subject`` and of the blank nodes they reach (its lists, its ``sh:or``)."""
    found, todo, seen = [], [subject], {subject}
    while todo:
        for t in about.get(todo.pop(), []):
            found.append(t)
            if isinstance(t.object, ox.BlankNode) and t.object not in seen:
                seen.add(t.object)
                todo.append(t.object)
    return found


def _without_prefixes(turtle: str) -> str:
    return "\n".join(line for line in turtle.splitlines() if not line.startswith("@prefix"))


@router.get("/shapes", summary="The SHACL shapes (HTML with an anchor per shape, or RDF)")
def shapes(request: Request, snap: Build, settings: Config, format: FormatParam = None) -> Response:
    """The shapes graph: a page of every shape, or its triples by negotiation."""
    fmt = choose(request, format)
    triples = shapes_triples(snap.store)

    def make() -> Response:
        if fmt is not None:
            return serialize(request, triples, SHAPES_DOCUMENT, fmt, framed=False)
        views = shape_views(triples, page_linker(request))
        page = render_page(
            request,
            "shapes.html",
            shapes=views,
            graph_url="/graph/shapes",
            prefixes=TURTLE_PREFIXES,
            formats=FORMAT_CHOICES,
        )
        return HTMLResponse(page)

    key = ("shapes", format_key(fmt), language(request))
    return cached(request, key, make, BY_FORMAT_AND_LANGUAGE)
