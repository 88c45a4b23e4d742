"""Linked Data: every ``…/id/{kind}/{slug}`` IRI dereferences here, in five formats.

``/id/…`` answers HTML to browsers and RDF to RDF clients (``Vary: Accept``); a
file extension (``.html``, ``.ttl``, ``.jsonld``, ``.nt``, ``.rdf``) picks a
format without headers. The home page, the ontology, search and the JSON-LD
context live here too.
"""

from __future__ import annotations

import pyoxigraph as ox
from fastapi import APIRouter, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse

from wise_kg.api.deps import Build, Config
from wise_kg.api.documents import (
    BY_FORMAT_AND_LANGUAGE,
    FORMAT_LINKS,
    LD_FORMATS,
    cached,
    language,
    negotiated,
    page_linker,
    render_page,
    serialize,
)
from wise_kg.api.html.pages import build_view
from wise_kg.api.live import Snapshot
from wise_kg.api.routes.site import hit_views
from wise_kg.errors import NotFound
from wise_kg.formats import Format, wants_html
from wise_kg.publish import jsonld
from wise_kg.publish.describe import describe

router = APIRouter(tags=["linked data"])


def _split_extension(path: str) -> tuple[str, Format | None, bool]:
    """``need/placement.ttl`` → (``need/placement``, Turtle, False); ``.html`` → HTML."""
    stem, dot, extension = path.rpartition(".")
    if dot and extension == "html":
        return stem, None, True
    if dot:
        for fmt in LD_FORMATS:
            if extension == fmt.extension:
                return stem, fmt, False
    return path, None, False


@router.get("/id/{path:path}", summary="Dereference a resource IRI (HTML, Turtle, JSON-LD …)")
def resource(request: Request, snap: Build, settings: Config, path: str) -> Response:
    """The resource ``{base}id/{path}``, by content negotiation or file extension."""
    stem, fixed, html = _split_extension(path)
    fmt = negotiated(request, fixed, html)
    iri = settings.base_iri + "id/" + stem
    triples = describe(snap.store, iri) if _valid_iri(iri) else []
    if not triples:
        if "/" not in stem and stem in snap.kinds:  # a kind: its list
            return RedirectResponse(f"{stem}/", status_code=308)
        return not_found(request, snap, iri)

    def make() -> Response:
        if fmt is None:
            view = build_view(iri, triples, page_linker(request))
            page = render_page(request, "resource.html", view=view, formats=FORMAT_LINKS)
            response: Response = HTMLResponse(page)
        else:
            response = serialize(request, triples, iri, fmt)
        if not fixed and not html:  # negotiated: name the representation's own URL
            extension = fmt.extension if fmt is not None else "html"
            response.headers["Content-Location"] = f"{stem.rsplit('/', 1)[-1]}.{extension}"
        return response

    profile = jsonld.requested_profile(request.headers.get("accept")) if fmt else None
    key = ("resource", stem, fmt.name if fmt else "html", profile, language(request))
    return cached(request, key, make, BY_FORMAT_AND_LANGUAGE)


def _valid_iri(iri: str) -> bool:
    try:
        ox.NamedNode(iri)
    except ValueError:
        return False
    return True


def not_found(request: Request, snap: Snapshot, iri: str) -> Response:
    """A helpful 404: for people, a page with suggestions; for programs, plain text."""
    if wants_html(request.headers.get("accept"), LD_FORMATS):
        words = iri.rstrip("/").rsplit("/", 1)[-1].replace("-", " ")
        found = snap.search.similar(iri) or snap.search.search(words, limit=5)
        hits = hit_views(request, found)
        base = request.app.state.settings.base_iri
        page = render_page(request, "not_found.html", iri=iri, hits=hits, base=base)
        return HTMLResponse(page, status_code=404, headers={"Vary": BY_FORMAT_AND_LANGUAGE})
    raise NotFound(f"No resource has the IRI {iri}. Try /search?q=… or the SPARQL endpoint.")
