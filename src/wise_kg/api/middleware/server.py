"""The HTTP server under the app: uvicorn's httptools protocol, tuned and guarded.

**TCP_NODELAY always set.** With ``serve --workers N`` uvicorn binds the listening socket
itself, without naming its protocol, so asyncio does not recognise accepted connections
as TCP and leaves Nagle's algorithm on: every response then waited ~40 ms for the
client's delayed ACK (measured: 182 req/s instead of 8,000; uvicorn issue #3149).
Setting the option on each connection makes one and N processes behave alike.

**Limits on slow and abusive clients**, enforced as bytes arrive, before uvicorn has
parsed (and kept) a whole request. Unguarded, 1,100 connections sending half a request
each took every file descriptor: other clients timed out, ``/ready`` blamed the build,
and asyncio logged a traceback for each failed ``accept()`` (over half a million in
30 s). Now:

* a request's line and headers must arrive within ``header_timeout`` (408, closed;
  a connection that sent nothing is just closed), and a body may not pause longer
  than ``body_timeout`` (408);
* a request target over :data:`MAX_TARGET_BYTES` is a 414 suggesting POST, and a request
  head over :data:`MAX_HEAD_BYTES` a 431, as soon as the bytes pass the limit;
* past ``max_connections`` (kept well below the open-file limit) a new connection closes
  the one that has waited longest for a request, or is refused with a 503 if every
  connection is busy with one, so descriptors never run out;
* what was cut off is logged once, then summed up at most every :data:`REPORT_SECONDS`:
  never a line, let alone a traceback, per connection.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import resource
import socket
import sys
import weakref
from collections import Counter, OrderedDict
from dataclasses import dataclass
from enum import Enum
from typing import Any

import httptools
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol
from uvicorn.server import ServerState

from wise_kg.api.middleware.guards import MAX_HEADER_BYTES, MAX_HEADERS
from wise_kg.config import Settings

LOG = logging.getLogger(__name__)

#: Longest request target (path and query string) accepted; longer is a 414.
MAX_TARGET_BYTES = 16 * 1024
#: Most bytes of a request head read: the request guard's header limit, plus the request
#: line and the ``: `` and CRLF around each field. More is a 431 at once.
MAX_HEAD_BYTES = MAX_TARGET_BYTES + MAX_HEADER_BYTES + 4 * MAX_HEADERS + 1024
#: Open files kept for everything but client connections (the store, worker pipes, logs).
RESERVED_FILES = 256
#: After an error answer, the rest of the request is read and dropped for this long (and
#: up to :data:`LINGER_BYTES`), so the client reads the answer rather than a reset.
LINGER_SECONDS = 2.0
LINGER_BYTES = 1024 * 1024
#: The scope key of a request's cut-off: ``scope[CUT_OFF](why)`` ends a response part-way.
CUT_OFF = "wise_kg.cut_off"
#: Most bytes of a response held back to leave in one write with what follows.
HELD_BYTES = 64 * 1024
#: Clients cut off are logged at once, then summed up at most this often.
REPORT_SECONDS = 60.0
#: asyncio's message for an ``accept()`` that failed for want of a file descriptor.
ACCEPT_FAILED = "socket.accept() out of system resource"

#: The answers the server gives itself, by status (RFC 9110's reason phrases).
REASONS = {
    400: "Bad Request",
    408: "Request Timeout",
    414: "URI Too Long",
    431: "Request Header Fields Too Large",
    503: "Service Unavailable",
}
TOO_LONG = (
    f"The request target is over {MAX_TARGET_BYTES} bytes. Send long SPARQL queries to "
    "/sparql with POST (the query as the body, Content-Type application/sparql-query, or "
    "as a form), not in the URL."
)


@dataclass(frozen=True)
class Limits:
    """What one connection may take: seconds for a request head and between body pieces,
    and the most connections open at once."""

    header_timeout: float
    body_timeout: float
    max_connections: int


def uvicorn_options(settings: Settings) -> dict[str, Any]:
    """Every uvicorn option ``wise-kg serve`` runs with (the tests' servers use them too).

    Raises this process's open-file limit to its hard limit first (server processes
    started from it inherit that), and keeps the connection cap well below it.
    """
    files = raise_open_file_limit()
    room = max(1, (files - RESERVED_FILES) // 2)  # half for connections kept, half for a burst
    cap = min(settings.max_connections, room)
    if cap < settings.max_connections:
        LOG.warning("max_connections lowered to %d: %d open files are allowed", cap, files)
    limits = Limits(settings.header_timeout, settings.body_timeout, cap)
    proxies = settings.trusted_proxies
    return {
        "host": settings.host,
        "port": settings.port,
        "log_level": "info",
        "access_log": False,  # the app writes its own
        "http": functools.partial(HttpProtocol, limits=limits),
        "loop": f"{__name__}:{event_loop.__name__}",
        "ws": "none",
        "backlog": min(2048, room),  # connections accepted at once, before any is closed
        "timeout_keep_alive": settings.keep_alive_timeout,
        # X-Forwarded-For/-Proto are trusted from the configured proxies only, else no one
        "proxy_headers": bool(proxies),
        **({"forwarded_allow_ips": proxies} if proxies else {}),
    }


def raise_open_file_limit() -> int:
    """Raise the soft limit on open files to the hard one, if allowed; the limit now."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft == resource.RLIM_INFINITY:
        return sys.maxsize
    if hard != resource.RLIM_INFINITY and soft < hard:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
        except (ValueError, OSError):
            return soft
        return hard
    return soft


def event_loop() -> asyncio.AbstractEventLoop:
    """asyncio's selector loop, reporting failed ``accept()`` calls without a traceback each.

    uvloop stays off: its ``add_reader`` broke the query workers' pipes under a browser's
    requests (reproduced, 2 runs of 3).
    """
    loop = asyncio.SelectorEventLoop()
    loop.set_exception_handler(_handle_exception)
    return loop


def _handle_exception(loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
    if context.get("message") == ACCEPT_FAILED:  # asyncio retries a second later
        _report(loop).note(f"not accepted: {context.get('exception')}")
    else:
        loop.default_exception_handler(context)


class _Report:
    """What was done to clients, logged at once and then summed up every REPORT_SECONDS."""

    def __init__(self, loop: asyncio.AbstractEventLoop):
        self.loop = loop
        self.counts: Counter[str] = Counter()
        self.timer: asyncio.TimerHandle | None = None

    def note(self, what: str) -> None:
        """Count one connection ``what`` happened to."""
        self.counts[what] += 1
        if self.timer is None:
            self._log()

    def _log(self) -> None:
        if not self.counts:
            self.timer = None
            return
        summary = "; ".join(f"{count} {what}" for what, count in self.counts.items())
        LOG.warning(
            "connections cut off (since the last such line, at most one in %g s): %s",
            REPORT_SECONDS,
            summary,
        )
        self.counts.clear()
        self.timer = self.loop.call_later(REPORT_SECONDS, self._log)


_REPORTS: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _Report] = (
    weakref.WeakKeyDictionary()
)
#: Per server, its connections waiting for a request head, the longest waiting first.
_WAITING: weakref.WeakKeyDictionary[ServerState, OrderedDict[HttpProtocol, None]] = (
    weakref.WeakKeyDictionary()
)


def _report(loop: asyncio.AbstractEventLoop) -> _Report:
    report = _REPORTS.get(loop)
    if report is None:
        report = _REPORTS[loop] = _Report(loop)
    return report


class Refusal(Exception):
    """A request answered with an error by the server itself, before the app sees it."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status


class _Stage(Enum):
    IDLE = "between requests"
    HEAD = "in a request head"
    BODY = "in a request body"


class OneWrite:
    """The transport responses are written to: the bytes one step of the event loop writes
    leave together, at the end of the step, in one system call.

    uvicorn writes a response's head and its body separately; with Nagle's algorithm off
    each was a TCP segment of its own, and a small answer cost two ``send`` calls here
    and two reads in the client.
    """

    def __init__(self, transport: asyncio.Transport, loop: asyncio.AbstractEventLoop):
        self._transport, self._loop = transport, loop
        self._held: list[bytes] = []
        self._size = 0

    def write(self, data: bytes) -> None:
        """Hold ``data`` until the step ends (or the next close), or write what is held at
        once past :data:`HELD_BYTES`, so that the transport's flow control still sees a
        producer that writes much without yielding."""
        if not self._held:
            self._loop.call_soon(self._flush)
        self._held.append(data)
        self._size += len(data)
        if self._size >= HELD_BYTES:
            self._flush()

    def _flush(self) -> None:
        if self._held:
            data = b"".join(self._held)
            self._held.clear()
            self._size = 0
            self._transport.write(data)

    def close(self) -> None:
        """Write what is held, then close."""
        self._flush()
        self._transport.close()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._transport, name)


class HttpProtocol(HttpToolsProtocol):
    """httptools parsing (several times faster than h11), Nagle's algorithm off, and the
    :class:`Limits` enforced as bytes arrive."""

    def __init__(self, *args: Any, limits: Limits, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.limits = limits
        self.report = _report(self.loop)
        waiting = _WAITING.get(self.server_state)
        if waiting is None:
            waiting = _WAITING[self.server_state] = OrderedDict()
        self.waiting = waiting
        self.stage = _Stage.IDLE
        self.heads = 0  # request heads read whole on this connection
        self.head_bytes = 0  # bytes of the current head read so far (at least)
        self.head_timer: asyncio.TimerHandle | None = None
        self.body_timer: asyncio.TimerHandle | None = None
        self.dropped: int | None = None  # once refused: bytes read and dropped since

    # --- the connection ---------------------------------------------------------------------

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        """Switch Nagle's algorithm off on a new TCP connection, make room for it under the
        connection cap, and wait for its first request."""
        sock = transport.get_extra_info("socket")
        if sock is not None and sock.family in (socket.AF_INET, socket.AF_INET6):
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        super().connection_made(transport)
        self.one_write = OneWrite(transport, self.loop)
        cap = self.limits.max_connections
        if len(self.connections) > cap:
            if not self.waiting:
                self.report.note(f"refused (503) at max_connections ({cap}), all busy")
                self._answer(503, "The server has too many connections; try again.")
                self.transport.close()
                return
            self.report.note(f"closed to make room at max_connections ({cap})")
            next(iter(self.waiting))._close()
        self._await_head()

    def connection_lost(self, exc: Exception | None) -> None:
        """Forget the connection's timers and place in the queue, then let uvicorn clean up."""
        self._stop_timers()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        """Parse ``data``, refusing a request as soon as it passes a limit."""
        if self.dropped is not None:  # refused: the rest of the request is dropped
            self.dropped += len(data)
            if self.dropped > LINGER_BYTES:
                self.transport.close()
            return
        self._unset_keepalive_if_required()
        heads, stage = self.heads, self.stage
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserUpgrade:
            pass  # no WebSockets (``ws: none``): the request was answered as plain HTTP
        except httptools.HttpParserError as error:
            cause = error.__context__
            self._refuse(
                cause if isinstance(cause, Refusal) else Refusal(400, "Invalid HTTP request.")
            )
            return
        if self.heads != heads:  # a head ended; the next one's bytes so far are not counted
            self.head_bytes = 0
        elif stage is not _Stage.BODY:  # every byte was the same head's
            self.head_bytes += len(data)
            if self.head_bytes > MAX_HEAD_BYTES:
                message = f"Request headers over {MAX_HEADER_BYTES} bytes."
                self._refuse(Refusal(431, message))
                return
        if self.stage is _Stage.BODY:
            self._restart_body_timer()
        elif self.body_timer is not None:
            self.body_timer.cancel()
            self.body_timer = None

    # --- parser callbacks -------------------------------------------------------------------

    def on_message_begin(self) -> None:
        """A request begins."""
        self.stage = _Stage.HEAD
        super().on_message_begin()

    def on_url(self, url: bytes) -> None:
        """Another piece of the request target: a 414 once it is too long."""
        super().on_url(url)
        if len(self.url) > MAX_TARGET_BYTES:
            raise Refusal(414, TOO_LONG)

    def on_headers_complete(self) -> None:
        """The head is whole: no more waiting for it; the request goes to the app, which
        writes its response through :class:`OneWrite`."""
        self.stage, self.heads = _Stage.BODY, self.heads + 1
        self._stop_waiting()
        super().on_headers_complete()
        self.cycle.transport = self.one_write
        # This request's own cycle (a pipelined request replaces ``self.cycle`` while the
        # answer before it is still being sent), held weakly: a strong reference from its
        # scope would make every request a reference loop (cached lookups' p99 1.3 → 21 ms).
        cycle = weakref.ref(self.cycle)
        self.cycle.scope[CUT_OFF] = functools.partial(self._cut_off, cycle)  # type: ignore[index]

    def on_message_complete(self) -> None:
        """The request is whole."""
        self.stage = _Stage.IDLE
        super().on_message_complete()

    def on_response_complete(self) -> None:
        """Answered: start the next pipelined request, or wait for a new one."""
        super().on_response_complete()
        if not self.transport.is_closing() and self.cycle.response_complete:
            self._await_head()

    # --- limits -----------------------------------------------------------------------------

    def _await_head(self) -> None:
        """Wait for a request head: at most ``header_timeout``, last in the queue to close."""
        self._stop_waiting()
        self.waiting[self] = None
        self.head_timer = self.loop.call_later(self.limits.header_timeout, self._head_late)

    def _stop_waiting(self) -> None:
        self.waiting.pop(self, None)
        if self.head_timer is not None:
            self.head_timer.cancel()
            self.head_timer = None

    def _stop_timers(self) -> None:
        self._stop_waiting()
        if self.body_timer is not None:
            self.body_timer.cancel()
            self.body_timer = None

    def _restart_body_timer(self) -> None:
        if self.body_timer is not None:
            self.body_timer.cancel()
        self.body_timer = self.loop.call_later(self.limits.body_timeout, self._body_late)

    def _head_late(self) -> None:
        self.head_timer = None
        seconds = self.limits.header_timeout
        self.report.note(f"sent no whole request head in header_timeout ({seconds:g} s)")
        if self.stage is _Stage.HEAD:
            message = f"The request line and headers took over {seconds:g} s."
            self._refuse(Refusal(408, message), noted=True)
        else:
            self._close()

    def _body_late(self) -> None:
        self.body_timer = None
        if self.flow.read_paused:  # the app has not taken what came: not the client's delay
            self._restart_body_timer()
            return
        seconds = self.limits.body_timeout
        self.report.note(f"paused a request body over body_timeout ({seconds:g} s)")
        message = f"The request body paused for over {seconds:g} s."
        self._refuse(Refusal(408, message), noted=True)

    def _close(self) -> None:
        self._stop_timers()
        self.transport.close()

    def _cut_off(self, cycle: weakref.ref[Any], why: str) -> None:
        """End ``cycle``'s response part-way (the client sees a short body): noted once in
        the summary line, without uvicorn's traceback or "returned without completing"
        error. What is left in the send buffer goes out if the client reads it within
        LINGER_SECONDS; then the connection is dropped, read or not."""
        request = cycle()
        if request is None or request.disconnected:  # the client had gone already
            return
        request.disconnected = True
        self.report.note(why)
        self.transport.close()
        self.loop.call_later(LINGER_SECONDS, self.transport.abort)

    def _refuse(self, refusal: Refusal, noted: bool = False) -> None:
        """Answer ``refusal`` and close; meanwhile read and drop what the client still sends
        (for at most LINGER_SECONDS or LINGER_BYTES), so it reads the answer, not a reset."""
        if not noted:
            self.report.note(f"refused with {refusal.status}")
        self._stop_timers()
        if self.transport.is_closing():
            return
        cycle = self.cycle
        if cycle is not None and not cycle.response_complete:
            if cycle.response_started:  # an answer is under way: it cannot be replaced
                self.transport.close()
                return
            cycle.disconnected = True  # the app sees a client that left
            cycle.message_event.set()
        self._answer(refusal.status, str(refusal))
        self.transport.write_eof()
        self.dropped = 0
        self.flow.resume_reading()
        self.loop.call_later(LINGER_SECONDS, self.transport.close)
        self.waiting[self] = None
        self.waiting.move_to_end(self, last=False)  # the first to go if room is needed

    def _answer(self, status: int, message: str) -> None:
        body = (message + "\n").encode()
        head = b"content-type: text/plain; charset=utf-8\r\nconnection: close\r\n"
        length = b"content-length: %d\r\n\r\n" % len(body)
        status_line = f"HTTP/1.1 {status} {REASONS[status]}\r\n".encode()
        self.transport.write(status_line + head + length + body)
