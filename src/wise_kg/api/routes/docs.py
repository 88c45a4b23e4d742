"""``/docs`` (Swagger UI) and ``/redoc`` (ReDoc) served from this machine; the OpenAPI
description completed with what FastAPI cannot see in the routes.

FastAPI's own pages load both viewers from a CDN, so with no internet they stay blank.
Here they come from the npm packages ``swagger-ui-dist`` and ``redoc`` that ``make``
installs into ``node_modules/`` (``package.json``; never committed), served under
URLs that name the installed version, so browsers may keep them for a year. Without
them each page says so and links the raw description. The pages are the site's, between
its header and footer (templates ``swagger_ui.html``, ``redoc.html`` and
``api_viewer_missing.html``), and have no inline script (see
:mod:`wise_kg.api.middleware.security`): Swagger UI is started by the site's
``swagger.js``, ReDoc by its ``<redoc>`` element. Neither asks another host: Swagger
UI's validator badge is switched off, and ReDoc's bundle is served without the URL of
the Redocly logo it would fetch (:data:`REDOC_LOGO`).

:func:`complete` adds what the routes' signatures cannot tell FastAPI: the media types
each path answers in and its error statuses, from one table (:data:`PATHS`).

>>> ok = {"200": {"description": "OK", "content": {"application/json": {"schema": {}}}}}
>>> schema = complete({"paths": {"/id/{path}": {"get": {"responses": ok}}}})
>>> answers = schema["paths"]["/id/{path}"]["get"]["responses"]
>>> sorted(answers), "text/turtle" in answers["200"]["content"]
(['200', '304', '404', '406', '503'], True)
"""

from __future__ import annotations

import json
import mimetypes
import os
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles
from starlette.responses import Response
from starlette.routing import Route
from starlette.types import Scope

from wise_kg.api.documents import LD_FORMATS
from wise_kg.api.html.pages import render
from wise_kg.api.html.yasgui import installed
from wise_kg.formats import GRAPH_FORMATS, RESULT_FORMATS
from wise_kg.publish.void import DUMPS

#: Cache-Control of a viewer's files: their URL changes with the installed version.
IMMUTABLE = "public, max-age=31536000, immutable"


@dataclass(frozen=True)
class Viewer:
    """A documentation viewer: the npm package and files its page loads, its URL path, the
    template of its page, and what is replaced in those files as they are served so that
    they ask no other host."""

    name: str
    package: str
    template: str  # of its page, which loads the files from {prefix}/{version}/
    folder: str  # of the built files, inside the package
    files: tuple[str, ...]
    prefix: str  # the files are served under {prefix}/{version}/
    offline: tuple[tuple[bytes, bytes], ...] = ()


SWAGGER_UI = Viewer(
    name="Swagger UI",
    package="swagger-ui-dist",
    template="swagger_ui.html",
    folder="",
    files=("swagger-ui.css", "swagger-ui-bundle.js"),
    prefix="/assets/swagger-ui",
)
#: ReDoc 2 shows Redocly's logo in its sidebar from Redocly's CDN, whatever its options say;
#: served with that URL emptied, it asks no other host and drops the image that did not load.
REDOC_LOGO = (b"https://cdn.redoc.ly/redoc/logo-mini.svg", b"data:,")
REDOC = Viewer(
    name="ReDoc",
    package="redoc",
    template="redoc.html",
    folder="bundles",
    files=("redoc.standalone.js",),
    prefix="/assets/redoc",
    offline=(REDOC_LOGO,),
)

router = APIRouter(include_in_schema=False)


class _Immutable(StaticFiles):
    """Static files that say they never change (for versioned URLs)."""

    def file_response(
        self,
        full_path: str | os.PathLike[str],
        stat_result: os.stat_result,
        scope: Scope,
        status_code: int = 200,
    ) -> Response:
        response = super().file_response(full_path, stat_result, scope, status_code)
        response.headers["Cache-Control"] = IMMUTABLE
        return response


def install(app: FastAPI, project_dir: Path) -> None:
    """Serve each installed viewer's files, and the ``/docs`` and ``/redoc`` pages.

    The app is made with ``docs_url=None, redoc_url=None``, so FastAPI's CDN pages are off.
    """
    app.state.docs = {
        viewer.name: _mount(app, viewer, project_dir) for viewer in (SWAGGER_UI, REDOC)
    }
    app.include_router(router)


def package_dir(viewer: Viewer, project_dir: Path) -> Path | None:
    """The folder of ``viewer``'s npm package, or None when it is not installed."""
    needed = ("package.json", *(str(Path(viewer.folder, name)) for name in viewer.files))
    return installed(project_dir, Path("node_modules", viewer.package), needed)


def _mount(app: FastAPI, viewer: Viewer, project_dir: Path) -> str | None:
    """Serve ``viewer``'s built files; the URL path they are under, or None if not installed."""
    package = package_dir(viewer, project_dir)
    if package is None:
        return None
    version = json.loads((package / "package.json").read_text(encoding="utf-8"))["version"]
    path, folder = f"{viewer.prefix}/{version}", package / viewer.folder
    if viewer.offline:  # ahead of the folder's mount
        for name in viewer.files:
            endpoint = _rewritten(folder / name, viewer.offline)
            app.router.routes.append(Route(f"{path}/{name}", endpoint, include_in_schema=False))
    app.mount(path, _Immutable(directory=folder), name=viewer.package)
    return path


def _rewritten(
    file: Path, replacements: tuple[tuple[bytes, bytes], ...]
) -> Callable[[Request], Awaitable[Response]]:
    """An endpoint answering ``file`` (read once) with ``replacements`` made."""
    body = file.read_bytes()
    for old, new in replacements:
        body = body.replace(old, new)
    media_type = mimetypes.guess_type(file.name)[0]

    async def endpoint(_request: Request) -> Response:
        return Response(body, media_type=media_type, headers={"Cache-Control": IMMUTABLE})

    return endpoint


@router.get("/docs", response_class=HTMLResponse)
def swagger_ui(request: Request) -> HTMLResponse:
    """Swagger UI on this server's OpenAPI description."""
    return _page(request, SWAGGER_UI)


@router.get("/redoc", response_class=HTMLResponse)
def redoc(request: Request) -> HTMLResponse:
    """ReDoc on this server's OpenAPI description."""
    return _page(request, REDOC)


def _page(request: Request, viewer: Viewer) -> HTMLResponse:
    """``viewer``'s page (in English, as the description is), or the page that says it is
    not installed (``api_viewer_missing.html``)."""
    assets = request.app.state.docs[viewer.name]
    template = viewer.template if assets else "api_viewer_missing.html"
    page = render(template, nav="/docs", viewer=viewer, assets=assets, spec=request.app.openapi_url)
    return HTMLResponse(page)


# --- the OpenAPI description, completed ---------------------------------------------------

HTML, JSON, TEXT = "text/html", "application/json", "text/plain"
RDF = tuple(f.media_type for f in LD_FORMATS)
ANSWERS = tuple(f.media_type for f in RESULT_FORMATS + GRAPH_FORMATS)

#: What each status means, wherever it is answered.
STATUSES = {
    "206": "Partial content: the byte range asked for (Range, If-Range).",
    "304": "Not modified: If-None-Match (or If-Modified-Since) names this build's answer.",
    "400": "A bad parameter, a query the endpoint refuses, or an answer over a cap; "
    "the message says which.",
    "401": "A protected route without the configured bearer token.",
    "404": "Nothing by that name, IRI or extension (browsers get a page with suggestions).",
    "406": "No offered media type fits Accept; the message lists them.",
    "416": "The byte range asked for is outside the file.",
    "503": "The store is unavailable, the query ran past the time limit, or every worker "
    "is busy (then with Retry-After); try again.",
}


@dataclass(frozen=True)
class Answers:
    """What a path answers: the media types of a 200; its other statuses, whose bodies
    are ``bodies`` (a plain message unless said otherwise), and a page for browsers
    for the statuses in ``pages``."""

    media_types: tuple[str, ...]
    statuses: tuple[str, ...] = ()
    bodies: tuple[str, ...] = (TEXT,)
    pages: tuple[str, ...] = ()


#: The one table :func:`complete` reads (``/sparql`` is described in full by its module).
PATHS: dict[str, Answers] = {
    "/": Answers((HTML,), ("304",)),
    "/id/{path}": Answers((HTML, *RDF), ("304", "404", "406", "503"), pages=("404",)),
    "/search": Answers((JSON, HTML), ("304",)),
    "/ontology": Answers((HTML, *RDF), ("304", "406", "503")),
    "/ontology.{extension}": Answers((HTML, *RDF), ("304", "404", "503")),
    "/context.jsonld": Answers(("application/ld+json",)),
    "/context/{version}.jsonld": Answers(("application/ld+json",), ("404",)),
    "/dump.{extension}": Answers(tuple(DUMPS.values()), ("206", "304", "404", "416", "503")),
    "/.well-known/void": Answers(RDF, ("304", "406", "503")),
    "/catalog": Answers(RDF, ("304", "406", "503")),
    "/queries/{name}": Answers(ANSWERS, ("304", "400", "404", "406", "503")),
    "/ready": Answers((JSON,), ("503",), bodies=(JSON,)),
    "/metrics": Answers((TEXT,), ("401",)),
}


def complete(schema: dict[str, Any]) -> dict[str, Any]:
    """Give every operation of a path in :data:`PATHS` its media types and statuses.

    The media types of a 200 are the table's (a route's own schema for one of them is
    kept); a status a route describes itself is left as it is.
    """
    for path, answers in PATHS.items():
        for operation in schema.get("paths", {}).get(path, {}).values():
            responses = operation.setdefault("responses", {})
            ok = responses.setdefault("200", {"description": "Successful Response"})
            known = ok.get("content", {})
            ok["content"] = {t: known.get(t, _content(t)) for t in answers.media_types}
            for status in answers.statuses:
                responses.setdefault(status, _response(status, answers))
    return schema


def _content(media_type: str) -> dict[str, Any]:
    """A media type object: text is a string; JSON and RDF documents are left open."""
    return {"schema": {"type": "string"}} if media_type.startswith("text/") else {}


def _response(status: str, answers: Answers) -> dict[str, Any]:
    """The response object of a status other than 200 on a path that ``answers``."""
    if status == "304":
        return {"description": STATUSES[status]}
    if status == "206":
        kinds = answers.media_types
    else:
        kinds = answers.bodies + ((HTML,) if status in answers.pages else ())
    return {"description": STATUSES[status], "content": {t: _content(t) for t in kinds}}
