"""The other sources (001-004) in the graph: every document represented and sourced,
its facts checked against the document's own text; the graph in Italian; CQ 13 and 14."""

from __future__ import annotations

import re
from decimal import Decimal

import httpx
import pytest
from rdflib import Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCTERMS, OWL, RDF, RDFS, SKOS

from tests.helpers import PROJECT, SHARED, run

pytestmark = pytest.mark.both_stores

WISE = Namespace("https://w3id.org/wise-kg/ontology#")
XSD = Namespace("http://www.w3.org/2001/XMLSchema#")  # plain: rdflib's XSD warns on pytest's probes
ID = "https://w3id.org/wise-kg/id/"
SOURCE = ID + "source/"
COUNTRY = "http://publications.europa.eu/resource/authority/country/"
SOURCES = SHARED / "sources"
#: file-name prefix of each document -> its source resource
DOCUMENTS = {
    "000": "bwise-d3-1",
    "001": "easpd-technology-summary",
    "002": "inno-wises-project-description",
    "003": "bwise-kick-off-news",
    "004": "engim-veneto-good-practice",
}
ALPHA2 = {"BE": "BEL", "PL": "POL", "IT": "ITA", "FI": "FIN", "LT": "LTU", "RO": "ROU", "UK": "GBR"}
GOOD_PRACTICE = URIRef(
    ID + "good-practice/smart-integration-of-networks-for-social-and-labour-inclusion"
)


@pytest.fixture(scope="module")
def ontology() -> Graph:
    return Graph().parse(PROJECT / "ontology" / "wise.ttl")


def text(number: str) -> str:
    path = next(SOURCES.glob(f"{number}_*.txt"), None)
    if path is None:
        pytest.skip("the sources are read from ../shared/sources")
    return path.read_text(encoding="utf-8")


def lang(g: Graph, s: URIRef, p: URIRef, tag: str = "en") -> set[str]:
    return {str(o) for o in g.objects(s, p) if isinstance(o, Literal) and o.language == tag}


def sourced_from(g: Graph, document: URIRef) -> set[URIRef]:
    """Every resource whose dcterms:source is the document or one of its parts."""
    parts = {document} | set(g.transitive_subjects(DCTERMS.isPartOf, document))
    return {s for part in parts for s in g.subjects(DCTERMS.source, part)}


# -----------------------------------------------------------------------------
#  Every document is represented and sourced
# -----------------------------------------------------------------------------


def test_every_document_is_a_source_with_resources(graph: Graph) -> None:
    files = sorted(p.name[:3] for p in SOURCES.glob("0*.txt"))
    if not files:
        pytest.skip("the sources are read from ../shared/sources")
    assert set(files) <= set(DOCUMENTS), f"a document without a source resource: {files}"
    for number in files:
        document = URIRef(SOURCE + DOCUMENTS[number])
        assert (document, RDF.type, DCTERMS.BibliographicResource) in graph
        if number != "000":
            identifier = str(graph.value(document, DCTERMS.identifier))
            assert identifier.startswith(number + "_"), identifier
        assert len(sourced_from(graph, document)) >= 3, f"little is sourced from {number}"


# -----------------------------------------------------------------------------
#  001  EASPD: barriers, strategies, countries
# -----------------------------------------------------------------------------


def _bullets(document: str, start: str, end: str) -> list[str]:
    block = document[document.index(start) : document.index(end)]
    return [line.strip()[2:].strip().rstrip(".") for line in block.splitlines() if "•" in line]


def test_easpd_barriers_follow_the_summary(graph: Graph) -> None:
    summary = text("001")
    listed = _bullets(summary, "due to:", "With regards")
    barriers = set(graph.subjects(RDF.type, WISE.Barrier))
    labels = {next(iter(lang(graph, b, SKOS.prefLabel))) for b in barriers}
    assert len(listed) == len(barriers) == 4
    assert set(listed) == labels
    for barrier in barriers:
        assert (barrier, RDF.type, WISE.Barrier) in graph
        assert graph.value(barrier, WISE.resistanceType) is not None
        assert all((n, RDF.type, WISE.Need) in graph for n in graph.objects(barrier, WISE.hinders))
        assert list(graph.objects(barrier, WISE.hinders))
        assert sourced_from(graph, URIRef(SOURCE + DOCUMENTS["001"])) >= {barrier}


def test_easpd_strategies_follow_the_summary(graph: Graph) -> None:
    summary = text("001")
    listed = _bullets(summary, "including:", "It concluded")
    strategies = set(graph.subjects(RDF.type, WISE.Strategy))
    assert len(listed) == len(strategies) == 4
    levels = {str(graph.value(s, WISE.actionLevel)).rsplit("/", 1)[-1] for s in strategies}
    assert levels == {"people", "organisation", "policy"}
    funding = URIRef(ID + "strategy/easing-access-to-funding-for-digital-technologies")
    assert "Easing access to funding" in next(iter(lang(graph, funding, SKOS.prefLabel)))
    assert any("access to funding" in x for x in listed)


def test_easpd_countries(graph: Graph) -> None:
    codes = re.search(r"\(((?:[A-Z]{2}, )+[A-Z]{2})\)", text("001")).group(1).split(", ")
    document = URIRef(SOURCE + DOCUMENTS["001"])
    spatial = {str(c).removeprefix(COUNTRY) for c in graph.objects(document, DCTERMS.spatial)}
    assert spatial == {ALPHA2[c] for c in codes}


# -----------------------------------------------------------------------------
#  002 / 003  Projects, and how D3.1 belongs to B-WISE
# -----------------------------------------------------------------------------


def test_inno_wises(graph: Graph) -> None:
    description = text("002")
    project = URIRef(ID + "project/inno-wises")
    count = int(re.search(r"gathers (\d+) partners", description).group(1))
    assert graph.value(project, WISE.partnerCount) == Literal(count)
    named = re.search(r"countries \(([^)]*)\)", description).group(1)
    countries = {c.strip() for c in re.split(r",| and ", named)}
    got = {str(graph.value(c, SKOS.prefLabel)) for c in graph.objects(project, DCTERMS.spatial)}
    assert got == countries == {"Italy", "Slovenia", "Croatia", "Poland", "Belgium"}
    sectors = re.search(r"\(i\.e\. ([^)]*)\)", description).group(1)
    outputs = set(graph.objects(project, WISE.hasOutput))
    sector_labels = {
        str(graph.value(s, SKOS.prefLabel))
        for o in outputs
        for s in graph.objects(o, WISE.economicSector)
    }
    *first, last = sectors.split(", ")  # "…, sustainable tourism and agriculture"
    assert sector_labels == {*first, *last.split(" and ")}
    kinds = {str(graph.value(o, WISE.outputKind)).rsplit("/", 1)[-1] for o in outputs}
    assert kinds == {"ict-platform", "mooc", "training-programme"}
    assert graph.value(project, WISE.coordinator) is None  # the source names none


def test_b_wise_from_the_kick_off_news(graph: Graph) -> None:
    news = text("003")
    project = URIRef(ID + "project/b-wise")
    assert "coordinato da EASPD con il supporto di ENSIE" in news
    assert graph.value(project, WISE.coordinator) == URIRef(ID + "organisation/easpd")
    assert URIRef(ID + "organisation/ensie") in set(graph.objects(project, WISE.supportedBy))
    assert "30 partner, 16 membri dell'Advisory Board" in news
    assert graph.value(project, WISE.partnerCount) == Literal(30)
    assert graph.value(project, WISE.advisoryBoardSize) == Literal(16)
    assert "30-04-2021" in news and "Il 26 e 27 gennaio" in news
    assert graph.value(project, WISE.kickOffDate) == Literal("2021-01-26", datatype=XSD.date)
    assert str(graph.value(project, WISE.programme)) == "Erasmus+"
    first = URIRef(ID + "project-phase/bwise-skills-gap-assessment")
    assert graph.value(first, WISE.ledBy) == URIRef(ID + "organisation/euricse")
    phases = set(graph.subjects(WISE.phaseOf, project))
    assert len(phases) >= 8  # five phases of the news, WP1-WP3 of D3.1
    mooc = [o for p in phases for o in graph.objects(p, WISE.hasOutput)]
    assert URIRef(ID + "project-output/bwise-mooc-on-digital-skills") in mooc


def test_d3_1_is_a_deliverable_of_b_wise_and_its_personas_come_from_wp2(graph: Graph) -> None:
    report = URIRef(SOURCE + "bwise-d3-1")
    project = URIRef(ID + "project/b-wise")
    wp2, wp3 = URIRef(ID + "project-phase/bwise-wp2"), URIRef(ID + "project-phase/bwise-wp3")
    assert report in set(graph.objects(project, WISE.hasOutput))
    assert graph.value(report, WISE.producedIn) == wp3
    assert graph.value(wp3, WISE.phaseOf) == project == graph.value(wp2, WISE.phaseOf)
    personas = set(graph.subjects(RDF.type, WISE.Persona))
    assert personas and all(graph.value(p, WISE.producedIn) == wp2 for p in personas)
    cells = set(graph.subjects(RDF.type, WISE.SwotCell))
    assert all(graph.value(c, WISE.producedIn) == wp2 for c in cells)


# -----------------------------------------------------------------------------
#  004  The ENGIM Veneto good practice: typed facts against the record
# -----------------------------------------------------------------------------


def test_good_practice_facts(graph: Graph) -> None:
    record = text("004")
    gp = GOOD_PRACTICE
    assert re.search(r"Data di avvio\s+20/12/2017", record)
    assert graph.value(gp, WISE.startDate) == Literal("2017-12-20", datatype=XSD.date)
    assert re.search(r"Durata prevista\s+6 mesi", record)
    assert str(graph.value(gp, WISE.plannedDuration)) == "P6M"
    assert graph.value(gp, WISE.plannedDuration).datatype == XSD.duration
    budget = re.search(r"Budget programmato\s+€ ([\d.]+,\d\d)", record).group(1)
    expected = Decimal(budget.replace(".", "").replace(",", "."))
    assert graph.value(gp, WISE.budgetEuro).toPython() == expected
    assert re.search(r"Fonte di finanziamento\s+FSE", record)
    assert "Fondo sociale europeo (FSE)" in lang(graph, gp, WISE.fundingSource, "it")
    hours = int(re.search(r"Erogate (\d+) ore di formazione", record).group(1))
    assert graph.value(gp, WISE.hoursDelivered) == Literal(hours)
    assert "46 destinatari" in record
    assert graph.value(gp, WISE.recipientCount) == Literal(46)
    assert graph.value(gp, WISE.ledBy) == URIRef(ID + "organisation/engim-veneto")
    assert graph.value(gp, WISE.partner) == URIRef(ID + "organisation/isre")
    for prop in (WISE.strength, WISE.criticalPoint, WISE.transferability, WISE.lesson):
        assert lang(graph, gp, prop, "en") and lang(graph, gp, prop, "it"), prop


def test_good_practice_outcome_figures(graph: Graph) -> None:
    record = text("004")
    figures = {
        str(f).rsplit("/", 1)[-1].removeprefix("smart-integration-"): f
        for f in graph.objects(GOOD_PRACTICE, WISE.hasOutcomeFigure)
    }

    def quantity(name: str, prop: URIRef = WISE.quantity) -> int:
        return int(graph.value(figures[name], prop).toPython())

    assert "Raggiunti 43 operatori del sociale" in record
    assert quantity("social-workers-reached") == 43
    assert "38 (80% dei partecipanti)" in record and quantity("participants-certified") == 38
    assert "23 Pubbliche Amministrazioni del territorio contro le 8 previste" in record
    assert quantity("public-administrations-involved") == 23
    assert quantity("public-administrations-involved", WISE.plannedQuantity) == 8
    assert "realizzate 21 su 25 consulenze" in record
    assert quantity("individual-consultations") == 21
    assert quantity("individual-consultations", WISE.plannedQuantity) == 25
    assert "più dell'89% delle risorse" in record
    assert quantity("budget-used") == 89
    assert graph.value(figures["budget-used"], WISE.isLowerBound) == Literal(True)


def test_good_practice_addresses_placement_job_carving_and_remote_monitoring(
    graph: Graph,
) -> None:
    record = text("004")
    assert "job carving" in record and "monitoraggio a distanza dei percorsi" in record
    addressed = {str(x).removeprefix(ID) for x in graph.objects(GOOD_PRACTICE, WISE.addresses)}
    assert {
        "need/placement",
        "area-of-expertise/placement",
        "need/organising-production-by-combining-social-mission-and-production-needs",
        "area-of-expertise/organising-production-with-wsn",
        "area-of-expertise/tutoring-mentoring-and-informal-training",  # 2.6.7 digital cards
    } <= addressed
    assert URIRef(SOURCE + "bwise-d3-1/section/2.6.7") in set(
        graph.objects(GOOD_PRACTICE, RDFS.seeAlso)
    )
    durations = {
        str(a).rsplit("/", 1)[-1]: graph.value(a, WISE.duration)
        for a in graph.objects(GOOD_PRACTICE, WISE.hasActivity)
    }
    assert "della durata complessiva di 80 ore" in record
    assert durations["co-design-laboratory"] == Literal("PT80H", datatype=XSD.duration)
    assert durations["study-visit-to-england"] == Literal("P7D", datatype=XSD.duration)


# -----------------------------------------------------------------------------
#  The graph in Italian
# -----------------------------------------------------------------------------

#: An accent written as an apostrophe ("perche'", "e'") is a slip in Italian.
FAKE_ACCENT = re.compile(r"\b(?:e|perche|puo|citta|attivita|piu|gia|cosi)'(?=[\s,.;:)]|$)")


def _concepts(graph: Graph, ontology: Graph) -> set[URIRef]:
    kinds = set(ontology.subjects(RDFS.subClassOf, SKOS.Concept))
    return {
        c
        for k in kinds
        for c in graph.subjects(RDF.type, k)
        if str(c).startswith(ID)  # ESCO's own concepts keep ESCO's labels
    }


def test_every_concept_reads_in_english_and_italian(graph: Graph, ontology: Graph) -> None:
    concepts = _concepts(graph, ontology)
    assert len(concepts) >= 97
    for concept in concepts:
        for tag in ("en", "it"):
            assert len(lang(graph, concept, SKOS.prefLabel, tag)) == 1, (concept, tag)
            assert lang(graph, concept, SKOS.definition, tag), (concept, tag)
        for value in lang(graph, concept, SKOS.prefLabel, "it") | lang(
            graph, concept, SKOS.definition, "it"
        ):
            assert not FAKE_ACCENT.search(value), value
    for scheme in graph.subjects(RDF.type, SKOS.ConceptScheme):
        if str(scheme).startswith(ID):
            assert len(lang(graph, scheme, SKOS.prefLabel, "it")) == 1, scheme


def test_italian_uses_the_sources_terms(graph: Graph) -> None:
    wsn = URIRef(ID + "role/worker-with-support-needs")
    assert "inserimento lavorativo" in next(iter(lang(graph, wsn, SKOS.definition, "it")))
    assert lang(graph, URIRef(ID + "need/placement"), SKOS.prefLabel, "it") == {"Collocamento"}


def test_every_ontology_term_reads_in_italian(ontology: Graph) -> None:
    terms = {
        s
        for kind in (OWL.Class, OWL.ObjectProperty, OWL.DatatypeProperty)
        for s in ontology.subjects(RDF.type, kind)
        if str(s).startswith(str(WISE))
    }
    assert len(terms) >= 80
    for term in terms:
        assert len(lang(ontology, term, RDFS.label, "it")) == 1, term
        assert lang(ontology, term, SKOS.definition, "it"), term
    assert (WISE.Barrier, RDFS.subClassOf, WISE.Resistance) in ontology
    assert (WISE.Strategy, RDFS.subClassOf, WISE.Action) in ontology


# -----------------------------------------------------------------------------
#  Competency questions 13 and 14, through the HTTP API
# -----------------------------------------------------------------------------


def test_cq13_placement_is_addressed_by_the_good_practice(client: httpx.Client) -> None:
    rows = run(client, "cq_13", need=ID + "need/placement")
    gp = [r for r in rows if r["resource"] == str(GOOD_PRACTICE)]
    assert {r["via"] for r in gp} == {"direct", "area"}
    assert {r.get("area") for r in gp if r["via"] == "area"} == {ID + "area-of-expertise/placement"}
    assert {r["document"] for r in gp} == {SOURCE + "engim-veneto-good-practice"}
    assert {r["labelIt"] for r in gp} == {
        "Integrazione smart delle reti per l'inclusione sociale e lavorativa"
    }


def test_cq13_digital_skills_barriers_and_strategies(client: httpx.Client) -> None:
    rows = run(client, "cq_13", need=ID + "need/workers-technological-and-digital-skills")
    hinders = {r["resource"] for r in rows if r["relation"] == "hinders"}
    assert len(hinders) == 4 and all("/barrier/" in r for r in hinders)
    strategies = {r["resource"] for r in rows if r["type"] == str(WISE.Strategy)}
    assert len(strategies) == 4
    assert ID + "project/inno-wises" in {r["resource"] for r in rows}
    assert {r["document"] for r in rows if r["resource"] in hinders} == {
        SOURCE + "easpd-technology-summary"
    }


def test_cq14_projects_in_a_country(client: httpx.Client) -> None:
    italy = run(client, "cq_14", country=COUNTRY + "ITA")
    assert {r["resource"] for r in italy} == {ID + "project/inno-wises", str(GOOD_PRACTICE)}
    inno = [r for r in italy if r["resource"] == ID + "project/inno-wises"]
    assert {r["outputKindLabel"] for r in inno} == {"ICT platform", "MOOC", "training programme"}
    assert {r["partnerCount"] for r in inno} == {"12"}
    gp = [r for r in italy if r["resource"] == str(GOOD_PRACTICE)]
    assert {r["leadLabel"] for r in gp} == {"ENGIM Veneto"}
    belgium = run(client, "cq_14", country=COUNTRY + "BEL")
    assert {r["resource"] for r in belgium} == {ID + "project/inno-wises"}
    assert run(client, "cq_14", country=COUNTRY + "FIN") == []  # only the EASPD study covers it
