"""Linked Data: every ``…/id/{kind}/{slug}`` IRI dereferences here, in five formats.

``/id/…`` answers HTML to browsers and RDF to RDF clients (``Vary: Accept``); a
file extension (``.html``, ``.ttl``, ``.jsonld``, ``.nt``, ``.rdf``) picks a
format without headers. The home page, the ontology, search and the JSON-LD
context live here too.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated

import pyoxigraph as ox
from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse

from wise_kg import namespaces as ns
from wise_kg.api.conditional import etag, is_fresh, validators
from wise_kg.api.deps import Build, Config, snapshot_of
from wise_kg.api.html.pages import Linker, build_view, render
from wise_kg.api.html.site import request_language
from wise_kg.api.live import Snapshot
from wise_kg.api.routes.kinds import kinds
from wise_kg.errors import NotFound
from wise_kg.formats import GRAPH_FORMATS, Format, negotiate, wants_html
from wise_kg.namespaces import prefixes
from wise_kg.publish import jsonld
from wise_kg.publish.describe import describe
from wise_kg.publish.search import LabelIndex

router = APIRouter(tags=["linked data"])

#: RDF formats a resource is offered in (HTML besides).
LD_FORMATS: tuple[Format, ...] = GRAPH_FORMATS
TITLES = {
    "turtle": "Turtle",
    "jsonld": "JSON-LD",
    "ntriples": "N-Triples",
    "rdfxml": "RDF/XML",
    "nquads": "N-Quads",
    "trig": "TriG",
}
#: The prefixes of every RDF document the routes serialize.
PREFIXES = prefixes("wise", "skos", "dcterms", "rdfs", "owl", "esco", "void")
JSONLD_CONTEXT_REL = ns.JSONLD + "context"


@dataclass(frozen=True)
class FormatLink:
    """A link to one serialization of a page's resource."""

    media_type: str
    extension: str
    title: str


FORMAT_LINKS = [FormatLink(f.media_type, f.extension, TITLES[f.name]) for f in LD_FORMATS]


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


def _choose(request: Request, fixed: Format | None, html: bool) -> Format | None:
    """The format to answer in; None means HTML."""
    if html:
        return None
    if fixed is not None:
        return fixed
    accept = request.headers.get("accept")
    if wants_html(accept, LD_FORMATS):
        return None
    return negotiate(accept, LD_FORMATS)


def language(request: Request) -> str:
    """The language a page is asked in (``?lang=``, then Accept-Language)."""
    return request_language(
        request.query_params.get("lang"), request.headers.get("accept-language")
    )


def render_page(request: Request, template: str, **context: object) -> str:
    """A site page in the request's language, naming the build it shows."""
    build_id = snapshot_of(request.scope).build.build_id
    return render(template, lang=language(request), build_id=build_id, **context)


def _linker(request: Request) -> Linker:
    settings, names = request.app.state.settings, snapshot_of(request.scope).names
    lang = language(request)
    return Linker(settings.base_iri, names.get(lang, names["en"]), lang)


def _context_ref(request: Request) -> str:
    """The context's URL at the server's public address (never from the Host header), so
    that a JSON-LD processor can load it from wherever the document came."""
    return jsonld.context_url(request.app.state.settings.public_base() + "/")


#: What a resource's answer varies by: its format, and the language of its labels.
BY_FORMAT_AND_LANGUAGE = "Accept, Accept-Language"


def serialize(
    request: Request, triples: list[ox.Triple], iri: str, fmt: Format, *, framed: bool = True
) -> Response:
    """One resource (or document) as RDF in ``fmt``; JSON-LD framed and with its context.

    Documents that are not one resource's page (VoID, the ontology) are written
    by the engine's JSON-LD serializer, compacted with the usual prefixes.
    """
    if fmt.name == "jsonld" and framed:
        ref = _context_ref(request)
        document = jsonld.document(triples, iri, ref, language(request))
        profile = jsonld.requested_profile(request.headers.get("accept"))
        media_type = fmt.content_type
        if profile is not None:
            document = jsonld.in_profile(document, profile, ref)
            media_type = f'{fmt.media_type}; profile="{profile}"'
        body = json.dumps(document, ensure_ascii=False)
        headers = {"Link": f'<{ref}>; rel="{JSONLD_CONTEXT_REL}"'}
        return Response(body, media_type=media_type, headers=headers)
    use_prefixes = PREFIXES if fmt.name in ("turtle", "jsonld", "trig") else None
    body = ox.serialize(triples, format=fmt.engine, prefixes=use_prefixes)
    return Response(body, media_type=fmt.content_type)


def _cached(
    request: Request, key: object, make: Callable[[], Response], vary: str = "Accept"
) -> Response:
    """Answer 304 when the client has this build's version, else make the response.

    Both carry the build's validators and what the answer varies by.
    """
    headers, fresh = conditional(request, key, vary)
    if fresh:
        return Response(status_code=304, headers=headers)
    response = make()
    response.headers.update(headers)
    return response


def conditional(request: Request, key: object, vary: str) -> tuple[dict[str, str], bool]:
    """The validators of this build's answer ``key``, and whether the client has it already
    (routes that make their answer asynchronously use this as :func:`_cached` does)."""
    build = snapshot_of(request.scope).build
    tag = etag(build.build_id, key)
    headers = validators(tag, build, vary)
    fresh = is_fresh(
        request.headers.get("if-none-match"),
        request.headers.get("if-modified-since"),
        tag,
        headers["Last-Modified"],
    )
    return headers, fresh


@router.get("/id/{path:path}", summary="Dereference a resource IRI (HTML, Turtle, JSON-LD …)")
def resource(request: Request, snap: Build, settings: Config, path: str) -> Response:
    """The resource ``{base}id/{path}``, by content negotiation or file extension."""
    stem, fixed, html = _split_extension(path)
    fmt = _choose(request, fixed, html)
    iri = settings.base_iri + "id/" + stem
    triples = describe(snap.store, iri) if _valid_iri(iri) else []
    if not triples:
        if "/" not in stem and stem in kinds(snap, settings.base_iri):  # a kind: its list
            return RedirectResponse(f"{stem}/", status_code=308)
        return not_found(request, snap, iri)

    def make() -> Response:
        if fmt is None:
            view = build_view(iri, triples, _linker(request))
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
    return _cached(request, key, make, BY_FORMAT_AND_LANGUAGE)


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
        hits = _hit_views(request, found)
        base = request.app.state.settings.base_iri
        page = render_page(request, "not_found.html", iri=iri, hits=hits, base=base)
        return HTMLResponse(page, status_code=404, headers={"Vary": BY_FORMAT_AND_LANGUAGE})
    raise NotFound(f"No resource has the IRI {iri}. Try /search?q=… or the SPARQL endpoint.")


def _hit_views(request: Request, hits: list) -> list[dict[str, str | None]]:
    """Search hits as shown: a link on this site and the label in the request's language."""
    linker, lang, index = _linker(request), language(request), snap_search(request)
    return [
        {
            "iri": hit.iri,
            "url": linker.url(hit.iri)[0],
            "label": index.label_for(hit.iri, lang) or hit.label,
            "matched": hit.matched,
            "lang": hit.lang,
            "kind": hit.type,
        }
        for hit in hits
    ]


def snap_search(request: Request) -> LabelIndex:
    """The label index of the request's build."""
    return snapshot_of(request.scope).search


@router.get("/search", summary="Search labels in every language (autocomplete)")
async def search(
    request: Request,
    snap: Build,
    q: Annotated[str, Query(description="Text to look for in labels.", max_length=200)] = "",
    limit: Annotated[int, Query(ge=1, le=100)] = 10,
    lang: Annotated[
        str | None, Query(max_length=12, description="Only labels in this language.")
    ] = None,
) -> Response:
    """Ranked label matches: exact, prefix, word prefix, substring (one build's answer)."""
    html = wants_html(request.headers.get("accept"), ())

    def make() -> Response:
        found = snap.search.search(q, limit=limit, lang=lang)
        hits = _hit_views(request, found)
        if html:
            return HTMLResponse(render_page(request, "search.html", query=q, hits=hits))
        return JSONResponse(hits)

    key = ("search", q, limit, lang, html, language(request))
    return _cached(request, key, make, BY_FORMAT_AND_LANGUAGE)


@router.get("/", summary="Home page", response_class=HTMLResponse)
def home(request: Request, snap: Build) -> Response:
    """The concept schemes with their sizes, the entry points, a search box."""
    return _cached(
        request,
        ("home", language(request)),
        lambda: HTMLResponse(
            render_page(request, "home.html", schemes=snap.schemes, triples=snap.build.quads)
        ),
        "Accept-Language",
    )


@router.get("/context.jsonld", summary="The JSON-LD context of the graph")
def jsonld_context() -> Response:
    """The current, versioned ``@context`` (also at ``/context/{version}.jsonld``)."""
    return JSONResponse(jsonld.context(), media_type="application/ld+json")


@router.get("/context/{version}.jsonld", summary="One version of the JSON-LD context")
def jsonld_context_version(version: str) -> Response:
    """A published version of the context; only the current one is served."""
    if version != jsonld.CONTEXT_VERSION:
        raise NotFound(
            f"Context version {version} is not published here; "
            f"the current one is {jsonld.CONTEXT_VERSION}."
        )
    return jsonld_context()


def rdf_format(request: Request) -> Format:
    """The RDF format of a document that has no HTML view (VoID, the catalog): by
    negotiation, q-values weighed; Turtle (readable as text) for a browser."""
    accept = request.headers.get("accept")
    return LD_FORMATS[0] if wants_html(accept, LD_FORMATS) else negotiate(accept, LD_FORMATS)


def choose_document_format(request: Request, extension: str | None) -> Format | None:
    """For documents such as the ontology: an extension, else negotiation; None is HTML."""
    if extension:
        if extension == "html":
            return None
        for fmt in LD_FORMATS:
            if extension == fmt.extension:
                return fmt
        names = ", ".join(["html", *(f.extension for f in LD_FORMATS)])
        raise NotFound(f"No document with the extension '.{extension}'; there are {names}.")
    return _choose(request, None, False)
