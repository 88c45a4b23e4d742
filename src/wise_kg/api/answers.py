"""Answering a checked query over HTTP: format, dataset, ETag, cache, worker."""

from __future__ import annotations

import hashlib

from fastapi import Request, Response

from wise_kg.cache import etag, matches
from wise_kg.errors import QuerySyntaxError
from wise_kg.pool import Job
from wise_kg.queries import Binding
from wise_kg.sparql import QueryInfo, choose_format, dataset_for, needs_count


def single(params: dict[str, list[str]], name: str) -> str | None:
    """The one value of a parameter; two or more is a client error."""
    values = params.get(name, [])
    if len(values) > 1:
        raise QuerySyntaxError(f"The request has {len(values)} '{name}' parameters; send one.")
    return values[0] if values else None


async def respond(
    request: Request,
    query: str,
    info: QueryInfo,
    params: dict[str, list[str]] | None = None,
    bindings: tuple[Binding, ...] = (),
) -> Response:
    """Pick the format and dataset, then answer from the cache or a worker."""
    state = request.app.state
    settings = state.settings
    params = params if params is not None else {"format": request.query_params.getlist("format")}
    fmt = choose_format(info, request.headers.get("accept"), params.get("format", []))
    dataset = dataset_for(
        info,
        state.graphs,
        params.get("default-graph-uri", []),
        params.get("named-graph-uri", []),
        union_default_graph=settings.union_default_graph,
    )
    limit = settings.result_limit
    base = str(request.url_for("sparql_get"))
    job = Job(query, fmt.name, limit, needs_count(info, limit), dataset, bindings, base)
    tag = etag(state.build.build_id, job)
    headers = {"Vary": "Accept", "ETag": tag, "Cache-Control": "public, no-cache"}
    if matches(request.headers.get("if-none-match"), tag):
        return Response(status_code=304, headers=headers)
    request.state.query_hash = hashlib.sha256(query.encode()).hexdigest()[:16]
    body = state.cache.get(tag)
    state.metrics.cache.labels("hit" if body is not None else "miss").inc()
    if body is None:
        body = await state.pool.run(job)
        state.cache.put(tag, body)
    return Response(body, media_type=fmt.content_type, headers=headers)
