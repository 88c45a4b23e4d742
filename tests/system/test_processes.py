"""``wise-kg serve --workers N``: connections opened at once are spread evenly over the
processes, a process that dies is started again while the others serve, and nothing
is lost while a new build is swapped in."""

from __future__ import annotations

import os
import signal
import socket
import threading
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.helpers import ServedProcess, http_client
from wise_kg.config import Settings
from wise_kg.store.build import build

WORKERS = 2
CONNECTIONS = 8


@pytest.fixture(scope="module")
def served(built: Settings) -> Iterator[ServedProcess]:
    with ServedProcess(built, "--workers", str(WORKERS)) as server:
        yield server


def _pid_over(sock: socket.socket, host: str) -> int:
    """Ask ``/health`` on an open keep-alive connection; the pid of the process answering."""
    sock.sendall(f"GET /health HTTP/1.1\r\nHost: {host}\r\n\r\n".encode())
    answer = b""
    while b"}" not in answer:
        answer += sock.recv(65536)
    return int(answer.rsplit(b'"pid":', 1)[1].split(b"}")[0])


def test_connections_opened_at_once_are_spread_evenly(served: ServedProcess) -> None:
    host, port = served.url.removeprefix("http://").split(":")
    for _round in range(3):  # wrk's way: its connections all at once, then kept alive
        sockets = [socket.create_connection((host, int(port))) for _ in range(CONNECTIONS)]
        try:
            pids = Counter(_pid_over(sock, host) for sock in sockets)
            again = Counter(_pid_over(sock, host) for sock in sockets)  # kept where they are
        finally:
            for sock in sockets:
                sock.close()
        assert len(pids) == WORKERS and set(pids.values()) == {CONNECTIONS // WORKERS}
        assert again == pids


def test_a_process_that_dies_is_started_again(served: ServedProcess) -> None:
    pids = {httpx.get(served.url + "/health", timeout=10).json()["pid"] for _ in range(4)}
    assert len(pids) == WORKERS
    victim = min(pids)
    os.kill(victim, signal.SIGKILL)
    deadline = time.monotonic() + 60
    seen: set[int] = set()
    while time.monotonic() < deadline and len(seen - {victim}) < WORKERS:
        try:
            answer = httpx.get(served.url + "/health", timeout=10)
        except httpx.TransportError:  # the connection handed to the dead process
            continue
        assert answer.status_code == 200
        seen.add(answer.json()["pid"])
        time.sleep(0.2)
    assert victim not in seen and len(seen) == WORKERS, "the dead process was not replaced"


def test_no_request_is_lost_while_a_build_is_swapped_in(built: Settings, tmp_path: Path) -> None:
    settings = built.model_copy(update={"store_path": tmp_path / "store"})
    first = build(settings).info.build_id
    # each process looks for a new build every half second (2 s by default), as it is the
    # swap under load that is tested, not how long a process waits before it looks
    with ServedProcess(settings, "--workers", str(WORKERS), WISE_KG_RELOAD_SECONDS="0.5") as server:
        failures: list[str] = []
        stop = threading.Event()

        def ask() -> None:  # a steady stream, not a flood: the build runs in this process
            with http_client(server.url, timeout=10) as client:
                while not stop.wait(0.005):
                    answer = client.get("/sparql", params={"query": "ASK { ?s ?p ?o }"})
                    if answer.status_code != 200:
                        failures.append(f"{answer.status_code} {answer.text[:100]}")

        clients = [threading.Thread(target=ask) for _ in range(4)]
        for client in clients:
            client.start()
        extra = settings.project_dir / "data" / "zz-swap.ttl"
        extra.write_text("# a change, so the next build is a new one\n", encoding="utf-8")
        try:
            second = build(settings).info.build_id
            deadline = time.monotonic() + 30
            builds: set[str] = set()
            while time.monotonic() < deadline and builds != {second}:
                builds = {httpx.get(server.url + "/health").json()["build"] for _ in range(4)}
                time.sleep(0.2)
        finally:
            stop.set()
            for client in clients:
                client.join()
            extra.unlink()
        assert first != second and builds == {second}
        assert failures == []


@pytest.mark.timing
def test_the_parent_stops_its_processes_at_once_on_sigterm(built: Settings) -> None:
    """The parent's loop woke once a second to see a signal: a stop took 1.6 s, not 0.7."""
    server = ServedProcess(built, "--workers", str(WORKERS))
    with server:
        assert httpx.get(server.url + "/health", timeout=10).status_code == 200
        started = time.monotonic()
        server.process.terminate()
        server.process.wait(timeout=20)
        assert time.monotonic() - started < 1.2
