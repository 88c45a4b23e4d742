"""``/ontology``: the ontology's documentation for people (pyLODE, ``#Term`` anchors) or its RDF.

The page is the one a release ships as ``ontology.html``: both are made by
:func:`wise_kg.publish.ontodoc.html` from the ontology graph of the build.
"""

from __future__ import annotations

import pyoxigraph as ox
from fastapi import APIRouter, Request, Response
from fastapi.responses import HTMLResponse

from wise_kg.api.deps import Build
from wise_kg.api.documents import cached, choose_document_format, serialize
from wise_kg.api.html.pages import with_site_header
from wise_kg.api.live import Snapshot
from wise_kg.namespaces import GRAPH_BASE, ONTOLOGY_IRI
from wise_kg.publish import ontodoc

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
