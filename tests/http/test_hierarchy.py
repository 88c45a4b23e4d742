"""``/hierarchy/{scheme}``: a concept scheme's tree, linked from the home page and concepts."""

from __future__ import annotations

import re

import httpx
import pytest
from rdflib import Graph, URIRef
from rdflib.namespace import SKOS

BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
ID = "https://w3id.org/wise-kg/id/"


def _tree(http: httpx.Client, scheme: str) -> str:
    page = http.get(f"/hierarchy/{scheme}", headers={"Accept": BROWSER})
    assert page.status_code == 200, page.text
    assert page.headers["content-type"].startswith("text/html")
    return page.text


def _child_anchors(page: str, anchor: str) -> list[str]:
    """The anchors of the items directly below the item ``anchor`` of a tree page."""
    start = page.index(f'<li id="{anchor}">')
    depth, found = 0, []
    for match in re.finditer(r'<li id="([^"]+)">|</li>|<ul>|</ul>', page[start:]):
        token = match.group(0)
        if token == "<ul>":
            depth += 1
        elif token == "</ul>":
            depth -= 1
            if depth == 0:
                break
        elif match.group(1) and depth == 1:
            found.append(match.group(1))
    return found


def test_need_areas_hold_their_needs(http: httpx.Client) -> None:
    page = _tree(http, "needs")
    below = _child_anchors(page, "need-area/people-area")
    assert "need/placement" in below
    assert '<a href="/id/need/placement">' in page
    assert page.index("need-area/network-building-area") < page.index("need-area/people-area")


def test_areas_2_6_to_2_9_sit_below_2_5(http: httpx.Client) -> None:
    page = _tree(http, "areas-of-expertise")
    below = _child_anchors(page, "area-of-expertise/supporting-work-in-general")
    assert "area-of-expertise/tutoring-mentoring-and-informal-training" in below
    assert "area-of-expertise/placement" in below
    assert "area-of-expertise/networking-and-community-thinking" not in below


def test_the_tree_as_skos(http: httpx.Client) -> None:
    answer = http.get("/hierarchy/needs", headers={"Accept": "text/turtle"})
    assert answer.status_code == 200
    graph = Graph().parse(data=answer.text, format="turtle")
    scheme = URIRef(ID + "scheme/needs")
    assert (scheme, SKOS.hasTopConcept, URIRef(ID + "need-area/people-area")) in graph
    assert (URIRef(ID + "need/placement"), SKOS.broader, URIRef(ID + "need-area/people-area")) in (
        graph
    )
    again = http.get(
        "/hierarchy/needs",
        headers={"Accept": "text/turtle", "If-None-Match": answer.headers["etag"]},
    )
    assert again.status_code == 304


@pytest.mark.parametrize("path", ["/", "/id/scheme/needs"])
def test_the_home_page_and_the_scheme_link_to_the_tree(http: httpx.Client, path: str) -> None:
    page = http.get(path, headers={"Accept": BROWSER})
    assert 'href="/hierarchy/needs"' in page.text


def test_a_concept_links_to_its_place_in_the_tree(http: httpx.Client) -> None:
    page = http.get("/id/need/placement", headers={"Accept": BROWSER})
    assert 'href="/hierarchy/needs#need/placement"' in page.text
    assert 'id="need/placement"' in _tree(http, "needs")


def test_every_scheme_of_the_home_page_has_a_tree(http: httpx.Client) -> None:
    home = http.get("/", headers={"Accept": BROWSER}).text
    schemes = set(re.findall(r'href="/hierarchy/([a-z0-9-]+)"', home))
    assert len(schemes) >= 10
    for scheme in schemes:
        _tree(http, scheme)
    assert http.get("/hierarchy/no-such-scheme").status_code == 404
