"""``/sparql``: the SPARQL 1.1 Protocol, query operation only (read-only)."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import parse_qs

import pyoxigraph as ox
from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import HTMLResponse

from wise_kg.api import query_form, yasgui
from wise_kg.api.answers import respond, single
from wise_kg.errors import QueryRefused, QuerySyntaxError, WiseKgError
from wise_kg.formats import DESCRIPTION_FORMATS, negotiate, wants_html
from wise_kg.service import SD, describe
from wise_kg.sparql import READ_ONLY

router = APIRouter(tags=["sparql"])

FORM = "application/x-www-form-urlencoded"
DIRECT = "application/sparql-query"
GRAPH_PARAMS = ("default-graph-uri", "named-graph-uri")
SD_PREFIXES = {"sd": SD, "void": "http://rdfs.org/ns/void#", "dcterms": "http://purl.org/dc/terms/"}


class BodyTooLarge(WiseKgError):
    """A request body over the configured limit."""

    http_status = 413


async def _bounded_body(request: Request, limit: int) -> bytes:
    """Read the body, refusing it as soon as it passes ``limit`` bytes."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise BodyTooLarge(f"The request body is over the {limit}-byte limit.")
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise BodyTooLarge(f"The request body is over the {limit}-byte limit.")
        chunks.append(chunk)
    return b"".join(chunks)


class UnsupportedMediaType(WiseKgError):
    """A POST body whose media type the protocol does not define for queries."""

    http_status = 415


def _query_of(params: dict[str, list[str]]) -> str:
    if "update" in params:
        raise QueryRefused(READ_ONLY)
    query = single(params, "query")
    if query is None:
        raise QuerySyntaxError("No 'query' parameter: send a SPARQL query as ?query=…")
    return query


async def _execute(request: Request, query: str, params: dict[str, list[str]]) -> Response:
    return await respond(request, query, await request.app.state.pool.inspect(query), params)


QueryParam = Annotated[str | None, Query(description="The SPARQL query.")]
FormatParam = Annotated[
    str | None,
    Query(description="Answer format (json, xml, csv, tsv, turtle …), overriding Accept."),
]
DefaultGraphParam = Annotated[
    list[str] | None,
    Query(alias="default-graph-uri", description="A stored graph as default graph, never fetched."),
]
NamedGraphParam = Annotated[
    list[str] | None,
    Query(alias="named-graph-uri", description="A stored graph as named graph, never fetched."),
]


@router.get("/sparql", summary="SPARQL query via GET")
async def sparql_get(
    request: Request,
    query: QueryParam = None,
    format: FormatParam = None,
    default_graph_uri: DefaultGraphParam = None,
    named_graph_uri: NamedGraphParam = None,
) -> Response:
    """Run a read-only SPARQL query given in the URL; without one, describe the service."""
    params = parse_qs(request.url.query, keep_blank_values=True)
    if "query" not in params and "update" not in params:
        return _describe(request)
    return await _execute(request, _query_of(params), params)


def _describe(request: Request) -> Response:
    """The service description (RDF by negotiation), or the query form for browsers."""
    state = request.app.state
    endpoint = str(request.url_for("sparql_get"))
    accept = request.headers.get("accept")
    headers = {"Vary": "Accept"}
    if wants_html(accept, DESCRIPTION_FORMATS):
        if state.yasgui is not None:
            examples = [(q.name, q.summary, q.text) for q in state.queries.values()]
            return HTMLResponse(yasgui.page(endpoint, examples), headers=headers)
        return HTMLResponse(query_form.page(endpoint, sorted(state.graphs)), headers=headers)
    fmt = negotiate(accept, DESCRIPTION_FORMATS)
    triples = describe(
        endpoint, state.build.graphs, union_default_graph=state.settings.union_default_graph
    )
    body = ox.serialize(triples, format=fmt.engine, prefixes=SD_PREFIXES)
    return Response(body, media_type=fmt.content_type, headers=headers)


@router.post("/sparql", summary="SPARQL query via POST (form-encoded or direct)")
async def sparql_post(
    request: Request,
    format: FormatParam = None,
    default_graph_uri: DefaultGraphParam = None,
    named_graph_uri: NamedGraphParam = None,
) -> Response:
    """Run a read-only SPARQL query sent as a form or as ``application/sparql-query``."""
    media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    raw = await _bounded_body(request, request.app.state.settings.max_body_bytes)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise QuerySyntaxError("The request body is not valid UTF-8.") from None
    url_params = parse_qs(request.url.query, keep_blank_values=True)
    if "update" in url_params:
        raise QueryRefused(READ_ONLY)
    if "query" in url_params:
        raise QuerySyntaxError(
            "A POST sends its query in the body, not in the URL; send one query."
        )
    if media_type == DIRECT:
        return await _execute(request, text, url_params)
    if media_type == FORM:
        form = parse_qs(text, keep_blank_values=True)
        for name in GRAPH_PARAMS:
            form.setdefault(name, []).extend(url_params.get(name, []))
        return await _execute(request, _query_of(form), form)
    raise UnsupportedMediaType(
        f"POST /sparql takes {FORM} or {DIRECT}, not '{media_type or 'no media type'}'."
    )
