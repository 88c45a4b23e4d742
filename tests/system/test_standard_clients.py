"""Standard JSON-LD and RDF clients read our Linked Data with their own default loaders.

Over HTTP, against a real uvicorn on 127.0.0.1, each client fetches the documents and
the ``@context`` they name by itself, as it would from any server:

* pyld (``jsonld.expand`` / ``jsonld.to_rdf`` of a URL, pyld's default ``requests``
  loader), the JSON-LD profiles (expanded, flattened) included;
* rdflib (``Graph().parse(url, format="json-ld")``, ``Graph().parse(url)`` by content
  negotiation, ``Dataset().parse`` of the N-Quads and TriG dumps);
* jsonld.js (``jsonld.toRDF(url)``, its default node document loader) and Comunica
  (``@comunica/query-sparql``, the URL as its only source), from npm, run by
  ``node`` on tests/js/*.mjs.

Every answer must be exactly the triples of the Turtle view of the same URL (the
Turtle dump for the JSON-LD dump), compared as graphs: blank nodes are canonicalized
(pyoxigraph's RDF canonicalization) before comparing sets of triples.

No request leaves 127.0.0.1: in Python, DNS look-ups and socket connections of other
hosts are refused and recorded (the ``loopback`` fixture); in node, tests/js/harness.mjs
does the same and reports every HTTP exchange.
"""

from __future__ import annotations

import http.client
import json
import shutil
import socket
import subprocess
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pyoxigraph as ox
import pytest
import rdflib
from pyld import jsonld
from pyld.documentloader.requests import RequestsDocumentLoader

from tests.helpers import PROJECT, LiveServer

WISE = "https://w3id.org/wise-kg/ontology#"
#: One resource of each kind is read by every client: kind (test id) → its class.
KINDS = {
    "need": WISE + "Need",
    "area-of-expertise": WISE + "AreaOfExpertise",
    "profile": WISE + "OccupationalProfile",
    "persona": WISE + "Persona",
    "swot-finding": WISE + "SwotFinding",
    "esco-alignment": WISE + "EscoAlignment",
    "organisation": "http://www.w3.org/ns/org#Organization",
    "scheme": "http://www.w3.org/2004/02/skos/core#ConceptScheme",
}
#: Whole documents besides resources: path → the path of their Turtle view.
DOCUMENTS = {"/.well-known/void": "/.well-known/void", "/dump.jsonld": "/dump.ttl"}
#: The named graphs every dataset dump holds.
GRAPHS = {"https://w3id.org/wise-kg/graph/data", "https://w3id.org/wise-kg/graph/ontology"}
PROFILE = "http://www.w3.org/ns/json-ld#"
LOOPBACK = "127.0.0.1"

JS = Path(__file__).resolve().parents[1] / "js"
NODE_PACKAGES = ("jsonld", "@comunica/query-sparql")
#: Seconds one node run may take (it reads every URL of a test group in one process).
NODE_TIMEOUT = 40


# --- the resources, their Turtle views, graph comparison ----------------------------------


@pytest.fixture(scope="module")
def resources(live: LiveServer) -> dict[str, str]:
    """For each kind, the URL on the live server of one resource of that kind (found by
    SPARQL, the first by IRI)."""
    values = " ".join(f"<{iri}>" for iri in KINDS.values())
    query = (
        f"SELECT ?type (MIN(STR(?s)) AS ?first) WHERE {{ VALUES ?type {{ {values} }} "
        f'?s a ?type FILTER(STRSTARTS(STR(?s), "{live.settings.base_iri}id/")) }} GROUP BY ?type'
    )
    answer = httpx.post(
        live.url + "/sparql",
        data={"query": query},
        headers={"Accept": "application/sparql-results+json"},
        timeout=30,
    )
    answer.raise_for_status()
    first = {
        row["type"]["value"]: row["first"]["value"] for row in answer.json()["results"]["bindings"]
    }
    missing = [kind for kind, iri in KINDS.items() if iri not in first]
    assert not missing, f"no resource of these kinds in the data: {missing}"
    base = live.settings.base_iri
    return {kind: live.url + "/" + first[iri].removeprefix(base) for kind, iri in KINDS.items()}


Triples = frozenset[ox.Triple]


def canonical(quads: Iterable[ox.Quad | ox.Triple], *, keep_graphs: bool = False) -> frozenset:
    """The quads with their blank nodes canonically named: equal sets mean isomorphic graphs.

    Without ``keep_graphs``, the triples (graph names dropped)."""
    dataset = ox.Dataset()
    for quad in quads:
        if isinstance(quad, ox.Triple) or not keep_graphs:
            quad = ox.Quad(quad.subject, quad.predicate, quad.object)
        dataset.add(quad)
    dataset.canonicalize(ox.CanonicalizationAlgorithm.UNSTABLE)
    if keep_graphs:
        return frozenset(dataset)
    return frozenset(ox.Triple(q.subject, q.predicate, q.object) for q in dataset)


def parse(text: str | bytes, fmt: ox.RdfFormat, *, keep_graphs: bool = False) -> frozenset:
    """``text`` in ``fmt``, parsed by pyoxigraph and canonicalized."""
    return canonical(ox.parse(text, format=fmt), keep_graphs=keep_graphs)


def turtle_view(url: str) -> Triples:
    """The triples of the Turtle view of ``url``, fetched by httpx with ``Accept: text/turtle``."""
    answer = httpx.get(url, headers={"Accept": "text/turtle"}, timeout=30)
    answer.raise_for_status()
    assert answer.headers["content-type"].startswith("text/turtle"), url
    return canonical(ox.parse(answer.content, format=ox.RdfFormat.TURTLE, base_iri=url))


def dump_quads(url: str) -> frozenset[ox.Quad]:
    """The quads of an N-Quads dump, fetched by httpx."""
    answer = httpx.get(url, timeout=30)
    answer.raise_for_status()
    return parse(answer.content, ox.RdfFormat.N_QUADS, keep_graphs=True)


def assert_same(got: frozenset, expected: frozenset, who: str) -> None:
    """``got`` is ``expected``; else say what is missing and what is extra, a few of each."""
    missing, extra = sorted(map(str, expected - got)), sorted(map(str, got - expected))
    assert not missing and not extra, (
        f"{who}: {len(got)} statements for {len(expected)} expected; "
        f"missing {len(missing)}: {missing[:5]}; extra {len(extra)}: {extra[:5]}"
    )
    assert got, f"{who}: no statements at all"


def view_of(url: str) -> str:
    """The URL of the Turtle view of what ``url`` serves."""
    for path, view in DOCUMENTS.items():
        if url.endswith(path):
            return url.removesuffix(path) + view
    return url


# --- Python clients: nothing off 127.0.0.1, every HTTP exchange logged -------------------


@dataclass
class NetLog:
    """What the Python clients did on the network during one test."""

    lookups: list[str] = field(default_factory=list)
    connections: list[tuple[str, int]] = field(default_factory=list)
    exchanges: list[dict[str, Any]] = field(default_factory=list)

    def answers(self, url: str) -> list[dict[str, Any]]:
        """The exchanges that fetched ``url``."""
        return [e for e in self.exchanges if e["url"] == url]

    def content_types(self, url: str) -> list[str]:
        return [e["headers"].get("content-type", "") for e in self.answers(url)]


@pytest.fixture
def loopback(monkeypatch: pytest.MonkeyPatch, live: LiveServer) -> Iterator[NetLog]:
    """Refuse (and record) DNS look-ups and connections of any host but 127.0.0.1; log
    every request made through ``http.client`` (requests' urllib3 and rdflib's urllib)
    with the answer's status and headers. Nothing else about the clients changes."""
    log = NetLog()
    getaddrinfo, connect = socket.getaddrinfo, socket.socket.connect

    def guarded_getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
        name = host.decode() if isinstance(host, bytes) else str(host)
        log.lookups.append(name)
        if name != LOOPBACK:
            raise socket.gaierror(socket.EAI_NONAME, f"network guard: refused to look up {name}")
        return getaddrinfo(host, *args, **kwargs)

    def guarded_connect(sock: socket.socket, address: Any) -> None:
        if sock.family in (socket.AF_INET, socket.AF_INET6):
            log.connections.append((address[0], address[1]))
            if address[0] != LOOPBACK:
                raise ConnectionRefusedError(f"network guard: refused to connect to {address}")
        connect(sock, address)

    putrequest, putheader = (
        http.client.HTTPConnection.putrequest,
        http.client.HTTPConnection.putheader,
    )
    getresponse = http.client.HTTPConnection.getresponse

    def logged_putrequest(conn: http.client.HTTPConnection, method: str, url: str, *a, **k):
        conn._wise_exchange = {  # type: ignore[attr-defined]
            "url": f"http://{conn.host}:{conn.port}{url}",
            "method": method,
            "request": {},
            "status": None,
            "headers": {},
        }
        log.exchanges.append(conn._wise_exchange)  # type: ignore[attr-defined]
        return putrequest(conn, method, url, *a, **k)

    def logged_putheader(conn: http.client.HTTPConnection, header: Any, *values: Any) -> None:
        exchange = getattr(conn, "_wise_exchange", None)
        if exchange is not None:
            name = header.decode() if isinstance(header, bytes) else str(header)
            text = ", ".join(v.decode() if isinstance(v, bytes) else str(v) for v in values)
            exchange["request"][name.lower()] = text
        putheader(conn, header, *values)

    def logged_getresponse(conn: http.client.HTTPConnection) -> http.client.HTTPResponse:
        response = getresponse(conn)
        exchange = getattr(conn, "_wise_exchange", None)
        if exchange is not None:
            exchange["status"] = response.status
            exchange["headers"] = {k.lower(): v for k, v in response.getheaders()}
        return response

    monkeypatch.setattr(socket, "getaddrinfo", guarded_getaddrinfo)
    monkeypatch.setattr(socket.socket, "connect", guarded_connect)
    monkeypatch.setattr(http.client.HTTPConnection, "putrequest", logged_putrequest)
    monkeypatch.setattr(http.client.HTTPConnection, "putheader", logged_putheader)
    monkeypatch.setattr(http.client.HTTPConnection, "getresponse", logged_getresponse)
    yield log
    port = live.settings.port
    assert set(log.lookups) <= {LOOPBACK}, f"looked up other hosts: {log.lookups}"
    assert all(c == (LOOPBACK, port) for c in log.connections), log.connections
    assert all(e["url"].startswith(live.url + "/") for e in log.exchanges), log.exchanges


def assert_context_fetched(log: NetLog, live: LiveServer) -> None:
    """The client fetched our ``@context`` from the server itself, as JSON-LD."""
    fetched = log.answers(live.url + "/context.jsonld")
    assert fetched, "the client never fetched the context"
    assert all(e["status"] == 200 for e in fetched), fetched
    assert all(e["headers"]["content-type"] == "application/ld+json" for e in fetched)


def test_the_guard_refuses_any_host_but_loopback(loopback: NetLog) -> None:
    """The guard works: a client reaching for the internet is refused, not connected."""
    with pytest.raises(jsonld.JsonLdError):
        jsonld.expand("https://example.org/context.jsonld")
    assert loopback.lookups and LOOPBACK not in loopback.lookups and not loopback.connections
    loopback.lookups.clear()  # the fixture's own check would fail on the probe


# --- pyld, with its default document loader (requests) -----------------------------------


def pyld_triples(source: Any, options: dict[str, Any] | None = None) -> Triples:
    """The triples of ``source`` (a URL or a document) by pyld's ``to_rdf``, default loader."""
    nquads = jsonld.to_rdf(source, {"format": "application/n-quads", **(options or {})})
    return parse(nquads, ox.RdfFormat.N_QUADS)


def test_pyld_default_loader_is_pyld_own() -> None:
    """The project installs no pyld document loader of its own: these tests use pyld's."""
    import wise_kg.api  # noqa: F401  (importing the app must not change it either)

    assert type(jsonld.get_document_loader()) is RequestsDocumentLoader


@pytest.mark.parametrize("kind", KINDS)
def test_pyld_reads_each_kind_of_resource_as_its_turtle_view(
    kind: str, resources: dict[str, str], loopback: NetLog
) -> None:
    """``jsonld.expand(url)`` and ``jsonld.to_rdf(url)``: the triples of the Turtle view."""
    url = resources[kind]
    expected = turtle_view(url)
    expanded = jsonld.expand(url)
    assert_same(pyld_triples(expanded), expected, f"pyld expand({url})")
    assert_same(pyld_triples(url), expected, f"pyld to_rdf({url})")
    assert all(t.startswith("application/ld+json") for t in loopback.content_types(url))


@pytest.mark.parametrize("profile", ["expanded", "flattened"])
@pytest.mark.parametrize("kind", ["need", "area-of-expertise"])
def test_pyld_reads_json_ld_profiles_as_the_same_triples(
    kind: str, profile: str, resources: dict[str, str], loopback: NetLog
) -> None:
    """``Accept: application/ld+json;profile=…#expanded`` (``#flattened``): the server
    answers in that profile, and pyld reads the same triples from it."""
    url = resources[kind]
    accept = f'application/ld+json;profile="{PROFILE}{profile}"'
    got = pyld_triples(url, {"headers": {"Accept": accept}})
    assert_same(got, turtle_view(url), f"pyld to_rdf({url}) in the {profile} profile")
    served = loopback.content_types(url)
    assert served and all(f'profile="{PROFILE}{profile}"' in t for t in served), served


def test_pyld_reads_void_as_json_ld(live: LiveServer, loopback: NetLog) -> None:
    """The VoID description asked for as JSON-LD (pyld's loader, our Accept header)."""
    url = live.url + "/.well-known/void"
    got = pyld_triples(url, {"headers": {"Accept": "application/ld+json"}})
    assert_same(got, turtle_view(url), f"pyld to_rdf({url})")


def test_pyld_reads_void_with_its_default_accept(live: LiveServer, loopback: NetLog) -> None:
    """``jsonld.to_rdf(".../.well-known/void")`` with nothing but pyld's defaults."""
    url = live.url + "/.well-known/void"
    assert_same(pyld_triples(url), turtle_view(url), f"pyld to_rdf({url})")


def test_pyld_reads_the_json_ld_dump_as_the_turtle_dump(live: LiveServer, loopback: NetLog) -> None:
    """``/dump.jsonld`` (gzip-coded, as requests accepts it): the triples of ``/dump.ttl``."""
    url = live.url + "/dump.jsonld"
    assert_same(pyld_triples(url), turtle_view(live.url + "/dump.ttl"), f"pyld to_rdf({url})")
    assert [e["headers"].get("content-encoding") for e in loopback.answers(url)] == ["gzip"]


# --- rdflib, with its own loader (urllib) ------------------------------------------------


def rdflib_triples(graph: rdflib.Graph) -> Triples:
    return parse(graph.serialize(format="nt"), ox.RdfFormat.N_TRIPLES)


@pytest.mark.parametrize("kind", KINDS)
def test_rdflib_reads_the_json_ld_of_each_kind_of_resource(
    kind: str, resources: dict[str, str], live: LiveServer, loopback: NetLog
) -> None:
    """``Graph().parse(url, format="json-ld")``, rdflib fetching our context itself."""
    url = resources[kind]
    graph = rdflib.Graph().parse(url, format="json-ld")
    assert_same(rdflib_triples(graph), turtle_view(url), f"rdflib json-ld {url}")
    assert all(t.startswith("application/ld+json") for t in loopback.content_types(url))
    assert_context_fetched(loopback, live)


@pytest.mark.parametrize("kind", KINDS)
def test_rdflib_reads_each_kind_of_resource_by_content_negotiation(
    kind: str, resources: dict[str, str], loopback: NetLog
) -> None:
    """``Graph().parse(url)``: rdflib's own Accept header, the format the server picks."""
    url = resources[kind]
    graph = rdflib.Graph().parse(url)
    assert_same(rdflib_triples(graph), turtle_view(url), f"rdflib {url}")
    assert loopback.content_types(url), "rdflib fetched nothing"


@pytest.mark.parametrize("path", DOCUMENTS)
@pytest.mark.parametrize("fmt", ["json-ld", None], ids=["json-ld", "negotiated"])
def test_rdflib_reads_void_and_the_json_ld_dump(
    path: str, fmt: str | None, live: LiveServer, loopback: NetLog
) -> None:
    """The VoID description and ``/dump.jsonld``, as JSON-LD and by negotiation."""
    url = live.url + path
    graph = rdflib.Graph().parse(url, format=fmt)
    assert_same(rdflib_triples(graph), turtle_view(view_of(url)), f"rdflib {fmt} {url}")


@pytest.mark.parametrize("extension", ["nq", "trig"])
def test_rdflib_dataset_reads_the_dumps_with_their_graph_names(
    extension: str, live: LiveServer, loopback: NetLog
) -> None:
    """``Dataset().parse(".../dump.nq")`` (``.trig``): the dump's quads, graph names kept,
    and together the triples of the Turtle dump."""
    url = f"{live.url}/dump.{extension}"
    dataset = rdflib.Dataset().parse(url)
    names = {str(g.identifier) for g in dataset.graphs() if len(g)}
    assert names >= GRAPHS, names
    got = parse(dataset.serialize(format="nquads"), ox.RdfFormat.N_QUADS, keep_graphs=True)
    assert_same(got, dump_quads(live.url + "/dump.nq"), f"rdflib Dataset {url}")
    union = canonical(got)
    assert_same(union, turtle_view(live.url + "/dump.ttl"), f"rdflib Dataset {url} (triples)")


# --- jsonld.js and Comunica, from npm, run by node ----------------------------------------


def node_missing() -> str | None:
    """Why the node clients cannot run here, or None."""
    if shutil.which("node") is None:
        return "node is not installed (Node 20 runs tests/js)"
    for package in NODE_PACKAGES:
        if not (PROJECT / "node_modules" / package / "package.json").is_file():
            return f"the npm package {package} is not installed: run `npm ci` (make install)"
    return None


needs_node = pytest.mark.skipif(node_missing() is not None, reason=node_missing() or "")


@dataclass
class NodeRun:
    """What one run of a tests/js script answered and did on the network."""

    results: dict[str, dict[str, str]]
    exchanges: list[dict[str, Any]]
    connections: list[dict[str, Any]]
    lookups: list[str]

    def triples(self, url: str, *, keep_graphs: bool = False) -> frozenset:
        result = self.results[url]
        assert "error" not in result, f"{url}: {result['error']}"
        return parse(result["nquads"], ox.RdfFormat.N_QUADS, keep_graphs=keep_graphs)

    def answers(self, url: str) -> list[dict[str, Any]]:
        return [e for e in self.exchanges if e["url"] == url]


def run_node(script: str, urls: list[str], *options: str) -> NodeRun:
    """``node tests/js/{script} --json [options] urls…`` in the project (its node_modules)."""
    command = ["node", str(JS / script), "--json", *options, *urls]
    done = subprocess.run(
        command, cwd=PROJECT, capture_output=True, text=True, timeout=NODE_TIMEOUT, check=False
    )
    assert done.returncode == 0, f"{script} failed ({done.returncode}): {done.stderr[-3000:]}"
    report = json.loads(done.stdout)
    return NodeRun(
        {r["url"]: r for r in report["results"]},
        report["exchanges"],
        report["connections"],
        report["lookups"],
    )


def assert_node_stayed_on_loopback(run: NodeRun, live: LiveServer) -> None:
    assert not run.lookups, f"looked up host names: {run.lookups}"
    port = live.settings.port
    assert run.connections, "no connection at all"
    assert all(c == {"host": LOOPBACK, "port": port} for c in run.connections), run.connections
    assert all(e["url"].startswith(live.url + "/") for e in run.exchanges), run.exchanges


def assert_node_fetched_context(run: NodeRun, live: LiveServer) -> None:
    fetched = run.answers(live.url + "/context.jsonld")
    assert fetched, "the context was never fetched"
    assert all(e["status"] == 200 for e in fetched), fetched
    assert all(e["contentType"] == "application/ld+json" for e in fetched), fetched


@pytest.fixture(scope="module")
def jsonld_js(live: LiveServer, resources: dict[str, str]) -> NodeRun:
    """jsonld.js ``toRDF`` of every resource, the VoID description and the JSON-LD dump."""
    return run_node("jsonld_expand.mjs", [*resources.values(), *(live.url + p for p in DOCUMENTS)])


@pytest.fixture(scope="module")
def comunica(live: LiveServer, resources: dict[str, str]) -> NodeRun:
    """Comunica, ``CONSTRUCT WHERE { ?s ?p ?o }`` over each resource (negotiated and its
    ``.jsonld``), the VoID description and the JSON-LD dump, one source at a time."""
    jsonld_urls = [url + ".jsonld" for url in resources.values()]
    documents = [live.url + p for p in DOCUMENTS]
    return run_node("comunica_query.mjs", [*resources.values(), *jsonld_urls, *documents])


@pytest.fixture(scope="module")
def comunica_dumps(live: LiveServer) -> NodeRun:
    """Comunica reading the named graphs of the N-Quads and TriG dumps."""
    urls = [live.url + "/dump.nq", live.url + "/dump.trig"]
    return run_node(
        "comunica_query.mjs", urls, "--query", "SELECT * WHERE { GRAPH ?g { ?s ?p ?o } }"
    )


@needs_node
@pytest.mark.parametrize("kind", KINDS)
def test_jsonld_js_reads_each_kind_of_resource_as_its_turtle_view(
    kind: str, resources: dict[str, str], jsonld_js: NodeRun
) -> None:
    """``jsonld.toRDF(url)`` with jsonld.js's default node loader."""
    url = resources[kind]
    assert_same(jsonld_js.triples(url), turtle_view(url), f"jsonld.js toRDF({url})")
    assert all(e["contentType"].startswith("application/ld+json") for e in jsonld_js.answers(url))


@needs_node
@pytest.mark.parametrize("path", DOCUMENTS)
def test_jsonld_js_reads_void_and_the_json_ld_dump(
    path: str, live: LiveServer, jsonld_js: NodeRun
) -> None:
    """The VoID description (jsonld.js asks for JSON-LD) and ``/dump.jsonld`` (gzip)."""
    url = live.url + path
    assert_same(jsonld_js.triples(url), turtle_view(view_of(url)), f"jsonld.js toRDF({url})")


@needs_node
def test_jsonld_js_fetches_our_context_and_nothing_off_loopback(
    live: LiveServer, jsonld_js: NodeRun
) -> None:
    """jsonld.js loaded the ``@context`` from the server, and reached nothing else."""
    assert_node_fetched_context(jsonld_js, live)
    assert_node_stayed_on_loopback(jsonld_js, live)


@needs_node
@pytest.mark.parametrize("kind", KINDS)
def test_comunica_reads_each_kind_of_resource_in_n_quads(
    kind: str, resources: dict[str, str], comunica: NodeRun
) -> None:
    """Comunica negotiates N-Quads (its first choice) for an ``/id/`` URL, and gets exactly
    the triples of the Turtle view."""
    url = resources[kind]
    assert_same(comunica.triples(url), turtle_view(url), f"Comunica over {url}")
    served = [e["contentType"] for e in comunica.answers(url)]
    assert served and all(t.startswith("application/n-quads") for t in served), served


@needs_node
@pytest.mark.parametrize("kind", KINDS)
def test_comunica_reads_the_json_ld_of_each_kind_of_resource(
    kind: str, resources: dict[str, str], comunica: NodeRun, live: LiveServer
) -> None:
    """Comunica over the ``.jsonld`` URL: its JSON-LD parser loads our context itself."""
    url = resources[kind]
    got = comunica.triples(url + ".jsonld")
    assert_same(got, turtle_view(url), f"Comunica over {url}.jsonld")
    assert_node_fetched_context(comunica, live)


@needs_node
@pytest.mark.parametrize("path", DOCUMENTS)
def test_comunica_reads_void_and_the_json_ld_dump(
    path: str, live: LiveServer, comunica: NodeRun
) -> None:
    """The VoID description (by negotiation) and ``/dump.jsonld``."""
    url = live.url + path
    assert_same(comunica.triples(url), turtle_view(view_of(url)), f"Comunica over {url}")


@needs_node
@pytest.mark.parametrize("extension", ["nq", "trig"])
def test_comunica_reads_the_named_graphs_of_the_dumps(
    extension: str, live: LiveServer, comunica_dumps: NodeRun
) -> None:
    """``SELECT * WHERE { GRAPH ?g { ?s ?p ?o } }`` over ``/dump.nq`` (``.trig``): every
    quad of the N-Quads dump, graph names kept."""
    url = f"{live.url}/dump.{extension}"
    got = comunica_dumps.triples(url, keep_graphs=True)
    assert {str(q.graph_name.value) for q in got} >= GRAPHS
    assert_same(got, dump_quads(live.url + "/dump.nq"), f"Comunica over {url}")


@needs_node
def test_comunica_reaches_nothing_off_loopback(
    live: LiveServer, comunica: NodeRun, comunica_dumps: NodeRun
) -> None:
    """Comunica only ever connected to the server."""
    assert_node_stayed_on_loopback(comunica, live)
    assert_node_stayed_on_loopback(comunica_dumps, live)
