"""Error types. Each maps once to an HTTP status (API) and an exit code (CLI)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from wise_kg.validation.validate import Report


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
