"""Running tests: one store for everything, queries over HTTP, and the in-process reference.

Every data file any test needs is loaded once, as a named graph named by its
canonical IRI; a test then selects its dataset with the protocol's
``default-graph-uri`` / ``named-graph-uri`` parameters (or the query's own FROM).
The same test run in-process on a fresh pyoxigraph store gives the reference:
what pyoxigraph itself passes.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from pathlib import Path

import httpx
import pyoxigraph as ox

from tests.w3c.results import RESULTS_MEDIA, Answer, from_file, from_response
from tests.w3c.suite import Test, iri_of, path_of
from wise_kg.store.embedded import publish

JSON = "application/sparql-results+json"
NTRIPLES = "application/n-triples"
DIRECT = "application/sparql-query"
#: Tests of the result formats ask for the format of their expected file.
MEDIA_BY_EXTENSION = {"srj": JSON, "tsv": "text/tab-separated-values"}
ORDER_BY = re.compile(r"\bORDER\s+BY\b", re.IGNORECASE)


def graph_files(tests: Iterable[Test]) -> dict[str, Path]:
    """Every data file the tests need (qt:data, qt:graphData, FROM targets): IRI → file."""
    return {iri: path_of(iri) for test in tests for iri in sorted(test.files())}


def _quads(graphs: dict[str, Path]) -> Iterator[ox.Quad]:
    for name, path in graphs.items():
        rdf_format = ox.RdfFormat.from_extension(path.suffix.lstrip("."))
        graph = ox.NamedNode(name)
        for triple in ox.parse(path=path, format=rdf_format, base_iri=iri_of(path)):
            yield ox.Quad(triple.subject, triple.predicate, triple.object, graph)


def build_store(link: Path, graphs: dict[str, Path]) -> None:
    """Publish a wise-kg store at ``link`` holding each file as the named graph ``graphs`` gives."""
    publish(link, _quads(graphs))


def query_with_base(test: Test) -> str:
    """The query text with ``BASE <its canonical IRI>`` in front."""
    return f"BASE <{test.query}>\n{test.query_text()}"


def expected_answer(test: Test) -> Answer:
    """The test's expected answer, compared in order when it has rs:index or ORDER BY."""
    assert test.result is not None
    expected = from_file(test.result, path_of(test.result))
    if ORDER_BY.search(test.query_text()):
        expected.ordered = True
    return expected


def media_type_for(test: Test, expected: Answer) -> str:
    """The media type to ask for: the expected file's for result-format tests, else
    JSON (SELECT / ASK) or N-Triples (CONSTRUCT / DESCRIBE)."""
    extension = (test.result or "").rsplit(".", 1)[-1]
    if extension in MEDIA_BY_EXTENSION:
        return MEDIA_BY_EXTENSION[extension]
    return NTRIPLES if expected.kind == "graph" else JSON


def dataset_params(test: Test) -> list[tuple[str, str]]:
    """Protocol parameters selecting the test's dataset; none when the query has FROM."""
    if any(test.from_graphs()):
        return []
    return [("default-graph-uri", d) for d in test.data] + [
        ("named-graph-uri", g) for g in test.graph_data
    ]


class EndpointError(AssertionError):
    """The endpoint did not answer 200."""

    def __init__(self, response: httpx.Response):
        self.status = response.status_code
        super().__init__(f"HTTP {response.status_code}: {response.text.strip()[:500]}")


def ask_http(client: httpx.Client, test: Test, media_type: str) -> Answer:
    """Send the test's query as a direct POST with its dataset parameters; read the answer."""
    response = client.post(
        "/sparql",
        params=dataset_params(test),
        content=query_with_base(test).encode("utf-8"),
        headers={"content-type": DIRECT, "accept": media_type},
    )
    if response.status_code != 200:
        raise EndpointError(response)
    return from_response(response.content, response.headers["content-type"])


def ask_in_process(test: Test, media_type: str) -> Answer:
    """Run the test on a fresh in-memory pyoxigraph store, serialized and read back as over HTTP.

    qt:data goes into the default graph; qt:graphData and FROM targets into named graphs.
    """
    store = ox.Store()
    for iri in test.data:
        _load(store, iri, ox.DefaultGraph())
    default, named = test.from_graphs()
    for iri in {*test.graph_data, *default, *named}:
        _load(store, iri, ox.NamedNode(iri))
    results = store.query(query_with_base(test))
    if isinstance(results, ox.QueryTriples):
        media_type = NTRIPLES
        body = results.serialize(format=ox.RdfFormat.N_TRIPLES)
    else:
        media_type = media_type if media_type in RESULTS_MEDIA else JSON
        body = results.serialize(format=ox.QueryResultsFormat.from_media_type(media_type))
    return from_response(body or b"", media_type)


def _load(store: ox.Store, iri: str, graph: ox.NamedNode | ox.DefaultGraph) -> None:
    path = path_of(iri)
    rdf_format = ox.RdfFormat.from_extension(path.suffix.lstrip("."))
    store.load(path=path, format=rdf_format, base_iri=iri, to_graph=graph)


# --- protocol tests ------------------------------------------------------------------


def replay(client: httpx.Client, request: dict) -> httpx.Response:
    """Send one request of ``protocol-tests.json``; ``/sparql/`` is our ``/sparql``."""
    path = "/sparql" if request["path"].rstrip("/") == "/sparql" else request["path"]
    body = request["body"]
    content = None if body is None else body.encode(request["bodyEncoding"] or "utf-8")
    return client.request(
        request["method"],
        path,
        params=[tuple(p) for p in request["params"]],
        headers=request["requestHeaders"],
        content=content,
    )


def unmet(response: httpx.Response, expect: dict) -> str | None:
    """What of a protocol expectation (status class, format, boolean) the response misses."""
    status = response.status_code
    if f"{status // 100}xx" not in expect["status"] and str(status) not in expect["status"]:
        return f"status {status} not in {expect['status']}: {response.text.strip()[:300]}"
    wanted = expect["format"]
    if wanted is None:
        return None
    content_type = response.headers.get("content-type", "")
    try:
        answer = from_response(response.content, content_type)
    except (ValueError, SyntaxError) as err:
        return f"body ({content_type}) does not parse: {err}"
    kinds = {"boolean": "boolean", "tabular": "solutions", "RDF": "graph"}
    if answer.kind != kinds[wanted]:
        return f"expected a {wanted} answer, got {answer.kind} ({content_type})"
    if expect["boolean"] is not None and answer.boolean != expect["boolean"]:
        return f"expected boolean {expect['boolean']}, got {answer.boolean}"
    return None
