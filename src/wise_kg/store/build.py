"""Build: sources → parse → validate → a new store → atomic swap.

A failure at any step (syntax, violations, disk) leaves the store in service
exactly as it was and says why.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import pyoxigraph as ox

from wise_kg.config import Settings
from wise_kg.errors import StoreNotBuilt, ValidationFailed
from wise_kg.esco import load as esco
from wise_kg.sources.entail import with_entailments
from wise_kg.sources.reader import SourceFile, discover, load_sources, quads
from wise_kg.store import embedded as stores
from wise_kg.store.backends import backend_for
from wise_kg.validation.validate import Report, validate_files


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
    loaded_esco = esco.reference_quads(settings, iris(files))  # what the checks read of it
    report = validate_files(files, settings.project_dir, loaded_esco)
    if not report.conforms:
        raise ValidationFailed(
            report, f"{len(report.violations)} violation(s); the store was not changed"
        )
    # A loaded ESCO graph survives rebuilds of the WISE graph, kept where it is.
    info = backend_for(settings).publish(
        quads(with_entailments(files)), fingerprint(settings), keep=(esco.ESCO_GRAPH,)
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
