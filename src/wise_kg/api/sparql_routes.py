"""``/sparql``: the SPARQL 1.1 Protocol, query operation only (read-only)."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import parse_qs

from fastapi import APIRouter, Query, Request, Response
from starlette.concurrency import run_in_threadpool

from wise_kg.errors import QueryRefused, QuerySyntaxError, WiseKgError
from wise_kg.sparql import READ_ONLY, answer, choose_format, inspect

router = APIRouter(tags=["sparql"])

FORM = "application/x-www-form-urlencoded"
DIRECT = "application/sparql-query"


class UnsupportedMediaType(WiseKgError):
    """A POST body whose media type the protocol does not define for queries."""

    http_status = 415


def _single(params: dict[str, list[str]], name: str) -> str | None:
    values = params.get(name, [])
    if len(values) > 1:
        raise QuerySyntaxError(
            f"The request has {len(values)} '{name}' parameters; send exactly one."
        )
    return values[0] if values else None


def _from_params(params: dict[str, list[str]]) -> str:
    if "update" in params:
        raise QueryRefused(READ_ONLY)
    query = _single(params, "query")
    if query is None:
        raise QuerySyntaxError("No 'query' parameter: send a SPARQL query as ?query=…")
    return query


async def _execute(request: Request, query: str, format_param: str | None) -> Response:
    settings = request.app.state.settings
    info = inspect(query)
    fmt = choose_format(info, request.headers.get("accept"), format_param)
    body = await run_in_threadpool(
        answer, request.app.state.store, query, fmt, result_limit=settings.result_limit
    )
    return Response(body, media_type=fmt.content_type, headers={"Vary": "Accept"})


@router.get("/sparql", summary="SPARQL query via GET")
async def sparql_get(
    request: Request,
    query: Annotated[str | None, Query(description="The SPARQL query.")] = None,
    format: Annotated[str | None, Query(description="Result format, overriding Accept.")] = None,
) -> Response:
    """Run a read-only SPARQL query given in the URL."""
    params = parse_qs(request.url.query, keep_blank_values=True)
    return await _execute(request, _from_params(params), format)


@router.post("/sparql", summary="SPARQL query via POST (form-encoded or direct)")
async def sparql_post(
    request: Request,
    format: Annotated[str | None, Query(description="Result format, overriding Accept.")] = None,
) -> Response:
    """Run a read-only SPARQL query sent as a form or as ``application/sparql-query``."""
    media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    raw = await request.body()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise QuerySyntaxError("The request body is not valid UTF-8.") from None
    if media_type == DIRECT:
        return await _execute(request, text, format)
    if media_type == FORM:
        return await _execute(request, _from_params(parse_qs(text, keep_blank_values=True)), format)
    raise UnsupportedMediaType(
        f"POST /sparql takes {FORM} or {DIRECT}, not '{media_type or 'no media type'}'."
    )
