"""Build: sources → parse → validate → a new store → atomic swap.

A failure at any step (syntax, violations, disk) leaves the store in service
exactly as it was and says why.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox

from wise_kg.config import Settings
from wise_kg.errors import StoreNotBuilt, ValidationFailed
from wise_kg.graphs import ESCO_GRAPH, GRAPHS
from wise_kg.namespaces import ESCO_DATA
from wise_kg.sources.entail import with_entailments
from wise_kg.sources.reader import SourceFile, discover, load_sources, parse_file, quads
from wise_kg.store import embedded as stores
from wise_kg.store.backends import backend_for
from wise_kg.validation.esco_checks import KINDS
from wise_kg.validation.report import Report
from wise_kg.validation.validate import validate_files


@dataclass(frozen=True)
class BuildResult:
    """A successful build: where it went, what it holds, the (warning-only) report."""

    info: stores.BuildInfo
    report: Report


def build(settings: Settings) -> BuildResult:
    """Build and validate the project's graph into a fresh store, then swap it in.

    Raises :class:`~wise_kg.errors.SourceSyntaxError` (exit 2) or
    :class:`~wise_kg.errors.ValidationFailed` (exit 1); in both cases nothing
    on disk changes.
    """
    files = load_sources(settings)
    loaded_esco = reference_quads(settings, iris(files))  # what the checks read of it
    report = validate_files(files, settings.project_dir, loaded_esco)
    if not report.conforms:
        raise ValidationFailed(
            report, f"{len(report.violations)} violation(s); the store was not changed"
        )
    # A loaded ESCO graph survives rebuilds of the WISE graph, kept where it is.
    info = backend_for(settings).publish(
        quads(with_entailments(files)), fingerprint(settings), keep=(ESCO_GRAPH,)
    )
    return BuildResult(info, report)


def iris(files: list[SourceFile]) -> set[str]:
    """Every IRI the sources name as a subject or an object."""
    return {
        term.value
        for f in files
        for t in f.triples
        for term in (t.subject, t.object)
        if isinstance(term, ox.NamedNode)
    }


def fingerprint(settings: Settings) -> str:
    """A digest of every source file's path and content: equal digests, equal builds."""
    digest = hashlib.sha256()
    for paths in discover(settings).values():
        for path in paths:
            digest.update(str(path.relative_to(settings.project_dir)).encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()


def is_current(settings: Settings) -> bool:
    """True when a complete store exists and was built from the sources as they are now."""
    try:
        _store, info = backend_for(settings).open(verify=True)
    except StoreNotBuilt:
        return False
    return info.fingerprint == fingerprint(settings)


# --- what a build carries over from the store in service ------------------------------


def current_quads(settings: Settings) -> list[ox.Quad]:
    """The ESCO graph of the store in service (empty if none), to carry across rebuilds."""
    try:
        store, _info = backend_for(settings).open()
    except StoreNotBuilt:
        return []
    return list(store.quads_for_pattern(None, None, None, ox.NamedNode(ESCO_GRAPH)))


def reference_quads(settings: Settings, iris: Iterable[str]) -> list[ox.Quad]:
    """What the reference checks read of the loaded ESCO graph (empty if none): the
    graph's own statements (its version) and those about ``iris`` under each kind.

    A handful of concepts, where reading the whole graph out of a remote engine moved
    every one of its quads on each build.
    """
    try:
        store, _info = backend_for(settings).open()
    except StoreNotBuilt:
        return []
    ids = {iri.rsplit("/", 1)[-1] for iri in iris if iri.startswith(ESCO_DATA)}
    subjects = [ESCO_GRAPH, *(f"{ESCO_DATA}{kind}/{i}" for i in sorted(ids) for kind in KINDS)]
    query = (
        f"SELECT ?s ?p ?o WHERE {{ GRAPH <{ESCO_GRAPH}> {{ ?s ?p ?o }} "
        f"VALUES ?s {{ {' '.join(str(ox.NamedNode(s)) for s in subjects)} }} }}"
    )
    graph = ox.NamedNode(ESCO_GRAPH)
    rows = store.query(query, use_default_graph_as_union=True)
    return [ox.Quad(row["s"], row["p"], row["o"], graph) for row in rows]


def validate_project(settings: Settings, extra: Iterable[Path] = ()) -> Report:
    """Parse and validate the project's sources (plus ``extra`` data files), reading of a
    loaded ESCO graph only what the reference checks need (as :func:`build` does)."""
    files = load_sources(settings) + [parse_file(p, GRAPHS["data"]) for p in extra]
    return validate_files(files, settings.project_dir, reference_quads(settings, iris(files)))
