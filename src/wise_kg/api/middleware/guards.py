"""Requests the server refuses before any route sees them: ambiguous framing (request
smuggling's raw material), an ambiguous Host and oversize headers, whichever HTTP parser
uvicorn uses."""

from __future__ import annotations

import contextlib
import time

from starlette.requests import ClientDisconnect
from starlette.types import ASGIApp, Receive, Scope, Send

#: Most bytes of request headers (names and values) accepted; more is a 431.
MAX_HEADER_BYTES = 32 * 1024
#: Most request headers accepted; more is a 431.
MAX_HEADERS = 100


class RequestGuard:
    """ASGI middleware refusing, with the connection closed:

    * a request with both Content-Length and Transfer-Encoding (400, RFC 9112 §6.1), so no
      second request can hide in its body;
    * a request with more than one Host header (400, RFC 9112 §3.2): a proxy and the app
      could each read a different one; and an HTTP/1.1 request with none (400, the same
      section: the server may not guess which host was meant);
    * headers over :data:`MAX_HEADER_BYTES` or :data:`MAX_HEADERS` (431).

    A client that leaves while its body is read (or is cut off for pausing it) gets no
    answer and costs no traceback in the log: else each such connection logged one.
    """

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            scope["wise_kg.started"] = time.monotonic()  # each request's deadline counts from here
            headers = scope.get("headers") or []
            names = [name.lower() for name, _value in headers]
            size = sum(len(name) + len(value) for name, value in headers)
            if b"content-length" in names and b"transfer-encoding" in names:
                await _refuse(
                    send, 400, "A request may not carry both Content-Length and Transfer-Encoding."
                )
                return
            hosts = names.count(b"host")
            if hosts > 1:
                await _refuse(send, 400, "A request may carry one Host header only.")
                return
            if not hosts and scope.get("http_version") == "1.1":
                await _refuse(send, 400, "An HTTP/1.1 request names its host in a Host header.")
                return
            if size > MAX_HEADER_BYTES or len(headers) > MAX_HEADERS:
                await _refuse(
                    send,
                    431,
                    f"Request headers over {MAX_HEADER_BYTES} bytes or {MAX_HEADERS} fields.",
                )
                return
        with contextlib.suppress(ClientDisconnect):  # no one to answer
            await self.app(scope, receive, send)


async def _refuse(send: Send, status: int, message: str) -> None:
    body = (message + "\n").encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"text/plain; charset=utf-8"),
                (b"content-length", str(len(body)).encode()),
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
