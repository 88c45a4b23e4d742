"""``wise-kg release VERSION``: every check, then versioned, described files in ``dist/VERSION/``.

The checks run in order and the first class of failure stops the release with
its full report (the same :class:`~wise_kg.validation.validate.Report` the validator gives,
so it renders as text or JUnit):

1. **validate** — SHACL and the ESCO reference checks over the sources;
2. **queries** — every saved query of ``queries/`` parses and, with its default
   parameters, answers on the built graph (an empty answer is only a warning: some
   queries need a loaded ESCO);
3. **dereference** — in the app built over it, every ``{base}id/…`` IRI the graph
   holds answers with RDF, and every ``wise:`` term has its anchor on ``/ontology``;
4. **description** — the DCAT, VoID and service description of the release
   conform to the release shapes (``release_shapes.ttl``).

Nothing is written to ``dist/`` before the checks of steps 1 to 3 pass; the files
are written to a hidden staging folder beside the target and renamed into place
only when step 4 passes, so a failed release leaves ``dist/`` as it was.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox

from wise_kg.config import Settings
from wise_kg.errors import BadVersion
from wise_kg.namespaces import GRAPH_BASE, ONTOLOGY_IRI, OWL
from wise_kg.publish import dcat
from wise_kg.release import w3id
from wise_kg.release.changes import RELEASE_QUADS, Changes, Version, compare, published_store
from wise_kg.release.checks import check_queries, stop_if_failed, violation
from wise_kg.release.files import CHECKSUMS, release_iri, write_files
from wise_kg.sources.entail import with_entailments
from wise_kg.sources.reader import load_sources, quads
from wise_kg.store import embedded as stores
from wise_kg.store.build import current_quads
from wise_kg.validation.report import Report, Result
from wise_kg.validation.validate import validate_files

VERSION = re.compile(r"^(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)$")
VERSION_PREDICATES = tuple(
    ox.NamedNode(OWL + p) for p in ("versionIRI", "versionInfo", "priorVersion")
)


@dataclass(frozen=True)
class Release:
    """A finished release: its version, folder, files and the changes since the previous one."""

    version: str
    iri: str
    folder: Path
    files: tuple[dcat.Artefact, ...]
    changes: Changes
    previous: str | None
    warnings: list[Result]


# --- versions -------------------------------------------------------------------------------


def _key(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in version.split("."))


def previous_release(dist: Path, version: str) -> str | None:
    """The highest complete release in ``dist`` below ``version`` (None for a first release)."""
    if not dist.is_dir():
        return None
    older = [
        p.name
        for p in dist.iterdir()
        if VERSION.match(p.name) and (p / CHECKSUMS).is_file() and _key(p.name) < _key(version)
    ]
    return max(older, key=_key, default=None)


def versioned(published: Iterable[ox.Quad], version: str, previous: str | None) -> list[ox.Quad]:
    """The quads with the ontology header's version triples set for this release."""
    header, graph = ox.NamedNode(ONTOLOGY_IRI), ox.NamedNode(GRAPH_BASE + "ontology")
    kept = [q for q in published if not (q.subject == header and q.predicate in VERSION_PREDICATES)]
    kept += [
        ox.Quad(header, VERSION_PREDICATES[0], ox.NamedNode(f"{ONTOLOGY_IRI}/{version}"), graph),
        ox.Quad(header, VERSION_PREDICATES[1], ox.Literal(version), graph),
    ]
    if previous:
        kept.append(
            ox.Quad(
                header, VERSION_PREDICATES[2], ox.NamedNode(f"{ONTOLOGY_IRI}/{previous}"), graph
            )
        )
    return kept


# --- the command ----------------------------------------------------------------------------


def build_checked(settings: Settings, work: Path) -> tuple[Settings, ox.Store]:
    """Validate the sources (step 1) and build them into a private store under ``work``."""
    files = load_sources(settings)
    carried = current_quads(settings)
    stop_if_failed("validate", validate_files(files, settings.project_dir, carried))
    private = settings.model_copy(
        update={"store_path": work / "store", "store": "", "query_workers": 1}
    )
    stores.publish(private.store_path, [*quads(with_entailments(files)), *carried])
    store, _info = stores.open_read_only(private.store_path)
    return private, store


def release(
    settings: Settings,
    version: str,
    dist: Path | None = None,
    *,
    dereference: Callable[[Settings, ox.Store], Report],
) -> Release:
    """Check everything, then write ``dist/VERSION/``; raises :class:`ReleaseFailed`.

    ``dereference`` is step 3, run by the layer that serves pages
    (:func:`wise_kg.api.selfcheck.check_dereferencing`): the release stage itself
    knows nothing of HTTP.
    """
    if not VERSION.match(version):
        raise BadVersion(f"VERSION must be X.Y.Z (semantic versioning), not {version!r}")
    dist = dist if dist is not None else settings.project_dir / "dist"
    target = dist / version
    if target.exists():
        raise BadVersion(f"{target} exists: a release is never overwritten")
    previous = previous_release(dist, version)
    redirects = _redirect_notes(settings)
    with tempfile.TemporaryDirectory(prefix="wise-kg-release-") as tmp:
        private, built = build_checked(settings, Path(tmp))
        query_report = check_queries(settings, built)
        stop_if_failed("queries", query_report)
        stop_if_failed("dereference", dereference(private, built))
        published = list(published_store(built).quads_for_pattern(None, None, None))
        release_quads = versioned(published, version, previous)
        before = (
            Version(previous, published_store(_load(dist / previous / RELEASE_QUADS)))
            if previous
            else Version("nothing (first release)", ox.Store())
        )
        changes = compare(
            before, Version(version, published_store(release_quads)), settings.base_iri
        )
        created = not dist.exists()
        staging = dist / f".{version}.partial"
        try:
            staging.mkdir(parents=True)
            files = write_files(staging, settings, version, built, release_quads, changes, previous)
            os.rename(staging, target)
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            if created:
                shutil.rmtree(dist, ignore_errors=True)
            raise
    w3id.write(dist, settings.public_base(), settings.base_iri)
    return Release(
        version,
        release_iri(settings, version),
        target,
        tuple(files),
        changes,
        previous,
        [*query_report.warnings, *redirects],
    )


def _redirect_notes(settings: Settings) -> list[Result]:
    """Warnings about the w3id.org rules' target (one they cannot hold stops the release)."""
    target = settings.public_base()
    rules = (str(w3id.location(settings.base_iri)),)
    return [violation(target, note, "w3id", rules, "Warning") for note in w3id.notes(target)]


def _load(path: Path) -> list[ox.Quad]:
    return list(ox.parse(path=str(path), format=ox.RdfFormat.N_QUADS))
