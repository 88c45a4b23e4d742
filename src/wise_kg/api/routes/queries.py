"""``/queries``: the saved competency questions as an HTTP API (grlc-style)."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from wise_kg.api.answers import respond, single
from wise_kg.api.deps import Config, Queries
from wise_kg.queries import find
from wise_kg.sparql.admission import inspect

router = APIRouter(tags=["queries"])


@router.get("/queries", summary="The saved queries and their parameters")
def list_queries(saved: Queries, settings: Config) -> list[dict[str, object]]:
    """Every saved query: name, summary, description, tags, parameters, URL."""
    return [
        {
            "name": q.name,
            "summary": q.summary,
            "description": q.description,
            "tags": list(q.tags),
            "url": f"{settings.public_base()}/queries/{q.name}",
            "parameters": [
                {"name": p.name, "type": p.kind, "required": p.required, "default": p.default}
                for p in q.params
            ],
        }
        for q in saved.values()
    ]


@router.get("/queries/{name}", summary="Run a saved query with its parameters")
async def run_query(request: Request, saved: Queries, name: str) -> Response:
    """Run one saved query; parameters come as query-string values, bound as RDF terms.

    Answers in the same formats as ``/sparql`` (``Accept`` or ``format``).
    """
    query = find(saved, name)
    params: dict[str, list[str]] = {}
    for key, value in request.query_params.multi_items():
        params.setdefault(key, []).append(value)
    values = {k: single(params, k) or "" for k in params}  # one value each, as on /sparql
    fmt = values.pop("format", None)
    bindings = query.bind(values)
    formats = {"format": [fmt] if fmt is not None else []}
    return await respond(request, query.text, inspect(query.text), formats, bindings=bindings)
