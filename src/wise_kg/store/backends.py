"""Where the graph lives: the embedded store (default) or a remote SPARQL 1.1 engine.

Both give the same four things: publish a build atomically, open the build in
service for reading (an object with pyoxigraph's read API), say cheaply which
build is in service (so servers pick up a new one), and describe the store to a
query worker process.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from itertools import chain
from pathlib import Path
from typing import Any, Protocol

import pyoxigraph as ox

from wise_kg.config import Settings
from wise_kg.errors import StoreNotBuilt
from wise_kg.store import embedded
from wise_kg.store.embedded import BuildInfo
from wise_kg.store.remote import RemoteConfig, RemoteStore


class Backend(Protocol):
    """One kind of store, as the rest of wise-kg sees it."""

    location: str

    def publish(
        self, quads: Iterable[ox.Quad], fingerprint: str = "", keep: Iterable[str] = ()
    ) -> BuildInfo:
        """Write a new build and put it in service atomically; the old one is kept on failure.

        The graphs named in ``keep`` (absent from ``quads``) are carried over from the
        build in service as they are, when it has them.
        """

    def open(self, *, verify: bool = False) -> tuple[Any, BuildInfo]:
        """The build in service for reading, with its manifest (``verify``: count its quads)."""

    def current_id(self) -> str:
        """The id of the build in service (cheap: servers ask every few seconds)."""

    def worker_spec(self, info: BuildInfo) -> embedded.BuildFolder | RemoteConfig:
        """What a query worker process needs to open build ``info`` itself."""


class Embedded:
    """The pyoxigraph store on disk: a link swapped to each new build directory."""

    def __init__(self, link: Path):
        self.link = link
        self.location = str(link)

    def publish(
        self, quads: Iterable[ox.Quad], fingerprint: str = "", keep: Iterable[str] = ()
    ) -> BuildInfo:
        """Write a new build directory (the ``keep`` graphs copied into it from the build in
        service) and swap the link to it."""
        return embedded.publish(self.link, chain(quads, self._quads_of(keep)), fingerprint)

    def open(self, *, verify: bool = False) -> tuple[ox.Store, BuildInfo]:
        """The current build, opened read-only."""
        return embedded.open_read_only(self.link, verify=verify)

    def current_id(self) -> str:
        """The id in the manifest the link points at."""
        return embedded.read_manifest(embedded.current(self.link)).build_id

    def worker_spec(self, info: BuildInfo) -> embedded.BuildFolder:
        """The build's directory (kept for a while after a newer build is swapped in)."""
        return embedded.BuildFolder(str(embedded.builds_dir(self.link) / info.build_id))

    def _quads_of(self, graphs: Iterable[str]) -> Iterator[ox.Quad]:
        """The quads of ``graphs`` in the build in service (none when nothing is built)."""
        graphs = list(graphs)
        if not graphs:
            return
        try:
            store, _info = self.open()
        except StoreNotBuilt:
            return
        for graph in graphs:
            yield from store.quads_for_pattern(None, None, None, ox.NamedNode(graph))


class Remote:
    """A SPARQL 1.1 engine over HTTP; its manifest graph names the build in service."""

    def __init__(self, config: RemoteConfig):
        self.config = config
        self.location = config.query_url
        self._store = RemoteStore(config)

    def publish(
        self, quads: Iterable[ox.Quad], fingerprint: str = "", keep: Iterable[str] = ()
    ) -> BuildInfo:
        """Load the graphs that changed into staging graphs, then swap them in with one
        SPARQL Update; unchanged and ``keep`` graphs stay in the engine as they are."""
        return self._store.publish(quads, fingerprint, keep)

    def open(self, *, verify: bool = False) -> tuple[RemoteStore, BuildInfo]:
        """A reader of the build in service (its graphs as the union default graph)."""
        info = self._manifest()
        store = RemoteStore(self.worker_spec(info))
        if verify and len(store) != info.quads:
            raise StoreNotBuilt(
                f"the engine at {self.location} holds {len(store)} quads of build "
                f"{info.build_id} where its manifest says {info.quads}; run `wise-kg build`"
            )
        return store, info

    def current_id(self) -> str:
        """The build id in the engine's manifest graph."""
        return self._manifest().build_id

    def worker_spec(self, info: BuildInfo) -> RemoteConfig:
        """The engine's settings, with the build's graphs."""
        return self.config.with_graphs(info.graphs)

    def _manifest(self) -> BuildInfo:
        info = self._store.manifest()
        if info is None:
            raise StoreNotBuilt(
                f"nothing is loaded in the engine at {self.location}; run `wise-kg build`"
            )
        return info


def backend_for(settings: Settings) -> Backend:
    """The store ``settings`` name: remote when ``WISE_KG_STORE`` is set, else embedded."""
    if settings.remote:
        return Remote(RemoteConfig.from_settings(settings))
    return Embedded(settings.resolved_store_path())
