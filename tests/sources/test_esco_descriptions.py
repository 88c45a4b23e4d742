"""The ESCO concepts the graph links to are real, and described as ESCO v1.2.0 describes them.

Read from the real ESCO CSV files in ../shared/esco/v1.2.0 (never at run time).
"""

from __future__ import annotations

import csv
import re
from collections import defaultdict

import pytest
from rdflib import Graph, URIRef
from rdflib.namespace import SKOS

from tests.helpers import SHARED

ESCO_DIR = SHARED / "esco" / "v1.2.0"
ESCO_IRI = re.compile(r"^http://data\.europa\.eu/esco/(skill|occupation|isco|isced-f)/")

pytestmark = pytest.mark.skipif(not ESCO_DIR.is_dir(), reason="needs ../shared/esco/v1.2.0")


def _rows(name: str) -> list[dict[str, str]]:
    with (ESCO_DIR / name).open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


@pytest.fixture(scope="module")
def esco() -> dict[str, dict]:
    """Labels, codes and broader links by URI, from the ESCO files."""
    labels: dict[str, str] = {}
    codes: dict[str, str] = {}
    broader: dict[str, set[str]] = defaultdict(set)
    for name in ("skillGroups_en.csv", "occupations_en.csv"):
        for row in _rows(name):
            labels[row["conceptUri"]] = row["preferredLabel"]
            codes[row["conceptUri"]] = row["code"]
    for row in _rows("ISCOGroups_en.csv"):
        labels[row["conceptUri"]] = row["preferredLabel"]
        codes[row["conceptUri"]] = row["code"]
    for path in sorted(ESCO_DIR.glob("*Collection_en.csv")):
        for row in _rows(path.name):
            labels.setdefault(row["conceptUri"], row["preferredLabel"])
    for row in _rows("skillsHierarchy_en.csv"):
        for level in range(4):
            uri = row[f"Level {level} URI"]
            if uri:
                labels.setdefault(uri, row[f"Level {level} preferred term"])
                codes.setdefault(uri, row[f"Level {level} code"])
    for name in ("broaderRelationsSkillPillar_en.csv", "broaderRelationsOccPillar_en.csv"):
        for row in _rows(name):
            broader[row["conceptUri"]].add(row["broaderUri"])
    every_uri = set()
    for path in ESCO_DIR.glob("*.csv"):
        every_uri |= set(
            re.findall(
                r"http://data\.europa\.eu/esco/[a-z-]+/[A-Za-z0-9.-]+", path.read_text("utf-8")
            )
        )
    return {"labels": labels, "codes": codes, "broader": broader, "uris": every_uri}


def _esco_iris(graph: Graph) -> set[str]:
    return {
        str(t)
        for triple in graph
        for t in triple
        if isinstance(t, URIRef) and ESCO_IRI.match(str(t))
    }


def test_every_esco_iri_exists_in_esco(graph: Graph, esco: dict) -> None:
    iris = _esco_iris(graph)
    assert len(iris) >= 20
    invented = sorted(iris - esco["uris"])
    assert not invented, f"not in ESCO v1.2.0: {invented}"


def test_descriptions_agree_with_esco(graph: Graph, esco: dict) -> None:
    for iri in sorted(_esco_iris(graph)):
        concept = URIRef(iri)
        label = graph.value(concept, SKOS.prefLabel)
        if label is None:
            continue  # a scheme or a target only
        if iri in esco["labels"]:
            assert str(label) == esco["labels"][iri], iri
        notation = graph.value(concept, SKOS.notation)
        if notation is not None and esco["codes"].get(iri):
            assert str(notation) == esco["codes"][iri], iri
        for parent in graph.objects(concept, SKOS.broader):
            known = esco["broader"].get(iri, set())
            if known:
                assert str(parent) in known, f"{iri} broader {parent} not in ESCO"


def test_linked_concepts_reach_the_top_of_their_pillar(graph: Graph) -> None:
    tops = {"S", "T", "K", "L"} | {str(n) for n in range(10)}
    linked = set(graph.objects(None, URIRef("https://w3id.org/wise-kg/ontology#escoConcept")))
    assert linked
    for concept in linked:
        chain = [concept]
        while (parent := graph.value(chain[-1], SKOS.broader)) is not None:
            chain.append(parent)
            assert len(chain) < 10
        assert str(graph.value(chain[-1], SKOS.notation)) in tops, f"{concept} stops at {chain[-1]}"
