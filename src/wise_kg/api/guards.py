"""Request framing the server refuses outright (request smuggling's raw material)."""

from __future__ import annotations

from wise_kg.api.observability import ASGIApp, Receive, Scope, Send


class AmbiguousFraming:
    """ASGI middleware: a request with both Content-Length and Transfer-Encoding is answered
    400 and its connection closed (RFC 9112 §6.1), so no second request can hide in its body."""

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            names = [name.lower() for name, _value in scope.get("headers") or []]
            if b"content-length" in names and b"transfer-encoding" in names:
                body = b"A request may not carry both Content-Length and Transfer-Encoding.\n"
                await send(
                    {
                        "type": "http.response.start",
                        "status": 400,
                        "headers": [
                            (b"content-type", b"text/plain; charset=utf-8"),
                            (b"content-length", str(len(body)).encode()),
                            (b"connection", b"close"),
                        ],
                    }
                )
                await send({"type": "http.response.body", "body": body})
                return
        await self.app(scope, receive, send)
