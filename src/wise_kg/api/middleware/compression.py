"""gzip when the client asks for it, each coding its own representation with its own ETag.

Starlette's :class:`~starlette.middleware.gzip.GZipResponder` compresses (large bodies
off the event loop, streamed answers chunk by chunk, ``Vary: Accept-Encoding``);
this middleware adds what HTTP asks of content codings and Starlette leaves out:

* ``Accept-Encoding`` is read with its q-values (``gzip;q=0`` refuses gzip);
* a gzip-coded answer is another representation, so its strong ETag gets a ``-gzip``
  suffix (RFC 9110 §8.8.3.3); a client's ``If-None-Match`` or ``If-Range`` naming
  such a tag is read without it by the routes, and a 304 names the tag the client
  holds. A route that serves a file already gzipped (the dumps) just sets
  ``Content-Encoding`` and its plain ETag; the suffix is added here too.
"""

from __future__ import annotations

from starlette.middleware.gzip import GZipResponder
from starlette.types import ASGIApp, Message, Receive, Scope, Send

GZIP = "gzip"
SUFFIX = b"-gzip"
#: Bodies shorter than this are sent as they are (the coding would not pay).
MINIMUM_SIZE = 1024
#: zlib's default level: most of level 9's saving for a third of its time.
LEVEL = 6
#: Request headers naming ETags that the routes compare with their own.
TAG_HEADERS = (b"if-none-match", b"if-range")


def accepts_gzip(accept_encoding: bytes | None) -> bool:
    """Whether an ``Accept-Encoding`` value takes gzip (by name or ``*``) with a q above 0."""
    if not accept_encoding:
        return False
    weights: dict[str, float] = {}
    for item in accept_encoding.decode("latin-1").lower().split(","):
        name, _, params = item.partition(";")
        weight = 1.0
        for param in params.split(";"):
            key, _, value = param.strip().partition("=")
            if key == "q":
                try:
                    weight = float(value)
                except ValueError:
                    weight = 0.0
        weights[name.strip()] = weight
    return weights.get(GZIP, weights.get("x-gzip", weights.get("*", 0.0))) > 0


class Compression:
    """ASGI middleware: gzip-coded answers for clients that accept them."""

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        accept = next((v for n, v in scope["headers"] if n == b"accept-encoding"), None)
        if not accepts_gzip(accept):  # the plain coding: only say that it varies
            await self.app(scope, receive, _varying(send))
            return
        held: set[bytes] = set()  # the plain tags the client named with the suffix
        scope["headers"] = [
            (n, _plain_tags(v, held) if n in TAG_HEADERS else v) for n, v in scope["headers"]
        ]
        responder = GZipResponder(self.app, MINIMUM_SIZE, compresslevel=LEVEL)
        await responder(scope, receive, _tagging(send, held))


def _varying(send: Send) -> Send:
    """A ``send`` adding ``Vary: Accept-Encoding`` where gzip would have applied: a body of
    :data:`MINIMUM_SIZE` bytes or more, or streamed (Starlette's identity responder did
    the same, holding each start message until the body came; the cheapest requests paid
    for that)."""

    async def varying(message: Message) -> None:
        if message["type"] == "http.response.start":
            headers = message.get("headers") or []
            length = next((v for n, v in headers if n.lower() == b"content-length"), None)
            encoded = any(n.lower() == b"content-encoding" for n, _v in headers)
            if not encoded and (length is None or int(length) >= MINIMUM_SIZE):
                message["headers"] = [*_without_vary(headers), (b"vary", _vary(headers))]
        await send(message)

    return varying


def _vary(headers: list[tuple[bytes, bytes]]) -> bytes:
    """The ``Vary`` value with ``Accept-Encoding`` added to what the answer had."""
    given = [v for n, v in headers if n.lower() == b"vary"]
    names = [part.strip() for value in given for part in value.split(b",") if part.strip()]
    if b"accept-encoding" not in (name.lower() for name in names):
        names.append(b"Accept-Encoding")
    return b", ".join(names)


def _without_vary(headers: list[tuple[bytes, bytes]]) -> list[tuple[bytes, bytes]]:
    return [(n, v) for n, v in headers if n.lower() != b"vary"]


def _plain_tags(value: bytes, held: set[bytes]) -> bytes:
    """A tag list with the gzip suffix taken off each tag; note which had it."""
    tags = []
    for tag in value.split(b","):
        tag = tag.strip()
        if tag.endswith(SUFFIX + b'"'):
            tag = tag[: -len(SUFFIX) - 1] + b'"'
            held.add(tag.removeprefix(b"W/"))
        tags.append(tag)
    return b", ".join(tags)


def _tagging(send: Send, held: set[bytes]) -> Send:
    """A ``send`` giving gzip-coded answers (and 304s for them) the suffixed ETag."""

    async def tagged(message: Message) -> None:
        if message["type"] == "http.response.start":
            headers = message.get("headers") or []
            coded = (b"content-encoding", b"gzip") in ((n.lower(), v) for n, v in headers)
            not_modified = message["status"] == 304
            message["headers"] = [
                (n, _suffixed(v))
                if n.lower() == b"etag" and (coded or (not_modified and v in held))
                else (n, v)
                for n, v in headers
            ]
        await send(message)

    return tagged


def _suffixed(tag: bytes) -> bytes:
    """``"abc"`` → ``"abc-gzip"`` (a tag already suffixed is left alone)."""
    if tag.endswith(SUFFIX + b'"') or not tag.endswith(b'"'):
        return tag
    return tag[:-1] + SUFFIX + b'"'
