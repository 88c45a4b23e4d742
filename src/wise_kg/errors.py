"""Every error wise-kg reports: each maps once to an HTTP status (API) and an exit code (CLI).

Three private exceptions stay beside the code whose control flow they carry and never
reach a user: ``sparql.pool._WorkerLost`` (retried), ``sparql.evaluate._TooLong`` (turned
into :class:`ResultTooLarge`) and ``api.middleware.server.Refusal`` (turned into a 4xx).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from wise_kg.validation.report import Report


class WiseKgError(Exception):
    """Base of every error wise-kg reports to a user."""

    http_status = 500
    exit_code = 2


class SourceSyntaxError(WiseKgError):
    """A source file does not parse; names file, line and column."""

    exit_code = 2

    def __init__(self, path: Path, line: int | None, column: int | None, message: str):
        self.path, self.line, self.column, self.message = path, line, column, message
        where = f"{path}:{line}:{column}" if line is not None else str(path)
        super().__init__(f"{where}: {message}")


class SourceMissingError(WiseKgError):
    """A source folder the build needs is absent or empty."""


class ShapesError(WiseKgError):
    """The shapes themselves cannot be run (a broken SPARQL constraint, say)."""


class ValidationFailed(WiseKgError):
    """The sources break the shapes; carries the report."""

    exit_code = 1

    def __init__(self, report: Report, summary: str):
        self.report = report
        super().__init__(summary)


class StoreNotBuilt(WiseKgError):
    """No store has been built at the configured path."""

    http_status = 503


class StoreUnavailable(WiseKgError):
    """The remote SPARQL engine is down, slow or refusing us; the request may be retried."""

    http_status = 503


class StoreWriteError(WiseKgError):
    """A new build could not be written (disk full, read-only folder …)."""

    exit_code = 2


class QuerySyntaxError(WiseKgError):
    """The SPARQL text does not parse; the message has the parser's position."""

    http_status = 400
    exit_code = 2


class QueryRefused(WiseKgError):
    """A well-formed request the read-only endpoint will not run (update, SERVICE …)."""

    http_status = 400
    exit_code = 2


class QueryTimeout(WiseKgError):
    """A query ran past the time limit and was stopped."""

    http_status = 503
    exit_code = 2


class RequestTimeout(WiseKgError):
    """The request took the whole time limit to arrive (a body sent slowly): no query was
    started, and no worker stopped for it."""

    http_status = 408
    exit_code = 2


class QueryEvaluationError(WiseKgError):
    """The engine parsed the query but cannot evaluate it (an unknown function, say)."""

    http_status = 400
    exit_code = 2


class QueryFailed(WiseKgError):
    """The worker evaluating a query died; it has been replaced."""

    http_status = 503
    exit_code = 2


class ResultTooLarge(WiseKgError):
    """A query's answer is over the row or byte cap; nothing is truncated silently.

    400, not 413 (which is about the request): SPARQLWrapper shows a 400's message to
    its user, where any other 4xx reaches them as a bare status line.
    """

    http_status = 400
    exit_code = 2


class QueryOverMemory(WiseKgError):
    """A query needed more memory than a worker may use; the worker was replaced."""

    http_status = 400
    exit_code = 2


class ServerBusy(WiseKgError):
    """Every query worker is busy and the queue is full: try again shortly."""

    http_status = 503
    exit_code = 2
    retry_after = 1


class ClientGone(WiseKgError):
    """The client left before its answer was ready; its query was stopped."""

    http_status = 499


class NotAcceptable(WiseKgError):
    """No offered media type satisfies the request's Accept header."""

    http_status = 406

    def __init__(self, offered: list[str], form: str | None = None):
        self.offered = offered
        super().__init__(
            (
                f"That format does not fit a {form} query, which is answered in: "
                if form
                else "None of the requested media types is offered. Offered: "
            )
            + ", ".join(offered)
        )


# --- saved queries ------------------------------------------------------------


class UnknownQuery(WiseKgError):
    """No saved query has that name."""

    http_status = 404


class BadParameter(WiseKgError):
    """A parameter is missing, unknown or not of its type."""

    http_status = 400


# --- ESCO files ---------------------------------------------------------------


class EscoFileError(WiseKgError):
    """An ESCO file that cannot be read; names the file and the row."""

    exit_code = 2

    def __init__(self, path: Path, row: int | None, message: str):
        self.path, self.row = path, row
        where = f"{path}, row {row}" if row is not None else str(path)
        super().__init__(f"{where}: {message}")


# --- releases -----------------------------------------------------------------


class BadVersion(WiseKgError):
    """VERSION is not X.Y.Z, or that release already exists."""


class ReleaseFailed(WiseKgError):
    """A check failed; carries the stage and its full report. Nothing was written."""

    exit_code = 1

    def __init__(self, stage: str, report: Report):
        self.stage, self.report = stage, report
        super().__init__(
            f"the {stage} check failed with {len(report.violations)} violation(s); "
            "nothing was written to dist/"
        )


class NotAVersion(WiseKgError):
    """A path that is neither a release folder, a built store nor an RDF file."""


class BadTarget(WiseKgError):
    """The server's public address cannot be written into redirect rules."""


# --- HTTP requests ------------------------------------------------------------


class NotFound(WiseKgError):
    """No resource has that IRI."""

    http_status = 404


class Unauthorized(WiseKgError):
    """A protected (non-read) route called without the configured bearer token."""

    http_status = 401


class BadEscoUri(WiseKgError):
    """The ``uri`` parameter is not an ESCO concept's URI."""

    http_status = 400


class BodyTooLarge(WiseKgError):
    """A request body over the configured limit."""

    http_status = 413


class UnsupportedMediaType(WiseKgError):
    """A POST body whose media type the protocol does not define for queries."""

    http_status = 415
