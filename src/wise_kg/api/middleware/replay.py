"""The fast path: a repeated GET is answered from memory before routing.

Every answer of a build is immutable, so a whole response (status 200, an ETag,
``Cache-Control: public``) is kept under what made it, read as the routes read it:
the request's build (:mod:`wise_kg.api.deps`), the path and query string, the
request headers it may vary on (``Accept`` and ``Accept-Language``, whose first
value the routes read; whether gzip is accepted; whether there is an ``Origin``).
Nothing else reaches an answer: links are made from the configured public address,
never from ``Host`` or proxy headers. The same request again (GET or HEAD) is
answered with the same bytes — or a 304 for a matching ``If-None-Match`` or
``If-Modified-Since`` — without FastAPI's routing, parameter validation, content
negotiation or the query workers. Requests for byte ranges go to their route. It
sits inside the access log and the request guard, so such requests are still
checked, logged and counted. Each entry is counted with its key's bytes.

An answer is kept the second time it is asked for, not the first (the "doorkeeper" of
TinyLFU): research tools seldom send a query text twice, and keeping every answer
nobody asks for again cost a fresh query about a tenth of its time in the web process,
and pushed the answers that are asked for again out of the cache. A key asked for once
is remembered for at least :data:`SEEN_KEYS` new keys after it. The second time may be
a revalidation (``If-None-Match``: browsers and caches revalidate an answer marked
``no-cache`` each time they use it), which the route would answer with a 304 that holds
nothing to keep: the route is then asked without the conditions, its 200 kept, and the
client answered from what was kept.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from wise_kg.api.cache import ResultCache
from wise_kg.api.conditional import is_fresh
from wise_kg.api.deps import snapshot_of
from wise_kg.api.middleware.compression import accepts_gzip
from wise_kg.api.middleware.observability import Metrics

#: The request headers an answer may vary on, as each route's ``Vary`` names them.
KEYED = (b"accept", b"accept-language")
#: Response headers kept with the body and replayed (content-length is recomputed).
DROPPED = frozenset({b"content-length", b"x-request-id", b"date", b"server"})
#: Headers a 304 repeats (RFC 9110 §15.4.5).
NOT_MODIFIED = frozenset({b"etag", b"vary", b"cache-control", b"last-modified"})
#: Keys remembered (by their hash) as asked for once, in each of two generations: when
#: the newer is full, the older is forgotten.
SEEN_KEYS = 32_768
#: The request headers that make a GET conditional.
CONDITIONS = frozenset({b"if-none-match", b"if-modified-since"})


@dataclass(frozen=True)
class Replay:
    """One remembered response."""

    etag: bytes
    headers: tuple[tuple[bytes, bytes], ...]
    body: bytes
    route: Any
    key_bytes: int
    size: int = field(init=False)

    def __post_init__(self) -> None:
        size = self.key_bytes + len(self.body) + sum(len(n) + len(v) for n, v in self.headers)
        object.__setattr__(self, "size", size)

    def __len__(self) -> int:
        return self.size


class ReplayMiddleware:
    """ASGI middleware answering repeated GETs of immutable answers from memory."""

    def __init__(self, app: ASGIApp, cache: ResultCache, metrics: Metrics):
        self.app, self.cache = app, cache
        self.hits = metrics.cache.labels("hit")
        self._seen: set[int] = set()
        self._seen_earlier: set[int] = set()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in ("GET", "HEAD"):
            await self.app(scope, receive, send)
            return
        if getattr(scope["app"].state, "snapshot", None) is None:  # not serving yet
            await self.app(scope, receive, send)
            return
        headers = _first_values(scope["headers"])
        if b"range" in headers:  # a part of an answer: its route knows how
            await self.app(scope, receive, send)
            return
        key = (
            snapshot_of(scope).build.build_id,
            scope["path"],
            scope["query_string"],
            *(headers.get(name) for name in KEYED),
            accepts_gzip(headers.get(b"accept-encoding")),
            b"origin" in headers,
        )
        found = self.cache.get(key)
        if found is not None:
            scope["route"] = found.route
            self.hits.inc()
            await _answer(found, headers, send)
            return
        if scope["method"] == "HEAD" or not self._seen_before(key):  # nothing to keep yet
            await self.app(scope, receive, send)
            return
        if not CONDITIONS.isdisjoint(headers):
            await self._keep_then_answer(scope, receive, send, key, headers)
            return
        await self.app(scope, receive, self._recorder(scope, key, send))

    def _seen_before(self, key: tuple[Any, ...]) -> bool:
        """Whether ``key`` was asked for before (in the two generations remembered); from
        now on it is. Two keys of one hash only make an answer kept a request early."""
        marker = hash(key)
        if marker in self._seen or marker in self._seen_earlier:
            return True
        if len(self._seen) >= SEEN_KEYS:
            self._seen_earlier, self._seen = self._seen, set()
        self._seen.add(marker)
        return False

    async def _keep_then_answer(
        self,
        scope: Scope,
        receive: Receive,
        send: Send,
        key: tuple[Any, ...],
        headers: dict[bytes, bytes],
    ) -> None:
        """Answer a revalidation from the answer kept for it: the route is asked without
        the conditions, and what it answers is held; once kept, the client gets a 304 or
        the answer, as :func:`_answer` decides. One not kept (not a 200, not immutable,
        too long to hold) is answered as the route would have: a 304 when the client
        holds it, else as it comes."""
        given = scope["headers"]
        scope["headers"] = [(n, v) for n, v in given if n not in CONDITIONS]
        revalidation = _Revalidation(send, self.cache.max_item_bytes, headers)
        try:
            await self.app(scope, receive, self._recorder(scope, key, revalidation))
        finally:
            scope["headers"] = given
        if revalidation.passed_on:  # too long to hold: answered as it came
            return
        kept = self.cache.get(key)
        if kept is not None:
            await _answer(kept, headers, send)
        else:
            await revalidation.pass_on()

    def _recorder(self, scope: Scope, key: tuple[Any, ...], send: Send) -> Send:
        """A ``send`` that passes the response on and keeps it if it may be replayed.

        It keeps at most what the cache would take of one answer: a longer (streamed)
        answer passes through without being held here.
        """
        start: Message = {}
        chunks: list[bytes] = []
        room = [self.cache.max_item_bytes]

        async def record(message: Message) -> None:
            await send(message)
            if message["type"] == "http.response.start":
                start.update(message)
                return
            if message["type"] != "http.response.body" or start.get("status") != 200:
                return
            body = message.get("body", b"")
            room[0] -= len(body)
            if room[0] < 0:  # too long to keep: let it go
                chunks.clear()
                return
            chunks.append(body)
            if not message.get("more_body", False):
                self._keep(scope, key, start, b"".join(chunks))

        return record

    def _keep(self, scope: Scope, key: tuple[Any, ...], start: Message, body: bytes) -> None:
        headers = dict(start.get("headers") or [])
        etag = headers.get(b"etag")
        if etag is None or not headers.get(b"cache-control", b"").startswith(b"public"):
            return  # only answers that say they are one build's immutable answer
        kept = tuple((n, v) for n, v in start["headers"] if n.lower() not in DROPPED)
        key_bytes = sum(len(part) for part in key if isinstance(part, (bytes, str)))
        self.cache.put(key, Replay(etag, kept, body, scope.get("route"), key_bytes))


class _Revalidation:
    """A ``send`` for the route's unconditional answer to a revalidation: held until it is
    passed on, or as soon as its body passes ``room`` bytes. Passed on, it is a 304 when
    the client holds it (the rest of the answer then read and dropped), else the answer."""

    def __init__(self, send: Send, room: int, conditions: dict[bytes, bytes]):
        self.send, self.room, self.conditions = send, room, conditions
        self.held: list[Message] = []
        self.passed_on = False
        self.dropping = False

    async def __call__(self, message: Message) -> None:
        if self.dropping:
            return
        if self.passed_on:
            await self.send(message)
            return
        self.held.append(message)
        self.room -= len(message.get("body", b""))
        if self.room < 0:
            await self.pass_on()

    async def pass_on(self) -> None:
        """Send what was held, or a 304 for it; from now on, what comes (or nothing)."""
        self.passed_on = True
        held, self.held = self.held, []
        start = held[0] if held else {}
        headers = start.get("headers") or []
        if start.get("status") == 200 and _client_holds(self.conditions, headers):
            self.dropping = True
            await _not_modified(headers, self.send)
            return
        for message in held:
            await self.send(message)


def _first_values(headers: list[tuple[bytes, bytes]]) -> dict[bytes, bytes]:
    """Each header's first value, as the routes read them (Starlette's ``headers.get``)."""
    found: dict[bytes, bytes] = {}
    for name, value in headers:
        found.setdefault(name, value)
    return found


async def _answer(found: Replay, headers: dict[bytes, bytes], send: Send) -> None:
    """Send a remembered response, or a 304 when the client already has it."""
    if _client_holds(headers, found.headers):
        await _not_modified(found.headers, send)
        return
    length = (b"content-length", str(len(found.body)).encode())
    await send({"type": "http.response.start", "status": 200, "headers": [*found.headers, length]})
    await send({"type": "http.response.body", "body": found.body})


def _client_holds(conditions: dict[bytes, bytes], answer: Iterable[tuple[bytes, bytes]]) -> bool:
    """Whether a request's conditions say the client holds the answer with these headers."""
    found = {name.lower().decode("latin-1"): value.decode("latin-1") for name, value in answer}
    if "etag" not in found:
        return False
    if_none_match, since = conditions.get(b"if-none-match"), conditions.get(b"if-modified-since")
    return is_fresh(
        if_none_match.decode("latin-1") if if_none_match else None,
        since.decode("latin-1") if since else None,
        found["etag"],
        found.get("last-modified"),
    )


async def _not_modified(answer: Iterable[tuple[bytes, bytes]], send: Send) -> None:
    """A 304 for an answer, with the headers it repeats."""
    kept = [(n, v) for n, v in answer if n.lower() in NOT_MODIFIED]
    await send({"type": "http.response.start", "status": 304, "headers": kept})
    await send({"type": "http.response.body", "body": b""})
