"""Answering an admitted query over HTTP: format, dataset, ETag, cache, worker, stream."""

from __future__ import annotations

import asyncio
import hashlib
import time
from collections.abc import AsyncIterator
from typing import Any

from fastapi import Request, Response
from fastapi.responses import StreamingResponse
from starlette.types import Message, Receive, Scope, Send

from wise_kg.api.conditional import etag, matches
from wise_kg.api.deps import snapshot_of
from wise_kg.api.middleware.head import HEAD
from wise_kg.api.middleware.server import CUT_OFF
from wise_kg.errors import (
    QuerySyntaxError,
    QueryTimeout,
    RequestTimeout,
    ServerBusy,
    WiseKgError,
)
from wise_kg.sparql.admission import QueryInfo, choose_format, dataset_for
from wise_kg.sparql.evaluate import Limits
from wise_kg.sparql.pool import Answer
from wise_kg.sparql.queries import Binding
from wise_kg.sparql.worker import Job


def single(params: dict[str, list[str]], name: str) -> str | None:
    """The one value of a parameter; two or more is a client error."""
    values = params.get(name, [])
    if len(values) > 1:
        raise QuerySyntaxError(f"The request has {len(values)} '{name}' parameters; send one.")
    return values[0] if values else None


def endpoint_url(request: Request) -> str:
    """The endpoint's public URL (the base of the queries' relative IRIs): from the
    configured public address, never from the Host a client sends."""
    return request.app.state.settings.public_base() + "/sparql"


def deadline_of(request: Request) -> float:
    """When the request's time runs out (``time.monotonic()``), counted from its arrival."""
    started = request.scope.setdefault("wise_kg.started", time.monotonic())
    return started + request.app.state.settings.query_timeout


async def client_gone(request: Request) -> None:
    """Return once the client has closed its connection (its body was read already)."""
    while (await request.receive())["type"] != "http.disconnect":
        pass


async def respond(
    request: Request,
    query: str,
    info: QueryInfo,
    params: dict[str, list[str]] | None = None,
    bindings: tuple[Binding, ...] = (),
) -> Response:
    """Pick the format and dataset, then answer from the cache or a worker."""
    deadline = deadline_of(request)
    state, snap = request.app.state, snapshot_of(request.scope)
    settings = state.settings
    params = params if params is not None else {"format": request.query_params.getlist("format")}
    fmt = choose_format(info, request.headers.get("accept"), params.get("format", []))
    dataset = dataset_for(
        info,
        snap.graphs,
        params.get("default-graph-uri", []),
        params.get("named-graph-uri", []),
        union_default_graph=settings.union_default_graph,
    )
    limits = Limits(settings.result_limit, settings.answer_bytes)
    base = endpoint_url(request)
    job = Job(query, info.form, fmt.name, limits, dataset, bindings, base)
    tag = etag(snap.build.build_id, job.encoded)
    headers = {"Vary": "Accept", "ETag": tag, "Cache-Control": "public, no-cache"}
    if matches(request.headers.get("if-none-match"), tag):
        return Response(status_code=304, headers=headers)
    request.state.query_hash = hashlib.sha256(query.encode()).hexdigest()[:16]
    body = state.cache.get(tag)
    state.metrics.cache_outcome(body is not None)
    if body is not None:
        return Response(body, media_type=fmt.content_type, headers=headers)
    if time.monotonic() >= deadline:  # no worker is taken (and stopped) for it
        if request.method != "POST":  # nothing was slow to arrive: this server was
            raise ServerBusy("The server could not start the query in time; try again.")
        raise RequestTimeout(
            f"The request took longer than the {settings.query_timeout:g}-second time limit "
            "to arrive; no query was started. Send it again, at once."
        )
    answer = await snap.pool.run(job, deadline=deadline, gone=lambda: client_gone(request))
    if answer.rest is None:
        state.cache.put(tag, answer.first)
        return Response(answer.first, media_type=fmt.content_type, headers=headers)
    headers["Content-Length"] = str(answer.length)
    return StreamedAnswer(answer, deadline, media_type=fmt.content_type, headers=headers)


class StreamedAnswer(StreamingResponse):
    """A long answer sent as it comes from the worker (never held whole here), all of it
    by the request's deadline: a client that stops reading is cut off then."""

    def __init__(self, answer: Answer, deadline: float, **kwargs: Any):
        super().__init__(_chunks(answer), **kwargs)
        self.rest, self.deadline = answer.rest, deadline

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope.get(HEAD) and self.rest is not None:
            # Headers only: read the worker's answer out (so that it is freed, not replaced).
            async for _chunk in self.rest:
                pass
            self.body_iterator = _nothing()

        async def in_time(message: Message) -> None:
            async with asyncio.timeout_at(self.deadline):
                await send(message)

        try:
            await super().__call__(scope, receive, in_time)
        except (TimeoutError, WiseKgError) as exc:
            # Part of the answer is sent: no status can tell the client now. Its connection
            # is closed (a short body), and the log says so in one line, not a traceback.
            cut_off = scope.get(CUT_OFF)
            if cut_off is None:
                raise
            cut_off(_cut_off_because(exc))
        finally:  # whatever ended the sending, the worker is freed (or replaced)
            if self.rest is not None:
                self.rest.close()


def _cut_off_because(exc: Exception) -> str:
    """Why an answer was cut off part-way, as the server's summary of connections says it."""
    if isinstance(exc, TimeoutError):
        return "cut off mid-answer at the deadline (too slow to read)"
    if isinstance(exc, QueryTimeout):
        return "cut off mid-answer at the deadline (the answer still coming)"
    return f"cut off mid-answer ({type(exc).__name__}: {exc})"


async def _nothing() -> AsyncIterator[bytes]:
    """No body, sent as a stream (one empty chunk) as its GET's is: a HEAD gets the headers
    its GET gets, gzip-coded or not (the server sends no body for a HEAD)."""
    yield b""


async def _chunks(answer: Answer) -> AsyncIterator[bytes]:
    yield answer.first
    assert answer.rest is not None
    async for chunk in answer.rest:
        yield chunk
