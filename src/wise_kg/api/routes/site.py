"""The site's own pages: the home page and label search (autocomplete)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import HTMLResponse, JSONResponse

from wise_kg.api.deps import Build, snapshot_of
from wise_kg.api.documents import BY_FORMAT_AND_LANGUAGE, cached, language, page_linker, render_page
from wise_kg.formats import wants_html
from wise_kg.publish.search import LabelIndex

router = APIRouter(tags=["site"])


def hit_views(request: Request, hits: list) -> list[dict[str, str | None]]:
    """Search hits as shown: a link on this site and the label in the request's language."""
    linker, lang, index = page_linker(request), language(request), snap_search(request)
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
        hits = hit_views(request, found)
        if html:
            return HTMLResponse(render_page(request, "search.html", query=q, hits=hits))
        return JSONResponse(hits)

    key = ("search", q, limit, lang, html, language(request))
    return cached(request, key, make, BY_FORMAT_AND_LANGUAGE)


@router.get("/", summary="Home page", response_class=HTMLResponse)
def home(request: Request, snap: Build) -> Response:
    """The concept schemes with their sizes, the entry points, a search box."""
    return cached(
        request,
        ("home", language(request)),
        lambda: HTMLResponse(
            render_page(request, "home.html", schemes=snap.schemes, triples=snap.build.quads)
        ),
        "Accept-Language",
    )
