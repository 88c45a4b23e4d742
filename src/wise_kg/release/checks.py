"""The checks a release must pass: saved queries answer; its description meets its shapes."""

from __future__ import annotations

import json
from importlib import resources

import pyoxigraph as ox
from rdflib import Graph

from wise_kg.config import Settings
from wise_kg.errors import ReleaseFailed, WiseKgError
from wise_kg.graphs import PUBLISHED_GRAPHS
from wise_kg.sources.reader import to_rdflib
from wise_kg.sparql import queries
from wise_kg.sparql.admission import inspect
from wise_kg.sparql.local import answer
from wise_kg.validation.report import Report, Result
from wise_kg.validation.validate import shacl

SHAPES_FILE = "release_shapes.ttl"


def violation(
    focus: str, message: str, check: str, files: tuple[str, ...], severity: str = "Violation"
) -> Result:
    return Result(severity, focus, None, None, message, f"release:{check}", files, check)


def stop_if_failed(stage: str, report: Report) -> None:
    if not report.conforms:
        raise ReleaseFailed(stage, report)


def check_queries(settings: Settings, store: ox.Store) -> Report:
    """Every saved query parses and answers with its defaults (an empty answer: a warning)."""
    results = []
    for name, saved in queries.load(settings.source_dir("queries")).items():
        files = (f"queries/{name}.rq",)
        try:
            info = inspect(saved.text)
            body = answer(
                store,
                saved.text,
                info.formats()[0],
                result_limit=settings.result_limit,
                bindings=saved.bind({}),
            )
        except WiseKgError as err:
            results.append(violation(name, f"the query does not run: {err}", "queries", files))
            continue
        empty = (info.form == "SELECT" and not json.loads(body)["results"]["bindings"]) or (
            info.returns_graph and not body.strip()
        )
        if empty:  # allowed: some queries need a loaded ESCO, or other parameters
            message = "the query answers nothing with its defaults"
            results.append(violation(name, message, "queries", files, "Warning"))
    return Report(results=results)


def published_iris(store: ox.Store, prefix: str) -> list[str]:
    """Every IRI starting with ``prefix`` in the published graphs, in any position."""
    found = set()
    for graph in PUBLISHED_GRAPHS:
        for q in store.quads_for_pattern(None, None, None, ox.NamedNode(graph)):
            for term in (q.subject, q.predicate, q.object):
                if isinstance(term, ox.NamedNode) and term.value.startswith(prefix):
                    found.add(term.value)
    return sorted(found)


def description_shapes() -> Graph:
    """The SHACL shapes a release's DCAT, VoID and service description must meet."""
    text = resources.files("wise_kg.release").joinpath(SHAPES_FILE).read_text("utf-8")
    return Graph().parse(data=text, format="turtle")


def check_description(triples: list[ox.Triple]) -> Report:
    """The description of a release against :func:`description_shapes`."""
    return shacl(to_rdflib(triples), description_shapes())
