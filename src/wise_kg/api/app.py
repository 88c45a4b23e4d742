"""The app factory: settings in, a FastAPI app out; the store opened in the lifespan."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.middleware.cors import CORSMiddleware
from fastapi.openapi.utils import get_openapi
from fastapi.responses import PlainTextResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from wise_kg import __version__
from wise_kg.api import live
from wise_kg.api.cache import ResultCache
from wise_kg.api.deps import snapshot_of
from wise_kg.api.documents import LD_FORMATS
from wise_kg.api.html import pages, yasgui
from wise_kg.api.middleware.compression import Compression
from wise_kg.api.middleware.guards import RequestGuard
from wise_kg.api.middleware.head import HeadAsGet
from wise_kg.api.middleware.observability import AccessLog, Metrics
from wise_kg.api.middleware.queries import QueryFastPath
from wise_kg.api.middleware.replay import ReplayMiddleware
from wise_kg.api.middleware.security import SecurityHeaders
from wise_kg.api.routes import docs, sparql
from wise_kg.api.routes.collections import router as collections_router
from wise_kg.api.routes.dataset import router as data_router
from wise_kg.api.routes.esco import router as esco_router
from wise_kg.api.routes.graphs import router as graphs_router
from wise_kg.api.routes.hierarchy import router as hierarchy_router
from wise_kg.api.routes.ontology import router as ontology_router
from wise_kg.api.routes.ops import router as ops_router
from wise_kg.api.routes.queries import router as query_router
from wise_kg.api.routes.resources import not_found
from wise_kg.api.routes.resources import router as ld_router
from wise_kg.api.routes.site import router as site_router
from wise_kg.api.routes.site_files import router as site_files_router
from wise_kg.config import Settings
from wise_kg.errors import (
    NotAcceptable,
    RequestTimeout,
    ServerBusy,
    StoreUnavailable,
    WiseKgError,
)
from wise_kg.formats import wants_html
from wise_kg.publish import jsonld
from wise_kg.sparql import queries
from wise_kg.store.backends import backend_for


def create_app(settings: Settings | None = None) -> FastAPI:
    """Make the read-only API over the built store named by ``settings``."""
    settings = settings or Settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        backend = backend_for(settings)
        live.install(app, await live.open_snapshot(settings, backend, verify=True))
        app.state.queries = queries.load(settings.source_dir("queries"))
        app.state.cache = _cache(settings.cache_bytes // 2)
        app.state.dump_folder = Path(tempfile.mkdtemp(prefix="wise-kg-dumps-"))
        refresher = live.Refresher(app, backend)
        refresher.start()
        try:
            yield
        finally:
            refresher.close()
            shutil.rmtree(app.state.dump_folder, ignore_errors=True)

    app = FastAPI(
        title="wise-kg",
        version=__version__,
        summary="The WISE capacity-building knowledge graph: SPARQL 1.1 and Linked Data.",
        lifespan=lifespan,
        docs_url=None,  # /docs and /redoc are served from node_modules (routes/docs.py)
        redoc_url=None,
        # Our own metrics and access log; FastAPI's OpenTelemetry would cost every request
        # a check of the environment, and could be configured to export to another host.
        telemetry={"tracing": False, "metrics": False, "logs": False, "auto_configure": False},
    )
    app.state.settings = settings
    # the context at this server's address, registered once with our JSON-LD loader
    app.state.context_url = jsonld.context_url(settings.public_base() + "/")
    app.state.yasgui = yasgui.assets_dir(settings.project_dir)
    if app.state.yasgui is not None:
        yasgui.mount(app, app.state.yasgui)
    pages.mount_scripts(app)
    docs.install(app, settings.project_dir)
    app.add_middleware(HeadAsGet)  # innermost: the routes see a GET
    app.add_middleware(
        CORSMiddleware,
        allow_origins=["*"],
        allow_methods=["GET", "POST", "HEAD", "OPTIONS"],
        allow_headers=CORS_REQUEST_HEADERS,
        expose_headers=CORS_EXPOSED_HEADERS,
        allow_credentials=False,
        max_age=86400,
    )
    query_route = sparql.route()
    app.router.routes.append(query_route)
    app.add_middleware(QueryFastPath, route=query_route, on_error=_error_response)
    app.add_middleware(Compression)
    app.state.metrics = Metrics()
    app.state.replays = _cache(settings.cache_bytes // 2)
    app.add_middleware(ReplayMiddleware, cache=app.state.replays, metrics=app.state.metrics)
    app.add_middleware(AccessLog, metrics=app.state.metrics)
    app.add_middleware(RequestGuard)
    app.add_middleware(SecurityHeaders, public_url=settings.public_base())  # outermost
    app.add_exception_handler(WiseKgError, _error_response)
    app.add_exception_handler(StarletteHTTPException, _routing_error)
    app.include_router(ops_router)
    app.include_router(query_router)
    app.include_router(collections_router)  # /id/ and /id/{kind}/, before /id/{path}
    app.include_router(ld_router)
    app.include_router(site_router)
    app.include_router(ontology_router)
    app.include_router(data_router)
    app.include_router(site_files_router)
    app.include_router(hierarchy_router)
    app.include_router(graphs_router)
    app.include_router(esco_router)

    app.openapi = lambda: _openapi(app)  # type: ignore[method-assign]
    return app


#: Request headers a cross-origin page may send (as Fuseki allows, and the ones we read).
CORS_REQUEST_HEADERS = [
    "Accept",
    "Accept-Language",
    "Authorization",
    "Cache-Control",
    "Content-Type",
    "If-Modified-Since",
    "If-None-Match",
    "If-Range",
    "Last-Modified",
    "Origin",
    "Range",
    "X-Requested-With",
    "X-Request-ID",
]
#: Response headers a cross-origin page may read besides the CORS-safelisted ones.
CORS_EXPOSED_HEADERS = [
    "Accept-Ranges",
    "Content-Disposition",
    "Content-Encoding",
    "Content-Range",
    "ETag",
    "Link",
    "Location",
    "Retry-After",
    "Vary",
    "X-Request-ID",
]


def _openapi(app: FastAPI) -> dict[str, object]:
    """FastAPI's OpenAPI description, with the ``/sparql`` endpoint it cannot see."""
    if app.openapi_schema is None:
        schema = get_openapi(
            title=app.title,
            version=app.version,
            summary=app.summary,
            routes=app.routes,
        )
        schema["paths"] = {"/sparql": sparql.OPENAPI, **schema.get("paths", {})}
        app.openapi_schema = docs.complete(schema)
    return app.openapi_schema


def _cache(max_bytes: int) -> ResultCache:
    """A bounded cache; no one item may take more than an eighth of it."""
    return ResultCache(max_bytes, max(max_bytes // 8, 1))


async def _routing_error(request: Request, exc: Exception) -> Response:
    """Routing's own errors (no such path, a method not allowed) in plain text, as every
    other error; a browser asking for a path that does not exist gets the 404 page."""
    assert isinstance(exc, StarletteHTTPException)
    if exc.status_code == 404 and wants_html(request.headers.get("accept"), LD_FORMATS):
        public = request.app.state.settings.public_base() + request.url.path
        return not_found(request, snapshot_of(request.scope), public)
    return PlainTextResponse(f"{exc.detail}\n", status_code=exc.status_code, headers=exc.headers)


async def _error_response(request: Request, exc: Exception) -> PlainTextResponse:
    """One answer per error type: its status, its message as plain text."""
    assert isinstance(exc, WiseKgError)
    request.app.state.metrics.errors.labels(type(exc).__name__).inc()
    if isinstance(exc, StoreUnavailable):  # not ready until the engine answers again
        request.app.state.store_error = str(exc)
    headers = {"Vary": "Accept"} if isinstance(exc, NotAcceptable) else {}
    if isinstance(exc, ServerBusy):
        headers["Retry-After"] = str(exc.retry_after)
    if isinstance(exc, RequestTimeout):  # RFC 9110 §15.5.9: the connection is not kept
        headers["Connection"] = "close"
    return PlainTextResponse(str(exc) + "\n", status_code=exc.http_status, headers=headers)
