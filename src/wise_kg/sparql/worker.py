"""A query worker's side: the jobs it is sent, and its loop that answers them.

A worker is a process forked from its build's zygote (:mod:`wise_kg.sparql.zygote`);
it confines itself (no network, a memory cap) and then answers one job at a time
over its pipe: one message with the answer's length and first chunk, then the rest
in chunks. The pool (:mod:`wise_kg.sparql.pool`) is the other end.
"""

from __future__ import annotations

import pickle
from dataclasses import dataclass
from functools import cached_property
from multiprocessing.connection import Connection
from typing import Any

from wise_kg import errors
from wise_kg.formats import GRAPH_FORMATS, RESULT_FORMATS, by_name
from wise_kg.sparql.evaluate import Dataset, Limits, evaluate
from wise_kg.sparql.opened import Opened
from wise_kg.sparql.sandbox import cap_memory, forbid_network, network_is_forbidden

#: Bytes of an answer per message on the worker's pipe.
CHUNK = 256 * 1024

#: Errors a worker may report, rebuilt by name in the web process.
REPORTABLE = {
    cls.__name__: cls
    for cls in (
        errors.QuerySyntaxError,
        errors.QueryRefused,
        errors.QueryEvaluationError,
        errors.ResultTooLarge,
        errors.QueryOverMemory,
        errors.QueryFailed,
        errors.StoreUnavailable,
        errors.StoreNotBuilt,
    )
}


@dataclass(frozen=True)
class Job:
    """One query for a worker: text, form, answer format, caps, dataset, bound parameters."""

    query: str
    form: str
    format_name: str
    limits: Limits
    dataset: Dataset
    bindings: tuple[tuple[str, str, str], ...] = ()
    base_iri: str | None = None

    @cached_property
    def encoded(self) -> bytes:
        """The job as sent to a worker; equal jobs encode to equal bytes (an ETag's input).

        Plain tuples, not the dataclasses: pickling those cost 5.7 µs a job against 1.3.
        """
        limits, dataset = tuple(vars(self.limits).values()), tuple(vars(self.dataset).values())
        plain = (self.query, self.form, self.format_name, limits, dataset)
        return pickle.dumps((*plain, self.bindings, self.base_iri), pickle.HIGHEST_PROTOCOL)

    @classmethod
    def decoded(cls, data: bytes) -> Job:
        """The job a worker was sent (:attr:`encoded`)."""
        query, form, format_name, limits, dataset, bindings, base_iri = pickle.loads(data)
        return cls(query, form, format_name, Limits(*limits), Dataset(*dataset), bindings, base_iri)


@dataclass(frozen=True)
class WorkerSettings:
    """A worker's memory cap, and the largest build it copies into memory."""

    memory_bytes: int
    in_memory_quads: int


def serve(conn: Connection, opened: Opened, settings: WorkerSettings, remote: bool) -> None:
    """A worker's loop: confine itself, then answer jobs until the pipe closes."""
    if not remote:  # the embedded store: nothing to reach over the network
        confined = forbid_network() or (
            None if network_is_forbidden() else "the seccomp filter did not take effect"
        )
    else:
        confined = "the worker reaches a remote engine over the network"
    cap_memory(settings.memory_bytes)
    formats = RESULT_FORMATS + GRAPH_FORMATS
    conn.send(("ready", confined))  # store open, confined: it may be given jobs now
    while True:
        try:
            job = Job.decoded(conn.recv_bytes())
        except (EOFError, OSError):
            return
        try:
            store, dataset = opened.for_job(job.dataset)
            body = evaluate(
                store,
                job.query,
                job.form,
                by_name(job.format_name, formats).engine,
                limits=job.limits,
                dataset=dataset,
                bindings=job.bindings,
                base_iri=job.base_iri,
            )
        except tuple(REPORTABLE.values()) as err:
            _send(conn, (type(err).__name__, str(err)))
            continue
        except MemoryError:
            _send(conn, ("QueryOverMemory", over_memory(settings)))
            continue
        except Exception as err:
            _send(conn, ("QueryFailed", f"The query failed unexpectedly: {err}"))
            continue
        _send(conn, ("ok", len(body), body[:CHUNK]))
        for start in range(CHUNK, len(body), CHUNK):
            conn.send_bytes(body[start : start + CHUNK])


def _send(conn: Connection, message: tuple[Any, ...]) -> None:
    """Send a tuple with plain pickle (multiprocessing's own pickler is slower to set up)."""
    conn.send_bytes(pickle.dumps(message, pickle.HIGHEST_PROTOCOL))


def over_memory(settings: WorkerSettings) -> str:
    """The message for a query stopped at its worker's memory cap."""
    return (
        f"The query needed more than the memory limit of a query "
        f"({settings.memory_bytes // 2**20:,} MiB) and was stopped. Narrow it down (fewer or "
        "shorter values, a LIMIT inside subqueries, no GROUP_CONCAT over everything)."
    )
