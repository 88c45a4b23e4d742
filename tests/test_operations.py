"""Operations and faults: logs, metrics, readiness, a token, and a store that survives crashes."""

from __future__ import annotations

import json
import logging
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from pydantic import SecretStr

from wise_kg.config import Settings
from wise_kg.errors import StoreNotBuilt, StoreWriteError
from wise_kg.store.build import build, is_current
from wise_kg.store.embedded import open_read_only

from .conftest import SHARED, LiveServer, copy_project

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


def test_ready_follows_the_workers(built: Settings) -> None:
    with LiveServer(built) as live, httpx.Client(base_url=live.url, timeout=30) as client:
        assert client.get("/ready").json()["ready"] is True
        pool = live.server.config.app.state.snapshot.pool
        victim = next(iter(pool._all)).process
        os.kill(victim.pid, signal.SIGKILL)
        victim.join(timeout=5)
        assert client.get("/ready").status_code == 503
        for _ in range(4):  # the dead worker is never given a query: the other one answers
            assert client.get("/sparql", params={"query": ASK}).status_code == 200
        deadline = time.monotonic() + 10  # and it is replaced in the background
        while client.get("/ready").status_code != 200:
            assert time.monotonic() < deadline, "the pool was not whole again within 10 s"
            time.sleep(0.05)


def test_optional_token_guards_metrics_but_never_reads(built: Settings) -> None:
    settings = built.model_copy(update={"admin_token": SecretStr("s3cret")})
    with LiveServer(settings) as live, httpx.Client(base_url=live.url, timeout=30) as client:
        assert client.get("/metrics").status_code == 401
        assert client.get("/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 401
        assert client.get("/metrics", headers={"Authorization": "Bearer s3cret"}).status_code == 200
        assert client.get("/sparql", params={"query": ASK}).status_code == 200
        assert client.post("/sparql", data={"query": ASK}).status_code == 200
        assert client.get("/id/need/placement.ttl").status_code == 200


def _kill_after(args: list[str], seconds: float) -> int:
    process = subprocess.Popen(
        [sys.executable, "-m", "wise_kg.cli", *args],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    time.sleep(seconds)
    process.send_signal(signal.SIGKILL)
    return process.wait(timeout=30)


@pytest.mark.parametrize("seconds", [0.8, 1.6, 2.4])
def test_killed_build_or_import_leaves_the_store_serving(
    settings: Settings, project: Path, seconds: float
) -> None:
    first = build(settings).info
    (project / "data" / "zz-extra.ttl").write_text("# a change, so the next build is a new one\n")
    esco = SHARED / "esco" / "v1.2.0"
    command = ["esco", "load", str(esco), "--quiet"] if esco.is_dir() else ["build"]
    _kill_after([*command, "--project", str(project)], seconds)
    store, info = open_read_only(settings.resolved_store_path(), verify=True)
    if info.build_id != first.build_id:  # a fast machine finished (and swapped) before the kill
        assert len(store) == info.quads >= first.quads
    else:
        assert len(store) == first.quads
    with LiveServer(settings) as live, httpx.Client(base_url=live.url, timeout=30) as client:
        assert client.get("/sparql", params={"query": ASK}).json()["boolean"] is True
        assert client.get("/ready").json()["ready"] is True


@pytest.mark.filterwarnings("ignore::pytest.PytestUnhandledThreadExceptionWarning")
def test_damaged_store_is_caught_at_start(settings: Settings) -> None:
    build(settings)
    target = settings.resolved_store_path().resolve()
    (target / "CURRENT").write_bytes(b"garbage")
    with pytest.raises(StoreNotBuilt, match=r"damaged or incomplete.*wise-kg build"):
        open_read_only(settings.resolved_store_path(), verify=True)
    assert not is_current(settings)  # so `wise-kg serve` rebuilds it
    with pytest.raises(RuntimeError, match="did not start"):
        LiveServer(settings).__enter__()
    build(settings)
    assert open_read_only(settings.resolved_store_path(), verify=True)[1].quads > 1000


def _mount_tmpfs(target: Path, options: str) -> bool:
    target.mkdir(parents=True, exist_ok=True)
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(target)],
        capture_output=True,
        check=False,
    )
    return done.returncode == 0


@pytest.mark.parametrize(
    ("options", "words"), [("size=256k", "No space left"), ("ro,size=1m", "Read-only")]
)
def test_disk_full_and_read_only_give_clear_errors(
    tmp_path: Path, options: str, words: str
) -> None:
    mount = tmp_path / "mnt"
    if not _mount_tmpfs(mount, options):
        pytest.skip("cannot mount a tmpfs here (needs root)")
    try:
        root = copy_project(tmp_path / "project")
        settings = Settings(project_dir=root, store_path=mount / "store")
        with pytest.raises(StoreWriteError, match=words):
            build(settings)
        leftovers = (
            list((mount / "store.builds").iterdir()) if (mount / "store.builds").exists() else []
        )
        assert leftovers == []  # the half-written build was removed
        done = subprocess.run(
            [
                sys.executable,
                "-m",
                "wise_kg.cli",
                "build",
                "--project",
                str(root),
                "--store",
                str(mount / "store"),
            ],
            capture_output=True,
            text=True,
            check=False,
        )
        assert done.returncode == 2 and words in done.stderr and "Traceback" not in done.stderr
    finally:
        subprocess.run(["umount", str(mount)], check=False)
