"""Issue 18, content second pass: what a careful reader of the report found.

Each test guards one defect and reads the source where it can (../shared/sources
and ../shared/esco, in tests only); the graph is data/ read by rdflib.
"""

from __future__ import annotations

import csv
import re

import pytest
from rdflib import Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCTERMS, RDF, RDFS, SKOS

from tests.helpers import PROJECT, REPORT, SHARED

WISE = Namespace("https://w3id.org/wise-kg/ontology#")
ID = "https://w3id.org/wise-kg/id/"
AOE = ID + "area-of-expertise/"
D31 = URIRef(ID + "source/bwise-d3-1")
ESCO_DIR = SHARED / "esco" / "v1.2.0"
EASPD = SHARED / "sources" / "001_f98683adc282c8aa.txt"

needs_sources = pytest.mark.skipif(
    not (REPORT.exists() and ESCO_DIR.is_dir()), reason="reads ../shared/sources and ../shared/esco"
)


@pytest.fixture(scope="module")
def lines() -> list[str]:
    if not REPORT.exists():
        pytest.skip("the report is read from ../shared/sources")
    return REPORT.read_text(encoding="utf-8").splitlines()


@pytest.fixture(scope="module")
def text(lines: list[str]) -> str:
    return re.sub(r"\s+", " ", "\n".join(lines))


def _section(lines: list[str], number: str) -> str:
    """The text of a chapter-2 subsection (from its heading to the next heading)."""
    body = "\n".join(lines)
    body = body[body.index("This paper aims to:") :]  # past the table of contents
    start = re.search(rf"^{re.escape(number)}\.?\s", body, re.M)
    assert start, number
    end = re.search(r"^\d\.\d+(\.\d+)?\.?\s+[A-Z]", body[start.end() :], re.M)
    chunk = body[start.start() : start.end() + (end.start() if end else len(body))]
    return re.sub(r"\s+", " ", chunk)


def _en(graph: Graph, subject: URIRef, predicate: URIRef) -> list[str]:
    return [str(o) for o in graph.objects(subject, predicate)]


def _cites_report(graph: Graph, resource: URIRef) -> bool:
    for source in graph.objects(resource, DCTERMS.source):
        chain = [source]
        while chain:
            node = chain.pop()
            if node == D31:
                return True
            chain.extend(graph.objects(node, DCTERMS.isPartOf))
    return False


def _esco_rows(name: str) -> list[dict[str, str]]:
    csv.field_size_limit(1 << 30)
    with (ESCO_DIR / name).open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


@pytest.fixture(scope="module")
def esco_by_label() -> dict[str, set[str]]:
    """ESCO URIs by English label: occupations, skill groups, skills (first label of
    skills_text_en.csv) and the codes of the skills hierarchy."""
    if not ESCO_DIR.is_dir():
        pytest.skip("needs ../shared/esco/v1.2.0")
    found: dict[str, set[str]] = {}
    for name in ("occupations_en.csv", "skillGroups_en.csv", "transversalSkillsCollection_en.csv"):
        for row in _esco_rows(name):
            found.setdefault(row["preferredLabel"].lower(), set()).add(row["conceptUri"])
            if row.get("code"):
                found.setdefault(row["code"], set()).add(row["conceptUri"])
    for row in _esco_rows("skillsHierarchy_en.csv"):
        for level in range(4):
            if row[f"Level {level} URI"] and row[f"Level {level} code"]:
                found.setdefault(row[f"Level {level} code"], set()).add(row[f"Level {level} URI"])
    texts = {row["id"]: row["description"].lower() for row in _esco_rows("skills_text_en.csv")}
    found["__texts__"] = set()  # marker
    found["__skills_text__"] = {f"{uri}\t{t}" for uri, t in texts.items()}
    return found


def _skill_by_text(esco_by_label: dict[str, set[str]], label: str) -> set[str]:
    """Skills whose labels-and-definition text starts with ``label`` (its preferred label)."""
    return {
        entry.split("\t", 1)[0]
        for entry in esco_by_label["__skills_text__"]
        if entry.split("\t", 1)[1].startswith(label.lower() + " ")
    }


def _report_links(graph: Graph) -> set[str]:
    return {
        str(c)
        for a in graph.subjects(RDF.type, WISE.EscoAlignment)
        for c in graph.objects(a, WISE.escoConcept)
    }


# -----------------------------------------------------------------------------
#  1. ESCO concepts the report names are linked as the report links them
# -----------------------------------------------------------------------------


@needs_sources
def test_validation_of_learning_through_volunteering_is_linked_by_analogy(
    graph: Graph, lines: list[str], esco_by_label: dict[str, set[str]]
) -> None:
    label = "validation of learning acquired through volunteering"
    assert label in lines[239] and label in lines[1088]  # l.240 and l.1089
    (uri,) = _skill_by_text(esco_by_label, label)
    concept = URIRef(uri)
    alignments = list(graph.subjects(WISE.escoConcept, concept))
    assert len(alignments) == 1 and (alignments[0], RDF.type, WISE.EscoAlignment) in graph
    assert graph.value(alignments[0], WISE.escoCoverage) == URIRef(ID + "esco-coverage/by-analogy")
    relation = graph.value(alignments[0], WISE.mappingRelation)
    area = URIRef(AOE + "skills-validation")
    assert (area, WISE.hasEscoAlignment, alignments[0]) in graph
    assert (area, relation, concept) in graph  # mirrored as plain SKOS
    assert graph.value(concept, SKOS.prefLabel) == Literal(label, lang="en")
    assert not any(
        "not found" in n or "no ESCO concept" in n
        for n in graph.objects(None, None)
        if isinstance(n, Literal) and label in n
    )


@needs_sources
def test_every_esco_concept_the_report_names_is_linked(
    graph: Graph, lines: list[str], esco_by_label: dict[str, set[str]]
) -> None:
    """Codes (S1.8, T2.1 …), quoted labels and the T2.1 components of the ESCO
    subsections and the introduction's table, each found in the ESCO files and linked."""
    body = "\n".join(lines)
    table = body[body.index("Table of correspondence") : body.index("1. WISEs NEEDS")]
    chunks = [table] + [_section(lines, f"2.{n}.5") for n in (2, 3, 4, 6, 7, 8, 9)]
    names: set[str] = set()
    for chunk in chunks:
        chunk = chunk.replace("$", "S")  # OCR: "$1.8" for "S1.8"
        names |= set(re.findall(r"\b([ST]\d(?:\.\d+)?)\b", chunk))
        names |= {q.lower() for q in re.findall(r"'([a-z][a-z ,]+)'", chunk)}
        names |= set(re.findall(r"\bthink (?:analytically|critically|holistically)\b", chunk))
    names -= {"capacity of vision", "vision capability"}  # the report's own terms
    linked = _report_links(graph)
    missing = []
    for name in sorted(names):
        candidates = esco_by_label.get(name, set()) | _skill_by_text(esco_by_label, name)
        assert candidates, f"{name!r} is not in ESCO v1.2.0"
        if not candidates & linked:
            missing.append(name)
    assert not missing, f"named by the report but not linked: {missing}"
    assert {"S1.8", "T2.1", "S3.6", "T6.4", "communication manager"} <= names


# -----------------------------------------------------------------------------
#  3. 2.2 develops the whole Network Building Area
# -----------------------------------------------------------------------------


def test_networking_develops_the_network_building_area(graph: Graph, lines: list[str]) -> None:
    assert "develops what has been elaborated in section 'Network Building Area'" in lines[573]
    targets = set(graph.objects(URIRef(AOE + "networking-and-community-thinking"), WISE.develops))
    areas = [t for t in targets if (t, RDF.type, WISE.NeedArea) in graph]
    assert [str(graph.value(a, SKOS.prefLabel)) for a in areas] == ["Network Building Area"]
    assert URIRef(ID + "need/developing-network-functions") in targets  # "in particular"


# -----------------------------------------------------------------------------
#  4. Resistance types: as the report names them, or marked as our reading
# -----------------------------------------------------------------------------

#: resistance → (type the report gives it, the report's words saying so)
STATED_TYPES = {
    "networking-and-community-thinking-romantic-past": (
        "cultural",
        "considerable cultural resistance",
    ),
    "capacity-of-vision-distributed-power": (
        "organisational",
        "considerable organisational resistance",
    ),
    "communicating-work-integration-communication-as-waste": (
        "organisational",
        "the main organisational resistance has to be addressed",
    ),
    "communicating-work-integration-copying-for-profit-communication": (
        "cultural",
        "cultural subservience to other models",
    ),
    "tutoring-mentoring-and-informal-training-no-defined-supporter-role": (
        "organisational",
        "The main element of resistance is of an organisational nature",
    ),
    "skills-validation-unpaid-non-productive-work": (
        "policy",
        "Some of the elements of resistance relate to policies",
    ),
    "skills-validation-institutional-scepticism": (
        "policy",
        "Some of the elements of resistance relate to policies",
    ),
    "skills-validation-wise-indifference-to-formalisation": (
        "cultural",
        "a cultural problem could arise",
    ),
}


def test_resistance_types_follow_the_report_or_say_they_are_ours(graph: Graph, text: str) -> None:
    resistances = set(graph.subjects(RDF.type, WISE.Resistance)) - set(
        graph.subjects(RDF.type, WISE.Barrier)
    )
    assert len(resistances) == 17
    for resistance in resistances:
        slug = str(resistance).rsplit("/", 1)[-1]
        kind = str(graph.value(resistance, WISE.resistanceType)).rsplit("/", 1)[-1]
        if slug in STATED_TYPES:
            expected, words = STATED_TYPES[slug]
            assert words in text, words
            assert kind == expected, f"{slug}: the report says {expected} ({words!r})"
        else:
            notes = _en(graph, resistance, SKOS.editorialNote)
            assert any("our reading" in n for n in notes), f"{slug}: type {kind} is ours, say so"


# -----------------------------------------------------------------------------
#  5. Judgement calls carry an editorial note
# -----------------------------------------------------------------------------


def test_all_wises_members_reading_is_noted(graph: Graph, text: str) -> None:
    assert "It concerns all WISEs members" in text
    need = URIRef(ID + "need/dealing-with-work-pressure")
    assert len(set(graph.objects(need, WISE.concerns))) == 4
    assert any("all WISEs members" in n for n in _en(graph, need, SKOS.editorialNote))


def test_swot_elements_without_a_cell_are_not_placed_in_one(graph: Graph, lines: list[str]) -> None:
    # l.971 (2.6.4): three elements with neither WISE type nor quadrant
    assert lines[970].startswith("In other cases, instead, the 'lack of a well-trained team'")
    for finding in graph.subjects(RDF.type, WISE.SwotFinding):
        quote = str(graph.value(finding, RDFS.comment))
        if any(w in quote for w in ("well-trained team", "finding personnel", "market scarcity")):
            assert graph.value(finding, WISE.inSwotCell) is None, finding
            assert graph.value(finding, WISE.citedWiseType) is None, finding
    # every finding placed in a cell by our reading says so; partial ones keep what is given
    for finding in graph.subjects(RDF.type, WISE.SwotFinding):
        has_cell = graph.value(finding, WISE.inSwotCell) is not None
        partial = graph.value(finding, WISE.citedWiseType) or graph.value(
            finding, WISE.citedSwotQuadrant
        )
        assert not (has_cell and partial), finding
    organising = URIRef(ID + "swot-finding/organising-production-with-wsn-5")
    assert graph.value(organising, WISE.citedWiseType) == URIRef(ID + "wise-type/social-wise")


def test_wise_type_definitions_are_marked_as_ours(graph: Graph, lines: list[str]) -> None:
    section = _section(lines, "1.1.2")
    assert "Social WISE" not in section and "Training WISE" not in section  # never defined
    for wise_type in graph.subjects(RDF.type, WISE.WiseType):
        notes = _en(graph, wise_type, SKOS.editorialNote)
        assert any("never defines" in n for n in notes), wise_type


def test_links_to_needs_from_other_sources_are_marked_as_ours(graph: Graph) -> None:
    for predicate in (WISE.addresses, WISE.hinders):
        for subject in set(graph.subjects(predicate, None)):
            assert _en(graph, subject, SKOS.editorialNote), f"{subject} {predicate}: say it is ours"


# -----------------------------------------------------------------------------
#  6. What the report says is a scope note, not an editorial note
# -----------------------------------------------------------------------------


def test_report_content_is_a_scope_note(graph: Graph, text: str) -> None:
    assert "Most likely, a positive correlation will emerge" in text
    general = URIRef(AOE + "supporting-work-in-general")
    assert any("positive correlation" in n for n in _en(graph, general, SKOS.scopeNote))
    assert not any("positive correlation" in n for n in _en(graph, general, SKOS.editorialNote))
    assert "it does not appear in the SWOT Analysis in any of the four quadrants" in text
    vision = URIRef(AOE + "capacity-of-vision")
    assert any("SWOT" in n for n in _en(graph, vision, SKOS.scopeNote))
    assert not any("SWOT" in n for n in _en(graph, vision, SKOS.editorialNote))


# -----------------------------------------------------------------------------
#  7. Quotations cut short are marked with an ellipsis
# -----------------------------------------------------------------------------


def test_swot_quotes_cut_short_end_with_an_ellipsis(graph: Graph, text: str) -> None:
    text = text.replace("\u2019", "'")
    cut = []
    for finding in graph.subjects(RDF.type, WISE.SwotFinding):
        quote = str(graph.value(finding, RDFS.comment)).strip('“”"')
        if quote.endswith(("...", "…")):
            continue
        last = re.split(r"\.\.\.|…", quote)[-1].strip()
        at = text.find(last)
        assert at >= 0, f"{finding}: {last!r} not in the report"
        after = text[at + len(last) : at + len(last) + 1]
        if after not in ("'", '"', "”", ".", ")"):
            cut.append(f"{finding} (goes on with {text[at + len(last) : at + len(last) + 20]!r})")
    assert not cut, cut


# -----------------------------------------------------------------------------
#  8. B-WISE's partners as the report lists them
# -----------------------------------------------------------------------------


def test_bwise_partners_are_the_reports_thirty(graph: Graph, lines: list[str]) -> None:
    listed = [
        re.sub(r" \(coordinator\)$", "", name).split(" \u2013 ")[0].strip()
        for name in lines[60].rstrip(".").split(", ")
    ]
    assert len(listed) == 30
    project = URIRef(ID + "project/b-wise")
    partners = {str(graph.value(p, SKOS.prefLabel)) for p in graph.objects(project, WISE.partner)}
    assert partners == set(listed)
    assert int(graph.value(project, WISE.partnerCount)) == len(listed)
    assert URIRef(ID + "organisation/ensie") in set(graph.objects(project, WISE.partner))


# -----------------------------------------------------------------------------
#  9. The probable slip "Annex 2, para.2.8" is noted
# -----------------------------------------------------------------------------


def test_annex_paragraph_2_8_is_noted_as_a_probable_slip(graph: Graph, lines: list[str]) -> None:
    assert "(Annex 2, para.2.8)" in lines[653]
    reference = URIRef(ID + "technology-reference/annex-2-2-8")
    assert any("7.2.8" in n and "slip" in n for n in _en(graph, reference, SKOS.editorialNote))


# -----------------------------------------------------------------------------
#  10. The EASPD cost barrier is about persons with disabilities and excluded groups
# -----------------------------------------------------------------------------


def test_easpd_cost_barrier_says_whom_it_excludes(graph: Graph) -> None:
    if not EASPD.exists():
        pytest.skip("reads ../shared/sources")
    source = re.sub(r"\s+", " ", EASPD.read_text(encoding="utf-8"))
    assert "risks of exclusion for the above-mentioned groups due to" in source
    barrier = URIRef(ID + "barrier/high-costs-and-insufficient-funding")
    (definition,) = [d for d in graph.objects(barrier, SKOS.definition) if d.language == "en"]
    assert "persons with disabilities" in definition and "at risk of exclusion" in definition
    assert "can pay" not in definition


# -----------------------------------------------------------------------------
#  11. The report's view of ESCO and ESCO's T2.4 kept apart
# -----------------------------------------------------------------------------


@needs_sources
def test_ideation_note_tells_the_reports_view_from_esco(
    graph: Graph, esco_by_label: dict[str, set[str]]
) -> None:
    ideation = URIRef(ID + "esco-alignment/capacity-of-vision-ideation")
    assert any(n.startswith("The report's view") for n in _en(graph, ideation, SKOS.scopeNote))
    assert any("T2.4" in n for n in _en(graph, ideation, SKOS.editorialNote))
    (t24,) = esco_by_label["T2.4"]
    curated = list(graph.subjects(WISE.escoConcept, URIRef(t24)))
    assert curated and all((c, RDF.type, WISE.CuratedEscoAlignment) in graph for c in curated)


# -----------------------------------------------------------------------------
#  Curated alignments: ours, marked as ours, never the report's
# -----------------------------------------------------------------------------


@needs_sources
def test_curated_alignments_are_ours_and_apart(
    graph: Graph, esco_by_label: dict[str, set[str]]
) -> None:
    curated = set(graph.subjects(RDF.type, WISE.CuratedEscoAlignment))
    targets = {str(graph.value(c, WISE.escoConcept)) for c in curated}
    assert targets >= (esco_by_label["1120.6"] | esco_by_label["2423.2"] | esco_by_label["T2.4"])
    for alignment in curated:
        assert not _cites_report(graph, alignment), alignment
        assert graph.value(alignment, WISE.escoCoverage) is None
        assert graph.value(alignment, DCTERMS.creator) and graph.value(alignment, DCTERMS.created)
        assert _en(graph, alignment, WISE.justification)
        assert not list(graph.subjects(WISE.hasEscoAlignment, alignment))
    for alignment in graph.subjects(RDF.type, WISE.EscoAlignment):
        assert _cites_report(graph, alignment), alignment
    assert not curated & set(graph.subjects(RDF.type, WISE.EscoAlignment))


# -----------------------------------------------------------------------------
#  New vocabulary: tasks, competences, roles grown out of, selection, ESCO critique
# -----------------------------------------------------------------------------


def test_profiles_tasks_competences_and_roles(graph: Graph, lines: list[str]) -> None:
    fronts = _section(lines, "2.7.1").split("act on several fronts:")[1].split("The rationale")[0]
    validator = URIRef(ID + "profile/skills-validator")
    assert len(set(graph.objects(validator, WISE.hasTask))) == fronts.count(";") + 1 == 6
    skills = _section(lines, "2.8.8").split("All this, as pointed out")[0]
    operator = URIRef(ID + "profile/wise-placement-operator")
    assert len(set(graph.objects(operator, WISE.requiresCompetence))) == 5
    assert skills.count(";") + 1 == 5
    assert "an evolution of the role of the supporter" in _section(lines, "2.7.2")
    assert "a specification and an evolution of the role of the supporter" in _section(
        lines, "2.8.2"
    )
    supporter = URIRef(ID + "role/supporter")
    assert graph.value(validator, WISE.evolvesFrom) == supporter
    assert graph.value(operator, WISE.evolvesFrom) == supporter


def test_selection_criteria_and_criticisms_of_esco(graph: Graph, text: str) -> None:
    needs = set(graph.objects(URIRef(ID + "scheme/needs"), WISE.selectionCriterion))
    areas = set(graph.objects(URIRef(ID + "scheme/areas-of-expertise"), WISE.selectionCriterion))
    assert len(needs) == 2 and needs < areas and len(areas) == 4
    assert "The general criteria of relevance and specificity" in text
    for words in (
        "beyond the approximate nature of many ESCO definitions",
        "Again, the ESCO system does not appear to be adequately structured",
        "make the system fragmented and confused",
    ):
        assert words in text
    criticisms = set(graph.subjects(RDF.type, WISE.EscoCriticism))
    assert len(criticisms) == 3
    assert {c for _, c in graph.subject_objects(WISE.hasEscoCriticism)} == criticisms


# -----------------------------------------------------------------------------
#  The documentation's counts come from the data
# -----------------------------------------------------------------------------


def test_documented_counts_are_the_datas(graph: Graph) -> None:
    needs = set(graph.subjects(RDF.type, WISE.Need))
    targets = {t for _, t in graph.subject_objects(WISE.develops)}
    gaps = [
        n for n in needs if n not in targets and not set(graph.objects(n, SKOS.broader)) & targets
    ]
    data_doc = (PROJECT / "docs" / "data.md").read_text(encoding="utf-8")
    assert f"needs no area develops ({len(gaps)} of {len(needs)})" in data_doc
