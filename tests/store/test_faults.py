"""Faults: a store that survives a killed build or import, a damaged store caught at start,
a full disk and a read-only folder that give clear errors and leave nothing behind."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.helpers import SHARED, LiveServer, copy_project, http_client
from wise_kg.config import Settings
from wise_kg.errors import StoreNotBuilt, StoreWriteError
from wise_kg.store.build import build, is_current
from wise_kg.store.embedded import open_read_only

ASK = "ASK { ?s ?p ?o }"


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
    with LiveServer(settings) as live, http_client(live.url, timeout=30) as client:
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


def test_a_newer_build_that_cannot_be_opened_leaves_the_one_in_service_ready(
    settings: Settings, project: Path
) -> None:
    """/ready said 503 while the build in service answered every query: behind a load
    balancer, one bad build would have taken every server out."""
    build(settings)
    settings = settings.model_copy(update={"reload_seconds": 0.2})
    with LiveServer(settings) as live, http_client(live.url, timeout=30) as client:
        serving = client.get("/health").json()["build"]
        (project / "data" / "zz-extra.ttl").write_text("# a change, so the next build is new\n")
        newer = build(settings).info
        (settings.resolved_store_path().resolve() / "CURRENT").write_bytes(b"garbage")
        for _ in range(100):  # until the server has tried to open it
            ready = client.get("/ready")
            if ready.json()["newer_build_error"]:
                break
            time.sleep(0.05)
        assert ready.status_code == 200, ready.text
        assert ready.json()["build"] == serving != newer.build_id
        assert newer.build_id in ready.json()["newer_build_error"]
        assert client.get("/sparql", params={"query": ASK}).json()["boolean"] is True


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
