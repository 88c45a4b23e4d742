"""``/health`` (liveness), ``/ready`` (readiness) and ``/metrics`` (Prometheus)."""

from __future__ import annotations

import os
import secrets

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from wise_kg.api.deps import Build, Config
from wise_kg.errors import Unauthorized

router = APIRouter(tags=["service"])


@router.get("/health", summary="Liveness: the process answers")
def health(snap: Build) -> dict[str, object]:
    """Always 200 while the process runs; names the build it serves."""
    build = snap.build
    return {"status": "ok", "build": build.build_id, "quads": build.quads, "pid": os.getpid()}


@router.get("/ready", summary="Readiness: the store is open and queries can run")
async def ready(request: Request, snap: Build, settings: Config) -> Response:
    """200 when the store answers and every query worker is alive (or was replaced a moment
    ago), else 503 with the reason. On the event loop, which alone changes the pool."""
    workers = snap.pool.alive()
    error = request.app.state.store_error
    ok = error is None and workers == settings.query_workers
    body = {
        "ready": ok,
        "build": snap.build.build_id,
        "workers": workers,
        "error": error,
        # a newer build put in service that could not be opened (this one still serves)
        "newer_build_error": request.app.state.newer_build_error,
        # whether the query workers are kept off the network, and if not, why
        "sandbox": snap.pool.confinement or "query workers cannot open network sockets",
        "sandboxed": snap.pool.confinement is None,
        # whether the workers answer from a memory copy of the build, made once and shared
        "memory_copy": snap.pool.in_memory,
    }
    return JSONResponse(body, status_code=200 if ok else 503)


@router.get("/metrics", summary="Prometheus metrics (bearer token if one is configured)")
def metrics(request: Request, settings: Config) -> Response:
    """Request counts and latencies by route and status, errors by kind, cache outcomes."""
    token = settings.admin_token
    if token is not None:
        given = request.headers.get("authorization", "")
        expected = "Bearer " + token.get_secret_value()
        if not secrets.compare_digest(given.encode(), expected.encode()):
            raise Unauthorized("/metrics needs 'Authorization: Bearer <WISE_KG_ADMIN_TOKEN>'.")
    return Response(
        generate_latest(request.app.state.metrics.registry), media_type=CONTENT_TYPE_LATEST
    )
