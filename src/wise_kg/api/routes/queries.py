"""``/queries``: the saved competency questions as an HTTP API (grlc-style), and as pages.

Programs get JSON (the list) and the SPARQL answer formats (a query's answer, by
``Accept`` or ``format``); a browser (``Accept`` ranking ``text/html`` first, and no
``format``) gets pages: the list, and each query with its description, its
parameters as a form and its answer as a table.
"""

from __future__ import annotations

from urllib.parse import urlencode

from fastapi import APIRouter, Request, Response
from fastapi.responses import HTMLResponse, JSONResponse

from wise_kg.api.answers import respond, single
from wise_kg.api.deps import Config, Queries
from wise_kg.api.documents import BY_FORMAT_AND_LANGUAGE, cached, conditional, language, render_page
from wise_kg.api.routes.query_pages import (
    DOWNLOADS,
    SHOWN_ROWS,
    Table,
    browser_asks_html,
    run_for_table,
)
from wise_kg.errors import WiseKgError
from wise_kg.sparql.admission import inspect
from wise_kg.sparql.queries import SavedQuery, find

router = APIRouter(tags=["queries"])


@router.get("/queries", summary="The saved queries and their parameters (JSON, or a page)")
def list_queries(request: Request, saved: Queries, settings: Config) -> Response:
    """Every saved query: name, summary, description, tags, parameters, URL."""
    if browser_asks_html(request.headers.get("accept"), ["application/json"]):
        return cached(
            request,
            ("queries", "html", language(request)),
            lambda: HTMLResponse(
                render_page(request, "queries.html", nav="/queries", queries=saved.values())
            ),
            BY_FORMAT_AND_LANGUAGE,
        )
    listing = [
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
    return JSONResponse(listing, headers={"Vary": "Accept"})


@router.get("/queries/{name}", summary="Run a saved query with its parameters")
async def run_query(request: Request, saved: Queries, name: str) -> Response:
    """Run one saved query; parameters come as query-string values, bound as RDF terms.

    Answers in the same formats as ``/sparql`` (``Accept`` or ``format``); a browser
    without ``format`` gets the query's page, its answer as a table.
    """
    query = find(saved, name)
    params: dict[str, list[str]] = {}
    for key, value in request.query_params.multi_items():
        params.setdefault(key, []).append(value)
    values = {k: single(params, k) or "" for k in params}  # one value each, as on /sparql
    fmt = values.pop("format", None)
    info = inspect(query.text)
    offered = [f.media_type for f in info.formats()]
    if fmt is None and browser_asks_html(request.headers.get("accept"), offered):
        return await _page(request, query, values)
    bindings = query.bind(values)
    formats = {"format": [fmt] if fmt is not None else []}
    return await respond(request, query.text, info, formats, bindings=bindings)


async def _page(request: Request, query: SavedQuery, values: dict[str, str]) -> Response:
    """The query's page: description, a form of its parameters, the answer as a table.

    An empty field of the form is a parameter left out (its default applies).
    """
    given = {k: v.strip() for k, v in values.items() if v.strip()}
    key = ("query-page", query.name, sorted(given.items()), language(request))
    headers, fresh = conditional(request, key, BY_FORMAT_AND_LANGUAGE)
    if fresh:
        return Response(status_code=304, headers=headers)
    table: Table | None = None
    error, status = None, 200
    info = inspect(query.text)
    try:
        bindings = query.bind(given)
        table = await run_for_table(request, query, info, bindings)
    except WiseKgError as err:  # a bad parameter, an answer over a limit, a timeout
        error, status = str(err), err.http_status
    kind = "graph" if info.returns_graph else "result"
    fields = [
        {"param": p, "value": given.get(p.name) or (p.default if p.required else None) or ""}
        for p in query.params
    ]
    page = render_page(
        request,
        "query.html",
        nav="/queries",
        query=query,
        fields=fields,
        table=table,
        error=error,
        shown_rows=SHOWN_ROWS,
        downloads=[(_answer_url(query, given, f), title) for f, title in DOWNLOADS[kind]],
    )
    if status != 200:
        return HTMLResponse(page, status_code=status, headers={"Vary": BY_FORMAT_AND_LANGUAGE})
    return HTMLResponse(page, headers=headers)


def _answer_url(query: SavedQuery, given: dict[str, str], fmt: str) -> str:
    """The relative URL of the answer in one format, with the page's parameters."""
    return f"/queries/{query.name}?" + urlencode({**given, "format": fmt})
