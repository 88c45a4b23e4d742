"""``/queries``: the saved competency questions as an HTTP API (grlc-style)."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from wise_kg.api.answers import respond
from wise_kg.queries import find
from wise_kg.sparql.admission import inspect

router = APIRouter(tags=["queries"])


@router.get("/queries", summary="The saved queries and their parameters")
def list_queries(request: Request) -> list[dict[str, object]]:
    """Every saved query: name, summary, description, tags, parameters, URL."""
    return [
        {
            "name": q.name,
            "summary": q.summary,
            "description": q.description,
            "tags": list(q.tags),
            "url": str(request.url_for("run_query", name=q.name)),
            "parameters": [
                {"name": p.name, "type": p.kind, "required": p.required, "default": p.default}
                for p in q.params
            ],
        }
        for q in request.app.state.queries.values()
    ]


@router.get("/queries/{name}", summary="Run a saved query with its parameters")
async def run_query(request: Request, name: str) -> Response:
    """Run one saved query; parameters come as query-string values, bound as RDF terms.

    Answers in the same formats as ``/sparql`` (``Accept`` or ``format``).
    """
    saved = find(request.app.state.queries, name)
    values = {k: v for k, v in request.query_params.items() if k != "format"}
    bindings = saved.bind(values)
    return await respond(request, saved.text, inspect(saved.text), bindings=bindings)
