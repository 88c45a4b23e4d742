"""Security headers on every answer, and a Content-Security-Policy for the HTML pages.

Every answer says ``X-Content-Type-Options: nosniff`` (a Turtle file or an error
message is never run as a script or shown as a page) and sends no more than its
origin as referrer to other sites. An HTML page gets :func:`page_policy`: the
site's pages, YASGUI, Swagger UI and ReDoc run under it, and the pages have no
inline script, so an injected ``<script>`` or ``onclick`` would not run. Any other
answer with a body gets :data:`DATA_POLICY`, under which it can load and run nothing
if opened as a document. An answer without a media type (a 304) gets no policy: a
browser would merge it into the page it has cached.

The middleware sits outside the replay cache, so replayed answers get the headers too
(the cache keeps the headers the routes wrote, never these).

>>> policy = page_policy("https://kg.example.org/base")
>>> "script-src 'self';" in policy and "connect-src 'self' https://kg.example.org;" in policy
True
"""

from __future__ import annotations

from urllib.parse import urlsplit

from starlette.types import ASGIApp, Message, Receive, Scope, Send

#: Headers on every answer.
COMMON = (
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"strict-origin-when-cross-origin"),
)
#: The policy of answers that are not pages (data, messages, scripts, stylesheets).
DATA_POLICY = "default-src 'none'; frame-ancestors 'none'"
#: Media types that are pages.
PAGES = (b"text/html", b"application/xhtml+xml")


def page_policy(public_url: str) -> str:
    """The Content-Security-Policy of every HTML page of a server reached at ``public_url``.

    Each source, and why it is allowed:

    * ``default-src 'none'``: nothing that is not named below: no plugins (``<object>``),
      frames, fonts or media.
    * ``script-src 'self'``: the pages' scripts are files of this server (YASGUI, Swagger
      UI and ReDoc from ``node_modules/``, the site's own from ``wise_kg/api/html/static/``);
      no inline script, no ``eval``.
    * ``style-src 'self' 'unsafe-inline'``: the pages' ``<style>`` blocks, pyLODE's
      ``style`` attributes, and the styles Swagger UI, ReDoc (styled-components) and
      YASGUI write into the page at run time. Styles cannot run code.
    * ``img-src 'self' data:``: the icons of YASGUI, Swagger UI and ReDoc are ``data:``
      URIs, as are pyLODE's and the pages' (empty) favicons.
    * ``connect-src 'self'`` and the public address: YASGUI posts queries to the
      endpoint's public URL (``public_url``), the search box and the API viewers ask
      this server.
    * ``worker-src blob:``: ReDoc runs its search index in a worker it makes from a
      ``blob:`` URL (written by a script already allowed to run); Chromium blocks ReDoc
      without it.
    * ``frame-ancestors 'none'``: no other site may frame a page (clickjacking).
    * ``base-uri 'none'``: no ``<base>`` to send relative URLs elsewhere.
    * ``form-action 'self'`` and the public address: the search and query forms.
    """
    parts = urlsplit(public_url)
    origin = f" {parts.scheme}://{parts.netloc}" if parts.netloc else ""
    return "; ".join(
        (
            "default-src 'none'",
            "script-src 'self'",
            "style-src 'self' 'unsafe-inline'",
            "img-src 'self' data:",
            f"connect-src 'self'{origin}",
            "worker-src blob:",
            "frame-ancestors 'none'",
            "base-uri 'none'",
            f"form-action 'self'{origin}",
        )
    )


class SecurityHeaders:
    """ASGI middleware adding :data:`COMMON` to every answer, and the policy its media
    type calls for."""

    def __init__(self, app: ASGIApp, public_url: str):
        self.app = app
        self.page = (b"content-security-policy", page_policy(public_url).encode())
        self.data = (b"content-security-policy", DATA_POLICY.encode())

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                # A new message: the one passed in may be kept by the replay cache.
                headers = [*message.get("headers", ()), *COMMON, *self._policy(message)]
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)

    def _policy(self, start: Message) -> tuple[tuple[bytes, bytes], ...]:
        """The policy header for an answer, by its media type (none without one)."""
        for name, value in start.get("headers", ()):
            if name.lower() == b"content-type":
                return (self.page,) if value.lower().startswith(PAGES) else (self.data,)
        return ()
