"""The embedded store: an immutable build artefact, swapped atomically.

``store_path`` (default ``.wise-kg/store``) is a symbolic link to one build
directory under ``store_path.builds/``. A build writes a new directory and
replaces the link in one ``rename``; readers open the target read-only, so a
failed build never touches the store in service. A build directory is complete
once its manifest is written (last); the link only ever points at a complete one.
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import uuid
from collections import Counter
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import ClassVar

import pyoxigraph as ox

from wise_kg.errors import StoreNotBuilt, StoreWriteError

#: File in each build directory describing it.
MANIFEST = "wise-kg-build.json"
#: Builds kept besides the current one (a reader may still have one open).
KEEP_PREVIOUS = 2


@dataclass(frozen=True)
class BuildInfo:
    """What a build holds: its id, when it was made, its quads, the sources' fingerprint."""

    build_id: str
    created: str
    quads: int
    graphs: dict[str, int]
    fingerprint: str = ""


def builds_dir(link: Path) -> Path:
    """The folder holding every build directory of a store link."""
    return link.with_name(link.name + ".builds")


def new_build_dir(link: Path, build_id: str) -> Path:
    """A fresh, empty directory for one build."""
    path = builds_dir(link) / build_id
    path.mkdir(parents=True, exist_ok=False)
    return path


def write(directory: Path, quads: Iterable[ox.Quad]) -> ox.Store:
    """Load quads into a new on-disk store at ``directory`` and flush it."""
    store = ox.Store(str(directory))
    store.bulk_extend(quads)  # a fresh store: no transaction needed
    store.flush()
    store.optimize()
    return store


def write_manifest(directory: Path, info: BuildInfo) -> None:
    """Record the build beside its data; written last, its presence marks completion."""
    (directory / MANIFEST).write_text(json.dumps(asdict(info), indent=2), encoding="utf-8")


def read_manifest(directory: Path) -> BuildInfo:
    """The description of a completed build; a missing or torn one means it is not usable."""
    try:
        return BuildInfo(**json.loads((directory / MANIFEST).read_text(encoding="utf-8")))
    except (OSError, ValueError, TypeError) as err:
        raise StoreNotBuilt(
            f"{directory} is not a complete wise-kg build ({err}); run `wise-kg build`"
        ) from None


def new_build_id() -> tuple[str, str]:
    """A new build's id (sortable by time, then unique) and its creation time (ISO 8601)."""
    now = datetime.now(UTC)
    return now.strftime("%Y%m%dT%H%M%S") + "-" + uuid.uuid4().hex[:8], now.isoformat()


@contextmanager
def _one_build_at_a_time(link: Path) -> Iterator[None]:
    """Hold the store's build lock (a ``flock`` on its builds folder) until the block ends.

    A second build waits for the first. The kernel releases the lock when its
    process dies, even killed, so a build directory without a manifest found by
    the lock's holder is the leftover of a dead build, never one being written.
    """
    folder = builds_dir(link)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        handle = os.open(folder, os.O_RDONLY)
    except OSError as err:
        raise StoreWriteError(f"cannot create a build under {folder}: {err.strerror}") from None
    try:
        fcntl.flock(handle, fcntl.LOCK_EX)
        yield
    finally:
        os.close(handle)


def publish(link: Path, quads: Iterable[ox.Quad], fingerprint: str = "") -> BuildInfo:
    """Write quads into a new build directory and swap ``link`` to it, one build at a time.

    Any failure removes the half-written directory; the link is untouched.
    """
    with _one_build_at_a_time(link):
        return _publish(link, quads, fingerprint)


def _publish(link: Path, quads: Iterable[ox.Quad], fingerprint: str) -> BuildInfo:
    build_id, created = new_build_id()
    try:
        directory = new_build_dir(link, build_id)
    except OSError as err:
        raise StoreWriteError(
            f"cannot create a build under {builds_dir(link)}: {err.strerror}"
        ) from None
    try:
        all_quads = list(dict.fromkeys(quads))  # the store keeps each quad once
        store = write(directory, all_quads)
        del store  # release the write lock before readers open it
        per_graph = Counter(
            q.graph_name.value if isinstance(q.graph_name, ox.NamedNode) else "" for q in all_quads
        )
        info = BuildInfo(build_id, created, len(all_quads), dict(per_graph), fingerprint)
        write_manifest(directory, info)
        swap(link, directory)
    except OSError as err:
        discard(directory)
        raise StoreWriteError(
            f"cannot write the store at {directory}: {err.strerror or err}; "
            "the store in service is unchanged"
        ) from None
    except BaseException:
        discard(directory)
        raise
    return info


def swap(link: Path, target: Path) -> None:
    """Point ``link`` at ``target`` atomically, then prune old builds (build lock held)."""
    tmp = link.with_name(link.name + ".swap")
    if tmp.is_symlink() or tmp.exists():
        tmp.unlink()
    tmp.symlink_to(os.path.relpath(target, link.parent))
    os.replace(tmp, link)
    _prune(link, keep=target)


def _prune(link: Path, keep: Path) -> None:
    """Remove every build directory but ``keep`` and the ``KEEP_PREVIOUS`` newest complete ones.

    Newest by the time in their manifests, not on disk (a copy or a restore changes
    that, and a dead build's folder is newer than the good ones). Directories without
    a readable manifest are leftovers of builds that died (the caller holds the build
    lock, so none is being written): removed too.
    """
    complete: list[tuple[str, Path]] = []
    for path in builds_dir(link).iterdir():
        if not path.is_dir() or path.resolve() == keep.resolve():
            continue
        try:
            complete.append((read_manifest(path).created, path))
        except StoreNotBuilt:
            discard(path)
    complete.sort(reverse=True)
    for _created, old in complete[KEEP_PREVIOUS:]:
        discard(old)


def discard(directory: Path) -> None:
    """Remove a build directory (one that did not complete, or an old one)."""
    shutil.rmtree(directory, ignore_errors=True)


def current(link: Path) -> Path:
    """The build directory the link points at, checked to be complete."""
    if not link.exists():
        raise StoreNotBuilt(f"no store at {link}; run `wise-kg build`")
    target = link.resolve()
    read_manifest(target)
    return target


def open_read_only(link: Path, *, verify: bool = False) -> tuple[ox.Store, BuildInfo]:
    """Open the current build read-only, with its description.

    With ``verify`` the quads are counted against the manifest, so that a store
    damaged after it was built is caught at start-up, not by a later query.
    """
    target = current(link)
    info = read_manifest(target)
    try:
        store = ox.Store.read_only(str(target))
        if verify and len(store) != info.quads:
            raise RuntimeError(f"it holds {len(store)} quads where its build wrote {info.quads}")
    except (OSError, RuntimeError) as err:  # RocksDB reports corruption as RuntimeError
        raise StoreNotBuilt(
            f"the store at {target} is damaged or incomplete ({err}); "
            "rebuild it with `wise-kg build` (the sources are unchanged)"
        ) from None
    return store, info


@dataclass(frozen=True)
class BuildFolder:
    """One build's folder, as a query worker opens it (read-only, on this machine)."""

    path: str
    #: A worker reading it needs no network.
    remote: ClassVar[bool] = False

    def open(self) -> ox.Store:
        """The build, opened read-only."""
        return ox.Store.read_only(self.path)
