"""Operations over HTTP: structured logs, metrics, readiness, an optional admin token.

Faults (a killed build, a damaged store, a full disk): ``tests/store/test_faults.py``.
"""

from __future__ import annotations

import gc
import json
import logging
import os
import signal
import socket
import time
from urllib.parse import quote

import httpx
import psutil
import pytest
from pydantic import SecretStr

from tests.helpers import LiveServer, ServedProcess, http_client
from wise_kg.config import Settings

ASK = "ASK { ?s ?p ?o }"


def test_access_log_is_structured(client: httpx.Client, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, logger="wise_kg.access"):
        response = client.get(
            "/sparql", params={"query": ASK}, headers={"X-Request-ID": "trace-42"}
        )
        time.sleep(0.2)
    assert response.headers["x-request-id"] == "trace-42"
    lines = [json.loads(r.getMessage()) for r in caplog.records if r.name == "wise_kg.access"]
    line = next(entry for entry in lines if entry["request_id"] == "trace-42")
    assert line["route"] == "/sparql" and line["status"] == 200 and line["method"] == "GET"
    assert line["duration_ms"] >= 0 and len(line["query_hash"]) == 16
    assert ASK not in json.dumps(line)  # the hash, never the query
    fresh = client.get("/health")
    assert len(fresh.headers["x-request-id"]) == 32  # one is made when none (or a bad one) is sent


def test_metrics(client: httpx.Client) -> None:
    client.get("/sparql", params={"query": "SELECT * WHERE { SERVICE <http://x/> {} }"})
    client.get("/sparql", params={"query": ASK + " # metrics"})
    client.get("/sparql", params={"query": ASK + " # metrics"})
    text = client.get("/metrics").text
    assert 'wise_kg_requests_total{method="GET",route="/sparql",status="200"}' in text
    assert 'wise_kg_requests_total{method="GET",route="/sparql",status="400"}' in text
    assert 'wise_kg_errors_total{kind="QueryRefused"}' in text
    assert 'wise_kg_cache_total{outcome="hit"}' in text
    assert 'wise_kg_request_seconds_bucket{le="0.005",route="/sparql"}' in text


def _ready(client: httpx.Client, status: int, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while client.get("/ready").status_code != status:
        assert time.monotonic() < deadline, f"/ready was not {status} within {seconds} s"
        time.sleep(0.05)


def test_ready_follows_the_workers(built: Settings) -> None:
    """A worker lost while none can be forked (its zygote stopped) is 503 until replaced."""
    with LiveServer(built) as live, http_client(live.url, timeout=30) as client:
        assert client.get("/ready").json()["ready"] is True
        pool = live.server.config.app.state.snapshot.pool
        zygote = pool._zygote.process.pid
        os.kill(zygote, signal.SIGSTOP)
        try:
            os.kill(next(iter(pool._all)).pid, signal.SIGKILL)
            _ready(client, 503, 5)
            for _ in range(4):  # the dead worker is never given a query: the other one answers
                assert client.get("/sparql", params={"query": ASK}).status_code == 200
        finally:
            os.kill(zygote, signal.SIGCONT)
        _ready(client, 200, 10)  # and it is replaced in the background


def test_a_worker_is_replaced_even_when_its_zygote_has_died(built: Settings) -> None:
    with LiveServer(built) as live, http_client(live.url, timeout=30) as client:
        pool = live.server.config.app.state.snapshot.pool
        before = {w.pid for w in tuple(pool._all)}
        os.kill(pool._zygote.process.pid, signal.SIGKILL)
        for pid in before:
            os.kill(pid, signal.SIGKILL)
        _ready(client, 200, 20)  # a new zygote, then new workers
        assert not before & {w.pid for w in tuple(pool._all)}
        assert client.get("/sparql", params={"query": ASK}).status_code == 200


def test_optional_token_guards_metrics_but_never_reads(built: Settings) -> None:
    settings = built.model_copy(update={"admin_token": SecretStr("s3cret")})
    with LiveServer(settings) as live, http_client(live.url, timeout=30) as client:
        assert client.get("/metrics").status_code == 401
        assert client.get("/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 401
        assert client.get("/metrics", headers={"Authorization": "Bearer s3cret"}).status_code == 200
        assert client.get("/sparql", params={"query": ASK}).status_code == 200
        assert client.post("/sparql", data={"query": ASK}).status_code == 200
        assert client.get("/id/need/placement.ttl").status_code == 200


def test_a_client_leaving_mid_body_is_logged_as_gone_not_as_our_fault(
    client: httpx.Client, caplog: pytest.LogCaptureFixture
) -> None:
    host, port = str(client.base_url).removeprefix("http://").rstrip("/").split(":")
    head = (
        f"POST /sparql HTTP/1.1\r\nHost: {host}:{port}\r\nX-Request-ID: leaves-early\r\n"
        "Content-Type: application/sparql-query\r\nContent-Length: 1000\r\n\r\nASK {"
    )
    with caplog.at_level(logging.INFO, logger="wise_kg.access"):
        with socket.create_connection((host, int(port)), timeout=5) as sock:
            sock.sendall(head.encode())
            time.sleep(0.2)
        for _ in range(50):  # the server notices the closed connection
            lines = [
                json.loads(r.getMessage()) for r in caplog.records if r.name == "wise_kg.access"
            ]
            line = next((entry for entry in lines if entry["request_id"] == "leaves-early"), None)
            if line:
                break
            time.sleep(0.1)
    assert line is not None and line["status"] == 499
    metrics = client.get("/metrics").text
    assert 'route="/sparql",status="499"' in metrics
    assert 'route="/sparql",status="500"' not in metrics


@pytest.mark.parametrize("pipelined", [False, True])
def test_a_client_cut_off_mid_answer_costs_one_summary_line_not_a_traceback(
    built: Settings,
    caplog: pytest.LogCaptureFixture,
    capfd: pytest.CaptureFixture[str],
    pipelined: bool,
) -> None:
    """A client that stops reading a long answer is cut off at the deadline. That logged
    uvicorn's "Exception in ASGI application" and some 75 lines of traceback each time:
    anyone could fill the log with it. With a second request pipelined behind the first,
    the cut-off first marked that one, and uvicorn logged an error for the first."""
    settings = built.model_copy(update={"query_timeout": 2.0})
    wide = "CONCAT(" + ", ".join(["STR(?o)"] * 8) + ")"
    query = quote(f"SELECT ?s ?p ({wide} AS ?x) WHERE {{ ?s ?p ?o . ?a ?b ?c }} LIMIT 10000")
    uvicorn_log = logging.getLogger("uvicorn.error")  # uvicorn's loggers do not propagate
    uvicorn_log.addHandler(caplog.handler)
    try:
        with caplog.at_level(logging.INFO), LiveServer(settings) as live:
            host, port = live.url.removeprefix("http://").split(":")
            with socket.socket() as sock:
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)  # window shut
                sock.connect((host, int(port)))
                request = f"GET /sparql?query={query} HTTP/1.1\r\nHost: {host}\r\n\r\n"
                if pipelined:
                    request += f"GET /health HTTP/1.1\r\nHost: {host}\r\n\r\n"
                sock.sendall(request.encode())
                time.sleep(3)  # past the deadline, reading nothing
            with http_client(live.url, timeout=10) as client:
                assert client.get("/sparql", params={"query": "ASK {} # after"}).status_code == 200
    finally:
        uvicorn_log.removeHandler(caplog.handler)
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert not errors, [r.getMessage() for r in errors]
    printed = capfd.readouterr().err  # what uvicorn's own handlers wrote
    assert "ASGI" not in printed and "Traceback" not in printed, printed
    assert not any(r.exc_info for r in caplog.records)
    summaries = [r.getMessage() for r in caplog.records if "cut off mid-answer" in r.getMessage()]
    assert summaries == [
        "connections cut off (since the last such line, at most one in 60 s): "
        "1 cut off mid-answer at the deadline (too slow to read)"
    ]


def test_a_request_leaves_no_reference_cycle_behind(live: LiveServer) -> None:
    """What a request leaves is freed when it ends, not by the garbage collector: a
    cut-off callable holding the request's cycle, put in its scope, made a loop of each
    request's scope and cycle, and the collections that swept them up took cached
    lookups' p99 from 1.3 to 21 ms."""
    host, port = live.url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as sock:

        def ask(i: int) -> None:
            query = quote(f"ASK {{ ?s ?p ?o }} # {i % 3}")  # answered fresh, then replayed
            sock.sendall(f"GET /sparql?query={query} HTTP/1.1\r\nHost: {host}\r\n\r\n".encode())
            answer = b""
            while b"true" not in answer:
                answer += sock.recv(65536)

        for i in range(20):
            ask(i)
        time.sleep(0.2)
        gc.collect()
        gc.disable()
        try:
            for i in range(200):
                ask(i)
            time.sleep(0.2)
            left = gc.collect()
        finally:
            gc.enable()
    assert left < 50, f"{left} objects in reference cycles after 200 requests"


def _running(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def test_a_server_killed_outright_leaves_no_query_process_behind(built: Settings) -> None:
    """The fork server, the zygote and its workers each notice that the server is gone
    (their pipes to it close) and stop: nothing is left computing on its own."""
    with ServedProcess(built) as served:
        tree = [p.pid for p in psutil.Process(served.process.pid).children(recursive=True)]
        assert len(tree) >= 4, tree  # the fork server, the zygote, two workers at least
        served.process.kill()
        served.process.wait(10)
        deadline = time.monotonic() + 10
        while any(_running(pid) for pid in tree) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert [pid for pid in tree if _running(pid)] == []
