"""The competency-question queries of queries/: each parses, runs and answers as the report does.

Every query is run through the HTTP API (``GET /queries/{name}?param=…``) of a
real server over the built store; parameters are bound as RDF terms by the
server, never pasted into the text. The answer checks compare the rows with
what the report says, or with the data read by rdflib.
"""

from __future__ import annotations

import re
from pathlib import Path

import httpx
import pytest
from rdflib import Graph, Namespace, URIRef
from rdflib.namespace import RDF, SKOS

from tests.helpers import PROJECT, run
from wise_kg.sparql.queries import SavedQuery, load

pytestmark = pytest.mark.both_stores

QUERIES = sorted((PROJECT / "queries").glob("*.rq"))
SAVED = load(PROJECT / "queries")
WISE = Namespace("https://w3id.org/wise-kg/ontology#")
ID = "https://w3id.org/wise-kg/id/"
ESCO = "http://data.europa.eu/esco/skill/"


@pytest.fixture
def store(client: httpx.Client) -> httpx.Client:
    """The HTTP API the queries are asked through."""
    return client


@pytest.fixture(scope="module")
def data() -> Graph:
    graph = Graph()
    for path in sorted((PROJECT / "data").rglob("*.ttl")):
        graph.parse(path, format="turtle")
    return graph


def column(rows: list[dict[str, str]], name: str) -> set[str]:
    return {row[name] for row in rows if name in row}


# -----------------------------------------------------------------------------
#  Every query: header, parameters, parse and at least one row with its defaults
# -----------------------------------------------------------------------------


def test_twelve_queries() -> None:
    assert [p.name[:5] for p in QUERIES] == [f"cq_{n:02d}" for n in range(1, 16)]
    for path in QUERIES:
        assert re.fullmatch(r"cq_\d\d_[a-z0-9_]+\.rq", path.name)


@pytest.mark.parametrize("name", sorted(SAVED))
def test_query_runs_with_its_defaults(store: httpx.Client, name: str) -> None:
    saved: SavedQuery = SAVED[name]
    assert saved.summary, "the grlc header needs a summary"
    assert saved.description and saved.tags
    assert all(p.default for p in saved.params if p.required), "a default per required parameter"
    defaults = {p.name: p.default for p in saved.params if p.default}
    rows = run(store, name, **defaults)
    if "esco-relations" in saved.tags:  # answers only with a full ESCO download: see test_esco
        return
    assert rows, f"{name} returns no row with its defaults"
    assert any("label" in row for row in rows)


@pytest.mark.parametrize("path", QUERIES, ids=lambda p: p.stem)
def test_query_never_pastes_values(path: Path) -> None:
    """Parameters stay variables: no instance IRI is written into the query body."""
    text = path.read_text(encoding="utf-8")
    body = "\n".join(line for line in text.splitlines() if not line.startswith(("#", "PREFIX")))
    assert "ORDER BY" in body
    assert not re.search(r"\bGRAPH\b", body, re.IGNORECASE), "the default graph is the union"
    assert not re.search(r"<https://w3id\.org/wise-kg/id/", body), "no instance IRI in the text"


# -----------------------------------------------------------------------------
#  Answers checked against the report
# -----------------------------------------------------------------------------

PEOPLE_AREA = ID + "need-area/people-area"
NETWORKING = ID + "area-of-expertise/networking-and-community-thinking"
TUTORING = ID + "area-of-expertise/tutoring-mentoring-and-informal-training"
S1 = ESCO + "dc06de9f-dd3a-4f28-b58f-b01b5ae72ab8"


def test_cq01_people_area_has_needs_1_5_1_to_1_5_7(store: httpx.Client) -> None:
    rows = run(store, "cq_01", area=PEOPLE_AREA)
    assert column(rows, "notation") == {f"1.5.{n}" for n in range(1, 8)}
    placement = {r["concerns"] for r in rows if r["notation"] == "1.5.4"}
    assert placement == {ID + "role/supporter"}


def test_cq02_persona_direct_and_through_role(store: httpx.Client) -> None:
    rows = run(store, "cq_02", role_or_persona=ID + "persona/tech-enabler")
    direct = {r["notation"] for r in rows if r["via"] == "direct"}
    via_role = {r["notation"] for r in rows if r["via"] == "role"}
    assert direct == {"1.4.6"}  # Learn about the WISEs culture
    assert {"1.2.1", "1.3.1", "1.3.5"} <= via_role  # needs concerning enablers
    assert column([r for r in rows if r["via"] == "role"], "throughRole") == {ID + "role/enabler"}
    role_rows = run(store, "cq_02", role_or_persona=ID + "role/staff")
    assert {r["via"] for r in role_rows} == {"direct"}
    # 1.5.7 "concerns all WISEs members", staff included
    assert column(role_rows, "notation") == {"1.3.2", "1.4.2", "1.4.3", "1.4.4", "1.5.7"}


def test_cq03_networking_applies_to(store: httpx.Client) -> None:
    rows = run(store, "cq_03", area=NETWORKING)
    personas = {r["person"] for r in rows if r["kind"] == "persona"}
    roles = {r["person"] for r in rows if r["kind"] == "role"}
    assert personas == {
        ID + "persona/" + p
        for p in ("founder", "social-enabler", "almost-retired", "tech-enabler", "next-enabler")
    }
    assert roles == {ID + "role/enabler", ID + "role/supporter"}


def test_cq04_tutoring_includes_s3_1_counselling(store: httpx.Client) -> None:
    rows = run(store, "cq_04", subject=TUTORING)
    counselling = [r for r in rows if r.get("escoNotation") == "S3.1"]
    assert counselling and counselling[0]["escoLabel"] == "counselling"
    assert counselling[0]["relation"].endswith("#relatedMatch")
    assert counselling[0]["coverageLabel"] == "unsystematic trace"
    # the judgement without an ESCO concept is listed too
    assert any("esco" not in r and r["coverageLabel"] == "not adequately structured" for r in rows)


def test_cq04_area_reaches_its_profile_links(store: httpx.Client) -> None:
    rows = run(store, "cq_04", subject=ID + "area-of-expertise/communicating-work-integration")
    assert column(rows, "holder") == {ID + "profile/social-economy-communicator"}
    assert column(rows, "escoLabel") == {"communication manager"}


def test_cq05_s1_reaches_networking_through_children(store: httpx.Client) -> None:
    rows = run(store, "cq_05", esco=S1)
    networking = [r for r in rows if r["subject"] == NETWORKING]
    assert {r["linkedNotation"]: r["how"] for r in networking} == {
        "S1": "direct",
        "S1.1": "narrower",
        "S1.2": "narrower",
        "S1.8": "narrower",
    }
    only_child = run(store, "cq_05", esco=ESCO + "548c3fbe-9eb1-4035-bc54-027fd5bc5315")
    assert column(only_child, "linkedNotation") == {"S1.8"}


def test_cq06_resistances_by_type(store: httpx.Client, data: Graph) -> None:
    cultural = run(store, "cq_06", area=NETWORKING, type=ID + "resistance-type/cultural")
    assert column(cultural, "resistance") == {
        ID + "resistance/networking-and-community-thinking-romantic-past"
    }
    every = run(store, "cq_06", area=NETWORKING, type=None)
    expected = set(data.objects(URIRef(NETWORKING), WISE.hasResistance))
    assert column(every, "resistance") == {str(r) for r in expected}
    assert column(every, "typeLabel") >= {"cultural", "organisational"}


def test_cq07_actions_by_level(store: httpx.Client, data: Graph) -> None:
    every = run(store, "cq_07", area=NETWORKING, level=None)
    expected = {str(a) for a in data.objects(URIRef(NETWORKING), WISE.hasAction)}
    assert column(every, "action") == expected
    by_level: dict[str, set[str]] = {}
    for row in every:
        by_level.setdefault(row["__level_iri"], set()).add(row["action"])
    for level, actions in by_level.items():
        rows = run(store, "cq_07", area=NETWORKING, level=level)
        assert column(rows, "action") == actions
    # 2.2.8: the collaboration matrix is an action on people
    people = run(store, "cq_07", area=NETWORKING, level=ID + "action-level/people")
    assert ID + "action/networking-and-community-thinking-collaboration-by-stakeholder" in column(
        people, "action"
    )


def test_cq08_weaknesses_of_productive_wises(store: httpx.Client) -> None:
    rows = run(store, "cq_08", cell=ID + "swot-cell/weaknesses-of-productive-wises")
    notations = column(rows, "notation")
    assert {"1.4.5", "1.5.7", "1.2.2", "1.3.4", "1.5.2"} <= notations
    assert "1.5.4" not in notations  # placement is PW/S, PW/O, TW/S, TW/O


def test_cq09_trace_need_to_profile_and_esco(store: httpx.Client) -> None:
    rows = run(store, "cq_09", need=ID + "need/developing-network-functions")
    assert column(rows, "area") == {NETWORKING}
    assert column(rows, "profile") == {ID + "profile/network-operator"}
    assert {r["escoNotation"] for r in rows if r.get("linkedFrom") == "area"} == {
        "S1",
        "S1.1",
        "S1.2",
        "S1.8",
    }
    communicating = run(store, "cq_09", need=ID + "need/communicating-the-mission-of-wise")
    assert {r.get("linkedFrom") for r in communicating} == {"profile"}
    assert column(communicating, "escoLabel") == {"communication manager"}


def test_cq10_needs_no_area_develops(store: httpx.Client, data: Graph) -> None:
    needs = set(data.subjects(RDF.type, WISE.Need))
    targets = {
        target
        for area in data.subjects(RDF.type, WISE.AreaOfExpertise)
        for target in data.objects(area, WISE.develops)
    }
    # a need is developed by name, or as part of a whole need area (2.2: Network Building Area)
    developed = {n for n in needs if n in targets or set(data.objects(n, SKOS.broader)) & targets}
    rows = run(store, "cq_10")
    assert column(rows, "need") == {str(n) for n in needs - developed}
    assert len(rows) == len(needs - developed) == 10
    assert ID + "need/placement" not in column(rows, "need")
    # 2.2 "develops what has been elaborated in section 'Network Building Area'" (l.574)
    assert not column(rows, "need") & {
        ID + "need/co-operation-with-public-administration",
        ID + "need/social-economy-groups",
    }


def test_cq11_weak_coverage(store: httpx.Client) -> None:
    rows = run(store, "cq_11")
    areas = column(rows, "area")
    aoe = ID + "area-of-expertise/"
    assert areas == {
        NETWORKING,  # "not identified as a separate S&C", "underestimated" (2.2.5)
        aoe + "capacity-of-vision",  # neglected (ideation)
        aoe + "tutoring-mentoring-and-informal-training",
        aoe + "skills-validation",
        aoe + "placement",
        aoe + "organising-production-with-wsn",
    }
    # 2.4.5: "The profile of 'communication manager' is present in the ESCO classification"
    assert aoe + "communicating-work-integration" not in areas
    assert not column(rows, "coverageLabel") & {"occupation to adapt", "connected"}


def test_cq12_section_1_5(store: httpx.Client) -> None:
    rows = run(store, "cq_12", section=ID + "source/bwise-d3-1/section/1.5")
    needs = {r["resource"] for r in rows if r.get("type") == str(WISE.Need)}
    assert len(needs) == 7
    assert ID + "need/placement" in needs
    assert PEOPLE_AREA in column(rows, "resource")
    assert all(r.get("partNotation", "1.5").startswith("1.5") for r in rows)
