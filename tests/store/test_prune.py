"""Pruning after a crash: the last good builds stay, leftovers of dead builds go."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pyoxigraph as ox

from wise_kg.store.backends import Embedded
from wise_kg.store.embedded import MANIFEST, builds_dir, open_read_only, publish

QUAD = ox.Quad(ox.NamedNode("http://x/a"), ox.NamedNode("http://x/p"), ox.Literal("1"))


def _publish(link: Path) -> str:
    """A tiny good build, swapped in; its id."""
    return publish(link, [QUAD]).build_id


def _crashed(link: Path, name: str, manifest: str | None = None) -> None:
    """A build folder as a killed build leaves it: data files, no (or a torn) manifest,
    and newer than every good build."""
    folder = builds_dir(link) / name
    folder.mkdir()
    (folder / "000004.sst").write_bytes(b"\0" * 64)
    if manifest is not None:
        (folder / MANIFEST).write_text(manifest, encoding="utf-8")
    later = time.time() + 3600
    os.utime(folder, (later, later))


def _folders(link: Path) -> set[str]:
    return {p.name for p in builds_dir(link).iterdir()}


def test_pruning_keeps_the_last_good_builds_not_the_newest_folders(tmp_path: Path) -> None:
    link = tmp_path / "store"
    _first, second, third = (_publish(link) for _ in range(3))
    _crashed(link, "29990101T000000-dead0001")
    _crashed(link, "29990101T000000-dead0002", manifest='{"build_id": "29990')  # torn
    fourth = _publish(link)
    assert _folders(link) == {second, third, fourth}  # the current one and the two before it
    assert open_read_only(link, verify=True)[1].build_id == fourth


def test_readers_never_open_a_newer_incomplete_folder(tmp_path: Path) -> None:
    link = tmp_path / "store"
    good = _publish(link)
    _crashed(link, "29990101T000000-dead0004")
    store, info = open_read_only(link, verify=True)
    assert info.build_id == good and len(store) == 1
    served = Embedded(link)  # what the server opens, and how it follows new builds
    assert served.open(verify=True)[1].build_id == served.current_id() == good


CHILD = """
import sys, time
from pathlib import Path
from wise_kg.store.embedded import publish

def forever():
    print("writing", flush=True)
    time.sleep(600)
    yield

publish(Path(sys.argv[1]), forever())
"""


def test_a_build_killed_mid_way_is_removed_and_another_waits_for_it(tmp_path: Path) -> None:
    link = tmp_path / "store"
    good = _publish(link)
    child = subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(CHILD), str(link)],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert child.stdout is not None and child.stdout.readline() == "writing\n"
        (dying,) = _folders(link) - {good}
        done: list[str] = []
        waiter = threading.Thread(target=lambda: done.append(_publish(link)))
        waiter.start()
        waiter.join(0.5)
        assert not done  # the killed build's folder is not pruned while it is being written
        assert dying in _folders(link)
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait(10)
    waiter.join(30)
    assert done and _folders(link) == {good, done[0]}  # the leftover is gone, the good one kept
