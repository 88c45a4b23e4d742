"""``/sparql``: the SPARQL 1.1 Protocol, query operation only (read-only).

A plain ASGI endpoint rather than a FastAPI route: research tools send fresh query
texts, each paying for the request handling, and FastAPI's parameter validation and
dependency solving cost several times what the engine takes to answer a lookup
(``benchmarks/profile.md``). Its parameters are read here from the raw request, as the
Protocol defines them, and described for OpenAPI in :data:`OPENAPI`.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs

import pyoxigraph as ox
from fastapi import Request, Response
from fastapi.responses import HTMLResponse
from starlette.routing import Route

from wise_kg.api.answers import endpoint_url, respond, single
from wise_kg.api.deps import snapshot_of
from wise_kg.api.html import query_form, yasgui
from wise_kg.errors import (
    BodyTooLarge,
    QueryRefused,
    QuerySyntaxError,
    UnsupportedMediaType,
)
from wise_kg.formats import (
    DESCRIPTION_FORMATS,
    GRAPH_FORMATS,
    RESULT_FORMATS,
    negotiate,
    wants_html,
)
from wise_kg.namespaces import prefixes
from wise_kg.publish.service_description import describe
from wise_kg.sparql.admission import READ_ONLY, inspect

FORM = "application/x-www-form-urlencoded"
DIRECT = "application/sparql-query"
GRAPH_PARAMS = ("default-graph-uri", "named-graph-uri")
SD_PREFIXES = prefixes("sd", "void", "dcterms")


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


def _query_of(params: dict[str, list[str]]) -> str:
    if "update" in params:
        raise QueryRefused(READ_ONLY)
    query = single(params, "query")
    if query is None:
        raise QuerySyntaxError("No 'query' parameter: send a SPARQL query as ?query=…")
    return query


async def _get(request: Request) -> Response:
    """A query in the URL; without one, the service description."""
    params = parse_qs(request.scope["query_string"].decode("latin-1"), keep_blank_values=True)
    if "query" not in params and "update" not in params:
        return _describe(request)
    query = _query_of(params)
    return await respond(request, query, inspect(query), params)


async def _post(request: Request) -> Response:
    """A query sent as a form or as ``application/sparql-query``."""
    media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    raw = await _bounded_body(request, request.app.state.settings.max_body_bytes)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise QuerySyntaxError("The request body is not valid UTF-8.") from None
    url_params = parse_qs(request.scope["query_string"].decode("latin-1"), keep_blank_values=True)
    if "update" in url_params:
        raise QueryRefused(READ_ONLY)
    if "query" in url_params:
        raise QuerySyntaxError(
            "A POST sends its query in the body, not in the URL; send one query."
        )
    if media_type == DIRECT:
        return await respond(request, text, inspect(text), url_params)
    if media_type == FORM:
        form = parse_qs(text, keep_blank_values=True)
        for name in GRAPH_PARAMS:
            form.setdefault(name, []).extend(url_params.get(name, []))
        query = _query_of(form)
        return await respond(request, query, inspect(query), form)
    raise UnsupportedMediaType(
        f"POST /sparql takes {FORM} or {DIRECT}, not '{media_type or 'no media type'}'."
    )


def _describe(request: Request) -> Response:
    """The service description (RDF by negotiation), or the query form for browsers."""
    state, snap = request.app.state, snapshot_of(request.scope)
    endpoint = endpoint_url(request)
    accept = request.headers.get("accept")
    headers = {"Vary": "Accept"}
    if wants_html(accept, DESCRIPTION_FORMATS):
        if state.yasgui is not None:
            examples = [(q.name, q.summary, q.text) for q in state.queries.values()]
            page = yasgui.page(endpoint, examples, state.settings.base_iri)
            return HTMLResponse(page, headers=headers)
        return HTMLResponse(query_form.page(endpoint, sorted(snap.graphs)), headers=headers)
    fmt = negotiate(accept, DESCRIPTION_FORMATS)
    triples = describe(
        endpoint, snap.build.graphs, union_default_graph=state.settings.union_default_graph
    )
    body = ox.serialize(triples, format=fmt.engine, prefixes=SD_PREFIXES)
    return Response(body, media_type=fmt.content_type, headers=headers)


async def endpoint(request: Request) -> Response:
    """GET (and HEAD) or POST; errors reach the app's error handler."""
    return await (_post if request.method == "POST" else _get)(request)


def route() -> Route:
    """``/sparql`` as a route of the app (named ``sparql`` for ``url_for``)."""
    return Route("/sparql", endpoint, methods=["GET", "POST"], name="sparql")


# --- its OpenAPI description -----------------------------------------------------------------


def _parameter(name: str, description: str, *, many: bool = False) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": "string"}
    if many:
        schema = {"type": "array", "items": schema}
    return {
        "name": name,
        "in": "query",
        "required": False,
        "schema": schema,
        "description": description,
    }


_ANSWERS: dict[str, Any] = {
    "200": {
        "description": "The answer: a result set (SELECT, ASK) or a graph (CONSTRUCT, DESCRIBE).",
        "content": {f.media_type: {} for f in RESULT_FORMATS + GRAPH_FORMATS},
    },
    "304": {"description": "Not modified (If-None-Match named the answer's ETag)."},
    "400": {
        "description": "A syntax error, a refused query (update, SERVICE, FROM of an unstored "
        "graph), or an answer over the row, byte or memory cap: the message says which.",
        "content": {"text/plain": {}},
    },
    "406": {
        "description": "No offered format fits Accept or format.",
        "content": {"text/plain": {}},
    },
    "413": {"description": "The request body is over the limit.", "content": {"text/plain": {}}},
    "415": {"description": "A POST body of another media type.", "content": {"text/plain": {}}},
    "503": {
        "description": "Past the time limit, or every worker busy (with Retry-After).",
        "content": {"text/plain": {}},
    },
}
_COMMON = [
    _parameter("format", "Answer format (json, xml, csv, tsv, turtle …), overriding Accept."),
    _parameter("default-graph-uri", "A stored graph as default graph, never fetched.", many=True),
    _parameter("named-graph-uri", "A stored graph as named graph, never fetched.", many=True),
]

#: A GET has no body (so no 413 or 415); without a query it answers the service
#: description (RDF), or the query editor for browsers.
_GET_ANSWERS: dict[str, Any] = {
    **{status: answer for status, answer in _ANSWERS.items() if status not in ("413", "415")},
    "200": {
        "description": _ANSWERS["200"]["description"]
        + " Without a query: the service description, or the query editor for browsers.",
        "content": {**_ANSWERS["200"]["content"], "text/html": {"schema": {"type": "string"}}},
    },
}

#: The OpenAPI path item of ``/sparql``.
OPENAPI: dict[str, Any] = {
    "get": {
        "tags": ["sparql"],
        "summary": "SPARQL query via GET (without a query: the service description)",
        "operationId": "sparql_get",
        "parameters": [_parameter("query", "The SPARQL query."), *_COMMON],
        "responses": _GET_ANSWERS,
    },
    "post": {
        "tags": ["sparql"],
        "summary": "SPARQL query via POST (form-encoded or direct)",
        "operationId": "sparql_post",
        "parameters": _COMMON,
        "requestBody": {
            "required": True,
            "content": {
                FORM: {
                    "schema": {
                        "type": "object",
                        "properties": {"query": {"type": "string"}},
                        "required": ["query"],
                    }
                },
                DIRECT: {"schema": {"type": "string"}},
            },
        },
        "responses": _ANSWERS,
    },
}
