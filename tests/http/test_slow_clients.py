"""Slow and abusive clients on ``wise-kg serve`` itself, over raw sockets.

The server runs as its own process, with short timeouts, a low connection cap and a
low open-file limit, so that its memory can be read from /proc, its log counted, and
its file descriptors run out if nothing stops that.
"""

from __future__ import annotations

import os
import resource
import select
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from SPARQLWrapper import SPARQLWrapper
from SPARQLWrapper.SPARQLExceptions import URITooLong

from tests.helpers import wait_ready
from wise_kg.api.middleware.server import uvicorn_options
from wise_kg.config import Settings

HEADER_TIMEOUT = 1.0
BODY_TIMEOUT = 1.0
MAX_CONNECTIONS = 50
OPEN_FILES = 512  # the server's limit; more slow connections than that are opened
HALF_A_HEAD = b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n"


class Served:
    """``wise-kg serve`` on 127.0.0.1 as its own process, its log in a file."""

    def __init__(self, settings: Settings, log: Path):
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            self.port = sock.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = log
        env = {
            **os.environ,
            "WISE_KG_HEADER_TIMEOUT": str(HEADER_TIMEOUT),
            "WISE_KG_BODY_TIMEOUT": str(BODY_TIMEOUT),
            "WISE_KG_MAX_CONNECTIONS": str(MAX_CONNECTIONS),
            "WISE_KG_QUERY_WORKERS": "1",
        }
        command = [sys.executable, "-m", "wise_kg.cli", "serve", "--port", str(self.port)]
        command += ["--project", str(settings.project_dir)]
        command += ["--store", str(settings.resolved_store_path())]
        with log.open("wb") as out:
            self.process = subprocess.Popen(
                command,
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=out,
                preexec_fn=lambda: resource.setrlimit(
                    resource.RLIMIT_NOFILE, (OPEN_FILES, OPEN_FILES)
                ),
            )

    def wait_ready(self) -> None:
        """Until ``/ready`` answers 200."""
        wait_ready(self.url, self.process, 60)

    def rss_kib(self) -> int:
        """The server process's resident memory."""
        status = Path(f"/proc/{self.process.pid}/status").read_text()
        return int(
            next(line for line in status.splitlines() if line.startswith("VmRSS")).split()[1]
        )

    def log_since(self, offset: int) -> list[str]:
        """The server's log lines from byte ``offset`` on."""
        with self.log.open("rb") as log:
            log.seek(offset)
            return log.read().decode().splitlines()

    def connect(self) -> socket.socket:
        """A new raw connection."""
        return socket.create_connection(("127.0.0.1", self.port), timeout=5)


@pytest.fixture(scope="module")
def served(built: Settings, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    server = Served(built, tmp_path_factory.mktemp("slow-clients") / "server.log")
    try:
        server.wait_ready()
        yield server
    finally:
        server.process.terminate()
        server.process.wait(timeout=30)


def _answer(sock: socket.socket) -> bytes:
    """Everything the server sends until it closes (or stays silent for 5 s)."""
    chunks = []
    try:
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    except (TimeoutError, ConnectionResetError):
        pass
    return b"".join(chunks)


def _closed(sock: socket.socket) -> bool:
    """Whether the server has closed ``sock`` (after any answer)."""
    sock.setblocking(False)
    try:
        while sock.recv(65536):
            pass
    except BlockingIOError:
        return False
    except ConnectionResetError:
        pass
    return True


@pytest.mark.timing
def test_idle_and_half_sent_connections_are_cut_off_after_the_header_timeout(
    served: Served,
) -> None:
    started = time.monotonic()
    with served.connect() as idle, served.connect() as half:
        half.sendall(HALF_A_HEAD)
        assert _answer(idle) == b""  # it sent nothing: closed without a word
        assert _answer(half).startswith(b"HTTP/1.1 408 ")
    assert HEADER_TIMEOUT - 0.2 < time.monotonic() - started < HEADER_TIMEOUT + 2


@pytest.mark.timing
def test_a_paused_body_is_cut_off_after_the_body_timeout(served: Served) -> None:
    head = b"POST /sparql HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/sparql-query"
    logged, started = served.log.stat().st_size, time.monotonic()
    with served.connect() as sock:
        sock.sendall(head + b"\r\nContent-Length: 100\r\n\r\nASK { ?s")
        assert _answer(sock).startswith(b"HTTP/1.1 408 ")
    assert BODY_TIMEOUT - 0.2 < time.monotonic() - started < BODY_TIMEOUT + 2
    time.sleep(0.3)  # the app has seen its client leave
    assert not [line for line in served.log_since(logged) if "Traceback" in line]


@pytest.mark.timing
def test_slow_connections_past_the_open_file_limit_leave_other_clients_served(
    served: Served,
) -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < 4 * OPEN_FILES:  # this process opens them all
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, 4 * OPEN_FILES), hard))
    logged = served.log.stat().st_size
    slow: list[socket.socket] = []
    try:
        for i in range(OPEN_FILES + 100):
            sock = served.connect()
            slow.append(sock)
            sock.sendall(HALF_A_HEAD if i % 2 else b"")
            if i % 100 == 99:  # a new client is answered at once, the cap full
                started = time.monotonic()
                assert httpx.get(served.url + "/health", timeout=5).status_code == 200
                assert time.monotonic() - started < 1.0
        ready = httpx.get(served.url + "/ready", timeout=5)
        assert ready.status_code == 200 and ready.json()["error"] is None
        time.sleep(HEADER_TIMEOUT + 1)
        assert all(_closed(sock) for sock in slow)
    finally:
        for sock in slow:
            sock.close()
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))
    lines = served.log_since(logged)
    # no traceback, and no accept() that failed with EMFILE: descriptors never ran out
    assert not [line for line in lines if "Traceback" in line or "Errno" in line]
    assert len(lines) <= 2, lines  # at most one line a minute, never one a connection


@pytest.mark.timing
def test_an_endless_header_is_refused_while_it_arrives(served: Served) -> None:
    before = served.rss_kib()
    chunk = b"a" * 65536
    sent, started = 0, time.monotonic()
    with served.connect() as sock:
        sock.sendall(HALF_A_HEAD + b"X-Endless: ")
        try:
            while sent < 100 * 2**20 and time.monotonic() - started < 10:
                if select.select([sock], [], [], 0)[0]:
                    break  # answered
                sock.sendall(chunk)
                sent += len(chunk)
        except (BrokenPipeError, ConnectionResetError):
            pass
        answer = _answer(sock)
    assert answer.startswith(b"HTTP/1.1 431 ")
    assert time.monotonic() - started < 2.0
    assert served.rss_kib() - before < 4 * 1024


def test_a_long_request_target_is_414_suggesting_post(served: Served) -> None:
    with served.connect() as sock:
        target = b"/sparql?query=ASK%20%7B%7D%20%23" + b"x" * 70_000
        sock.sendall(b"GET " + target + b" HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        answer = _answer(sock)
    assert answer.startswith(b"HTTP/1.1 414 URI Too Long\r\n")
    assert b"POST" in answer


def test_sparqlwrapper_is_told_a_long_get_query_is_414_and_to_post_it(served: Served) -> None:
    endpoint = SPARQLWrapper(served.url + "/sparql")
    endpoint.setQuery("ASK { ?s ?p ?o } # " + "x" * 70_000)
    with pytest.raises(URITooLong) as refused:
        endpoint.query()
    assert "POST" in str(refused.value)


@pytest.mark.parametrize(
    ("head", "status"),
    [
        (b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nHost: example.org\r\n", b"400"),
        (b"GET /health HTTP/1.1\r\n", b"400"),
        (b"GET /health HTTP/1.0\r\n", b"200"),  # HTTP/1.0 may leave Host out
    ],
    ids=["two-hosts", "no-host-on-http-1.1", "no-host-on-http-1.0"],
)
def test_a_request_names_one_host(served: Served, head: bytes, status: bytes) -> None:
    with served.connect() as sock:
        sock.sendall(head + b"\r\n")
        answer = _answer(sock)
    assert answer.startswith(b"HTTP/1.1 " + status + b" ")
    assert status != b"400" or b"Host" in answer


def test_forwarded_headers_are_trusted_from_the_configured_proxies_only() -> None:
    assert uvicorn_options(Settings())["proxy_headers"] is False
    options = uvicorn_options(Settings(trusted_proxies="10.0.0.0/8, 192.168.1.1"))
    assert options["proxy_headers"] is True
    assert options["forwarded_allow_ips"] == "10.0.0.0/8, 192.168.1.1"
