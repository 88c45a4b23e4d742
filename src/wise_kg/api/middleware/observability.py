"""Operations: structured access logs, Prometheus metrics, readiness.

Every request gets an id (the client's ``X-Request-ID`` if it sends a sane one),
is timed, counted by route and status, and logged as one JSON line on the
``wise_kg.access`` logger: id, method, route, path, status, duration, and the
hash of the SPARQL query it ran (never the query itself).
"""

from __future__ import annotations

import itertools
import json
import logging
import os
import re
import select
import sys
import threading
import time
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Histogram
from starlette.requests import ClientDisconnect
from starlette.types import ASGIApp, Message, Receive, Scope, Send

ACCESS_LOG = logging.getLogger("wise_kg.access")
#: Most (route, method, status) series whose instruments are remembered.
MEMO_SERIES = 1024
REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
#: The status logged for a request whose client left before it was answered (nginx's
#: "client closed request"): no answer was sent, and it is not the server's fault (500).
CLIENT_GONE = 499


#: How often the access log is written out (its lines are batched, not flushed one by one).
FLUSH_SECONDS = 0.2
#: Characters of access log kept before they are written out, whatever the time.
BATCH_CHARS = 64 * 1024


class BatchedStreamHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """A stream handler that keeps its lines and writes them out in batches: from a timer
    thread every ``interval`` seconds, or at once when a batch is full.

    Flushing after every line cost a system call per request (measured: a sixth of
    the time a fresh query takes in the web process). The stream's own buffer is not
    relied on: with ``PYTHONUNBUFFERED=1``, the usual setting in containers (and on the
    machine the benchmarks ran on), every write to standard output is a system call;
    the emit alone was 9% of a cached answer's time in the web process. Nor is it let
    cut lines: each write is whole lines of at most ``PIPE_BUF`` bytes, which a pipe
    writes at once, so that the server processes of ``--workers N``, sharing one
    standard output, never interleave within a line.
    """

    def __init__(self, stream: Any, interval: float = FLUSH_SECONDS):
        super().__init__(stream)
        self._lines: list[str] = []
        self._chars = 0
        self._stopped = threading.Event()
        self._flusher = threading.Thread(
            target=self._flush_every, args=(interval,), name="access-log", daemon=True
        )
        self._flusher.start()

    def emit(self, record: logging.LogRecord) -> None:
        """Keep the line (the handler's lock is held); write the batch out when it is full."""
        try:
            line = self.format(record) + self.terminator
        except Exception:
            self.handleError(record)
            return
        self._lines.append(line)
        self._chars += len(line)
        if self._chars >= BATCH_CHARS:
            self._write_out()

    def flush(self) -> None:
        """Write out the lines kept so far."""
        with self.lock:
            self._write_out()

    def _write_out(self) -> None:
        """Write the lines kept, whole, in writes of at most ``PIPE_BUF`` bytes each
        (a longer line alone), each flushed at once."""
        chunk: list[str] = []
        size = 0
        for line in self._lines:
            length = len(line.encode())
            if chunk and size + length > select.PIPE_BUF:
                self._write("".join(chunk))
                chunk, size = [], 0
            chunk.append(line)
            size += length
        if chunk:
            self._write("".join(chunk))
        self._lines.clear()
        self._chars = 0

    def _write(self, text: str) -> None:
        self.stream.write(text)
        self.stream.flush()

    def _flush_every(self, interval: float) -> None:
        while not self._stopped.wait(interval):
            self.flush()

    def close(self) -> None:
        """Flush what is left and stop the timer."""
        self._stopped.set()
        self.flush()
        super().close()


def log_requests_to_stdout() -> None:
    """Write the access log, one JSON line per request, to standard output.

    A server process's log records carry no thread or process (the logging HOWTO's
    "Optimization": what the JSON lines never show is not gathered per request).
    """
    if ACCESS_LOG.handlers:
        return
    logging.logThreads = logging.logProcesses = logging.logMultiprocessing = False
    handler = BatchedStreamHandler(sys.stdout)
    handler.setFormatter(logging.Formatter("%(message)s"))
    ACCESS_LOG.addHandler(handler)
    ACCESS_LOG.setLevel(logging.INFO)
    ACCESS_LOG.propagate = False


class Metrics:
    """The app's own Prometheus registry (no global state) and its instruments."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "wise_kg_requests",
            "HTTP requests by route and status.",
            ["route", "method", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "wise_kg_request_seconds",
            "HTTP request duration by route.",
            ["route"],
            buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
            registry=self.registry,
        )
        self.errors = Counter(
            "wise_kg_errors",
            "Answered errors by kind (QueryTimeout, QueryRefused …).",
            ["kind"],
            registry=self.registry,
        )
        self.cache = Counter(
            "wise_kg_cache", "Answer-cache lookups by outcome.", ["outcome"], registry=self.registry
        )
        self._children: dict[tuple[str, str, int], tuple[Any, Any]] = {}
        self._hits, self._misses = self.cache.labels("hit"), self.cache.labels("miss")

    def cache_outcome(self, hit: bool) -> None:
        """Count one answer-cache lookup."""
        (self._hits if hit else self._misses).inc()

    def record(self, route: str, method: str, status: int, seconds: float) -> None:
        """Count one request and time it (the labelled series are looked up once each)."""
        key = (route, method, status)
        children = self._children.get(key)
        if children is None:
            children = (
                self.requests.labels(route, method, str(status)),
                self.latency.labels(route),
            )
            if len(self._children) < MEMO_SERIES:
                self._children[key] = children
        children[0].inc()
        children[1].observe(seconds)


class AccessLog:
    """ASGI middleware: request id, timing, metrics and one JSON log line per request."""

    def __init__(self, app: ASGIApp, metrics: Metrics):
        self.app, self.metrics = app, metrics
        # 32 hex digits, unique per process and request, and cheap: the process, the time
        # the app was made, a counter (a random id cost more than the rest of the log line).
        prefix = f"{os.getpid() & 0xFFFFFFFF:08x}{time.time_ns() & 0xFFFFFFFF:08x}"
        self._ids = (f"{prefix}{n:016x}" for n in itertools.count(1))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        given = headers.get(b"x-request-id", b"").decode("latin-1")
        request_id = given if REQUEST_ID.match(given) else next(self._ids)
        scope.setdefault("state", {})["request_id"] = request_id
        started = time.perf_counter()
        status = 0  # no answer yet

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message.setdefault("headers", [])
                message["headers"] = [*message["headers"], (b"x-request-id", request_id.encode())]
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        except ClientDisconnect:
            status = status or CLIENT_GONE
            raise
        finally:
            status = status or 500  # the app failed before it answered
            seconds = time.perf_counter() - started
            route = getattr(scope.get("route"), "path", "unmatched")
            self.metrics.record(route, scope["method"], status, seconds)
            if ACCESS_LOG.isEnabledFor(logging.INFO):
                line = json.dumps(
                    {
                        "request_id": request_id,
                        "method": scope["method"],
                        "route": route,
                        "path": scope["path"],
                        "status": status,
                        "duration_ms": round(seconds * 1000, 2),
                        "query_hash": scope["state"].get("query_hash"),
                    }
                )
                # handle(makeRecord(…)) rather than info(…): no walk up the stack for the
                # caller's file and line, which an access line never shows.
                ACCESS_LOG.handle(
                    ACCESS_LOG.makeRecord(ACCESS_LOG.name, logging.INFO, "", 0, line, (), None)
                )
