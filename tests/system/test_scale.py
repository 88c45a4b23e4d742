"""Scaling out: the remote SPARQL store on a real engine, and several server processes.

The engine is ``oxigraph serve`` from the ``oxigraph`` PyPI package, started on
127.0.0.1; it is stopped and started again to show wise-kg degrade and recover.
The server processes are ``wise-kg serve --workers 2``, run as a user would.
"""

from __future__ import annotations

import csv
import os
import re
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from pydantic import SecretStr

from tests.engines import Engine, OxigraphServer, VirtuosoServer
from tests.helpers import SHARED, LiveServer, free_port, http_client, wait_ready
from wise_kg.api.selfcheck import check_dereferencing
from wise_kg.cli import main
from wise_kg.config import Settings
from wise_kg.errors import StoreWriteError
from wise_kg.esco import load as esco
from wise_kg.graphs import MANIFEST_GRAPH
from wise_kg.namespaces import GRAPH_BASE
from wise_kg.release.assemble import release
from wise_kg.store.backends import backend_for
from wise_kg.store.build import build, validate_project
from wise_kg.store.embedded import open_read_only
from wise_kg.store.remote import RemoteConfig, RemoteStore

WISE = "https://w3id.org/wise-kg/ontology#"
AREAS = f"SELECT ?a WHERE {{ ?a a <{WISE}NeedArea> }}"
EXTRA = """@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
<https://w3id.org/wise-kg/id/need-area/network-building-area> skos:altLabel "extra label"@en .
"""


#: The engines a test marked ``on_both`` runs on (each test gets a fresh one).
ENGINES: dict[str, type[Engine]] = {"oxigraph": OxigraphServer, "virtuoso": VirtuosoServer}
on_both = pytest.mark.parametrize("engine", list(ENGINES), indirect=True)


@pytest.fixture(scope="module")
def engines(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Engine]]:
    """One instance of each engine for this module, started when a test first asks for it."""
    started: dict[str, Engine] = {}
    yield started
    for server in started.values():
        server.stop()


@pytest.fixture
def engine(
    engines: dict[str, Engine],
    tmp_path_factory: pytest.TempPathFactory,
    request: pytest.FixtureRequest,
) -> Engine:
    """An engine as a fresh one looks to wise-kg (``oxigraph serve`` unless named).

    The module's instance, running (a test may have stopped it) and holding none of
    wise-kg's graphs: a test may write, break or stop it.
    """
    kind = getattr(request, "param", "oxigraph")
    if kind == "virtuoso" and not VirtuosoServer.available():
        pytest.skip("Virtuoso is not installed: apt-get install virtuoso-opensource")
    if kind not in engines:
        engines[kind] = ENGINES[kind](tmp_path_factory.mktemp(kind)).start()
    server = engines[kind]
    if not server.running():
        server.start()
    server.clear((GRAPH_BASE, "urn:wise-kg:"))
    return server


@pytest.fixture
def remote(settings: Settings, engine: Engine) -> Settings:
    """The private project, pointed at that engine."""
    # Loads of ESCO into the engine take long requests on a busy machine: give them time.
    return engine.settings(settings).model_copy(update={"store_timeout": 120.0})


def _graphs(engine: Engine) -> Counter[str]:
    """Quads per named graph of wise-kg's (builds and staging), as the engine counts them."""
    rows = engine.select(
        "SELECT ?g (COUNT(*) AS ?n) { GRAPH ?g { ?s ?p ?o } "
        f'FILTER (STRSTARTS(STR(?g), "{GRAPH_BASE}") || STRSTARTS(STR(?g), "urn:wise-kg:")) }} '
        "GROUP BY ?g"
    )
    return Counter({row["g"]: int(row["n"]) for row in rows})


# --- build, swap, esco load, validate, release on the engine --------------------------------


@on_both
def test_build_loads_the_graphs_and_the_manifest_names_the_build(
    remote: Settings, engine: Engine
) -> None:
    info = build(remote).info
    graphs = _graphs(engine)
    assert graphs[MANIFEST_GRAPH] == 1 + len(info.graphs)  # the manifest, a digest per graph
    del graphs[MANIFEST_GRAPH]
    assert graphs == Counter(info.graphs)
    assert not [g for g in graphs if g.startswith("urn:wise-kg:staging:")]
    store, served = backend_for(remote).open(verify=True)
    assert served == info and len(store) == info.quads


def test_the_same_build_in_small_chunks_and_by_sparql_update(
    remote: Settings, engine: Engine, built: Settings
) -> None:
    """Without a Graph Store URL, 300-triple INSERT DATA requests give the very same graph."""
    chunked = remote.model_copy(update={"store_gsp_url": None, "store_chunk_triples": 300})
    build(chunked)
    local, _ = open_read_only(built.resolved_store_path())
    there, _ = backend_for(chunked).open()
    blank = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o FILTER(isBlank(?s)) }"
    for query in (blank, "SELECT (COUNT(DISTINCT ?o) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }"):
        union = {"use_default_graph_as_union": True}
        assert next(iter(there.query(query, **union))) == next(iter(local.query(query, **union)))
    blank_nodes = next(iter(local.query(blank, use_default_graph_as_union=True)))
    assert blank_nodes["n"].value != "0"  # blank nodes were tested


@on_both
def test_a_failed_load_leaves_the_build_in_service(
    remote: Settings, engine: Engine, project: Path
) -> None:
    first = build(remote).info
    before = _graphs(engine)
    (project / "data" / "zz-extra.ttl").write_text(EXTRA, encoding="utf-8")  # one to load
    broken = remote.model_copy(update={"store_gsp_url": engine.url + "/no-such-endpoint"})
    with pytest.raises(StoreWriteError, match="the build in service is unchanged"):
        build(broken)
    assert _graphs(engine) == before
    assert backend_for(remote).current_id() == first.build_id


@on_both
def test_a_new_build_replaces_the_graphs_in_one_update(
    remote: Settings, engine: Engine, project: Path
) -> None:
    first = build(remote).info
    (project / "data" / "zz-extra.ttl").write_text(EXTRA, encoding="utf-8")
    second = build(remote).info
    assert second.build_id != first.build_id
    assert second.graphs[f"{'https://w3id.org/wise-kg/graph/'}data"] == (
        first.graphs["https://w3id.org/wise-kg/graph/data"] + 1
    )
    assert backend_for(remote).current_id() == second.build_id
    assert (
        _graphs(engine)["https://w3id.org/wise-kg/graph/data"]
        == second.graphs["https://w3id.org/wise-kg/graph/data"]
    )


@pytest.mark.parametrize(
    "engine",
    [
        "oxigraph",
        pytest.param(
            "virtuoso",
            marks=pytest.mark.xfail(
                reason="Virtuoso 7.2.5 keeps the operations of an update request that ran "
                "before one failed: the final swap is atomic only when none of it fails",
                strict=True,
            ),
        ),
    ],
    indirect=True,
)
def test_one_update_request_is_all_or_nothing(remote: Settings, engine: Engine) -> None:
    """What the swap relies on: a request whose last operation fails changes nothing."""
    store = RemoteStore(RemoteConfig.from_settings(remote))
    a, b = "urn:wise-kg:test:a", "urn:wise-kg:test:b"
    store._update(f"INSERT DATA {{ GRAPH <{a}> {{ <urn:x> <urn:y> 1, 2, 3 }} }}")
    with pytest.raises(StoreWriteError):
        store._update(f"MOVE <{a}> TO <{b}> ; DROP GRAPH <urn:wise-kg:test:missing>")
    assert _graphs(engine) == Counter({a: 3})


@on_both
def test_a_rebuild_moves_only_the_graphs_that_changed(
    remote: Settings, engine: Engine, project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """One line of data changed: only the data graph is sent and moved; the rest stays."""
    first = build(remote).info
    loaded, updates = _spy_on_writes(monkeypatch)
    (project / "data" / "zz-extra.ttl").write_text(EXTRA, encoding="utf-8")
    second = build(remote).info
    data = GRAPH_BASE + "data"
    assert {target.rsplit(":", 1)[0] for target in loaded} == {
        f"urn:wise-kg:staging:{second.build_id}"
    }
    assert len(set(loaded)) == 1 and [u.count("MOVE") for u in updates] == [1]
    assert f"TO <{data}>" in updates[0]
    graphs = _graphs(engine)
    del graphs[MANIFEST_GRAPH]
    assert graphs == Counter(second.graphs) and second.graphs[data] == first.graphs[data] + 1
    store, served = backend_for(remote).open(verify=True)
    assert served == second
    assert store.query('ASK { ?a ?p "extra label"@en }', use_default_graph_as_union=True)
    loaded.clear()
    updates.clear()
    assert build(remote).info.graphs == second.graphs  # nothing changed: nothing is sent
    assert not loaded and "MOVE" not in updates[0]


def _spy_on_writes(monkeypatch: pytest.MonkeyPatch) -> tuple[list[str], list[str]]:
    """The staging graphs each load request writes to, and the text of each update."""
    loaded: list[str] = []
    updates: list[str] = []
    load, update = RemoteStore._load_chunk, RemoteStore._update

    def spy_load(self: RemoteStore, graph: str, *args: Any, **kwargs: Any) -> None:
        loaded.append(graph)
        load(self, graph, *args, **kwargs)

    def spy_update(self: RemoteStore, text: str) -> None:
        updates.append(text)
        update(self, text)

    monkeypatch.setattr(RemoteStore, "_load_chunk", spy_load)
    monkeypatch.setattr(RemoteStore, "_update", spy_update)
    return loaded, updates


#: A concept of ESCO's (an IRI alone in a CSV cell); concept schemes are always kept.
ESCO_CONCEPT = re.compile(r"http://data\.europa\.eu/esco/(?:skill|occupation|isco|isced-f)/\S+")


def esco_sample(project: Path, target: Path) -> Path:
    """The shared ESCO download cut down to the concepts ``project`` links to, and up.

    Each CSV file keeps its header and the rows whose concepts (the cells that are one
    concept's IRI) are all linked from the data or broader than one that is: the same
    files and columns as the download, a few hundred concepts instead of 18,000.
    (The whole download on an engine: ``benchmarks/``; on the embedded store:
    ``tests/esco/``.)
    """
    source = SHARED / "esco" / "v1.2.0"
    text = "".join(p.read_text(encoding="utf-8") for p in (project / "data").rglob("*.ttl"))
    keep = set(ESCO_CONCEPT.findall(text.replace(">", " ")))
    broader: dict[str, set[str]] = {}
    for name in ("broaderRelationsOccPillar_en.csv", "broaderRelationsSkillPillar_en.csv"):
        with (source / name).open(newline="", encoding="utf-8") as rows:
            for row in csv.DictReader(rows):
                broader.setdefault(row["conceptUri"], set()).add(row["broaderUri"])
    todo = list(keep)
    while todo:
        for parent in broader.get(todo.pop(), ()):
            if parent not in keep:
                keep.add(parent)
                todo.append(parent)
    target.mkdir(parents=True)
    csv.field_size_limit(max(csv.field_size_limit(), 64 * 1024 * 1024))  # as the loader reads
    for path in source.glob("*.csv"):
        with (
            path.open(newline="", encoding="utf-8") as rows,
            (target / path.name).open("w", newline="", encoding="utf-8") as out,
        ):
            writer = csv.writer(out)
            for n, row in enumerate(csv.reader(rows)):
                if n == 0 or all(c in keep for c in row if ESCO_CONCEPT.fullmatch(c)):
                    writer.writerow(row)
    return target


@pytest.fixture
def remote_with_esco(remote: Settings, project: Path, tmp_path: Path) -> Settings:
    """The engine holding a build of the project and a sample of ESCO (as CSV)."""
    if not (SHARED / "esco" / "v1.2.0").is_dir():
        pytest.skip("needs ../shared/esco")
    build(remote)
    summary = esco.load(remote, esco_sample(project, tmp_path / "esco"))
    assert summary.concepts["Occupation"] and summary.concepts["Skill"]
    return remote


def test_esco_load_and_validate_work_on_the_engine(
    remote_with_esco: Settings, engine: Engine
) -> None:
    triples = _graphs(engine)[esco.ESCO_GRAPH]
    assert triples > 1_000
    assert validate_project(remote_with_esco).conforms
    rebuilt = build(remote_with_esco).info  # the ESCO graph is carried across a rebuild
    assert rebuilt.graphs[esco.ESCO_GRAPH] == triples


def test_release_works_on_the_engine_with_esco(remote_with_esco: Settings, tmp_path: Path) -> None:
    done = release(remote_with_esco, "1.0.0", tmp_path / "dist", dereference=check_dereferencing)
    assert (done.folder / "wise-kg.nq").is_file()


ESCO_RDF = """<?xml version="1.0"?>
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"
         xmlns:skos="http://www.w3.org/2004/02/skos/core#">
  <rdf:Description rdf:about="http://data.europa.eu/esco/skill/00000000-0000-0000-0000-0000000000aa">
    <rdf:type rdf:resource="http://data.europa.eu/esco/model#Skill"/>
    <skos:prefLabel xml:lang="en">a skill</skos:prefLabel>
  </rdf:Description>
</rdf:RDF>
"""


def test_esco_load_on_a_fresh_engine_builds_the_wise_graph_first(
    remote: Settings, project: Path, monkeypatch: pytest.MonkeyPatch, capsys: Any
) -> None:
    """A fresh checkout: ``esco load`` builds the WISE graph (as ``serve`` does), then ESCO."""
    download = project / "esco-v1.2.0.rdf"
    download.write_text(ESCO_RDF, encoding="utf-8")
    monkeypatch.setenv("WISE_KG_STORE", remote.store)
    monkeypatch.setenv("WISE_KG_STORE_GSP_URL", remote.store_gsp_url or "")
    assert main(["esco", "load", str(download), "--project", str(project), "--quiet"]) == 0
    assert "built " in capsys.readouterr().out
    graphs = backend_for(remote).open()[1].graphs
    assert graphs[esco.ESCO_GRAPH] > 0 and graphs[GRAPH_BASE + "data"] > 1000


# --- credentials on a real engine (the scheme logic alone: tests/store/test_remote.py) -------


@pytest.mark.parametrize("engine", ["virtuoso"], indirect=True)
def test_virtuoso_takes_digest_and_refuses_basic(remote: Settings, engine: Engine) -> None:
    """Virtuoso's ``-auth`` endpoints ask for Digest: learned, or forced; Basic is refused."""
    first = build(remote).info
    basic = remote.model_copy(update={"store_auth": "basic"})
    with pytest.raises(StoreWriteError, match=r"\(401\).*the build in service is unchanged"):
        build(basic)
    assert backend_for(remote).current_id() == first.build_id
    digest = remote.model_copy(update={"store_auth": "digest"})
    again = build(digest).info.build_id
    assert backend_for(digest).current_id() == again != first.build_id
    wrong = remote.model_copy(update={"store_password": SecretStr("wrong")})
    with pytest.raises(StoreWriteError, match=r"\(401\)"):
        build(wrong)


# --- graceful degradation --------------------------------------------------------------------


def test_engine_down_is_503_and_not_ready_then_recovers_without_restart(
    remote: Settings, engine: Engine
) -> None:
    build(remote)
    quick = remote.model_copy(update={"reload_seconds": 0.2, "store_retries": 0})
    with LiveServer(quick) as live, http_client(live.url, timeout=30) as http:
        assert http.get("/ready").status_code == 200
        engine.stop()
        down = http.get("/sparql", params={"query": AREAS + " LIMIT 1"})
        assert down.status_code == 503
        assert "is not answering" in down.text and engine.url in down.text
        page = http.get("/id/need-area/network-building-area", headers={"Accept": "text/turtle"})
        assert page.status_code == 503
        ready = http.get("/ready")
        assert ready.status_code == 503 and "not answering" in ready.json()["error"]
        assert http.get("/health").status_code == 200  # the process itself is fine
        engine.start()
        deadline = time.monotonic() + 10
        while http.get("/ready").status_code != 200:
            assert time.monotonic() < deadline, "did not recover"
            time.sleep(0.1)
        again = http.get("/sparql", params={"query": AREAS + " LIMIT 1"})
        assert again.status_code == 200 and again.json()["results"]["bindings"]


def test_a_new_build_on_the_engine_is_served_and_the_old_connections_closed(
    remote: Settings, engine: Engine, project: Path
) -> None:
    build(remote)
    quick = remote.model_copy(update={"reload_seconds": 0.2, "query_timeout": 1.0})
    with LiveServer(quick) as live, http_client(live.url, timeout=30) as http:
        state = live.server.config.app.state
        first_store = state.snapshot.store
        (project / "data" / "zz-extra.ttl").write_text(EXTRA, encoding="utf-8")
        new = build(remote).info.build_id
        deadline = time.monotonic() + 10
        while http.get("/health").json()["build"] != new:
            assert time.monotonic() < deadline, "the new build was not picked up"
            time.sleep(0.1)
        assert http.get("/sparql", params={"query": 'ASK { ?a ?p "extra label"@en }'}).json()[
            "boolean"
        ]
        deadline = time.monotonic() + 10
        while not first_store._http.is_closed:  # closed once its requests had their time
            assert time.monotonic() < deadline, "the old build's connections stay open"
            time.sleep(0.1)
        assert not state.snapshot.store._http.is_closed


@pytest.mark.timing
def test_a_slow_engine_is_a_503_within_the_time_limit(remote: Settings, engine: Engine) -> None:
    build(remote)
    slow = remote.model_copy(update={"query_timeout": 1.5, "query_workers": 1})
    explosive = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"
    try:
        with LiveServer(slow) as live, http_client(live.url, timeout=30) as http:
            started = time.monotonic()
            response = http.get("/sparql", params={"query": explosive})
            assert response.status_code == 503 and "time limit" in response.text
            assert time.monotonic() - started < 5
    finally:
        engine.stop()  # it would go on counting; the next test that needs it starts it again


def test_reads_are_retried_with_back_off_until_the_engine_is_back(
    remote: Settings, engine: Engine
) -> None:
    first = build(remote).info
    engine.stop()
    patient = backend_for(remote.model_copy(update={"store_retries": 6}))
    restart = threading.Timer(0.5, engine.start)
    restart.start()
    started = time.monotonic()
    assert patient.current_id() == first.build_id  # refused at first, then answered
    restart.join()
    assert time.monotonic() - started >= 0.5


# --- several server processes ----------------------------------------------------------------


class Served:
    """``wise-kg serve --workers 2`` as a subprocess, on a private project."""

    def __init__(self, project: Path, workers: int = 2):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        env = {**os.environ, "WISE_KG_RELOAD_SECONDS": "0.3", "WISE_KG_QUERY_WORKERS": "1"}
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "wise_kg.cli",
                "serve",
                "--project",
                str(project),
                "--port",
                str(self.port),
                "--workers",
                str(workers),
            ],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )

    def wait_ready(self) -> None:
        """Until ``/ready`` answers 200."""
        wait_ready(self.url, self.process, 90)

    def builds_by_process(self, rounds: int = 40) -> dict[int, str]:
        """The build each process serves, asked on fresh connections until both answered."""
        seen: dict[int, str] = {}
        for _ in range(rounds):
            health = httpx.get(self.url + "/health", headers={"Connection": "close"}).json()
            seen[health["pid"]] = health["build"]
        return seen

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=30)


@pytest.fixture
def served_twice(project: Path, settings: Settings) -> Iterator[Served]:
    build(settings)
    server = Served(project)
    try:
        server.wait_ready()
        yield server
    finally:
        server.stop()


def test_two_workers_answer_concurrently(served_twice: Served) -> None:
    pids: set[int] = set()
    deadline = time.monotonic() + 30
    while len(pids) < 2:
        assert time.monotonic() < deadline, f"only {pids} answered"
        pids |= set(served_twice.builds_by_process(20))
    assert len(pids) == 2
    results: list[int] = []

    def ask() -> None:
        with http_client(served_twice.url, timeout=30) as http:
            response = http.get("/sparql", params={"query": AREAS})
            results.append(response.status_code)

    threads = [threading.Thread(target=ask) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == [200] * 8


def test_every_worker_picks_up_a_new_build_without_dropping_requests(
    served_twice: Served, settings: Settings, project: Path
) -> None:
    before = set(served_twice.builds_by_process().values())
    assert len(before) == 1
    failures: list[str] = []
    answered = 0
    stop = threading.Event()

    def hammer() -> None:
        nonlocal answered
        while not stop.is_set():
            try:
                r = httpx.get(
                    served_twice.url + "/sparql",
                    params={"query": AREAS},
                    headers={"Connection": "close"},
                    timeout=30,
                )
                if r.status_code != 200:
                    failures.append(f"{r.status_code} {r.text[:200]}")
                answered += 1
            except httpx.HTTPError as err:
                failures.append(repr(err))

    threads = [threading.Thread(target=hammer) for _ in range(3)]
    for thread in threads:
        thread.start()
    try:
        (project / "data" / "zz-extra.ttl").write_text(EXTRA, encoding="utf-8")
        new = build(settings).info.build_id
        deadline = time.monotonic() + 30
        while True:
            builds = served_twice.builds_by_process()
            if len(builds) == 2 and set(builds.values()) == {new}:
                break
            assert time.monotonic() < deadline, f"workers serve {builds}, not {new}"
            time.sleep(0.2)
        time.sleep(0.5)
    finally:
        stop.set()
        for thread in threads:
            thread.join()
    assert not failures and answered > 10
    with http_client(served_twice.url) as http:
        label = http.get("/sparql", params={"query": 'ASK { ?a ?p "extra label"@en }'}).json()
    assert label["boolean"] is True
