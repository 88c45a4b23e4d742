"""Typed dependencies: what a route may read, and one snapshot of the build per request.

A new build is swapped in between two steps of the event loop, so a request that
read the store and then the build id could see both builds: old triples under
the new ETag, and clients told 304 for stale data. :func:`snapshot` takes the
build in service once, keeps it in the request's scope, and every later read in
that request (routes, the replay cache, the answer path) gets that same one.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

from fastapi import Depends
from starlette.requests import HTTPConnection

from wise_kg.api.live import Snapshot
from wise_kg.config import Settings
from wise_kg.sparql.queries import SavedQuery

#: Where a request keeps the snapshot it started with.
SCOPE_KEY = "wise_kg.snapshot"


def snapshot_of(scope: dict[str, Any]) -> Snapshot:
    """The build this request reads: the one in service when it first asked."""
    found = scope.get(SCOPE_KEY)
    if found is None:
        found = scope[SCOPE_KEY] = scope["app"].state.snapshot
    return found


def snapshot(request: HTTPConnection) -> Snapshot:
    """Dependency: the request's one snapshot of the build."""
    return snapshot_of(request.scope)


def settings(request: HTTPConnection) -> Settings:
    """Dependency: the app's settings."""
    return request.app.state.settings


def saved_queries(request: HTTPConnection) -> dict[str, SavedQuery]:
    """Dependency: the saved queries, by name."""
    return request.app.state.queries


def dump_folder(request: HTTPConnection) -> Path:
    """Dependency: where this process writes the dumps of the builds it serves."""
    return request.app.state.dump_folder


Build = Annotated[Snapshot, Depends(snapshot)]
Config = Annotated[Settings, Depends(settings)]
Queries = Annotated[dict[str, SavedQuery], Depends(saved_queries)]
DumpFolder = Annotated[Path, Depends(dump_folder)]
