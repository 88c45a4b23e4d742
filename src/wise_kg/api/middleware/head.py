"""HEAD answered by every GET route: the GET's status and headers, no body (RFC 9110 §9.3.2).

FastAPI routes answer the methods they are declared with, so HEAD was a 405 on every
GET route (link checkers and ``wget --spider`` reported each IRI as broken). This
middleware, innermost, lets the routes see a GET. The server itself (uvicorn, which
keeps the request as HEAD) sends the headers, Content-Length included, and no body;
routes that stream a long answer look at :data:`HEAD` in the scope to skip the work.
A 405's ``Allow`` names HEAD wherever it names GET.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

#: Set in the scope of a HEAD request that routes see as a GET.
HEAD = "wise_kg.head"


class HeadAsGet:
    """ASGI middleware: HEAD goes to the GET route; ``Allow`` lists HEAD with GET."""

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if scope["method"] != "HEAD":
            await self.app(scope, receive, _allowing_head(send))
            return
        as_get = {**scope, "method": "GET", HEAD: True}
        try:
            await self.app(as_get, receive, send)
        finally:  # what routing found, for the access log and metrics outside
            if "route" in as_get:
                scope["route"] = as_get["route"]


def _allowing_head(send: Send) -> Send:
    """A ``send`` adding HEAD to a 405's ``Allow`` when GET is allowed."""

    async def allowing(message: Message) -> None:
        if message["type"] == "http.response.start" and message["status"] == 405:
            message["headers"] = [
                (n, _with_head(v) if n.lower() == b"allow" else v)
                for n, v in message.get("headers") or []
            ]
        await send(message)

    return allowing


def _with_head(allow: bytes) -> bytes:
    methods = [m.strip() for m in allow.split(b",") if m.strip()]
    if b"GET" in methods and b"HEAD" not in methods:
        methods.insert(methods.index(b"GET") + 1, b"HEAD")
    return b", ".join(methods)
