"""``/esco?uri=``: the WISE resources linked to an ESCO concept or below it, and whose
judgement each link is; linked from the ESCO concepts on resource pages."""

from __future__ import annotations

from urllib.parse import quote

import httpx
import pytest
from rdflib import Graph, URIRef

BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
S3 = "http://data.europa.eu/esco/skill/c73521be-c039-4e22-b037-3b01b3f6f9d9"  # assisting and caring
S3_1 = "http://data.europa.eu/esco/skill/6107b01a-3dac-4a03-ac9c-1044e4af0307"  # counselling
TUTORING = "https://w3id.org/wise-kg/id/area-of-expertise/tutoring-mentoring-and-informal-training"
SOCIAL_ENTREPRENEUR = "http://data.europa.eu/esco/occupation/73b10c97-b003-45dc-a36d-c1d585c04be1"
WISE = "https://w3id.org/wise-kg/ontology#"


def _json(http: httpx.Client, uri: str) -> dict:
    answer = http.get("/esco", params={"uri": uri}, headers={"Accept": "application/json"})
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].startswith("application/json")
    return answer.json()


def test_a_skill_group_lists_the_areas_linked_to_it_or_below(http: httpx.Client) -> None:
    answer = _json(http, S3)
    assert answer["label"] == "assisting and caring"
    by_concept = {a["escoConcept"]: a for a in answer["alignments"]}
    assert by_concept[S3]["direct"] and not by_concept[S3_1]["direct"]  # S3.1 is below S3
    direct = by_concept[S3]
    assert direct["judgement"] == "report"
    assert direct["mappingRelation"] == "http://www.w3.org/2004/02/skos/core#relatedMatch"
    assert any("/section/" in s for s in direct["source"])  # the report's sections
    assert direct["holders"][0]["@id"] == TUTORING
    assert any(n["developedBy"] == TUTORING for n in answer["needs"])
    # the same, through the saved query that answers CQ5
    rows = http.get("/queries/cq_05_linked_to_esco", params={"esco": S3, "format": "json"}).json()[
        "results"
    ]["bindings"]
    assert {r["subject"]["value"] for r in rows} == {
        h["@id"] for a in answer["alignments"] for h in a.get("holders", [])
    }


def test_a_curated_link_says_so(http: httpx.Client) -> None:
    answer = _json(http, SOCIAL_ENTREPRENEUR)
    curated = [a for a in answer["alignments"] if a["judgement"] == "curated"]
    if not curated:
        pytest.skip("no curated ESCO alignment in data/ yet")
    assert curated[0]["@type"] == "wise:CuratedEscoAlignment"
    assert curated[0]["justification"] and curated[0]["creator"]
    assert not any("/section/" in s for s in curated[0]["source"])  # never the report


def test_the_json_ld_expands_with_its_inline_context(http: httpx.Client) -> None:
    answer = http.get("/esco", params={"uri": S3, "format": "jsonld"})
    assert answer.headers["content-type"].startswith("application/ld+json")
    graph = Graph().parse(data=answer.text, format="json-ld")
    alignment = URIRef(
        "https://w3id.org/wise-kg/id/esco-alignment/tutoring-mentoring-and-informal-training-s3"
    )
    assert (alignment, URIRef(WISE + "escoConcept"), URIRef(S3)) in graph
    assert (URIRef(TUTORING), URIRef(WISE + "hasEscoAlignment"), alignment) in graph


def test_the_page_shows_the_links_and_whose_they_are(http: httpx.Client) -> None:
    page = http.get("/esco", params={"uri": S3}, headers={"Accept": BROWSER})
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert 'href="/id/area-of-expertise/tutoring-mentoring-and-informal-training"' in page.text
    assert "<strong>the report's</strong>" in page.text
    assert f'href="/esco?uri={quote(S3_1, safe="")}"' in page.text  # ESCO concepts link here
    again = http.get(
        "/esco",
        params={"uri": S3},
        headers={"Accept": BROWSER, "If-None-Match": page.headers["etag"]},
    )
    assert again.status_code == 304


def test_resource_pages_link_their_esco_concepts_here(http: httpx.Client) -> None:
    page = http.get(
        "/id/area-of-expertise/tutoring-mentoring-and-informal-training",
        headers={"Accept": BROWSER},
    )
    assert "/esco?uri=http%3A//data.europa.eu/esco/skill/c73521be" in page.text


def test_without_uri_the_linked_concepts_to_start_from(http: httpx.Client) -> None:
    listing = http.get("/esco", headers={"Accept": "application/json"}).json()
    assert S3 in {e["uri"] for e in listing}
    assert http.get("/esco", headers={"Accept": BROWSER}).text.count('href="/esco?uri=') >= len(
        listing
    )


@pytest.mark.parametrize(
    ("uri", "status"),
    [
        ("https://example.org/not-esco", 400),
        ("http://data.europa.eu/esco/skill/ not an iri", 400),
        ("http://data.europa.eu/esco/skill/00000000-0000-0000-0000-000000000000", 404),
    ],
)
def test_bad_and_unknown_uris(http: httpx.Client, uri: str, status: int) -> None:
    assert http.get("/esco", params={"uri": uri}).status_code == status
