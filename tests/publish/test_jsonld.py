"""The JSON-LD layer: a published context, framed documents, no triple lost, no fetching."""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator

import pyoxigraph as ox
import pytest
from pyld import jsonld as pyld
from pyld.jsonld import JsonLdError
from rdflib import Graph
from rdflib.compare import isomorphic

from tests.helpers import Listener
from wise_kg.config import Settings
from wise_kg.publish import jsonld
from wise_kg.publish.describe import describe
from wise_kg.sources.reader import to_rdflib
from wise_kg.store.embedded import open_read_only

ID = "https://w3id.org/wise-kg/id/"
WISE = "https://w3id.org/wise-kg/ontology#"
SKOS = "http://www.w3.org/2004/02/skos/core#"
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
AREA = ID + "area-of-expertise/networking-and-community-thinking"
CONTEXT_REF = "http://example.org/context.jsonld"
S1_8 = "http://data.europa.eu/esco/skill/548c3fbe-9eb1-4035-bc54-027fd5bc5315"


def english(value: object) -> str:
    """The English string among a JSON-LD value or values (plain strings are @en here)."""
    values = value if isinstance(value, list) else [value]
    return next(v for v in values if isinstance(v, str))


@pytest.fixture(scope="module")
def store(built: Settings) -> ox.Store:
    graph, _ = open_read_only(built.resolved_store_path())
    return graph


@pytest.fixture(scope="module")
def example_context() -> str:
    """A context URL the test's documents point at, known to the loader by registration."""
    return jsonld.register_context_url(CONTEXT_REF)


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[object]]:
    """Every way to open a connection raises, and is recorded."""
    attempts: list[object] = []

    def refuse(*args: object, **kwargs: object) -> None:
        attempts.append(args)
        raise AssertionError(f"network access attempted: {args!r}")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    yield attempts
    assert attempts == []


def _rdflib(triples: list[ox.Triple]) -> Graph:
    return to_rdflib(triples)


def _same_triples(got: list[ox.Triple], want: list[ox.Triple]) -> bool:
    has_bnode = any(
        isinstance(x, ox.BlankNode) for t in [*got, *want] for x in (t.subject, t.object)
    )
    if has_bnode:
        return len(set(got)) == len(set(want)) and isomorphic(_rdflib(got), _rdflib(want))
    return set(got) == set(want)


def _resources(store: ox.Store) -> list[str]:
    rows = store.query(
        f"SELECT DISTINCT ?s WHERE {{ ?s ?p ?o FILTER(STRSTARTS(STR(?s), '{ID}')) }}",
        use_default_graph_as_union=True,
    )
    return sorted(row[0].value for row in rows)


def _expand_id(compact: str) -> str:
    prefix, _, rest = compact.partition(":")
    ctx = jsonld.context()["@context"]
    return ctx[prefix] + rest if isinstance(ctx.get(prefix), str) else compact


def _as_list(value: object) -> list:
    return value if isinstance(value, list) else [value]


def _keys(value: object) -> Iterator[str]:
    if isinstance(value, dict):
        for key, inner in value.items():
            yield key
            yield from _keys(inner)
    elif isinstance(value, list):
        for inner in value:
            yield from _keys(inner)


# --- round trip ---------------------------------------------------------------------------


def test_every_resource_round_trips_to_exactly_its_triples(
    store: ox.Store, example_context: str
) -> None:
    iris = _resources(store)
    assert len(iris) > 300
    wrong = []
    for iri in iris:
        triples = describe(store, iri)
        doc = jsonld.document(triples, iri, example_context)
        back = jsonld.to_triples(json.loads(json.dumps(doc)))
        if not _same_triples(back, triples):
            wrong.append((iri, set(triples) - set(back), set(back) - set(triples)))
        # What the frame places is the whole document but the labels of classes.
        classes = {t.object.value for t in triples if t.predicate.value == RDF_TYPE}
        for node in _as_list(doc.get("@included", [])):
            if _expand_id(node["id"]) not in classes:
                wrong.append((iri, "left out of the frame", node))
    assert wrong == []


def test_blank_nodes_round_trip_up_to_isomorphism(store: ox.Store, example_context: str) -> None:
    iri = ID + "recognition-level/degrees"
    triples = describe(store, iri)
    assert any(isinstance(t.object, ox.BlankNode) for t in triples)
    back = jsonld.to_triples(jsonld.document(triples, iri, example_context))
    assert len(back) == len(triples)
    assert isomorphic(_rdflib(back), _rdflib(triples))


def test_literals_of_every_kind_round_trip(example_context: str) -> None:
    s = ox.NamedNode(ID + "need/test")
    other = ox.NamedNode(ID + "need/other")
    p = ox.NamedNode
    triples = [
        ox.Triple(s, p(SKOS + "prefLabel"), ox.Literal("Placement", language="en")),
        ox.Triple(s, p(SKOS + "prefLabel"), ox.Literal("Inserimento", language="it")),
        ox.Triple(s, p(SKOS + "altLabel"), ox.Literal("plain, no language")),
        ox.Triple(s, p(SKOS + "notation"), ox.Literal("1.2.1")),
        ox.Triple(s, p(SKOS + "notation"), ox.Literal("1.2.1", language="en")),
        ox.Triple(s, p(WISE + "learningApproach"), ox.Literal("Learn by doing", language="en")),
        ox.Triple(s, p(WISE + "learningApproach"), ox.Literal("Imparare facendo", language="it")),
        ox.Triple(s, p(WISE + "technologyRole"), ox.Literal("no tag")),
        ox.Triple(
            s,
            p("http://purl.org/dc/terms/date"),
            ox.Literal("2025", datatype=p("http://www.w3.org/2001/XMLSchema#gYear")),
        ),
        ox.Triple(
            s,
            p(SKOS + "definition"),
            ox.Literal("7", datatype=p("http://www.w3.org/2001/XMLSchema#integer")),
        ),
        ox.Triple(s, p(SKOS + "scopeNote"), ox.Literal('quotes " \\ and\nnew lines « ü »')),
        ox.Triple(s, p(WISE + "concerns"), ox.Literal("a literal where an IRI is expected")),
        ox.Triple(s, p(WISE + "concerns"), other),
        ox.Triple(s, p(WISE + "mappingRelation"), p(SKOS + "relatedMatch")),
        ox.Triple(s, p(WISE + "mappingRelation"), p("http://example.org/not-a-term")),
        ox.Triple(s, p("http://example.org/unknown#property"), other),
        ox.Triple(other, p(SKOS + "prefLabel"), ox.Literal("Other", language="en")),
    ]
    doc = jsonld.document(triples, s.value, example_context)
    assert set(jsonld.to_triples(doc)) == set(triples)
    assert doc["prefLabel"] == ["Placement", {"@language": "it", "@value": "Inserimento"}]


def test_a_resource_the_graph_does_not_know_has_an_empty_document(example_context: str) -> None:
    doc = jsonld.document([], ID + "need/nothing", example_context)
    assert doc["@context"] == example_context
    assert jsonld.to_triples(doc) == []


# --- the shape of a document --------------------------------------------------------------


@pytest.fixture(scope="module")
def area(store: ox.Store, example_context: str) -> dict:
    return jsonld.document(describe(store, AREA), AREA, example_context)


def test_area_of_expertise_is_the_top_level_object(area: dict) -> None:
    assert area["@context"] == CONTEXT_REF
    assert "@graph" not in area
    assert area["id"] == "wisekg:area-of-expertise/networking-and-community-thinking"
    assert area["type"] == "AreaOfExpertise"
    assert english(area["prefLabel"]) == "Networking and community thinking"
    assert area["notation"] == "2.2"


def test_area_embeds_its_resistances_with_their_type(area: dict) -> None:
    resistances = _as_list(area["hasResistance"])
    assert len(resistances) >= 2
    for resistance in resistances:
        assert resistance["type"] == "Resistance"
        assert isinstance(english(resistance["prefLabel"]), str)
        assert resistance["resistanceType"]["id"].startswith("wisekg:resistance-type/")
        assert resistance["resistanceType"]["type"] == "ResistanceType"
    kinds = {english(r["resistanceType"]["prefLabel"]) for r in resistances}
    assert {"cultural", "organisational"} <= kinds


def test_area_embeds_its_actions(area: dict) -> None:
    actions = _as_list(area["hasAction"])
    assert {english(a["actionLevel"]["prefLabel"]) for a in actions} == {
        "people",
        "organisation",
        "policy",
    }
    topics = [t for a in actions for t in _as_list(a.get("hasCollaborationTopic", []))]
    assert topics and all("stakeholderKind" in t for t in topics)


def test_area_embeds_esco_alignments_with_the_esco_concept_named(area: dict) -> None:
    alignments = {a["escoConcept"]["id"]: a for a in _as_list(area["hasEscoAlignment"])}
    s1_8 = alignments[S1_8]
    assert s1_8["type"] == "EscoAlignment"
    assert s1_8["escoConcept"]["prefLabel"] == "working with others"
    assert s1_8["escoConcept"]["notation"] == "S1.8"
    assert s1_8["mappingRelation"] == "relatedMatch"
    assert s1_8["escoCoverage"]["id"] == "wisekg:esco-coverage/partial"


def test_area_links_its_need_and_profile_by_id_with_their_label(area: dict) -> None:
    developed = {node["id"]: node for node in area["develops"]}  # a need and a need area
    assert len(developed) == 2
    need = developed["wisekg:need/developing-network-functions"]
    assert {k: need[k] for k in ("id", "type", "notation")} == {
        "id": "wisekg:need/developing-network-functions",
        "type": "Need",
        "notation": "1.2.1",
    }
    assert english(need["prefLabel"]) == "Developing network functions"
    assert set(need) == {"id", "type", "notation", "prefLabel"}
    profile = area["resultingProfile"]
    assert profile["id"] == "wisekg:profile/network-operator"
    assert english(profile["prefLabel"]) == "Network Operator"
    assert set(profile) <= {"id", "type", "prefLabel", "notation", "label"}


def test_inbound_links_come_under_reverse(store: ox.Store, example_context: str) -> None:
    need = ID + "need/developing-network-functions"
    doc = jsonld.document(describe(store, need), need, example_context)
    assert (
        doc["@reverse"]["develops"]["id"]
        == "wisekg:area-of-expertise/networking-and-community-thinking"
    )
    assert english(doc["@reverse"]["develops"]["prefLabel"]) == "Networking and community thinking"


def test_compacted_keys_are_the_readable_ones(store: ox.Store, example_context: str) -> None:
    terms = set(jsonld.context()["@context"])
    keys: set[str] = set()
    for iri in (AREA, ID + "need/developing-network-functions", ID + "profile/network-operator"):
        doc = jsonld.document(describe(store, iri), iri, example_context)
        keys |= set(_keys(doc))
        assert not [k for k in keys if "://" in k or k.startswith(("wise:", "skos:", "dcterms:"))]
        assert keys - {"@context", "@reverse", "@included", "@language", "@value", "@type"} <= terms
    assert {"develops", "appliesTo", "hasResistance", "hasEscoAlignment", "escoConcept"} <= keys


def test_the_context_defines_the_vocabulary() -> None:
    ctx = jsonld.context()["@context"]
    assert ctx["@version"] == 1.1
    assert ctx["id"] == "@id" and ctx["type"] == "@type"
    assert ctx["wisekg"] == ID and ctx["wise"] == WISE
    for term in ("develops", "appliesTo", "escoConcept", "hasResistance", "resultingProfile"):
        assert ctx[term] == {"@id": f"wise:{term}", "@type": "@id"}
    assert ctx["memberList"]["@container"] == "@list"
    assert ctx["prefLabel"] == {"@id": "skos:prefLabel"}
    # Every wise: term of the ontology that the data uses has a short key.
    used = {v["@id"] if isinstance(v, dict) else v for v in ctx.values()}
    for name in ("concerns", "identifiedFrom", "mappingRelation", "escoCoverage", "wiseType"):
        assert f"wise:{name}" in used


def test_context_is_a_copy_each_time() -> None:
    first = jsonld.context()
    first["@context"]["develops"] = "broken"
    assert jsonld.context()["@context"]["develops"]["@id"] == "wise:develops"


# --- the loader ---------------------------------------------------------------------------


def test_loader_serves_our_context_for_the_published_and_registered_urls() -> None:
    base = "http://127.0.0.1:8765/"
    assert jsonld.context_url(base) == base + "context.jsonld"
    for url in (
        "https://w3id.org/wise-kg/context.jsonld",
        f"https://w3id.org/wise-kg/context/{jsonld.CONTEXT_VERSION}.jsonld",
        base + "context.jsonld",
        f"{base}context/{jsonld.CONTEXT_VERSION}.jsonld",
    ):
        remote = jsonld.loader(url, {})
        assert remote["document"] == jsonld.context()
        assert remote["documentUrl"] == url


@pytest.mark.parametrize(
    "url",
    [
        "https://schema.org/",
        "http://127.0.0.1:9/context.jsonld",
        "http://127.0.0.1:8765/context/0.0.1.jsonld",
        "http://127.0.0.1:8765/context.jsonld?x=1",
        "https://w3id.org/wise-kg/context.jsonld#x",
        "https://evil.example/wise-kg/context.jsonld",
        "file:///etc/passwd",
    ],
)
def test_loader_refuses_anything_else_without_touching_the_network(
    url: str, no_network: list[object]
) -> None:
    jsonld.context_url("http://127.0.0.1:8765/")
    with pytest.raises(JsonLdError):
        jsonld.loader(url, {})
    doc = {"@context": url, "@id": "http://example.org/x", "name": "x"}
    with pytest.raises(JsonLdError):
        jsonld.to_triples(doc)
    # pyld's own default loader is left as pyld has it (a library does not take it over).
    assert pyld.get_document_loader() is not jsonld.loader


def test_documents_are_made_and_read_without_the_network(
    store: ox.Store, example_context: str, no_network: list[object]
) -> None:
    triples = describe(store, AREA)
    doc = jsonld.document(triples, AREA, example_context)
    assert set(jsonld.to_triples(doc)) == set(triples)
    listening = socket.socket()
    listening.bind(("127.0.0.1", 0))
    listening.listen()
    listening.setblocking(False)
    try:
        port = listening.getsockname()[1]
        url = f"http://127.0.0.1:{port}/context.jsonld"
        with pytest.raises(JsonLdError):
            jsonld.to_triples({**doc, "@context": url})
        with pytest.raises(BlockingIOError):
            listening.accept()
    finally:
        listening.close()


# --- remote contexts nested in a document are never fetched ---------------------------------


def test_nested_remote_json_ld_contexts_are_never_fetched(listener: Listener) -> None:
    remote = listener.url + "/context.jsonld"
    ours = jsonld.PUBLISHED_CONTEXT
    documents = [
        {"@context": [ours, remote], "@id": "urn:x:a", "prefLabel": "a"},
        {"@context": {"@import": remote, "x": "urn:x:"}, "@id": "urn:x:a", "x:p": "a"},
        {"@context": {"p": {"@id": "urn:x:p", "@context": remote}}, "p": {"q": "a"}},
        {"@context": {"T": {"@id": "urn:x:T", "@context": remote}}, "@type": "T", "q": "a"},
        {"@context": ours, "@id": "urn:x:a", "prefLabel": {"@context": remote, "@value": "a"}},
        {"@context": ours, "@graph": [{"@context": remote, "@id": "urn:x:b", "q": "b"}]},
    ]
    for doc in documents:
        with pytest.raises(JsonLdError):
            jsonld.to_triples(doc)
    listener.assert_untouched()
