"""Chapter 1 in the graph matches the report: 4 areas, 21 needs, roles, WP2 sources.

The report's headings and "(Source: WP2 | …)" lines are read from the source
text itself; the expected reading of each line is spelled out below, and each
expectation is checked against both the line and the data.
"""

from __future__ import annotations

import re

import pytest
from rdflib import Graph, Namespace, URIRef
from rdflib.namespace import DCTERMS, RDF, SKOS

from tests.helpers import REPORT

WISE = Namespace("https://w3id.org/wise-kg/ontology#")
ID = "https://w3id.org/wise-kg/id/"

# notation: (SWOT cells "PW/W", personas, technology points, roles/personas it concerns)
EXPECTED = {
    "1.2.1": ({"PW/S", "SW/S", "TW/S"}, set(), set(), {"enabler", "supporter"}),
    "1.2.2": ({"PW/W", "SW/W", "TW/W"}, set(), set(), {"enabler", "supporter"}),
    "1.2.3": ({"PW/O"}, set(), set(), {"enabler", "supporter"}),
    "1.3.1": ({"PW/S"}, {"founder"}, {9}, {"enabler"}),
    "1.3.2": ({"TW/O", "TW/T", "SW/S"}, set(), set(), {"enabler", "staff"}),
    "1.3.3": (set(), {"social-enabler", "next-enabler"}, set(), {"enabler", "supporter"}),
    "1.3.4": ({"PW/W", "TW/W"}, {"beginner"}, set(), {"enabler", "supporter"}),
    "1.3.5": (set(), {"almost-retired"}, set(), {"enabler"}),
    "1.4.1": ({"SW/W", "TW/W"}, set(), {2}, {"enabler", "supporter"}),
    "1.4.2": (
        {"PW/W", "SW/W"},
        set(),
        {8},
        {"enabler", "supporter", "growth-oriented-wsn", "staff"},
    ),
    "1.4.3": ({"PW/W", "TW/W"}, set(), {9}, {"enabler", "staff"}),
    "1.4.4": ({"PW/W", "SW/W"}, set(), set(), {"staff"}),
    "1.4.5": ({"PW/W"}, set(), {3}, {"worker-with-support-needs"}),
    "1.4.6": (
        set(),
        {"tech-enabler", "professionally-oriented-supporter"},
        set(),
        {"tech-enabler", "professionally-oriented-supporter"},
    ),
    "1.5.1": ({"SW/W"}, set(), set(), {"supporter"}),
    "1.5.2": (
        {"PW/W"},
        {"social-oriented-supporter", "growth-oriented-wsn"},
        {3},
        {"supporter"},
    ),
    "1.5.3": (set(), set(), {3}, {"worker-with-support-needs"}),
    "1.5.4": ({"PW/S", "PW/O", "TW/S", "TW/O"}, set(), set(), {"supporter"}),
    "1.5.5": ({"TW/S"}, set(), {4}, {"supporter"}),
    "1.5.6": (set(), set(), {9}, {"enabler", "supporter"}),
    "1.5.7": (
        {"PW/W"},
        set(),
        set(),
        {"enabler", "supporter", "worker-with-support-needs", "staff"},
    ),
}
AREAS = {
    "1.2": "Network Building Area",
    "1.3": "Development and Strategies Area",
    "1.4": "Organisational Strengthening Area",
    "1.5": "People Area",
}


def _report_chapter1() -> dict[str, tuple[str, str]]:
    """notation -> (heading, source line), read from the body of chapter 1."""
    text = REPORT.read_text(encoding="utf-8")
    body = text[text.index("1. WISEs NEEDS") : text.index("2. Areas of expertise\n")]
    body = body[body.index("1.2. Network Building Area") :]
    found = {}
    for match in re.finditer(r"^(1\.[2-5]\.[1-9])\.? (.+)\n+(\(Source:.*)$", body, re.M):
        found[match.group(1)] = (match.group(2).strip(), match.group(3))
    return found


@pytest.fixture(scope="module")
def report() -> dict[str, tuple[str, str]]:
    if not REPORT.exists():
        pytest.skip("the report is read from ../shared/sources")
    return _report_chapter1()


def _need(graph: Graph, notation: str):
    needs = [
        n
        for n in graph.subjects(RDF.type, WISE.Need)
        if str(graph.value(n, SKOS.notation)) == notation
    ]
    assert len(needs) == 1, f"need {notation}: {needs}"
    return needs[0]


def _local(node) -> str:
    return str(node).rsplit("/", 1)[-1]


def test_report_has_the_21_needs(report) -> None:
    assert sorted(report) == sorted(EXPECTED)


def test_areas_match_the_report(graph: Graph) -> None:
    text = REPORT.read_text(encoding="utf-8")
    areas = {str(graph.value(a, SKOS.notation)): a for a in graph.subjects(RDF.type, WISE.NeedArea)}
    assert set(areas) == set(AREAS)
    for notation, label in AREAS.items():
        assert f"{notation}. {label}" in text
        assert str(graph.value(areas[notation], SKOS.prefLabel)) == label


@pytest.mark.parametrize("notation", sorted(EXPECTED))
def test_need_matches_report(graph: Graph, report, notation: str) -> None:
    heading, source_line = report[notation]
    need = _need(graph, notation)
    cells, personas, points, concerns = EXPECTED[notation]

    label = str(graph.value(need, SKOS.prefLabel))
    assert re.sub(r"\W", "", label.lower()) == re.sub(r"\W", "", heading.lower())
    assert str(graph.value(graph.value(need, SKOS.broader), SKOS.notation)) == notation[:3]
    section = URIRef(f"{ID}source/bwise-d3-1/section/{notation}")
    assert (need, DCTERMS.source, section) in graph

    sources = set(graph.objects(need, WISE.identifiedFrom))
    got_cells = {
        str(graph.value(s, SKOS.notation)) for s in sources if (s, RDF.type, WISE.SwotCell) in graph
    }
    got_personas = {_local(s) for s in sources if (s, RDF.type, WISE.Persona) in graph}
    got_points = {
        int(_local(s).rsplit("-", 1)[-1])
        for s in sources
        if (s, RDF.type, WISE.TechnologyReference) in graph
    }
    assert got_cells == cells
    assert got_personas == personas
    assert got_points == points
    assert {_local(c) for c in graph.objects(need, WISE.concerns)} == concerns

    # Each expectation is visible in the report's own source line.
    squeezed = source_line.replace(" ", "").upper()
    for cell in cells:
        assert cell.split("/")[0] in squeezed, (cell, source_line)
    for point in points:
        assert re.search(rf"technologies point {point}\b", source_line, re.I)
    if personas:
        assert "personas" in source_line.lower()
    assert "concerns" in source_line.lower()


def test_roles_and_personas(graph: Graph) -> None:
    roles = {_local(r) for r in graph.subjects(RDF.type, WISE.Role)}
    assert roles == {"enabler", "supporter", "worker-with-support-needs", "staff"}
    personas = {
        _local(p): _local(graph.value(p, SKOS.broader))
        for p in graph.subjects(RDF.type, WISE.Persona)
    }
    assert personas["founder"] == personas["tech-enabler"] == "enabler"
    assert personas["next-enabler"] == "supporter"
    assert personas["growth-oriented-wsn"] == "worker-with-support-needs"
    assert len(personas) == 9


def test_swot_cells(graph: Graph) -> None:
    cells = {str(graph.value(c, SKOS.notation)) for c in graph.subjects(RDF.type, WISE.SwotCell)}
    assert cells == {f"{t}/{q}" for t in ("PW", "SW", "TW") for q in "SWOT"}
