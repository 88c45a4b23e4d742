"""What clients rely on of HTTP: HEAD, Allow, compression, ranges, conditional requests,
CORS, one reading of each parameter — each against a real uvicorn on 127.0.0.1."""

from __future__ import annotations

import gzip
import json
import socket

import httpx
import pytest

from tests.helpers import LiveServer, parse_response

PLACEMENT = "/id/need/placement"
AREA = "https://w3id.org/wise-kg/id/area/business-competences"
SELECT_ALL = "SELECT * WHERE { ?s ?p ?o }"
PLAIN = {"Accept-Encoding": "identity"}
GZIP = {"Accept-Encoding": "gzip"}
BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
GET_ROUTES = [
    "/",
    PLACEMENT,
    PLACEMENT + ".ttl",
    "/dump.nt",
    "/.well-known/void",
    "/catalog",
    "/ontology",
    "/ontology.ttl",
    "/sparql",
    "/sparql?query=ASK%7B%3Fs%20%3Fp%20%3Fo%7D",
    "/queries",
    "/queries/cq_01_needs_by_area",
    "/search?q=placement",
    "/health",
    "/context.jsonld",
]


# --- HEAD and Allow ---------------------------------------------------------------------


@pytest.mark.parametrize("path", GET_ROUTES)
def test_head_answers_every_get_route_with_the_get_headers(http: httpx.Client, path: str) -> None:
    got = http.get(path, headers=PLAIN)
    head = http.head(path, headers=PLAIN)
    assert head.status_code == got.status_code == 200, path
    assert head.content == b""
    for name in ("content-type", "etag", "content-length", "vary", "last-modified"):
        assert head.headers.get(name) == got.headers.get(name), (path, name)


def test_the_catalog_is_the_same_bytes_each_time(http: httpx.Client) -> None:
    """Its ETag is strong: each answer under it must be the same bytes. The DCAT catalogue's
    blank nodes got fresh labels each time, so two GETs differed in body and length (seen
    once the replay cache no longer kept the first answer, as HEAD against GET)."""
    answers = [
        http.get("/catalog", headers={"Accept": "text/turtle", "X-N": str(n)}) for n in range(2)
    ]
    assert answers[0].headers["etag"] == answers[1].headers["etag"]
    assert answers[0].content == answers[1].content


def test_head_of_a_missing_resource_is_a_404(http: httpx.Client) -> None:
    assert http.head("/id/need/no-such-need").status_code == 404


@pytest.mark.parametrize(
    ("method", "path", "allowed"),
    [
        ("POST", PLACEMENT, "GET, HEAD"),
        ("DELETE", "/dump.nt", "GET, HEAD"),
        ("PUT", "/sparql", "GET, HEAD, POST"),
    ],
)
def test_allow_names_what_each_route_accepts(
    http: httpx.Client, method: str, path: str, allowed: str
) -> None:
    answer = http.request(method, path)
    assert answer.status_code == 405
    assert sorted(answer.headers["allow"].split(", ")) == sorted(allowed.split(", "))


# --- connections: pipelining, HEAD, close -----------------------------------------------


def _responses(url: str, requests: list[str]) -> list[bytes]:
    """Send every request in one write on one connection (the last closing it), and split
    what comes back into responses by their Content-Length."""
    host, port = url.removeprefix("http://").split(":")
    heads = [f"{r}\r\nHost: {host}:{port}\r\n" for r in requests]
    heads[-1] += "Connection: close\r\n"
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        sock.sendall("".join(h + "\r\n" for h in heads).encode())
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
    found = []
    for request in requests[:-1]:
        head, _, rest = data.partition(b"\r\n\r\n")
        length = parse_response(head + b"\r\n\r\n").header("content-length")
        size = 0 if request.startswith("HEAD") else int(length or 0)
        found.append(head + b"\r\n\r\n" + rest[:size])
        data = rest[size:]
    return [*found, data]  # the last: whatever came before the server closed


def test_pipelined_requests_are_answered_whole_and_in_order(live: LiveServer) -> None:
    requests = [
        "GET /health HTTP/1.1",
        "HEAD /id/need/placement HTTP/1.1",
        "GET /sparql?query=ASK%7B%3Fs%20%3Fp%20%3Fo%7D HTTP/1.1\r\nAccept: application/json",
        "GET /nothing-here HTTP/1.1",
        "GET /id/need/placement HTTP/1.1\r\nAccept: text/turtle",
    ]
    answers = [parse_response(raw) for raw in _responses(live.url, requests)]
    assert [a.status for a in answers] == [200, 200, 200, 404, 200]
    assert answers[1].body == b"" and int(answers[1].header("content-length") or 0) > 0
    assert json.loads(answers[2].body)["boolean"] is True
    assert (answers[4].header("content-type") or "").startswith("text/turtle")
    assert b"prefLabel" in answers[4].body


def test_a_head_answer_arrives_alone_and_the_connection_closes(live: LiveServer) -> None:
    (raw,) = _responses(live.url, ["HEAD /dump.nt HTTP/1.1"])
    answer = parse_response(raw)
    assert answer.status == 200 and answer.body == b""
    assert int(answer.header("content-length") or 0) > 0


def test_a_streamed_answer_arrives_whole_before_the_connection_closes(live: LiveServer) -> None:
    (raw,) = _responses(live.url, ["GET /dump.nt HTTP/1.1"])
    answer = parse_response(raw)
    assert answer.status == 200
    assert len(answer.body) == int(answer.header("content-length") or 0) > 100_000


# --- compression ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "params"),
    [("/dump.nt", {}), ("/sparql", {"query": SELECT_ALL, "format": "json"})],
)
def test_gzip_when_asked_with_its_own_etag(http: httpx.Client, path: str, params: dict) -> None:
    plain = http.get(path, params=params, headers=PLAIN)
    with http.stream("GET", path, params=params, headers=GZIP) as coded:
        raw = b"".join(coded.iter_raw())
    assert plain.status_code == coded.status_code == 200
    assert "content-encoding" not in plain.headers
    assert coded.headers["content-encoding"] == "gzip"
    assert gzip.decompress(raw) == plain.content
    assert len(raw) < len(plain.content) / 4
    assert coded.headers["etag"] != plain.headers["etag"]
    for answer in (plain, coded):
        assert "accept-encoding" in answer.headers["vary"].lower()


def test_gzip_refused_with_q0_is_not_sent(http: httpx.Client) -> None:
    answer = http.get("/dump.nt", headers={"Accept-Encoding": "gzip;q=0, identity"})
    assert "content-encoding" not in answer.headers


@pytest.mark.parametrize("path", ["/dump.nt", PLACEMENT + ".ttl", "/ontology.ttl"])
def test_each_coding_revalidates_with_its_own_etag(http: httpx.Client, path: str) -> None:
    for coding in (PLAIN, GZIP):
        tag = http.get(path, headers=coding).headers["etag"]
        again = http.get(path, headers={**coding, "If-None-Match": tag})
        assert again.status_code == 304, (path, coding)
        assert again.headers["etag"] == tag
    gzip_tag = http.get(path, headers=GZIP).headers["etag"]
    assert http.get(path, headers={**PLAIN, "If-None-Match": gzip_tag}).status_code == 200


# --- ranges and If-Modified-Since --------------------------------------------------------


@pytest.mark.parametrize("coding", [PLAIN, GZIP])
def test_a_dump_download_can_be_resumed(http: httpx.Client, coding: dict[str, str]) -> None:
    with http.stream("GET", "/dump.nt", headers=coding) as whole:
        body, tag = b"".join(whole.iter_raw()), whole.headers["etag"]
    for _ in range(2):  # the second time too, when a cache could have kept the whole answer
        with http.stream(
            "GET", "/dump.nt", headers={**coding, "Range": "bytes=1000-", "If-Range": tag}
        ) as part:
            assert part.status_code == 206
            assert part.headers["content-range"] == f"bytes 1000-{len(body) - 1}/{len(body)}"
            assert b"".join(part.iter_raw()) == body[1000:]
    stale = http.get("/dump.nt", headers={**coding, "Range": "bytes=0-9", "If-Range": '"old"'})
    assert stale.status_code == 200


@pytest.mark.parametrize("path", ["/dump.nt", PLACEMENT, "/.well-known/void"])
def test_if_modified_since_is_honoured(http: httpx.Client, path: str) -> None:
    first = http.get(path)
    modified = first.headers["last-modified"]
    assert http.get(path, headers={"If-Modified-Since": modified}).status_code == 304
    earlier = "Mon, 01 Jan 2001 00:00:00 GMT"
    assert http.get(path, headers={"If-Modified-Since": earlier}).status_code == 200
    assert http.get(path, headers={"If-Modified-Since": "yesterday"}).status_code == 200


# --- CORS -------------------------------------------------------------------------------


def test_cors_preflight_allows_the_usual_request_headers(http: httpx.Client) -> None:
    asked = "authorization, x-requested-with, cache-control, x-request-id, content-type"
    answer = http.options(
        "/sparql",
        headers={
            "Origin": "https://yasgui.example",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": asked,
        },
    )
    assert answer.status_code == 200
    allowed = answer.headers["access-control-allow-headers"].lower()
    assert all(name.strip() in allowed for name in asked.split(","))


def test_cors_exposes_the_headers_clients_read(http: httpx.Client) -> None:
    answer = http.get("/dump.nt", headers={"Origin": "https://notebook.example"})
    exposed = answer.headers["access-control-expose-headers"].lower()
    for name in ("etag", "link", "content-disposition", "x-request-id"):
        assert name in exposed


# --- one reading of each parameter; unknown documents -------------------------------------


@pytest.mark.parametrize(
    "query",
    [f"area={AREA}&area={AREA}", f"area={AREA}&format=json&format=xml"],
)
def test_duplicate_parameters_on_saved_queries_are_refused(http: httpx.Client, query: str) -> None:
    answer = http.get(f"/queries/cq_01_needs_by_area?{query}")
    assert answer.status_code == 400
    assert "send one" in answer.text


@pytest.mark.parametrize("path", ["/ontology.0", "/ontology.exe", "/ontology.ttl.ttl"])
def test_an_unknown_document_extension_is_404(http: httpx.Client, path: str) -> None:
    assert http.get(path).status_code == 404


def test_home_page_varies_by_language(http: httpx.Client) -> None:
    answer = http.get("/", headers={"Accept": BROWSER})
    assert "accept-language" in answer.headers["vary"].lower()


def test_an_unknown_path_is_a_404_page_for_people_and_text_for_programs(
    http: httpx.Client,
) -> None:
    page = http.get("/no-such-page", headers={"Accept": BROWSER})
    assert page.status_code == 404 and page.headers["content-type"].startswith("text/html")
    assert "<nav" in page.text
    text = http.get("/no-such-page")
    assert text.status_code == 404 and text.headers["content-type"].startswith("text/plain")


def test_a_kind_without_its_slash_redirects_to_its_list(http: httpx.Client) -> None:
    answer = http.get("/id/need", follow_redirects=False)
    assert answer.status_code == 308 and answer.headers["location"] == "need/"
    assert http.get("/id/need", follow_redirects=True).url.path == "/id/need/"
