"""Chapter 2 in the graph: every section represented, profiles, recognition, the matrix."""

from __future__ import annotations

import re

import pytest
from rdflib import Graph, Namespace, URIRef
from rdflib.namespace import DCTERMS, RDF, SKOS

from tests.helpers import REPORT

WISE = Namespace("https://w3id.org/wise-kg/ontology#")
SECTION = "https://w3id.org/wise-kg/id/source/bwise-d3-1/section/"


def _chapter2_sections() -> list[str]:
    """Section numbers 2.2 … 2.9.11 as the report's table of contents lists them."""
    text = REPORT.read_text(encoding="utf-8")
    toc = text[text.index("Table of contents") : text.index("INTRODUCTION")]
    found = re.findall(r"^(2\.[2-9](?:\.\d+)?)\.?\s", toc, re.M)
    return sorted(set(found), key=lambda n: [int(x) for x in n.split(".")])


SECTIONS = _chapter2_sections() if REPORT.exists() else []


def test_table_of_contents_is_read() -> None:
    if not REPORT.exists():
        pytest.skip("the report is read from ../shared/sources")
    assert "2.5" in SECTIONS and "2.9.11" in SECTIONS
    assert len(SECTIONS) == 7 * 12 + 1  # 2.2-2.4, 2.6-2.9 with 11 subsections each, and 2.5


@pytest.mark.parametrize("number", SECTIONS)
def test_every_section_has_resources(graph: Graph, number: str) -> None:
    section = URIRef(SECTION + number)
    assert (section, RDF.type, DCTERMS.BibliographicResource) in graph
    assert list(graph.subjects(DCTERMS.source, section)), f"nothing is sourced from §{number}"


def test_areas_follow_the_report(graph: Graph) -> None:
    areas = {
        str(graph.value(a, SKOS.notation)): a
        for a in graph.subjects(RDF.type, WISE.AreaOfExpertise)
    }
    assert sorted(areas) == [f"2.{n}" for n in range(2, 10)]
    general = areas["2.5"]
    for n in range(6, 10):
        assert graph.value(areas[f"2.{n}"], SKOS.broader) == general


def test_seven_profiles_and_network_operator_directions(graph: Graph) -> None:
    profiles = set(graph.subjects(RDF.type, WISE.OccupationalProfile))
    assert len(profiles) == 7
    operator = URIRef("https://w3id.org/wise-kg/id/profile/network-operator")
    directions = list(graph.objects(operator, WISE.hasDirection))
    roles = {str(graph.value(d, WISE.intendedFor)).rsplit("/", 1)[-1] for d in directions}
    assert roles == {"enabler", "supporter"}


def test_recognition_levels_are_ordered(graph: Graph) -> None:
    collection = URIRef("https://w3id.org/wise-kg/id/recognition-level/degrees")
    members = list(graph.items(graph.value(collection, SKOS.memberList)))
    assert len(members) == 4
    assert [str(graph.value(m, SKOS.notation)) for m in members] == ["1", "2", "3", "4"]
    assert all((m, RDF.type, WISE.RecognitionLevel) in graph for m in members)


def test_collaboration_matrix_is_data(graph: Graph) -> None:
    topics = list(graph.subjects(RDF.type, WISE.CollaborationTopic))
    cells = {
        (graph.value(t, WISE.stakeholderKind), graph.value(t, WISE.collaborationDimension))
        for t in topics
    }
    assert len(topics) == len(cells) == 15
    actions = {a for t in topics for a in graph.subjects(WISE.hasCollaborationTopic, t)}
    assert len(actions) == 1


def test_swot_findings_are_short_marked_quotations(graph: Graph) -> None:
    text = re.sub(r"\s+", " ", REPORT.read_text(encoding="utf-8")) if REPORT.exists() else ""
    findings = list(graph.subjects(RDF.type, WISE.SwotFinding))
    assert len(findings) >= 30
    for finding in findings:
        quote = str(graph.value(finding, URIRef("http://www.w3.org/2000/01/rdf-schema#comment")))
        assert quote[0] in '“"' and len(quote.split()) <= 40
        if text:  # the quoted words are the report's (allowing for elisions)
            fragments = [f.strip(" .…'\"“”") for f in re.split(r"\.\.\.|…", quote.strip('“”"'))]
            longest = max(fragments, key=len)
            assert longest[:40] in text, f"{finding}: {longest[:40]!r} not in the report"
