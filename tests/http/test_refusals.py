"""Refused by design (item 4): what the read-only endpoint never does, each shown over HTTP.

Every form of SPARQL Update on every transport; SERVICE (every spelling of
``service_spellings``, on every transport; a plain one on every store) and FROM variants
with a listening socket; path traversal (sent raw, since HTTP clients normalise ``..``),
oversize headers, duplicate and conflicting parameters, and Content-Length /
Transfer-Encoding conflicts. Admission itself (each SERVICE spelling shown live on the
engine, then refused): ``tests/sparql/test_admission.py``; remote JSON-LD contexts:
``tests/publish/test_jsonld.py``; XML entities in RDF/XML: ``tests/esco/test_rdfxml_entities.py``.
"""

from __future__ import annotations

import socket
from urllib.parse import urlencode

import httpx
import pytest

from tests.helpers import Listener, LiveServer, http_client
from tests.helpers import service_spellings as spellings

FORM = "application/x-www-form-urlencoded"
DIRECT = "application/sparql-query"
CHEAP = "ASK { ?s ?p ?o }"


def _form(client: httpx.Client, fields: list[tuple[str, str]]) -> httpx.Response:
    """POST a form whose fields may repeat."""
    return client.post("/sparql", content=urlencode(fields), headers={"Content-Type": FORM})


def _quads(client: httpx.Client) -> int:
    return client.get("/health").json()["quads"]


# --- SPARQL Update, in any form ------------------------------------------------------------

UPDATES = [
    "INSERT DATA { <urn:x:a> <urn:x:b> <urn:x:c> }",
    "INSERT DATA { GRAPH <urn:x:g> { <urn:x:a> <urn:x:b> <urn:x:c> } }",
    "DELETE DATA { <urn:x:a> <urn:x:b> <urn:x:c> }",
    "DELETE { ?s ?p ?o } WHERE { ?s ?p ?o }",
    "INSERT { ?s <urn:x:seen> true } WHERE { ?s ?p ?o }",
    "DELETE { ?s ?p ?o } INSERT { ?s ?p 1 } WHERE { ?s ?p ?o }",
    "WITH <https://w3id.org/wise-kg/graph/data> DELETE { ?s ?p ?o } WHERE { ?s ?p ?o }",
    "DELETE { ?s ?p ?o } USING <https://w3id.org/wise-kg/graph/data> WHERE { ?s ?p ?o }",
    "LOAD SILENT <http://127.0.0.1:9/data.ttl> INTO GRAPH <urn:x:g>",
    "CLEAR ALL",
    "CLEAR SILENT DEFAULT",
    "CLEAR GRAPH <https://w3id.org/wise-kg/graph/data>",
    "CREATE GRAPH <urn:x:g>",
    "CREATE SILENT GRAPH <urn:x:g>",
    "DROP GRAPH <https://w3id.org/wise-kg/graph/ontology>",
    "DROP SILENT NAMED",
    "COPY DEFAULT TO <urn:x:g>",
    "MOVE <https://w3id.org/wise-kg/graph/data> TO DEFAULT",
    "ADD SILENT <https://w3id.org/wise-kg/graph/data> TO <urn:x:g>",
    # a prologue, lower case, comments, several operations
    "PREFIX ex: <urn:x:> BASE <urn:x:> INSERT DATA { ex:a ex:b ex:c }",
    "insert data { <urn:x:a> <urn:x:b> <urn:x:c> }",
    "# a comment\nDELETE # inline\n WHERE { ?s ?p ?o } # trailing",
    "CREATE GRAPH <urn:x:g> ; DROP GRAPH <urn:x:g> ; CLEAR ALL",
    "PREFIX ex: <urn:x:>\nclear\tgraph\n ex:g",
]


@pytest.mark.parametrize("update", UPDATES)
def test_every_update_form_is_refused_on_every_transport(client: httpx.Client, update: str) -> None:
    before = _quads(client)
    responses = {
        "GET query=": client.get("/sparql", params={"query": update}),
        "GET update=": client.get("/sparql", params={"update": update}),
        "POST form query=": client.post("/sparql", data={"query": update}),
        "POST form update=": client.post("/sparql", data={"update": update}),
        "POST direct": client.post("/sparql", content=update, headers={"Content-Type": DIRECT}),
        "POST update body": client.post(
            "/sparql", content=update, headers={"Content-Type": "application/sparql-update"}
        ),
    }
    for transport, response in responses.items():
        expected = 415 if transport == "POST update body" else 400
        assert response.status_code == expected, (transport, response.text)
        if expected == 400:
            assert "read-only" in response.text, (transport, response.text)
    assert _quads(client) == before


def test_update_beside_a_query_is_refused(client: httpx.Client) -> None:
    both = {"query": CHEAP, "update": "DROP ALL"}
    assert client.get("/sparql", params=both).status_code == 400
    assert client.post("/sparql", data=both).status_code == 400
    two = _form(client, [("update", "DROP ALL"), ("update", "CLEAR ALL")])
    assert two.status_code == 400 and "read-only" in two.text
    empty = client.post("/sparql", data={"update": ""})
    assert empty.status_code == 400


# --- SERVICE and FROM: never an outbound connection ----------------------------------------

# SERVICE at three depths, gathered here: a plain SERVICE refused on every store (the embedded
# one and each remote engine), SERVICE and LOAD with a socket that must stay untouched, and
# every spelling on every transport. Admission's own unit tests: tests/sparql/test_admission.py.


@pytest.mark.both_stores
def test_service_is_refused(client: httpx.Client) -> None:
    query = "SELECT * WHERE { SERVICE <http://127.0.0.1:9/sparql> { ?s ?p ?o } }"
    response = client.get("/sparql", params={"query": query})
    assert response.status_code == 400 and "SERVICE" in response.text


def test_service_and_load_make_no_outbound_connection(client: httpx.Client) -> None:
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    listener.settimeout(1.0)
    port = listener.getsockname()[1]
    query = f"SELECT * WHERE {{ SERVICE <http://127.0.0.1:{port}/sparql> {{ ?s ?p ?o }} }}"
    response = client.get("/sparql", params={"query": query})
    assert response.status_code == 400 and "SERVICE" in response.text
    load = client.post("/sparql", data={"update": f"LOAD <http://127.0.0.1:{port}/data.ttl>"})
    assert load.status_code == 400 and "read-only" in load.text
    as_query = client.get("/sparql", params={"query": f"LOAD <http://127.0.0.1:{port}/d.ttl>"})
    assert as_query.status_code == 400 and "read-only" in as_query.text
    with pytest.raises(TimeoutError):
        listener.accept()
    listener.close()


@pytest.mark.parametrize("transport", ["GET", "POST form", "POST body"])
def test_service_variants_are_refused_without_connecting(
    client: httpx.Client, listener: Listener, transport: str
) -> None:
    """Every spelling in ``service_spellings`` (each shown live on the engine in
    ``tests/sparql/test_admission.py``), on every transport of the protocol."""
    for name, query in spellings(listener.url + "/").items():
        if transport == "GET":
            response = client.get("/sparql", params={"query": query})
        elif transport == "POST form":
            response = _form(client, [("query", query)])
        else:
            response = client.post("/sparql", content=query, headers={"Content-Type": DIRECT})
        assert response.status_code == 400 and "SERVICE" in response.text, name
    listener.assert_untouched()


def test_from_and_graph_parameters_never_fetch(client: httpx.Client, listener: Listener) -> None:
    remote = listener.url + "/graph.ttl"
    for query in (
        f"SELECT * FROM NAMED <{remote}> WHERE {{ GRAPH ?g {{ ?s ?p ?o }} }}",
        f"SELECT * FROM <{remote}> FROM <https://w3id.org/wise-kg/graph/data> WHERE {{ ?s ?p ?o }}",
        f"CONSTRUCT {{ ?s ?p ?o }} FROM <{remote}> WHERE {{ ?s ?p ?o }}",
    ):
        response = client.get("/sparql", params={"query": query})
        assert response.status_code == 400 and "never fetches" in response.text, query
    # The protocol's graph parameters name stored graphs only: an unknown one is empty.
    count = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"
    for name in ("default-graph-uri", "named-graph-uri"):
        response = client.get("/sparql", params={"query": count, name: remote})
        assert response.status_code == 200
        assert response.json()["results"]["bindings"][0]["n"]["value"] == "0"
    listener.assert_untouched()


# --- path traversal -------------------------------------------------------------------------


def _raw(url: str, request: bytes, timeout: float = 10.0) -> bytes:
    """Send bytes as they are (no client-side normalisation) and read until the server closes."""
    host, port = url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=timeout) as sock:
        sock.sendall(request)
        chunks = []
        while True:
            try:
                chunk = sock.recv(65536)
            except TimeoutError:
                chunks.append(b"<<timeout>>")
                break
            if not chunk:
                break
            chunks.append(chunk)
    return b"".join(chunks)


def _statuses(answer: bytes) -> list[int]:
    """The status of every response in ``answer``, in order."""
    parts = answer.split(b"HTTP/1.1 ")[1:]
    return [int(part[:3]) for part in parts if part[:3].isdigit()]


TRAVERSALS = [
    "/id/../../etc/passwd",
    "/id/../../../../../../etc/passwd",
    "/id/..%2f..%2f..%2f..%2fetc%2fpasswd",
    "/id/%2e%2e/%2e%2e/pyproject.toml",
    "/id/%252e%252e%252f%252e%252e%252fpyproject.toml",
    "/id/need/..%5c..%5c..%5cpyproject.toml",
    "/queries/../README.md",
    "/queries/..%2f..%2fREADME.md",
    "/queries/%2e%2e%2f%2e%2e%2fpyproject.toml",
    "/queries/..%2f..%2fqueries%2fcq_01_needs_by_area.rq",
    "/static/yasgui/../../pyproject.toml",
    "/static/yasgui/../../../../../../../etc/passwd",
    "/static/yasgui/..%2f..%2f..%2f..%2f..%2fpyproject.toml",
    "/static/yasgui/%2e%2e/%2e%2e/%2e%2e/%2e%2e/%2e%2e/pyproject.toml",
    "/static/yasgui/%252e%252e/%252e%252e/pyproject.toml",
    "/static/yasgui/..\\..\\..\\..\\..\\pyproject.toml",
    "/static/yasgui//etc/passwd",
    "/static/yasgui/%2fetc%2fpasswd",
    "/static/yasgui/....//....//....//pyproject.toml",
    "/static/yasgui/%00../../pyproject.toml",
    "/context/..%2f..%2f..%2fpyproject.toml.jsonld",
    "/ontology.%2e%2e%2f%2e%2e%2fpyproject.toml",
    "/dump.%2e%2e%2f%2e%2e%2fpyproject.toml",
    "http://127.0.0.1/static/yasgui/../../../../pyproject.toml",
]
#: Text that would show a file from outside the served folders.
LEAKS = (b"[project]", b"root:x:0:0", b"# wise-kg", b"#+ summary", b"[tool.ruff]")


@pytest.mark.parametrize("path", TRAVERSALS)
def test_path_traversal_never_reaches_a_file_outside(server: LiveServer, path: str) -> None:
    request = f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
    answer = _raw(server.url, request.encode())
    statuses = _statuses(answer)
    assert len(statuses) == 1 and statuses[0] != 500 and statuses[0] < 500, answer[:300]
    body = answer.split(b"\r\n\r\n", 1)[-1]
    assert not any(leak in body for leak in LEAKS), body[:300]
    assert b"Traceback" not in body


def test_static_files_are_served_only_from_their_folder(server: LiveServer) -> None:
    """The control: the static route works, so the refusals above are not an accident."""
    app = server.server.config.app
    if app.state.yasgui is None:
        pytest.skip("the YASGUI bundle is not installed (make installs it)")
    request = b"GET /static/yasgui/yasgui.min.css HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
    assert _statuses(_raw(server.url, request)) == [200]


# --- oversize headers -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "headers",
    [
        {"X-Big": "a" * 200_000},
        {"Accept": "text/turtle;q=0.5," * 12_000},
        {f"X-H{i}": "v" * 100 for i in range(2000)},
        {"Cookie": "c=" + "x" * 1_000_000},
    ],
    ids=["one-200KB-header", "200KB-accept", "2000-headers", "1MB-cookie"],
)
def test_oversize_headers_are_a_client_error(server: LiveServer, headers: dict[str, str]) -> None:
    with http_client(server.url, timeout=10) as http:
        try:
            response = http.get("/sparql", params={"query": CHEAP}, headers=headers)
        except (httpx.RemoteProtocolError, httpx.WriteError, httpx.ReadError):
            response = None  # the connection was closed on the request: refused
    if response is not None:
        assert 400 <= response.status_code < 500, response.status_code
        assert "Traceback" not in response.text
    with http_client(server.url, timeout=10) as http:  # and the server is fine
        assert http.get("/health").status_code == 200


def test_large_headers_under_the_read_size_are_never_a_server_error(server: LiveServer) -> None:
    """Under 64 KiB, h11 may parse the headers whole (its limit is on incomplete ones)."""
    with http_client(server.url, timeout=10) as http:
        for headers in ({"X-Big": "a" * 60_000}, {"Accept": "text/turtle;q=0.5," * 3000}):
            response = http.get("/sparql", params={"query": CHEAP}, headers=headers)
            assert response.status_code in (200, 400, 406, 431), response.status_code
            assert "Traceback" not in response.text


def test_oversize_url_is_a_client_error(server: LiveServer) -> None:
    target = "/sparql?query=ASK%20%7B%3Fs%20%3Fp%20%3Fo%7D%20%23" + "x" * 200_000
    request = f"GET {target} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
    try:
        statuses = _statuses(_raw(server.url, request.encode()))
    except ConnectionResetError:
        statuses = []  # closed on the request: refused
    assert all(400 <= status < 500 for status in statuses), statuses


# --- duplicate and conflicting parameters ---------------------------------------------------


def test_duplicate_query_parameters_in_a_form_are_refused(client: httpx.Client) -> None:
    two = _form(client, [("query", CHEAP), ("query", "ASK {}")])
    assert two.status_code == 400 and "2 'query'" in two.text
    semicolon = client.get("/sparql?query=ASK%20%7B%7D;query=DROP%20ALL")
    assert semicolon.status_code == 400  # one query, "ASK {};query=DROP ALL": not SPARQL


@pytest.mark.parametrize(
    ("url_params", "content_type", "body"),
    [
        ("query=SELECT%20*%20%7B%7D", FORM, "query=ASK%20%7B%7D"),
        ("query=SELECT%20*%20%7B%7D", DIRECT, "ASK {}"),
        ("update=DROP%20ALL", DIRECT, "ASK {}"),
        ("update=DROP%20ALL", FORM, "query=ASK%20%7B%7D"),
    ],
    ids=["query-in-url-and-form", "query-in-url-and-body", "update-in-url", "update-in-url-form"],
)
def test_a_query_both_in_the_url_and_the_body_is_refused(
    client: httpx.Client, url_params: str, content_type: str, body: str
) -> None:
    response = client.post(
        f"/sparql?{url_params}", content=body, headers={"Content-Type": content_type}
    )
    assert response.status_code == 400, (response.status_code, response.text)


# --- Content-Length / Transfer-Encoding conflicts -------------------------------------------

HEAD = b"POST /sparql HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: " + FORM.encode() + b"\r\n"
BODY = b"query=ASK%7B%7D"
SMUGGLED = b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"


@pytest.mark.parametrize(
    "request_bytes",
    [
        HEAD + b"Content-Length: 15\r\nContent-Length: 5\r\nConnection: close\r\n\r\n" + BODY,
        HEAD + b"Content-Length: 15, 5\r\nConnection: close\r\n\r\n" + BODY,
        HEAD + b"Content-Length: -1\r\nConnection: close\r\n\r\n" + BODY,
        HEAD + b"Content-Length: +15\r\nConnection: close\r\n\r\n" + BODY,
        HEAD + b"Transfer-Encoding: xchunked\r\nConnection: close\r\n\r\n" + BODY,
        HEAD + b"Transfer-Encoding: chunked, identity\r\nConnection: close\r\n\r\n" + BODY,
        HEAD + b"Transfer-Encoding : chunked\r\nConnection: close\r\n\r\n" + BODY,
        HEAD + b"Content-Length: 15\r\n Connection: close\r\n\r\n" + BODY,
    ],
    ids=[
        "two-lengths",
        "length-list",
        "negative",
        "plus-sign",
        "unknown-coding",
        "chunked-not-last",
        "space-before-colon",
        "obs-fold",
    ],
)
def test_ambiguous_framing_is_refused(server: LiveServer, request_bytes: bytes) -> None:
    answer = _raw(server.url, request_bytes + SMUGGLED)
    statuses = _statuses(answer)
    assert statuses and statuses[0] == 400, answer[:300]
    assert len(statuses) == 1, statuses  # the connection is closed: nothing smuggled after


@pytest.mark.parametrize("order", ["length-first", "encoding-first"])
def test_length_and_chunked_together_do_not_smuggle(server: LiveServer, order: str) -> None:
    chunked = b"f\r\n" + BODY + b"\r\n0\r\n\r\n"
    length = b"Content-Length: 4\r\n"
    encoding = b"Transfer-Encoding: chunked\r\n"
    fields = length + encoding if order == "length-first" else encoding + length
    answer = _raw(server.url, HEAD + fields + b"\r\n" + chunked + SMUGGLED)
    statuses = _statuses(answer)
    assert statuses and statuses[0] in (200, 400), answer[:300]
    assert len(statuses) == 1, statuses
