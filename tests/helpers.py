"""Helpers the tests share: servers run as a user runs them (no test imports another)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time

import httpx
import psutil

from wise_kg.config import Settings


class ServedProcess:
    """``wise-kg serve`` on a free port, as its own process (and its workers' parent)."""

    def __init__(self, settings: Settings, *args: str, **env: str):
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            self.port = sock.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        environment = {**os.environ, **env}
        store = str(settings.resolved_store_path())
        command = [sys.executable, "-m", "wise_kg.cli", "serve", "--port", str(self.port)]
        command += ["--project", str(settings.project_dir), "--store", store, *args]
        self.process = subprocess.Popen(
            command, env=environment, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )

    def __enter__(self) -> ServedProcess:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(self.url + "/ready", timeout=2).status_code == 200:
                    return self
            except httpx.TransportError:
                pass
            time.sleep(0.2)
        raise RuntimeError("wise-kg serve did not become ready")

    def __exit__(self, *exc: object) -> None:
        self.process.terminate()
        self.process.wait(timeout=20)

    def tree_rss(self) -> int:
        """Bytes of memory the server and all its children hold now (from /proc)."""
        try:
            root = psutil.Process(self.process.pid)
            processes = [root, *root.children(recursive=True)]
        except psutil.NoSuchProcess:
            return 0
        total = 0
        for process in processes:
            try:
                total += process.memory_info().rss
            except psutil.NoSuchProcess:
                continue
        return total
