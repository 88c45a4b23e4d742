"""Every shape fires on a realistic fixture made to break it; the real data passes."""

from __future__ import annotations

from pathlib import Path

import pytest
from rdflib import Graph, URIRef

from tests.helpers import PROJECT, TEST_DATA
from wise_kg.config import Settings
from wise_kg.graphs import GRAPHS
from wise_kg.sources.reader import load_sources, parse_file
from wise_kg.validation.report import Report
from wise_kg.validation.validate import rule_iris, validate_files

FIXTURES = TEST_DATA / "invalid"
WSH = "https://w3id.org/wise-kg/shapes#"


def _shapes() -> Graph:
    graph = Graph()
    for path in sorted((PROJECT / "shapes").glob("*.ttl")):
        graph.parse(path)
    return graph


RULES = [str(iri).removeprefix(WSH) for iri in rule_iris(_shapes())]
COMBINED = sorted(p for p in FIXTURES.glob("*.ttl"))
STANDALONE = sorted((FIXTURES / "standalone").glob("*.ttl"))


@pytest.fixture(scope="module")
def real_report() -> Report:
    settings = Settings(project_dir=PROJECT)
    return validate_files(load_sources(settings), PROJECT)


@pytest.fixture(scope="module")
def combined_report() -> Report:
    """The real data with every fixture added, validated in one run."""
    settings = Settings(project_dir=PROJECT)
    files = load_sources(settings) + [parse_file(p, GRAPHS["data"]) for p in COMBINED]
    return validate_files(files, PROJECT)


def test_real_data_conforms(real_report: Report) -> None:
    assert real_report.conforms, [r.message for r in real_report.violations]


def test_every_rule_has_a_fixture() -> None:
    names = {p.stem for p in COMBINED + STANDALONE}
    missing = sorted(set(RULES) - names)
    assert not missing, f"shapes without a failing fixture: {missing}"
    assert not sorted(names - set(RULES)), "fixtures named after no shape"


def _mentioned(path: Path) -> set[str]:
    """The IRIs a fixture describes or points at (where its rule can fire)."""
    graph = Graph().parse(path)
    return {str(s) for s in graph.subjects()} | {
        str(o) for o in graph.objects() if isinstance(o, URIRef)
    }


@pytest.mark.parametrize("fixture", COMBINED, ids=lambda p: p.stem)
def test_fixture_fires_its_rule(fixture: Path, combined_report: Report) -> None:
    mentioned = _mentioned(fixture)
    fired = {r.rule.removeprefix(WSH) for r in combined_report.results if r.focus in mentioned}
    assert fixture.stem in fired, f"{fixture.name} did not trigger {fixture.stem}; got {fired}"
    hit = [r for r in combined_report.results if r.rule.removeprefix(WSH) == fixture.stem]
    assert all(r.message and not r.message.startswith("(no message)") for r in hit)


@pytest.mark.parametrize("fixture", STANDALONE, ids=lambda p: p.stem)
def test_standalone_fixture_fires_its_rule(fixture: Path) -> None:
    shapes = [parse_file(p, GRAPHS["shapes"]) for p in sorted((PROJECT / "shapes").glob("*.ttl"))]
    report = validate_files([parse_file(fixture, GRAPHS["data"]), *shapes], PROJECT)
    assert fixture.stem in {r.rule.removeprefix(WSH) for r in report.violations}


def test_results_name_the_file_of_the_offending_triple(combined_report: Report) -> None:
    hit = [r for r in combined_report.results if r.rule == WSH + "Need-notation"]
    assert hit and hit[0].files == ("tests/data/invalid/Need-notation.ttl",)


def test_warnings_do_not_break_conformance() -> None:
    settings = Settings(project_dir=PROJECT)
    advice = parse_file(FIXTURES / "Advice-definitionLength.ttl", GRAPHS["data"])
    files = [*load_sources(settings), advice]
    report = validate_files(files, PROJECT)
    assert report.conforms and report.warnings
