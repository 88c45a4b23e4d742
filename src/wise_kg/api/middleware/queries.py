"""Query requests to ``/sparql`` go straight to their endpoint, ahead of routing.

A research tool's fresh queries each pay for the whole request path; the router,
the exception middleware and the route wrappers cost more than the engine's answer
to a lookup (``benchmarks/profile.md``). This middleware sits inside the request
guard, the access log and the replay cache, so those still apply; it hands a query
request to the same endpoint function the ``/sparql`` route uses and answers its
errors with the app's own error handler. Requests with an ``Origin`` go the long
way, through the CORS middleware.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from fastapi import Request, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

from wise_kg.errors import WiseKgError

Endpoint = Callable[[Request], Awaitable[Response]]
ErrorHandler = Callable[[Request, Exception], Awaitable[Response]]


class QueryFastPath:
    """ASGI middleware answering ``/sparql`` query requests with ``route``'s endpoint."""

    def __init__(self, app: ASGIApp, route: Route, on_error: ErrorHandler):
        self.app, self.route, self.on_error = app, route, on_error
        self.endpoint: Endpoint = route.endpoint  # type: ignore[assignment]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if not _is_query(scope, self.route.path):
            await self.app(scope, receive, send)
            return
        scope["route"] = self.route
        request = Request(scope, receive)
        try:
            response = await self.endpoint(request)
        except WiseKgError as exc:
            response = await self.on_error(request, exc)
        # As the CORS middleware marks every answer of the long way: with an Origin the
        # answer would differ (Access-Control-Allow-Origin), which caches must be told.
        vary = response.headers.get("vary")
        response.headers["vary"] = f"{vary}, Origin" if vary else "Origin"
        await response(scope, receive, send)


def _is_query(scope: Scope, path: str) -> bool:
    """A same-origin query request (GET with a query, or any POST) to ``path``."""
    if scope["type"] != "http" or scope["path"] != path:
        return False
    if any(name == b"origin" for name, _value in scope["headers"]):
        return False
    if scope["method"] == "POST":
        return True
    query = scope["query_string"]
    return scope["method"] == "GET" and (query.startswith(b"query=") or b"&query=" in query)
