"""One document answered: its format chosen (HTML or which RDF), serialized, cached with validators.

Every route that answers a document (a resource, a list, a hierarchy, a graph's page,
the ontology, the catalogue) goes through here. A document's format is chosen by a
file extension or ``?format=`` (a short name, an extension or a media type; ``html``
for the page) or else by ``Accept``: HTML when a browser ranks it first, else the
best of the RDF formats. Links to one format therefore never depend on headers.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated

import pyoxigraph as ox
from fastapi import Query, Request, Response

from wise_kg import namespaces as ns
from wise_kg.api.conditional import etag, is_fresh, validators
from wise_kg.api.deps import snapshot_of
from wise_kg.api.html.language import request_language
from wise_kg.api.html.pages import Linker, render
from wise_kg.errors import NotFound
from wise_kg.formats import GRAPH_FORMATS, Format, by_name, negotiate, wants_html
from wise_kg.namespaces import prefixes
from wise_kg.publish import jsonld

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


def language(request: Request) -> str:
    """The language a page is asked in (``?lang=``, then Accept-Language)."""
    return request_language(
        request.query_params.get("lang"), request.headers.get("accept-language")
    )


def render_page(request: Request, template: str, **context: object) -> str:
    """A site page in the request's language, naming the build it shows."""
    build_id = snapshot_of(request.scope).build.build_id
    return render(template, lang=language(request), build_id=build_id, **context)


def page_linker(request: Request) -> Linker:
    settings, names = request.app.state.settings, snapshot_of(request.scope).names
    lang = language(request)
    return Linker(settings.base_iri, names.get(lang, names["en"]), lang)


def context_ref(request: Request) -> str:
    """The context's URL at the server's public address (never from the Host header), so
    that a JSON-LD processor can load it from wherever the document came (registered
    with our loader once, when the app was made)."""
    return request.app.state.context_url


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
        ref = context_ref(request)
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


def cached(
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
    (routes that make their answer asynchronously use this as :func:`cached` does)."""
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


def rdf_format(request: Request) -> Format:
    """The RDF format of a document that has no HTML view (VoID, the catalog): by
    negotiation, q-values weighed; Turtle (readable as text) for a browser."""
    accept = request.headers.get("accept")
    return LD_FORMATS[0] if wants_html(accept, LD_FORMATS) else negotiate(accept, LD_FORMATS)


def negotiated(request: Request, fixed: Format | None, html: bool) -> Format | None:
    """The format to answer in: HTML (None) when asked for, else ``fixed``, else by Accept."""
    if html:
        return None
    if fixed is not None:
        return fixed
    accept = request.headers.get("accept")
    if wants_html(accept, LD_FORMATS):
        return None
    return negotiate(accept, LD_FORMATS)


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
    return negotiated(request, None, False)


#: The ``format`` parameter of every document route.
FormatParam = Annotated[
    str | None,
    Query(
        max_length=40,
        description="html, or an RDF format (ttl, jsonld, nt, rdf, nq, trig, or a media "
        "type), overriding Accept.",
    ),
]


#: The RDF formats a page offers as links: (short name, title).
FORMAT_CHOICES = [(f.extension, TITLES[f.name]) for f in LD_FORMATS]


def choose(request: Request, format_param: str | None) -> Format | None:
    """The format to answer in; None is HTML."""
    if format_param:
        if format_param.strip().lower() in ("html", "text/html"):
            return None
        return by_name(format_param, LD_FORMATS)
    accept = request.headers.get("accept")
    if wants_html(accept, LD_FORMATS):
        return None
    return negotiate(accept, LD_FORMATS)


def format_key(fmt: Format | None) -> str:
    """What an answer's cache key says of its format."""
    return fmt.name if fmt is not None else "html"


def triple(subject: str, predicate: str, obj: ox.NamedNode | ox.Literal) -> ox.Triple:
    """A triple with IRI subject and predicate (a shorthand for documents built here)."""
    return ox.Triple(ox.NamedNode(subject), ox.NamedNode(predicate), obj)
