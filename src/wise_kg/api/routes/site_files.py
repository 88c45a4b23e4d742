"""The files a site is expected to have: ``/favicon.svg`` (and ``.ico``), ``/robots.txt``,
``/sitemap.xml``.

The sitemap lists every ``/id/`` resource page at the server's public address (never
the Host a client sent), with the kinds' lists and the entry pages. Past
:data:`SITEMAP_LIMIT` URLs (the protocol's limit) it becomes a sitemap index of
``/sitemap-{n}.xml`` files.
"""

from __future__ import annotations

from functools import cache
from typing import Annotated

from fastapi import APIRouter, Request, Response
from fastapi import Path as FastPath

from wise_kg.api.deps import Build, Config
from wise_kg.api.documents import cached
from wise_kg.api.html.pages import SCRIPTS, render
from wise_kg.api.live import Snapshot
from wise_kg.config import Settings
from wise_kg.errors import NotFound

router = APIRouter(tags=["site"])

#: Most URLs in one sitemap file (sitemaps.org).
SITEMAP_LIMIT = 50_000
XML = "application/xml"
#: Paths that cost a query each: robots are asked to leave them alone.
DISALLOWED = ("/sparql", "/search", "/queries/", "/esco")


@cache
def _icon() -> bytes:
    return (SCRIPTS / "favicon.svg").read_bytes()


@router.get("/favicon.svg", summary="The site's icon (SVG)")
@router.get("/favicon.ico", summary="The site's icon (SVG, for browsers that ask this name)")
def favicon(request: Request) -> Response:
    """The site's icon: a small graph, drawn for wise-kg."""
    return cached(
        request,
        ("favicon",),
        lambda: Response(_icon(), media_type="image/svg+xml"),
        "Accept-Encoding",
    )


@router.get("/robots.txt", summary="What crawlers may visit, and where the sitemap is")
def robots(request: Request, settings: Config) -> Response:
    """Pages welcome; query-backed paths not; the sitemap at the public address."""
    lines = ["User-agent: *", "Allow: /", *(f"Disallow: {path}" for path in DISALLOWED)]
    lines.append(f"Sitemap: {settings.public_base()}/sitemap.xml")
    return Response("\n".join(lines) + "\n", media_type="text/plain; charset=utf-8")


def site_urls(snap: Snapshot, settings: Settings) -> list[str]:
    """Every page of the site worth indexing, at the public address (the query-backed
    ones of :data:`DISALLOWED` left out)."""
    base = settings.public_base()
    found = snap.kinds
    urls = [f"{base}/", f"{base}/id/", f"{base}/ontology", f"{base}/queries"]
    for kind in found.values():
        urls.append(f"{base}/id/{kind.name}/")
        urls += [f"{base}/id/{kind.name}/{m.slug}" for m in kind.members]
    return urls


def sitemap_documents(urls: list[str], lastmod: str, public_base: str, limit: int) -> list[str]:
    """The sitemap: one ``urlset`` if ``urls`` fit in ``limit``, else an index first and
    then one ``urlset`` per ``limit`` URLs (``/sitemap-1.xml`` …); from the templates
    ``sitemap.xml`` and ``sitemap_index.xml``."""
    parts = [urls[i : i + limit] for i in range(0, len(urls), limit)] or [[]]
    sets = [render("sitemap.xml", urls=part, lastmod=lastmod) for part in parts]
    if len(sets) == 1:
        return sets
    index = render("sitemap_index.xml", parts=len(sets), lastmod=lastmod, public_base=public_base)
    return [index, *sets]


def _documents(snap: Snapshot, settings: Settings) -> list[str]:
    urls = site_urls(snap, settings)
    return sitemap_documents(urls, snap.build.created[:10], settings.public_base(), SITEMAP_LIMIT)


@router.get("/sitemap.xml", summary="Every page of the site (a sitemap, or an index of them)")
def sitemap(request: Request, snap: Build, settings: Config) -> Response:
    """The sitemap of the build in service."""
    return _sitemap_part(request, snap, settings, 0)


@router.get("/sitemap-{number}.xml", summary="One part of a sitemap split by size")
def sitemap_part(
    request: Request, snap: Build, settings: Config, number: Annotated[int, FastPath(ge=1)]
) -> Response:
    """Part ``number`` (from 1) of a sitemap too long for one file."""
    return _sitemap_part(request, snap, settings, number)


def _sitemap_part(request: Request, snap: Snapshot, settings: Settings, number: int) -> Response:
    documents = _documents(snap, settings)
    if not 0 <= number < len(documents) or (number > 0 and len(documents) == 1):
        raise NotFound(f"The sitemap has no part {number}; start at /sitemap.xml.")
    return cached(request, ("sitemap", number), lambda: Response(documents[number], media_type=XML))
