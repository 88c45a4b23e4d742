"""SHACL validation of the sources, with a report people can act on.

The data graph is the ontology plus the data (so ``sh:class`` sees the class
hierarchy); the shapes graph is ``shapes/``. Each result is traced back to the
file its triple came from.

>>> from wise_kg.config import Settings
>>> report = validate_project(Settings())   # doctest: +SKIP
>>> report.conforms                          # doctest: +SKIP
True
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from pathlib import Path

import pyoxigraph as ox
import pyshacl
from pyshacl.errors import ReportableRuntimeError, ValidationFailure
from rdflib import RDF, SH, Graph, URIRef
from rdflib.term import Node

from wise_kg.errors import ShapesError
from wise_kg.graphs import GRAPHS
from wise_kg.sources.entail import with_entailments
from wise_kg.sources.reader import SourceFile, quads, to_rdflib
from wise_kg.validation import esco_checks, prepared
from wise_kg.validation.report import Report, Result

SEVERITY_NAMES = {SH.Violation: "Violation", SH.Warning: "Warning", SH.Info: "Info"}


class _Provenance:
    """Which files each triple (and each subject) came from."""

    def __init__(self, files: Iterable[SourceFile], root: Path):
        self._triples: dict[tuple[str, str, str], set[str]] = defaultdict(set)
        self._subjects: dict[str, set[str]] = defaultdict(set)
        self._objects: dict[str, set[str]] = defaultdict(set)
        for source in files:
            name = _relative(source.path, root)
            for t in source.triples:
                s, p, o = str(t.subject.value), str(t.predicate.value), str(t.object.value)
                self._triples[(s, p, o)].add(name)
                self._subjects[s].add(name)
                self._objects[o].add(name)

    def files_of(self, focus: str, path: str | None, value: str | None) -> tuple[str, ...]:
        """The files holding (focus, path, value), else those describing focus, else citing it."""
        if path and value and (focus, path, value) in self._triples:
            return tuple(sorted(self._triples[(focus, path, value)]))
        return tuple(sorted(self._subjects.get(focus) or self._objects.get(focus, ())))


def _relative(path: Path, root: Path) -> str:
    try:
        return str(path.resolve().relative_to(root.resolve()))
    except ValueError:
        return str(path)


def _text(node: Node | None) -> str | None:
    return None if node is None else str(node)


def shacl(data: Graph, shapes: Graph, provenance: _Provenance | None = None) -> Report:
    """Run pySHACL over a data graph and turn its report into :class:`Result` rows."""
    prepared.install()  # SPARQL constraints are parsed once, not once per focus node
    try:
        _conforms, report_graph, _text_report = pyshacl.validate(
            data,
            shacl_graph=shapes,
            inference="none",
            advanced=True,
            allow_warnings=True,
        )
    except ReportableRuntimeError as err:
        raise ShapesError(f"the shapes cannot be run: {err.message}") from None
    if isinstance(report_graph, ValidationFailure):
        raise ShapesError(f"the shapes cannot be run: {report_graph.message}")
    results = []
    for node in report_graph.subjects(RDF.type, SH.ValidationResult):
        focus = _text(report_graph.value(node, SH.focusNode)) or ""
        raw_path = report_graph.value(node, SH.resultPath)
        path = str(raw_path) if isinstance(raw_path, URIRef) else None
        value = _text(report_graph.value(node, SH.value))
        severity = SEVERITY_NAMES.get(report_graph.value(node, SH.resultSeverity), "Violation")
        message = _text(report_graph.value(node, SH.resultMessage)) or "(no message)"
        shape = _text(report_graph.value(node, SH.sourceShape)) or ""
        constraint = report_graph.value(node, SH.sourceConstraint)
        rule = str(constraint) if isinstance(constraint, URIRef) else shape
        files = provenance.files_of(focus, path, value) if provenance else ()
        results.append(Result(severity, focus, path, value, message, shape, files, rule))
    return Report(results=results, graph=report_graph)


def graphs_of(files: list[SourceFile]) -> tuple[Graph, Graph]:
    """Split parsed sources into (ontology + data, shapes) rdflib graphs."""
    data, shapes = Graph(), Graph()
    for source in files:
        to_rdflib(source.triples, shapes if source.graph == GRAPHS["shapes"] else data)
    return data, shapes


def validate_files(
    files: list[SourceFile], root: Path, esco_quads: Iterable[ox.Quad] = ()
) -> Report:
    """Validate already-parsed sources (their entailments added): SHACL, then the ESCO
    reference checks against ``esco_quads`` (a loaded ESCO graph) or the data's own
    ESCO descriptions."""
    files = with_entailments(files)
    data, shapes = graphs_of(files)
    provenance = _Provenance(files, root)
    report = shacl(data, shapes, provenance)
    store = ox.Store()
    store.extend(quads(f for f in files if f.graph != GRAPHS["shapes"]))
    store.extend(esco_quads)
    report.results.extend(esco_checks.check(store, provenance.files_of))
    return report


TARGETS = (SH.targetClass, SH.targetNode, SH.targetSubjectsOf, SH.targetObjectsOf, SH.target)
OWN_CONSTRAINTS = (SH["class"], SH.pattern, SH["in"], SH["or"], SH.nodeKind, SH.datatype)


def rule_iris(shapes: Graph) -> list[URIRef]:
    """Every named rule a result can name: property shapes, SPARQL constraints and
    targeted node shapes with constraints of their own (what fixtures must exercise)."""
    rules = {
        s
        for kind in (SH.PropertyShape, SH.SPARQLConstraint)
        for s in shapes.subjects(RDF.type, kind)
    }
    for node in shapes.subjects(RDF.type, SH.NodeShape):
        if any(shapes.value(node, t) for t in TARGETS) and any(
            shapes.value(node, c) for c in OWN_CONSTRAINTS
        ):
            rules.add(node)
    return sorted(r for r in rules if isinstance(r, URIRef))
