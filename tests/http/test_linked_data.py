"""Linked Data over HTTP: every kind of resource in every format, pages, search, dumps, VoID."""

from __future__ import annotations

import json
from html.parser import HTMLParser

import httpx
import pytest
from rdflib import Graph, URIRef
from rdflib.compare import isomorphic
from rdflib.namespace import RDF, SKOS

from wise_kg.publish.jsonld import to_triples

pytestmark = pytest.mark.both_stores

BASE = "https://w3id.org/wise-kg/"
#: One resource of every kind the graph publishes.
SAMPLES = [
    "need/placement",
    "need-area/people-area",
    "role/supporter",
    "persona/founder",
    "area-of-expertise/networking-and-community-thinking",
    "profile/network-operator",
    "resistance/placement-selective-labour-market",
    "swot-cell/weaknesses-of-productive-wises",
    "technology-reference/technologies-point-3",
    "scheme/needs",
    "source/bwise-d3-1/section/1.5.4",
    "recognition-level/degrees",
]
RDF_TYPES = {
    "text/turtle": ("ttl", "turtle"),
    "application/ld+json": ("jsonld", "json-ld"),
    "application/n-triples": ("nt", "nt"),
    "application/rdf+xml": ("rdf", "xml"),
}
BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"


class Links(HTMLParser):
    """Collects hrefs, headings, landmarks and image roles of a page."""

    def __init__(self) -> None:
        super().__init__()
        self.hrefs: list[str] = []
        self.tags: list[str] = []
        self.h1 = ""
        self._in_h1 = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.hrefs += [v for k, v in attrs if k == "href" and v]
        self._in_h1 = tag == "h1"

    def handle_data(self, data: str) -> None:
        if self._in_h1:
            self.h1 += data

    def handle_endtag(self, tag: str) -> None:
        if tag == "h1":
            self._in_h1 = False


def _english_label(graph: Graph, path: str) -> str:
    labels = graph.objects(URIRef(BASE + "id/" + path), SKOS.prefLabel)
    return next(str(label) for label in labels if label.language == "en")


#: Each resource's Turtle, by server and path: asked and parsed once (the tests only read it).
_TURTLE: dict[tuple[str, str], Graph] = {}


def _turtle(client: httpx.Client, path: str) -> Graph:
    key = (str(client.base_url), path)
    if key not in _TURTLE:
        response = client.get(f"/id/{path}", headers={"Accept": "text/turtle"})
        assert response.status_code == 200
        _TURTLE[key] = Graph().parse(data=response.text, format="turtle")
    return _TURTLE[key]


@pytest.mark.parametrize("path", SAMPLES)
@pytest.mark.parametrize("media_type", RDF_TYPES)
def test_conneg_and_extension_give_the_same_graph(
    client: httpx.Client, path: str, media_type: str
) -> None:
    extension, rdflib_format = RDF_TYPES[media_type]
    by_header = client.get(f"/id/{path}", headers={"Accept": media_type})
    assert by_header.status_code == 200
    assert by_header.headers["content-type"].split(";")[0] == media_type
    assert "Accept" in by_header.headers["vary"]
    by_extension = client.get(f"/id/{path}.{extension}")
    assert by_extension.headers["content-type"].split(";")[0] == media_type
    if media_type == "application/ld+json":
        lines = "".join(f"{t} .\n" for t in to_triples(by_header.json()))
        graph = Graph().parse(data=lines, format="nt")
        assert 'rel="http://www.w3.org/ns/json-ld#context"' in by_header.headers["link"]
    else:
        graph = Graph().parse(data=by_header.text, format=rdflib_format)
    assert (URIRef(BASE + "id/" + path), None, None) in graph
    assert isomorphic(graph, _turtle(client, path))


@pytest.mark.parametrize("path", SAMPLES)
def test_html_page_for_browsers(client: httpx.Client, path: str) -> None:
    label = _english_label(_turtle(client, path), path)
    internal: set[str] = set()
    for response in (
        client.get(f"/id/{path}", headers={"Accept": BROWSER}),
        client.get(f"/id/{path}.html"),
    ):
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/html")
        page = Links()
        page.feed(response.text)
        assert page.h1.strip() == label
        assert {"header", "main", "nav", "footer"} <= set(page.tags)
        internal |= {href.split("#")[0] for href in page.hrefs if href.startswith("/id/")}
    for href in sorted(internal):  # every internal link resolves (each asked once)
        assert client.get(href, headers={"Accept": "text/turtle"}).status_code == 200, href


def test_area_page_shows_facets_esco_provenance_and_diagram(client: httpx.Client) -> None:
    html = client.get("/id/area-of-expertise/networking-and-community-thinking.html").text
    assert "Elements of resistance" in html and "Skills-enhancement actions" in html
    assert "ESCO alignments" in html and 'href="http://data.europa.eu/esco/skill/548c3fbe' in html
    assert "D3.1 §2.2.3" in html  # provenance names the section
    assert "<svg" in html and 'role="img"' in html and '<title id="diagram-title">' in html
    assert 'href="/id/need/developing-network-functions"' in html


def test_jsonld_frames_an_area(client: httpx.Client) -> None:
    doc = client.get("/id/area-of-expertise/networking-and-community-thinking.jsonld").json()
    labels = doc["prefLabel"] if isinstance(doc["prefLabel"], list) else [doc["prefLabel"]]
    assert "Networking and community thinking" in labels
    resistances = (
        doc["hasResistance"] if isinstance(doc["hasResistance"], list) else [doc["hasResistance"]]
    )
    assert all("resistanceType" in r for r in resistances)
    concepts = [a["escoConcept"] for a in doc["hasEscoAlignment"] if "escoConcept" in a]
    assert {"notation": "S1.8"}.items() <= next(
        c for c in concepts if c.get("notation") == "S1.8"
    ).items()
    assert client.get("/context.jsonld").json()["@context"]["prefLabel"]


def test_scheme_page_lists_its_concepts(client: httpx.Client) -> None:
    graph = _turtle(client, "scheme/needs")
    members = set(graph.subjects(SKOS.inScheme, URIRef(BASE + "id/scheme/needs")))
    assert len(members) == 25  # 4 areas and 21 needs
    html = client.get("/id/scheme/needs.html").text
    assert 'href="/id/need/placement"' in html


def test_collection_page_keeps_its_order(client: httpx.Client) -> None:
    graph = _turtle(client, "recognition-level/degrees")
    head = graph.value(URIRef(BASE + "id/recognition-level/degrees"), SKOS.memberList)
    assert len(list(graph.items(head))) == 4


def test_unknown_iri_is_a_helpful_404(client: httpx.Client) -> None:
    page = client.get("/id/need/placment", headers={"Accept": BROWSER})
    assert page.status_code == 404 and "text/html" in page.headers["content-type"]
    assert 'href="/id/need/placement"' in page.text  # a suggestion
    plain = client.get("/id/need/placment", headers={"Accept": "text/turtle"})
    assert plain.status_code == 404 and "/search" in plain.text
    assert client.get("/id/need/bad%20iri%3E").status_code == 404


def test_etag_on_pages(client: httpx.Client) -> None:
    first = client.get("/id/need/placement.ttl")
    again = client.get("/id/need/placement.ttl", headers={"If-None-Match": first.headers["etag"]})
    assert again.status_code == 304


def test_ontology_page_and_formats(client: httpx.Client) -> None:
    html = client.get("/ontology", headers={"Accept": BROWSER}).text
    for term in ("Need", "AreaOfExpertise", "develops", "escoConcept"):
        assert f'id="{term}"' in html
    graph = Graph().parse(
        data=client.get("/ontology", headers={"Accept": "text/turtle"}).text, format="turtle"
    )
    assert (URIRef(BASE + "ontology#Need"), RDF.type, None) in graph
    assert len(Graph().parse(data=client.get("/ontology.jsonld").text, format="json-ld")) == len(
        graph
    )


def test_search_ranks_and_autocompletes(client: httpx.Client) -> None:
    hits = client.get("/search", params={"q": "placement"}).json()
    assert hits[0]["label"] == "Placement"
    assert {h["kind"] for h in hits[:2]} == {"Need", "AreaOfExpertise"}
    prefix = client.get("/search", params={"q": "supp", "limit": 3}).json()
    assert len(prefix) == 3 and all("supp" in h["matched"].lower() for h in prefix)
    by_code = client.get("/search", params={"q": "S1.8"}).json()
    assert by_code and by_code[0]["label"] == "working with others"
    assert client.get("/search", params={"q": "zzzz-nothing"}).json() == []
    page = client.get("/search", params={"q": "tutor"}, headers={"Accept": BROWSER})
    assert "text/html" in page.headers["content-type"] and "Tutoring" in page.text


def test_home_page(client: httpx.Client) -> None:
    html = client.get("/", headers={"Accept": BROWSER}).text
    assert 'href="/id/scheme/needs"' in html and 'type="search"' in html
    assert "25 concepts" in html


@pytest.mark.parametrize(
    ("extension", "fmt"), [("ttl", "turtle"), ("nt", "nt"), ("jsonld", "json-ld")]
)
def test_dumps(client: httpx.Client, extension: str, fmt: str) -> None:
    response = client.get(f"/dump.{extension}")
    assert response.status_code == 200 and response.headers["etag"]
    graph = Graph().parse(data=response.text, format=fmt)
    assert (URIRef(BASE + "id/need/placement"), SKOS.prefLabel, None) in graph
    assert not list(graph.triples((None, RDF.type, URIRef("http://www.w3.org/ns/shacl#NodeShape"))))
    cached = client.get(f"/dump.{extension}", headers={"If-None-Match": response.headers["etag"]})
    assert cached.status_code == 304


def test_void_links_dumps_endpoint_and_esco(client: httpx.Client) -> None:
    graph = Graph().parse(data=client.get("/.well-known/void").text, format="turtle")
    void = "http://rdfs.org/ns/void#"
    dataset = URIRef(BASE + "dataset")
    dumps = {str(o).rsplit("/", 1)[-1] for o in graph.objects(dataset, URIRef(void + "dataDump"))}
    assert dumps == {"dump.ttl", "dump.nt", "dump.jsonld", "dump.nq", "dump.trig"}
    assert str(graph.value(dataset, URIRef(void + "sparqlEndpoint"))).endswith("/sparql")
    predicates = {
        str(graph.value(ls, URIRef(void + "linkPredicate")))
        for ls in graph.objects(dataset, URIRef(void + "subset"))
    }
    assert "http://www.w3.org/2004/02/skos/core#relatedMatch" in predicates
    json.loads(client.get("/.well-known/void", headers={"Accept": "application/ld+json"}).text)


def test_pages_honour_the_requested_language(client: httpx.Client) -> None:
    english = client.get("/id/need/placement.html")
    italian = client.get("/id/need/placement.html", headers={"Accept-Language": "it-IT,it;q=0.9"})
    by_param = client.get("/id/need/placement.html", params={"lang": "it"})
    graph = _turtle(client, "need/placement")
    label_it = next(
        str(x)
        for x in graph.objects(URIRef(BASE + "id/need/placement"), SKOS.prefLabel)
        if x.language == "it"
    )
    assert '<html lang="en">' in english.text and "<h1>Placement</h1>" in english.text
    for page in (italian, by_param):
        assert '<html lang="it">' in page.text and f"<h1>{label_it}</h1>" in page.text
    assert "Accept-Language" in italian.headers["vary"]
    hits = client.get(
        "/search", params={"q": label_it[:6]}, headers={"Accept-Language": "it"}
    ).json()
    assert hits[0]["matched"].startswith(label_it[:6])
    assert label_it in {h["label"] for h in hits}  # shown in the asked language


def test_jsonld_in_the_requested_language_keeps_every_triple(client: httpx.Client) -> None:
    english = client.get("/id/need/placement.jsonld").json()
    italian = client.get("/id/need/placement.jsonld", headers={"Accept-Language": "it"}).json()
    assert isinstance(english["prefLabel"], list) and "Placement" in english["prefLabel"]
    assert "Collocamento" in italian["prefLabel"]  # a plain string: the document's language
    assert {"@language": "en", "@value": "Placement"} in italian["prefLabel"]
    assert italian["@context"][1] == {"@language": "it"}
    assert set(map(str, to_triples(english))) == set(map(str, to_triples(italian)))
