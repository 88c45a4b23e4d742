"""Releases: real releases of the real data into tmp folders, read back; failures write nothing."""

from __future__ import annotations

import csv
import hashlib
import json
import shutil
import warnings
from pathlib import Path
from xml.etree import ElementTree as ET

import pytest
from rdflib import Dataset, Graph, Literal, Namespace, URIRef
from rdflib.compare import isomorphic
from rdflib.namespace import DCTERMS, OWL, RDF

from tests.helpers import TEST_DATA, copy_project, wise_kg
from wise_kg.api import create_app
from wise_kg.api.routes.dataset import router as catalog_router
from wise_kg.config import Settings
from wise_kg.release.checks import description_shapes
from wise_kg.sources.reader import to_rdflib
from wise_kg.validation.validate import rule_iris, shacl

DATA = TEST_DATA
FIXTURES = DATA / "release" / "invalid"
BROKEN_NEED = DATA / "invalid" / "Need-notation.ttl"
EXTRA_CONCEPT = DATA / "release" / "extra-concept.ttl"
RSH = "https://w3id.org/wise-kg/release-shapes#"
BASE = "https://w3id.org/wise-kg/"
ONTOLOGY = URIRef(BASE + "ontology")
GRAPHS = {URIRef(BASE + "graph/ontology"), URIRef(BASE + "graph/data")}
VOID = Namespace("http://rdfs.org/ns/void#")
DCAT = Namespace("http://www.w3.org/ns/dcat#")
SPDX = Namespace("http://spdx.org/rdf/terms#")
CS = Namespace("http://purl.org/vocab/changeset/schema#")
SKOS_PREFLABEL = URIRef("http://www.w3.org/2004/02/skos/core#prefLabel")
EXPECTED = {
    "wise-kg.ttl",
    "wise-kg.nt",
    "wise-kg.jsonld",
    "wise-kg.nq",
    "ontology.ttl",
    "ontology.html",
    "context.jsonld",
    "mappings.sssom.tsv",
    "changes.txt",
    "changes.ttl",
    "void.ttl",
    "service.ttl",
    "dcat.ttl",
    "SHA256SUMS",
}


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A private copy of the real sources, released once as 1.0.0 by the command line."""
    root = copy_project(tmp_path_factory.mktemp("release"))
    done = wise_kg("release", "1.0.0", "--project", str(root))
    assert done.returncode == 0, done.stdout + done.stderr
    assert "released https://w3id.org/wise-kg/release/1.0.0" in done.stdout
    return root


@pytest.fixture(scope="module")
def folder(project: Path) -> Path:
    return project / "dist" / "1.0.0"


def _graph(path: Path, fmt: str) -> Graph:
    return Graph().parse(path, format=fmt)


def _description(folder: Path) -> Graph:
    graph = Graph()
    for name in ("dcat.ttl", "void.ttl", "service.ttl"):
        graph.parse(folder / name, format="turtle")
    return graph


def test_release_writes_every_artefact(folder: Path) -> None:
    assert {p.name for p in folder.iterdir()} == EXPECTED
    assert not [p for p in folder.parent.iterdir() if p.name.startswith(".")]


def test_every_artefact_parses_back_to_the_same_triples(folder: Path) -> None:
    quads = Dataset().parse(folder / "wise-kg.nq", format="nquads")
    assert {g.identifier for g in quads.graphs() if len(g)} == GRAPHS
    union = Graph()
    for graph in quads.graphs():
        for triple in graph:
            union.add(triple)
    assert len(union) > 4000
    for name, fmt in (("wise-kg.ttl", "turtle"), ("wise-kg.nt", "nt")):
        assert isomorphic(_graph(folder / name, fmt), union), name
    document = json.loads((folder / "wise-kg.jsonld").read_text(encoding="utf-8"))
    assert isinstance(document["@context"], dict), "the context is held inline"
    assert isomorphic(_graph(folder / "wise-kg.jsonld", "json-ld"), union)
    ontology = quads.graph(URIRef(BASE + "graph/ontology"))
    assert isomorphic(_graph(folder / "ontology.ttl", "turtle"), ontology)


def test_versioning_is_set_from_version(folder: Path, project: Path) -> None:
    ontology = _graph(folder / "ontology.ttl", "turtle")
    assert set(ontology.objects(ONTOLOGY, OWL.versionIRI)) == {URIRef(BASE + "ontology/1.0.0")}
    assert set(ontology.objects(ONTOLOGY, OWL.versionInfo)) == {Literal("1.0.0")}
    assert not set(ontology.objects(ONTOLOGY, OWL.priorVersion))
    assert "0.1.0" in (project / "ontology" / "wise.ttl").read_text(encoding="utf-8")


def test_checksums_sizes_and_distributions_match_the_files(folder: Path) -> None:
    sums = dict(
        reversed(line.split("  ", 1))
        for line in (folder / "SHA256SUMS").read_text(encoding="utf-8").splitlines()
    )
    assert set(sums) == EXPECTED - {"SHA256SUMS"}
    for name, digest in sums.items():
        assert hashlib.sha256((folder / name).read_bytes()).hexdigest() == digest, name
    graph = _description(folder)
    dataset = URIRef(BASE + "release/1.0.0")
    distributions = set(graph.objects(dataset, DCAT.distribution))
    assert {str(d).rsplit("/", 1)[1] for d in distributions} == EXPECTED - {
        "SHA256SUMS",
        "dcat.ttl",
    }
    for node in distributions:
        path = folder / str(node).rsplit("/", 1)[1]
        assert int(graph.value(node, DCAT.byteSize)) == path.stat().st_size
        checksum = graph.value(node, SPDX.checksum)
        assert str(graph.value(checksum, SPDX.checksumValue)) == sums[path.name]
        assert str(graph.value(node, DCAT.mediaType)).startswith(
            "http://www.iana.org/assignments/media-types/"
        )


def test_description_conforms_and_counts_the_esco_links(folder: Path) -> None:
    description = _description(folder)
    report = shacl(description, description_shapes())
    assert report.conforms, [r.message for r in report.violations]
    dataset = URIRef(BASE + "release/1.0.0")
    for predicate in (DCTERMS.license, DCTERMS.publisher, DCTERMS.temporal, DCTERMS.language):
        assert description.value(dataset, predicate) is not None, predicate
    graph = _graph(folder / "wise-kg.nt", "nt")
    assert int(description.value(dataset, VOID.triples)) == len(graph)
    linksets = list(description.subjects(RDF.type, VOID.Linkset))
    assert linksets
    for linkset in linksets:
        predicate = description.value(linkset, VOID.linkPredicate)
        links = [o for o in graph.objects(None, predicate) if str(o).startswith(ESCO)]
        assert int(description.value(linkset, VOID.triples)) == len(links), predicate
    dumps = {str(d) for d in description.objects(dataset, VOID.dataDump)}
    assert BASE + "release/1.0.0/wise-kg.nq" in dumps
    service = next(description.subjects(RDF.type, URIRef(SD + "Service")))
    assert str(service) == BASE + "sparql"


ESCO = "http://data.europa.eu/esco/"
SD = "http://www.w3.org/ns/sparql-service-description#"


def test_sssom_and_docs_ship(folder: Path) -> None:
    rows = [
        line
        for line in (folder / "mappings.sssom.tsv").read_text(encoding="utf-8").splitlines()
        if not line.startswith("#")
    ]
    table = list(csv.DictReader(rows, delimiter="\t"))
    assert table and all(r["object_id"].startswith("esco") for r in table)
    assert "mapping_set_version: 1.0.0" in (folder / "mappings.sssom.tsv").read_text()
    html = (folder / "ontology.html").read_text(encoding="utf-8")
    for term in ("Need", "AreaOfExpertise", "develops", "escoConcept"):
        assert f'id="{term}"' in html


def test_next_release_records_its_prior_version_and_changes(project: Path) -> None:
    area = project / "data" / "areas" / "placement.ttl"
    text = area.read_text(encoding="utf-8")
    assert '"Placement"@en' in text
    area.write_text(text.replace('"Placement"@en', '"Job placement"@en', 1), encoding="utf-8")
    try:
        done = wise_kg("release", "1.1.0", "--project", str(project))
    finally:
        area.write_text(text, encoding="utf-8")
    assert done.returncode == 0, done.stdout + done.stderr
    folder = project / "dist" / "1.1.0"
    ontology = _graph(folder / "ontology.ttl", "turtle")
    assert ontology.value(ONTOLOGY, OWL.priorVersion) == URIRef(BASE + "ontology/1.0.0")
    dcat = _graph(folder / "dcat.ttl", "turtle")
    assert dcat.value(URIRef(BASE + "release/1.1.0"), DCAT.previousVersion) == URIRef(
        BASE + "release/1.0.0"
    )
    changes = (folder / "changes.txt").read_text(encoding="utf-8")
    assert changes.splitlines()[0] == (
        "Changes from 1.0.0 to 1.1.0: 0 concept(s) added, 0 removed, 1 changed."
    )
    assert "~ wisekg:area-of-expertise/placement" in changes and "(label)" in changes
    again = wise_kg("release", "1.1.0", "--project", str(project))
    assert again.returncode == 2 and "never overwritten" in again.stderr


def test_planted_violation_fails_and_writes_nothing(tmp_path: Path) -> None:
    root = copy_project(tmp_path / "broken")
    shutil.copy(BROKEN_NEED, root / "data" / "broken.ttl")
    done = wise_kg("release", "1.0.0", "--project", str(root), "--format", "junit")
    assert done.returncode == 1
    junit = ET.fromstring(done.stdout)
    assert int(junit.get("failures", "0")) >= 1
    assert "validate check failed" in done.stderr
    assert not (root / "dist").exists()
    text = wise_kg("release", "1.0.0", "--project", str(root))
    assert text.returncode == 1 and "DOES NOT CONFORM" in text.stdout
    assert "data/broken.ttl" in text.stdout and not (root / "dist").exists()


def test_a_query_that_does_not_run_stops_the_release(tmp_path: Path) -> None:
    root = copy_project(tmp_path / "query")
    (root / "queries" / "cq_99_broken.rq").write_text(
        "#+ summary: Broken\nSELECT ?s WHERE { ?s a }\n", encoding="utf-8"
    )
    (root / "queries" / "cq_98_nothing.rq").write_text(
        "#+ summary: Nothing\nSELECT ?s WHERE { ?s a <urn:no-such-class> }\n", encoding="utf-8"
    )
    done = wise_kg("release", "1.0.0", "--project", str(root))
    assert done.returncode == 1, done.stdout + done.stderr
    assert "cq_99_broken" in done.stdout and "does not run" in done.stdout
    assert "cq_98_nothing" in done.stdout and "answers nothing" in done.stdout  # a warning
    assert "queries check failed" in done.stderr and not (root / "dist").exists()


def test_diff_of_two_builds_says_exactly_one_concept_was_added(tmp_path: Path) -> None:
    old, new = copy_project(tmp_path / "old"), copy_project(tmp_path / "new")
    shutil.copy(EXTRA_CONCEPT, new / "data" / "extra-concept.ttl")
    for root in (old, new):
        assert wise_kg("build", "--project", str(root)).returncode == 0
    stores = [str(root / ".wise-kg" / "store") for root in (old, new)]
    done = wise_kg("diff", *stores)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].endswith(": 1 concept(s) added, 0 removed, 0 changed.")
    assert lines[1:] == ['+ wisekg:economic-sector/urban-gardening  "urban gardening"@en']
    as_rdf = wise_kg("diff", *stores, "--format", "turtle")
    graph = Graph().parse(data=as_rdf.stdout, format="turtle")
    changesets = list(graph.subjects(RDF.type, CS.ChangeSet))
    assert len(changesets) == 1
    assert graph.value(changesets[0], CS.subjectOfChange) == URIRef(
        BASE + "id/economic-sector/urban-gardening"
    )
    assert str(graph.value(changesets[0], CS.changeReason)) == "added"
    assert wise_kg("diff", stores[1], stores[0]).stdout.splitlines()[1:] == [
        '- wisekg:economic-sector/urban-gardening  "urban gardening"@en'
    ]


def _relabelled(folder: Path, tmp_path: Path) -> Path:
    """The release's quads with one need's English label changed."""
    changed = tmp_path / "changed.nq"
    text = (folder / "wise-kg.nq").read_text(encoding="utf-8")
    label = f"<{BASE}id/need/placement> <{SKOS_PREFLABEL}> "
    assert label + '"Placement"@en' in text
    changed.write_text(
        text.replace(label + '"Placement"@en', label + '"Job placement"@en'), encoding="utf-8"
    )
    return changed


def test_diff_reports_label_changes_as_rdf_statements(folder: Path, tmp_path: Path) -> None:
    changed = _relabelled(folder, tmp_path)
    done = wise_kg("diff", str(folder), str(changed), "--format", "turtle")
    assert done.returncode == 0, done.stderr
    graph = Graph().parse(data=done.stdout, format="turtle")
    added = {
        str(graph.value(s, RDF.object))
        for cs in graph.subjects(RDF.type, CS.ChangeSet)
        for s in graph.objects(cs, CS.addition)
        if graph.value(s, RDF.predicate) == SKOS_PREFLABEL
    }
    assert added == {"Job placement"}
    assert wise_kg("diff", str(folder), str(folder / "no-such")).returncode == 2


def test_a_changelog_written_twice_is_the_same_bytes(folder: Path, tmp_path: Path) -> None:
    """Its statements were blank nodes with fresh labels, so two releases of the same
    versions differed in ``changes.ttl`` (and in its checksum in the catalogue)."""
    changed = _relabelled(folder, tmp_path)
    runs = [wise_kg("diff", str(folder), str(changed), "--format", "turtle") for _ in range(2)]
    assert runs[0].returncode == runs[1].returncode == 0
    assert "Statement" in runs[0].stdout and runs[0].stdout == runs[1].stdout


# --- the release shapes ---------------------------------------------------------------------

RULES = [str(r) for r in rule_iris(description_shapes())]


def test_every_release_rule_fires_when_its_property_goes(folder: Path) -> None:
    """Each named rule is broken in the real description by removing the values it checks."""
    description = _description(folder)
    shapes = description_shapes()
    for rule in RULES:
        path = shapes.value(URIRef(rule), URIRef("http://www.w3.org/ns/shacl#path"))
        broken = Graph()
        for triple in description:
            if triple[1] != path:
                broken.add(triple)
        fired = {r.rule for r in shacl(broken, shapes).violations}
        assert rule in fired, f"{rule} did not fire without {path}"


@pytest.mark.parametrize("fixture", sorted(FIXTURES.glob("*.ttl")), ids=lambda p: p.stem)
def test_release_fixture_fires_its_rule(fixture: Path) -> None:
    assert RSH + fixture.stem in RULES, f"{fixture.name} is named after no rule"
    report = shacl(Graph().parse(fixture), description_shapes())
    assert RSH + fixture.stem in {r.rule for r in report.violations}


# --- live -----------------------------------------------------------------------------------


def test_live_catalog_describes_the_dumps(built: Settings) -> None:
    app = create_app(built)
    if not any(getattr(r, "path", "") == "/catalog" for r in app.routes):
        app.include_router(catalog_router)
    with warnings.catch_warnings():  # starlette's notice about its test client's transport
        warnings.simplefilter("ignore")
        from fastapi.testclient import TestClient
    with TestClient(app) as client:
        response = client.get("/catalog", headers={"Accept": "text/turtle"})
        assert response.status_code == 200
        graph = Graph().parse(data=response.text, format="turtle")
        dump = client.get("/dump.ttl").content
    assert shacl(graph, description_shapes()).conforms
    node = URIRef(built.public_base() + "/dump.ttl")  # links from the public address
    assert int(graph.value(node, DCAT.byteSize)) == len(dump)
    checksum = graph.value(node, SPDX.checksum)
    assert str(graph.value(checksum, SPDX.checksumValue)) == hashlib.sha256(dump).hexdigest()


def test_description_shapes_reject_an_empty_dataset() -> None:
    empty = to_rdflib([])
    empty.add((URIRef(BASE + "release/0.0.1"), RDF.type, DCAT.Dataset))
    assert not shacl(empty, description_shapes()).conforms
