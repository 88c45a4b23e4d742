"""The build in service, and picking up a newer one without a restart.

Everything the routes read from a build (the store, its manifest, its graphs,
names, label index, schemes and query workers) is opened together as one
:class:`Snapshot` and installed as ``app.state.snapshot`` in one assignment; each
request reads the one it started with (:mod:`wise_kg.api.deps`).
A :class:`Refresher` asks the backend every ``reload_seconds`` which build is in
service; when it changed, the new snapshot is opened beside the old one, swapped
in, and the old query workers are stopped once their queries can have finished.
Every server process does this on its own, so ``serve --workers N`` follows a
build too. When the store cannot be reached, ``/ready`` says so until it can.
"""

from __future__ import annotations

import asyncio
import gc
import logging
from dataclasses import dataclass
from typing import Any

from fastapi import FastAPI

from wise_kg.config import Settings
from wise_kg.errors import WiseKgError
from wise_kg.publish import index
from wise_kg.publish.search import LabelIndex
from wise_kg.sparql.pool import QueryPool
from wise_kg.sparql.worker import WorkerSettings
from wise_kg.store.backends import Backend
from wise_kg.store.embedded import BuildInfo
from wise_kg.store.remote import RemoteStore

LOG = logging.getLogger("wise_kg.live")


@dataclass(frozen=True)
class Snapshot:
    """One build, opened for serving."""

    store: Any
    build: BuildInfo
    graphs: frozenset[str]
    names: dict[str, dict[str, str]]
    search: LabelIndex
    schemes: list[Any]
    kinds: dict[str, index.Kind]
    pool: QueryPool


def _read(settings: Settings, backend: Backend, verify: bool) -> tuple[Any, ...]:
    """The blocking part of opening a build: the store and what is derived from it."""
    store, info = backend.open(verify=verify)
    graphs = frozenset(g.value for g in store.named_graphs())
    names = index.property_names(store)
    return (
        store,
        info,
        graphs,
        names,
        LabelIndex.from_store(store),
        index.schemes(store, settings.base_iri),
        index.read_kinds(store, settings.base_iri),
    )


async def open_snapshot(settings: Settings, backend: Backend, *, verify: bool) -> Snapshot:
    """Open the build in service and start its query workers."""
    store, info, graphs, names, labels, schemes, kinds = await asyncio.to_thread(
        _read, settings, backend, verify
    )
    pool = QueryPool(
        backend.worker_spec(info),
        settings.query_workers,
        WorkerSettings(settings.query_memory_mb * 2**20, settings.worker_memory_copy_quads),
        queue_seconds=settings.query_queue_seconds,
        queue_size=settings.query_queue_size,
    )
    await pool.start()
    if pool.confinement is not None:
        LOG.warning("query workers are not kept off the network: %s", pool.confinement)
    return Snapshot(store, info, graphs, names, labels, schemes, kinds, pool)


def install(app: FastAPI, snapshot: Snapshot) -> None:
    """Make ``snapshot`` the one new requests read (one assignment: they see it whole)."""
    app.state.snapshot = snapshot
    app.state.store_error = None
    app.state.newer_build_error = None
    # The label index and names are hundreds of thousands of long-lived objects: keep the
    # garbage collector from walking them again and again (pauses of tens of ms at p99).
    gc.collect()
    gc.freeze()


class Refresher:
    """Follows the backend's build in service, and whether the backend answers at all."""

    def __init__(self, app: FastAPI, backend: Backend):
        self.app, self.backend = app, backend
        self.settings: Settings = app.state.settings
        self._retired: set[QueryPool] = set()
        self._stopping: set[asyncio.Task[None]] = set()  # retirements under way (held here)
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        """Check in the background every ``reload_seconds``."""
        self._task = asyncio.get_running_loop().create_task(self._run())

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self.settings.reload_seconds)
            try:
                await self.check()
            except Exception:  # never let the loop die: the next round tries again
                LOG.exception("checking for a new build failed")

    async def check(self) -> None:
        """Swap in a newer build if there is one; record whether the store answers."""
        state = self.app.state
        try:
            build_id = await asyncio.to_thread(self.backend.current_id)
        except WiseKgError as err:
            state.store_error = str(err)
            return
        state.store_error = None
        if build_id == state.snapshot.build.build_id:
            state.newer_build_error = None
            return
        try:
            snapshot = await open_snapshot(self.settings, self.backend, verify=False)
        except WiseKgError as err:
            # The build in service still answers: ready as it is, the failure reported.
            if state.newer_build_error is None:
                LOG.error(
                    "build %s could not be opened; still serving %s: %s",
                    build_id,
                    state.snapshot.build.build_id,
                    err,
                )
            state.newer_build_error = f"build {build_id} could not be opened: {err}"
            return
        old = state.snapshot
        install(self.app, snapshot)
        LOG.info("now serving build %s", snapshot.build.build_id)
        self._retire(old.pool, old.store)

    def _retire(self, pool: QueryPool, store: Any) -> None:
        """Stop a replaced build's workers (and close its connections to a remote engine)
        once any request still using them has hit the time limit."""
        self._retired.add(pool)

        async def stop() -> None:
            await pool.aclose()  # its zygote stopped off the event loop
            if isinstance(store, RemoteStore):
                store.close()
            self._retired.discard(pool)

        def start_stopping() -> None:
            task = asyncio.get_running_loop().create_task(stop())
            self._stopping.add(task)
            task.add_done_callback(self._stopping.discard)

        asyncio.get_running_loop().call_later(self.settings.query_timeout + 1, start_stopping)

    def close(self) -> None:
        """Stop checking, and every pool still running."""
        if self._task is not None:
            self._task.cancel()
        for pool in [*self._retired, self.app.state.snapshot.pool]:
            pool.close()
        self._retired.clear()
