"""ESCO: loading real downloads, atomically, and checking every link against them."""

from __future__ import annotations

import gzip
import shutil
from pathlib import Path

import pytest
from SPARQLWrapper import JSON, SPARQLWrapper

from tests.helpers import SHARED, TEST_DATA, LiveServer, copy_project, http_client
from wise_kg.config import Settings
from wise_kg.errors import EscoFileError
from wise_kg.esco import diff as esco_diff
from wise_kg.esco import load as esco
from wise_kg.graphs import ESCO_GRAPH, GRAPHS
from wise_kg.store.build import build, validate_project
from wise_kg.store.embedded import open_read_only

ESCO_DIR = SHARED / "esco" / "v1.2.0"
FIXTURES = TEST_DATA / "esco"
SKILL = "http://data.europa.eu/esco/skill/"
WSH = "https://w3id.org/wise-kg/shapes#"
PREFIXES = """
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
PREFIX esco: <http://data.europa.eu/esco/model#>
PREFIX dcterms: <http://purl.org/dc/terms/>
PREFIX escoskill: <http://data.europa.eu/esco/skill/>
"""
needs_esco = pytest.mark.skipif(not ESCO_DIR.is_dir(), reason="needs ../shared/esco/v1.2.0")


def _esco(settings: Settings, pattern: str, select: str = "*"):
    """Solutions of a pattern over the ESCO graph of the store."""
    store, _ = open_read_only(settings.resolved_store_path())
    query = f"{PREFIXES} SELECT {select} WHERE {{ GRAPH <{ESCO_GRAPH}> {{ {pattern} }} }}"
    return list(store.query(query))


@pytest.fixture(scope="module")
def with_esco(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """The real sources built, then the shared ESCO v1.2.0 folder loaded for real."""
    root = copy_project(tmp_path_factory.mktemp("esco"))
    settings = Settings(project_dir=root, store_path=root / ".wise-kg" / "store")
    build(settings)
    if ESCO_DIR.is_dir():
        esco.load(settings, ESCO_DIR)
    return settings


@needs_esco
def test_load_the_shared_esco_folder(with_esco: Settings) -> None:
    _store, info = open_read_only(with_esco.resolved_store_path())
    assert info.graphs[ESCO_GRAPH] > 100_000
    occupations = _esco(with_esco, "?o a esco:Occupation", "(COUNT(*) AS ?n)")
    assert occupations[0]["n"].value == "3039"
    s18 = _esco(
        with_esco,
        "escoskill:548c3fbe-9eb1-4035-bc54-027fd5bc5315 skos:notation ?code; skos:prefLabel ?label",
    )[0]
    assert (s18["code"].value, s18["label"].value) == ("S1.8", "working with others")
    version = _esco(with_esco, f"<{ESCO_GRAPH}> dcterms:hasVersion ?v")[0]
    assert version["v"].value == "1.2.0"


@needs_esco
def test_validation_with_esco_loaded_is_clean(with_esco: Settings) -> None:
    report = validate_project(with_esco)
    assert report.conforms, [r.message for r in report.violations]


@needs_esco
def test_rebuild_keeps_esco(with_esco: Settings) -> None:
    before = open_read_only(with_esco.resolved_store_path())[1].graphs[ESCO_GRAPH]
    build(with_esco)
    assert open_read_only(with_esco.resolved_store_path())[1].graphs[ESCO_GRAPH] == before


@needs_esco
def test_hierarchy_query_over_http_with_esco(with_esco: Settings) -> None:
    with LiveServer(with_esco) as live, http_client(live.url) as client:
        top_skills = SKILL + "335228d2-297d-4e0e-a6ee-bc6a8dc110d9"  # "skills" (S)
        rows = client.get("/queries/cq_05", params={"esco": top_skills}).json()["results"][
            "bindings"
        ]
        linked = {
            r[name]["value"].rsplit("/", 1)[-1]
            for r in rows
            for name in r
            if "area" in name or "subject" in name
        }
        assert "networking-and-community-thinking" in linked or any(
            "networking-and-community-thinking" in v["value"] for r in rows for v in r.values()
        )


@needs_esco
def test_a_triple_in_two_published_graphs_is_one_answer_over_http(with_esco: Settings) -> None:
    """SPARQLWrapper asks for the types of a skill the data describes and ESCO too: each
    type once (the default graph is an RDF merge), with or without a GRAPH pattern."""
    skill = "http://data.europa.eu/esco/skill/a4fe0844-8544-4a0a-a796-c1d3071598e2"
    plain = f"SELECT ?t WHERE {{ <{skill}> a ?t }}"
    graphs = (
        f"SELECT ?t WHERE {{ <{skill}> a ?t FILTER EXISTS {{ GRAPH ?g {{ <{skill}> a ?t }} }} }}"
    )
    with LiveServer(with_esco) as live:
        answers = []
        for query in (plain, graphs):
            client = SPARQLWrapper(live.url + "/sparql")
            client.setQuery(query)
            client.setReturnFormat(JSON)
            rows = client.queryAndConvert()["results"]["bindings"]  # type: ignore[index]
            answers.append(sorted(row["t"]["value"] for row in rows))
    assert answers[0] == answers[1] == sorted(set(answers[0])) and len(answers[0]) >= 2


@needs_esco
def test_a_triple_in_two_graphs_of_any_named_dataset_is_one_answer(with_esco: Settings) -> None:
    """The same, with the default graph named by the client: two graphs by the protocol,
    by FROM, and the published ones beside one graph by name. The engine answered such a
    triple once per graph."""
    skill = "http://data.europa.eu/esco/skill/a4fe0844-8544-4a0a-a796-c1d3071598e2"
    data, ontology = GRAPHS["data"], GRAPHS["ontology"]
    asked = [  # (query, default graphs, named graphs)
        (f"SELECT ?t WHERE {{ <{skill}> a ?t }}", [data, ESCO_GRAPH], []),
        (f"SELECT ?t FROM <{data}> FROM <{ESCO_GRAPH}> WHERE {{ <{skill}> a ?t }}", [], []),
        (
            f"SELECT ?t WHERE {{ <{skill}> a ?t "
            f"FILTER EXISTS {{ GRAPH ?g {{ <{skill}> a ?t }} }} }}",
            [data, ontology, ESCO_GRAPH],
            [ESCO_GRAPH],
        ),
    ]
    with LiveServer(with_esco) as live:
        answers = []
        for query, default, named in asked:
            client = SPARQLWrapper(live.url + "/sparql")
            client.setQuery(query)
            client.setReturnFormat(JSON)
            for graph in default:
                client.addDefaultGraph(graph)
            for graph in named:
                client.addNamedGraph(graph)
            rows = client.queryAndConvert()["results"]["bindings"]  # type: ignore[index]
            answers.append(sorted(row["t"]["value"] for row in rows))
    assert answers[0] == answers[1] == sorted(set(answers[0])) and len(answers[0]) >= 2
    assert set(answers[2]) <= set(answers[0]) and answers[2] == sorted(set(answers[2]))
    assert answers[2]


def test_full_download_layout_and_languages(settings: Settings) -> None:
    build(settings)
    summary = esco.load(settings, FIXTURES / "full", version="fixture")
    assert summary.concepts == {"Skill": 3, "Occupation": 1, "SkillGroup": 1}
    assert summary.languages == {"en", "it"}
    coach = "escoskill:00000000-f1x7-4000-8000-000000000001"
    labels = {
        (r["l"].value, r["l"].language) for r in _esco(settings, f"{coach} skos:prefLabel ?l")
    }
    assert labels == {
        ("coach workers with support needs", "en"),
        ("affiancare lavoratori svantaggiati", "it"),
    }
    rows = _esco(
        settings,
        f"""?o esco:hasEssentialSkill {coach} ; skos:notation "3412.9" .
            {coach} esco:skillType <http://data.europa.eu/esco/skill-type/skill> ;
                esco:skillReuseLevel <http://data.europa.eu/esco/skill-reuse-level/cross-sector> ;
                skos:broader ?group .
            ?group skos:notation "S9.9" .""",
    )
    assert len(rows) == 1


def test_a_bad_file_names_file_and_row_and_changes_nothing(settings: Settings) -> None:
    first = build(settings).info
    with pytest.raises(EscoFileError) as err:
        esco.load(settings, FIXTURES / "broken")
    assert "occupations_en.csv, row 3" in str(err.value) and "not an IRI" in str(err.value)
    assert open_read_only(settings.resolved_store_path())[1].build_id == first.build_id


def test_rdf_download_gzipped(settings: Settings, tmp_path: Path) -> None:
    build(settings)
    packed = tmp_path / "esco-replaced.ttl.gz"
    with gzip.open(packed, "wb") as out:
        out.write((FIXTURES / "esco-replaced.ttl").read_bytes())
    summary = esco.load(settings, packed, version="fixture")
    assert summary.concepts["Skill"] == 2 and summary.concepts["Occupation"] == 1


ALIGNMENT = """@prefix wise: <https://w3id.org/wise-kg/ontology#> .
@prefix esco: <http://data.europa.eu/esco/model#> .
@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
@prefix dcterms: <http://purl.org/dc/terms/> .
<https://w3id.org/wise-kg/id/area-of-expertise/placement>
    wise:hasEscoAlignment <https://w3id.org/wise-kg/id/esco-alignment/fixture-{n}> ;
    skos:relatedMatch <{target}> .
<https://w3id.org/wise-kg/id/esco-alignment/fixture-{n}> a wise:EscoAlignment ;
    skos:prefLabel "Fixture alignment {n}"@en ;
    wise:escoConcept <{target}> ;
    wise:mappingRelation skos:relatedMatch ;
    wise:escoCoverage <https://w3id.org/wise-kg/id/esco-coverage/piecemeal> ;
    dcterms:source <https://w3id.org/wise-kg/id/source/bwise-d3-1/section/2.8.5> .
<{target}> a skos:Concept ; skos:prefLabel "described in data"@en ;
    skos:inScheme <http://data.europa.eu/esco/concept-scheme/skills> .
"""


@pytest.mark.parametrize(
    ("target", "rule", "words"),
    [
        (
            SKILL + "ffffffff-0000-4000-8000-00000000bad0",
            "EscoReference-exists",
            "not a concept of the loaded ESCO",
        ),
        (
            SKILL + "00000000-f1x7-4000-8000-000000000004",
            "EscoReference-kind",
            "is an ESCO Occupation, not the skill",
        ),
        (
            SKILL + "00000000-f1x7-4000-8000-000000000003",
            "EscoReference-released",
            "is obsolete in the loaded ESCO fixture, not released; it is replaced by "
            + SKILL
            + "00000000-f1x7-4000-8000-000000000001",
        ),
    ],
    ids=["bogus", "wrong-kind", "obsolete"],
)
def test_wrong_esco_links_fail_validation(
    settings: Settings, project: Path, target: str, rule: str, words: str
) -> None:
    build(settings)
    esco.load(settings, FIXTURES / "esco-replaced.ttl", version="fixture")
    (project / "data" / "zz-fixture.ttl").write_text(
        "# fixture\n" + ALIGNMENT.format(n=1, target=target)
    )
    report = validate_project(settings)
    hits = [r for r in report.violations if r.rule == WSH + rule and r.value == target]
    assert hits, [r.message for r in report.violations]
    assert words in hits[0].message
    assert hits[0].files == ("data/zz-fixture.ttl",)


def test_without_esco_the_data_descriptions_are_the_reference(
    settings: Settings, project: Path
) -> None:
    bogus = SKILL + "ffffffff-0000-4000-8000-00000000bad1"
    text = ALIGNMENT.format(n=2, target=bogus).split(f"<{bogus}> a skos:Concept")[0]
    (project / "data" / "zz-fixture.ttl").write_text("# fixture\n" + text)
    report = validate_project(settings)
    assert any(
        r.rule == WSH + "EscoReference-exists" and "ESCO descriptions in data/" in r.message
        for r in report.violations
    )


def test_data_must_agree_with_loaded_esco(settings: Settings, project: Path) -> None:
    if not ESCO_DIR.is_dir():
        pytest.skip("needs ../shared/esco/v1.2.0")
    build(settings)
    esco.load(settings, ESCO_DIR)
    concepts = project / "data" / "esco-concepts.ttl"
    concepts.write_text(
        concepts.read_text().replace('"working with others"@en', '"working together"@en')
    )
    report = validate_project(settings)
    assert any(
        r.rule == WSH + "EscoReference-agrees" and "working with others" in r.message
        for r in report.violations
    )
    shutil.rmtree(project / ".wise-kg")


@needs_esco
def test_sssom_export_reads_back_with_the_sssom_package(
    with_esco: Settings, tmp_path: Path
) -> None:
    from sssom.parsers import parse_sssom_table

    from wise_kg.esco.export import sssom

    store, _ = open_read_only(with_esco.resolved_store_path())
    target = tmp_path / "wise-kg.sssom.tsv"
    target.write_text(
        sssom(store, version="9.9.9", esco_version="1.2.0", base_iri="https://w3id.org/wise-kg/")
    )
    mapping_set = parse_sssom_table(target)
    frame = mapping_set.df
    assert len(frame) == len(frame.drop_duplicates()) >= 15
    row = frame[frame["object_label"] == "working with others"].iloc[0]
    assert row["subject_id"] == "wisekg:area-of-expertise/networking-and-community-thinking"
    assert row["predicate_id"] == "skos:relatedMatch"
    assert row["mapping_justification"] == "semapv:ManualMappingCuration"
    assert "partial" in row["comment"] and "Stated by the report" in row["comment"]
    assert row["author_label"].startswith("Gianfranco Marocchi")
    assert row["see_also"] == "https://w3id.org/wise-kg/id/source/bwise-d3-1"
    # Our curated links are rows of their own, never attributed to the report.
    curated = frame[frame["comment"].str.startswith("Curated by wise-kg")]
    assert set(curated["object_label"]) == {
        "social entrepreneur",
        "employment and vocational integration consultant",
        "thinking creatively and innovatively",
    }
    assert set(curated["author_label"]) == {"The wise-kg team"}
    assert curated["mapping_date"].notna().all()
    assert not curated["see_also"].fillna("").str.contains("bwise-d3-1").any()
    report = frame[~frame["comment"].str.startswith("Curated by wise-kg")]
    assert not (report["author_label"] == "The wise-kg team").any()
    assert mapping_set.metadata["license"] == "https://creativecommons.org/licenses/by/4.0/"


@needs_esco
def test_esco_subset_regenerates_the_data_descriptions(with_esco: Settings) -> None:
    from rdflib import Graph
    from rdflib.namespace import SKOS

    from wise_kg.esco.export import esco_subset

    store, _ = open_read_only(with_esco.resolved_store_path())
    generated = Graph().parse(data=esco_subset(store, "1.2.0", with_esco.base_iri), format="turtle")
    ours = Graph().parse(with_esco.project_dir / "data" / "esco-concepts.ttl")

    def esco_triples(graph: Graph) -> set:
        skos = "http://www.w3.org/2004/02/skos/core#"
        keep = {
            skos + "prefLabel",
            skos + "notation",
            skos + "broader",
            skos + "inScheme",
            "http://www.w3.org/1999/02/22-rdf-syntax-ns#type",
        }
        return {
            t
            for t in graph
            if str(t[1]) in keep and str(t[0]).startswith("http://data.europa.eu/esco/")
        }

    # The reduced download has no skills_en.csv: a knowledge concept found only in
    # skills_text_en.csv ("validation of learning acquired through volunteering") has
    # its label in data/ but none in the loaded ESCO. Everything else is identical.
    extra = esco_triples(ours) - esco_triples(generated)
    unlabelled = {s for s, p, _ in extra if str(p).endswith("#prefLabel")}
    assert all(str(p).endswith("#prefLabel") for _, p, _ in extra), extra
    assert all(generated.value(s, SKOS.prefLabel) is None for s in unlabelled)
    assert esco_triples(generated) <= esco_triples(ours)


@needs_esco
def test_esco_diff_reports_changes_of_linked_concepts(settings: Settings, tmp_path: Path) -> None:
    newer = tmp_path / "v1.3.0"
    newer.mkdir()
    text = (ESCO_DIR / "skillGroups_en.csv").read_text(encoding="utf-8")
    (newer / "skillGroups_en.csv").write_text(
        text.replace(",working with others,", ",working alongside others,")
    )
    shutil.copy(ESCO_DIR / "broaderRelationsSkillPillar_en.csv", newer)
    old_quads, _ = esco.read_download(ESCO_DIR)
    new_quads, summary = esco.read_download(newer)
    assert summary.version == "1.3.0"
    s18 = SKILL + "548c3fbe-9eb1-4035-bc54-027fd5bc5315"
    changes = esco_diff.diff(
        esco_diff.describe_concepts(old_quads, {s18}), esco_diff.describe_concepts(new_quads, {s18})
    )
    assert changes == [f"{s18}: label ['working with others'] -> ['working alongside others']"]


def test_occupations_needing_the_skills_a_profile_links_to(
    settings: Settings, project: Path
) -> None:
    build(settings)
    group = SKILL + "00000000-f1x7-4000-8000-0000000000gg"  # "supporting people at work", S9.9
    fixture = ALIGNMENT.format(n=3, target=group).split(f"<{group}> a skos:Concept")[0]
    (project / "data" / "zz-fixture.ttl").write_text(
        "# fixture\n" + fixture + f"<{group}> a skos:Concept, esco:SkillGroup ; skos:prefLabel "
        '"supporting people at work"@en ; skos:notation "S9.9" ; '
        "skos:inScheme <http://data.europa.eu/esco/concept-scheme/skills> .\n"
    )
    build(settings)
    esco.load(settings, FIXTURES / "full", version="fixture")
    with LiveServer(settings) as live, http_client(live.url) as client:
        placement = "https://w3id.org/wise-kg/id/area-of-expertise/placement"
        answer = client.get("/queries/cq_15", params={"subject": placement})
        rows = answer.json()["results"]["bindings"]
    found = {(r["label"]["value"], r["need"]["value"], r["skillLabel"]["value"]) for r in rows}
    assert found == {("work integration tutor", "essential", "coach workers with support needs")}


def test_validation_reads_only_the_linked_concepts_of_a_loaded_esco(
    with_esco: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``validate`` reads of a loaded ESCO what the reference checks need, as ``build`` does,
    never the whole graph (155,000 quads out of a remote engine on every run)."""
    import wise_kg.store.build as building

    def whole_graph(settings: Settings) -> list:
        raise AssertionError("validate read the whole ESCO graph")

    monkeypatch.setattr(building, "current_quads", whole_graph)
    assert validate_project(with_esco).conforms
