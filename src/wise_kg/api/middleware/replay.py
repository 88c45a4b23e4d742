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

An answer named by a query string (a query text, a search, a saved query's parameters:
open-ended, and research tools seldom send one twice) is kept the second time it is asked
for, not the first (the "doorkeeper" of TinyLFU): keeping every fresh query's answer cost
it about a tenth of its time in the web process, and pushed the answers asked for again
out of the cache. Such a key asked for once is remembered for at least :data:`SEEN_KEYS`
new ones. A document without a query string (a resource page, the ontology: a bounded
set, each dear to make, and revalidated by browsers each time they show it) is kept the
first time: a revalidation's 304 holds nothing to keep, so a page first asked for
unconditionally and then only revalidated would otherwise be made anew each time.
"""

from __future__ import annotations

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
#: Headers a 304 repeats (RFC 9110 §15.4.5), and the CORS ones, as the CORS middleware
#: gives a route's 304 to a cross-origin request.
NOT_MODIFIED = frozenset(
    {
        b"etag",
        b"vary",
        b"cache-control",
        b"last-modified",
        b"access-control-allow-origin",
        b"access-control-expose-headers",
    }
)
#: Keys with a query string remembered (by their hash) as asked for once, in each of two
#: generations: when the newer is full, the older is forgotten.
SEEN_KEYS = 32_768


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

    @property
    def last_modified(self) -> str | None:
        """The remembered ``Last-Modified``, if the answer had one."""
        found = next((v for n, v in self.headers if n.lower() == b"last-modified"), None)
        return found.decode("latin-1") if found is not None else None

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
        if scope["method"] == "HEAD":  # headers only: nothing to keep
            await self.app(scope, receive, send)
            return
        if scope["query_string"] and not self._seen_before(key):  # asked for once so far
            await self.app(scope, receive, send)
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


def _first_values(headers: list[tuple[bytes, bytes]]) -> dict[bytes, bytes]:
    """Each header's first value, as the routes read them (Starlette's ``headers.get``)."""
    found: dict[bytes, bytes] = {}
    for name, value in headers:
        found.setdefault(name, value)
    return found


async def _answer(found: Replay, headers: dict[bytes, bytes], send: Send) -> None:
    """Send a remembered response, or a 304 when the client already has it."""
    if_none_match, since = headers.get(b"if-none-match"), headers.get(b"if-modified-since")
    if is_fresh(
        if_none_match.decode("latin-1") if if_none_match else None,
        since.decode("latin-1") if since else None,
        found.etag.decode("latin-1"),
        found.last_modified,
    ):
        kept = [(n, v) for n, v in found.headers if n.lower() in NOT_MODIFIED]
        await send({"type": "http.response.start", "status": 304, "headers": kept})
        await send({"type": "http.response.body", "body": b""})
        return
    length = (b"content-length", str(len(found.body)).encode())
    await send({"type": "http.response.start", "status": 200, "headers": [*found.headers, length]})
    await send({"type": "http.response.body", "body": found.body})
