"""Helpers the tests share: where things are, servers on free ports, clients, listeners.

No test imports another test (nor a ``conftest.py``): what more than one test file needs
is here; fixtures stay in the ``conftest.py`` files, where pytest finds them. The real
SPARQL engines the tests start are in ``tests/engines.py``.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import httpx
import psutil
import pytest
import uvicorn

from wise_kg.api import create_app
from wise_kg.api.middleware.server import uvicorn_options
from wise_kg.config import Settings
from wise_kg.sparql.queries import SavedQuery, load

# --- where things are -----------------------------------------------------------------------

#: The project (its sources: ontology/, data/, shapes/, queries/).
PROJECT = Path(__file__).resolve().parents[1]
#: The folder beside it with the source documents, ESCO and the W3C suites (read only).
SHARED = PROJECT.parent / "shared"
#: The report (B-WISE D3.1) as text.
REPORT = SHARED / "sources" / "000_4dcbe06487096b33.txt"
#: The tests' own fixtures: valid/, invalid/ (one failing fixture per shape), esco/, release/.
TEST_DATA = Path(__file__).resolve().parent / "data"
SOURCE_DIRS = ("ontology", "data", "shapes", "queries")

#: The stores the tests marked ``both_stores`` run on, and the fixture of each one's build.
STORES = {"embedded": "built", "oxigraph": "built_remote", "virtuoso": "built_virtuoso"}


def copy_project(target: Path) -> Path:
    """Copy the project's sources (not its store) to ``target``."""
    for name in SOURCE_DIRS:
        if (PROJECT / name).is_dir():
            shutil.copytree(PROJECT / name, target / name)
    return target


#: One TLS context for every client the tests make. httpx reads the CA bundle again for each
#: new client (about 20 ms of CPU, thousands of times a run); the clients are otherwise
#: httpx's own, with its defaults, speaking plain HTTP to 127.0.0.1.
TLS = httpx.create_ssl_context()


def http_client(base_url: str = "", **options: Any) -> httpx.Client:
    """An httpx client (``base_url`` and ``options`` as :class:`httpx.Client` takes them)."""
    return httpx.Client(base_url=base_url, verify=TLS, **options)


def free_port() -> int:
    """A TCP port nothing listens on at the moment."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# --- servers ----------------------------------------------------------------------------------


class LiveServer:
    """A real uvicorn serving the app on 127.0.0.1 in a background thread, with the
    options ``wise-kg serve`` uses."""

    def __init__(self, settings: Settings):
        self.settings = settings.model_copy(update={"host": "127.0.0.1", "port": free_port()})
        options = {**uvicorn_options(self.settings), "log_level": "warning"}
        config = uvicorn.Config(create_app(self.settings), **options)
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.url = f"http://127.0.0.1:{self.settings.port}"

    def __enter__(self) -> LiveServer:
        self.thread.start()
        deadline = time.monotonic() + 60  # as wait_ready: with ESCO, under the suite's load
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("the test server did not start")
            time.sleep(0.05)
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)


def wait_ready(url: str, process: subprocess.Popen, seconds: float = 60) -> None:  # type: ignore[type-arg]
    """Until ``url``'s ``/ready`` answers 200; fails if the server process ends or time runs out."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            with http_client(timeout=2) as http:
                if http.get(url + "/ready").status_code == 200:
                    return
        except httpx.TransportError:
            pass
        assert process.poll() is None, "the server process ended"
        assert time.monotonic() < deadline, "wise-kg serve did not become ready"
        time.sleep(0.1)


class ServedProcess:
    """``wise-kg serve`` on a free port, as its own process (and its workers' parent)."""

    def __init__(self, settings: Settings, *args: str, **env: str):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        environment = {**os.environ, **env}
        store = str(settings.resolved_store_path())
        command = [sys.executable, "-m", "wise_kg.cli", "serve", "--port", str(self.port)]
        command += ["--project", str(settings.project_dir), "--store", store, *args]
        self.process = subprocess.Popen(
            command, env=environment, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )

    def __enter__(self) -> ServedProcess:
        wait_ready(self.url, self.process)
        return self

    def __exit__(self, *exc: object) -> None:
        self.process.terminate()
        self.process.wait(timeout=20)

    def tree_memory(self) -> TreeMemory:
        """Memory the server and all its children hold now, read from /proc."""
        try:
            root = psutil.Process(self.process.pid)
            processes = [root, *root.children(recursive=True)]
        except psutil.NoSuchProcess:
            return TreeMemory(0, 0)
        rss = pss = 0
        for process in processes:
            try:
                rollup = Path(f"/proc/{process.pid}/smaps_rollup").read_text()
            except (FileNotFoundError, ProcessLookupError):
                continue  # it ended meanwhile
            fields = dict(line.split(":", 1) for line in rollup.splitlines()[1:])
            rss += int(fields["Rss"].split()[0]) * 1024
            pss += int(fields["Pss"].split()[0]) * 1024
        return TreeMemory(rss, pss)


@dataclass(frozen=True)
class TreeMemory:
    """A process tree's memory in bytes: the sum of its processes' resident sets, and of
    their proportional sets (a page shared by n processes counted 1/n in each, so that the
    query workers' one memory copy, shared with the zygote they were forked from, is
    counted once rather than once per process)."""

    rss: int
    pss: int


# --- clients ----------------------------------------------------------------------------------


def wise_kg(*args: str, cwd: Path = PROJECT) -> subprocess.CompletedProcess[str]:
    """Run the installed CLI as a user would."""
    return subprocess.run(
        [sys.executable, "-m", "wise_kg.cli", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@cache
def saved_queries() -> dict[str, SavedQuery]:
    """The saved queries of the project's queries/, read once."""
    return load(PROJECT / "queries")


def run(api: httpx.Client, name: str, **bound: str | None) -> list[dict[str, str]]:
    """GET /queries/{name} with parameters by name (None leaves an optional one unbound)."""
    saved_by_name = saved_queries()
    saved = saved_by_name[next(key for key in saved_by_name if key.startswith(name))]
    assert set(bound) <= {p.name for p in saved.params}, f"{saved.name}: unknown {set(bound)}"
    params = {key: value for key, value in bound.items() if value is not None}
    response = api.get(f"/queries/{saved.name}", params=params)
    assert response.status_code == 200, response.text
    names = response.json()["head"]["vars"]
    return [
        {n: row[n]["value"] for n in names if n in row}
        for row in response.json()["results"]["bindings"]
    ]


@dataclass(frozen=True)
class RawResponse:
    """One response read off a raw socket: status, header fields in order (names
    lowercased), body."""

    status: int
    headers: list[tuple[str, str]]
    body: bytes

    def header(self, name: str) -> str | None:
        """The first value of a header, or None."""
        return next((v for n, v in self.headers if n == name.lower()), None)


def exchange(url: str, head: str, timeout: float = 10.0) -> RawResponse:
    """HTTP/1.1 over a raw socket, the request exactly as written (duplicate headers, odd
    Hosts, which client libraries would tidy): send ``head`` (request line and headers,
    ``\\n``-separated, no blank line) with ``Connection: close``, and read the one response."""
    host, port = url.removeprefix("http://").split(":")
    lines = [*head.strip().splitlines(), "Connection: close", "", ""]
    with socket.create_connection((host, int(port)), timeout=timeout) as sock:
        sock.sendall("\r\n".join(lines).encode("latin-1"))
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    return parse_response(b"".join(chunks))


def parse_response(answer: bytes) -> RawResponse:
    """A response's status line, headers and (de-chunked) body."""
    head, _, body = answer.partition(b"\r\n\r\n")
    status_line, *fields = head.decode("latin-1").split("\r\n")
    headers = [(n.strip().lower(), v.strip()) for n, _, v in (f.partition(":") for f in fields)]
    if ("transfer-encoding", "chunked") in headers:
        body = _dechunked(body)
    return RawResponse(int(status_line.split()[1]), headers, body)


def _dechunked(body: bytes) -> bytes:
    out = []
    while body:
        size_line, _, body = body.partition(b"\r\n")
        size = int(size_line.split(b";")[0], 16)
        if size == 0:
            break
        out.append(body[:size])
        body = body[size + 2 :]
    return b"".join(out)


# --- listeners: proof that nothing connected out ------------------------------------------


class Listener:
    """A socket listening on 127.0.0.1: proof that nothing connected to it."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.sock.setblocking(False)
        self.port = self.sock.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"

    def assert_untouched(self) -> None:
        with pytest.raises(BlockingIOError):
            self.sock.accept()


class Recorder:
    """A listener on 127.0.0.1 that counts connections (each accepted and closed at once)."""

    def __init__(self) -> None:
        self.sock = socket.create_server(("127.0.0.1", 0), backlog=64)
        self.base = f"http://127.0.0.1:{self.sock.getsockname()[1]}/"
        self.connections = 0
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.connections += 1
            conn.close()


# --- SERVICE, in every spelling the tests try ---------------------------------------------


def service_spellings(base: str) -> dict[str, str]:
    """Named query texts, each calling SERVICE on ``base`` (``http://host:port/``) in its own
    way; each one makes pyoxigraph connect when it runs."""
    esc = base.replace("h", "\\u0068", 1)  # an IRI with a codepoint escape
    return {
        "plain": f"SELECT * WHERE {{ SERVICE <{base}x> {{ ?s ?p ?o }} }}",
        "lower case": f"select * where {{ service <{base}x> {{ ?s ?p ?o }} }}",
        "mixed case": f"SELECT * WHERE {{ SeRvIcE <{base}x> {{ ?s ?p ?o }} }}",
        "silent": f"SELECT * WHERE {{ SERVICE SILENT <{base}x> {{ ?s ?p ?o }} }}",
        "empty prefix after a negative decimal": (
            f"PREFIX : <{base}> SELECT * WHERE "
            "{ { ?s ?p -1.5 } UNION { SERVICE:x { ?a ?b ?c } } }"
        ),
        "prefix named like the keyword": (
            f"PREFIX service: <{base}> SELECT * WHERE {{ SERVICE service:x {{ ?a ?b ?c }} }}"
        ),
        "keyword glued to a prefixed name": (
            f"PREFIX p: <{base}> SELECT * WHERE {{ SERVICEp:x {{ ?a ?b ?c }} }}"
        ),
        "no spaces": f"SELECT*WHERE{{SERVICE<{base}x>{{?s?p?o}}}}",
        "tabs and newlines": f"SELECT *\tWHERE {{\r\n\tSERVICE\n\t<{base}x>\r\n{{ ?s ?p ?o }} }}",
        "variable from VALUES": (
            f"SELECT * WHERE {{ VALUES ?e {{ <{base}x> }} SERVICE ?e {{ ?s ?p ?o }} }}"
        ),
        "variable from BIND": (
            f"SELECT * WHERE {{ BIND(<{base}x> AS ?e) SERVICE ?e {{ ?s ?p ?o }} }}"
        ),
        "inside OPTIONAL": (
            f"SELECT * WHERE {{ OPTIONAL {{ SERVICE <{base}x> {{ ?s ?q ?r }} }} }}"
        ),
        "inside EXISTS": f"ASK {{ FILTER EXISTS {{ SERVICE <{base}x> {{ ?s ?p ?o }} }} }}",
        "inside NOT EXISTS": (
            f"ASK {{ FILTER NOT EXISTS {{ SERVICE <{base}x> {{ ?s ?p ?o }} }} }}"
        ),
        "inside a subquery": (
            f"SELECT * WHERE {{ {{ SELECT ?s WHERE {{ SERVICE <{base}x> {{ ?s ?p ?o }} }} }} }}"
        ),
        "in CONSTRUCT": f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ SERVICE <{base}x> {{ ?s ?p ?o }} }}",
        "escaped first letter": f"SELECT * WHERE {{ \\u0053ERVICE <{base}x> {{ ?s ?p ?o }} }}",
        "escaped middle letter": f"SELECT * WHERE {{ SERV\\u0049CE <{base}x> {{ ?s ?p ?o }} }}",
        "long escape": f"SELECT * WHERE {{ \\U00000053ERVICE <{base}x> {{ ?s ?p ?o }} }}",
        "escaped IRI": f"SELECT * WHERE {{ SERVICE <{esc}x> {{ ?s ?p ?o }} }}",
        "comment between keyword and IRI": (
            f"SELECT * WHERE {{ SERVICE # what follows is an IRI\n <{base}x> {{ ?s ?p ?o }} }}"
        ),
        "after a comment with quotes": (
            f"SELECT * WHERE {{ # it's \"quoted\n SERVICE <{base}x> {{ ?s ?p ?o }} }}"
        ),
        "after long strings with quotes and braces": (
            'SELECT * WHERE { BIND("""a \' "" \\" } { """ AS ?x) '
            f"BIND('''b \" '' }} ''' AS ?y) SERVICE <{base}x> {{ ?s ?p ?o }} }}"
        ),
        "after an IRI with a hash": (
            f"SELECT * WHERE {{ BIND(<http://e/a#b> AS ?x) SERVICE <{base}x> {{ ?s ?p ?o }} }}"
        ),
        "less-than read as an IRI with a hash": (
            'SELECT * WHERE { ?a ?b ?c FILTER(?a<?b#> """\n) '
            f'SERVICE <{base}x> {{ ?s ?p ?o }} #"""\n}}'
        ),
        "less-than read as an IRI with a quote": (
            f"SELECT * WHERE {{ ?a ?b ?c FILTER(?a<'x>') SERVICE <{base}x> {{ ?s ?p ?o }} }}"
        ),
        "after a language tag": (
            f'SELECT * WHERE {{ BIND("x"@en AS ?l) SERVICE <{base}x> {{ ?s ?p ?o }} }}'
        ),
        "in a GRAPH": f"SELECT * WHERE {{ GRAPH ?g {{ SERVICE <{base}x> {{ ?s ?p ?o }} }} }}",
        "in a MINUS": f"SELECT * WHERE {{ ?a ?b ?c MINUS {{ SERVICE <{base}x> {{ ?s ?p ?o }} }} }}",
    }
