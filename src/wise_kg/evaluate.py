"""Evaluating a checked query and serializing its answer with the engine alone.

Kept free of rdflib and the web stack so a worker process imports it quickly.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

import pyoxigraph as ox

from wise_kg.errors import QueryEvaluationError, QuerySyntaxError, ResultTooLarge


@dataclass(frozen=True)
class Dataset:
    """The dataset a query runs over.

    ``explicit``: the protocol named the graphs (``default-graph-uri`` /
    ``named-graph-uri``); otherwise the query's FROM clauses, or the store's
    default graph (``union``: the union of every stored graph).
    """

    default_graphs: tuple[str, ...] = ()
    named_graphs: tuple[str, ...] = ()
    explicit: bool = False
    union: bool = False

    def engine_options(self) -> dict[str, object]:
        """Keyword arguments for :meth:`pyoxigraph.Store.query`."""
        if self.explicit:
            return {
                "default_graph": [ox.NamedNode(g) for g in self.default_graphs],
                "named_graphs": [ox.NamedNode(g) for g in self.named_graphs],
            }
        return {"use_default_graph_as_union": True} if self.union else {}


XSD = "http://www.w3.org/2001/XMLSchema#"


def term(kind: str, value: str) -> ox.NamedNode | ox.Literal:
    """The RDF term of a parameter value: an IRI, a typed literal or a language string."""
    if kind == "iri":
        return ox.NamedNode(value)
    if kind in ("integer", "decimal"):
        return ox.Literal(value, datatype=ox.NamedNode(XSD + kind))
    if kind == "string":
        return ox.Literal(value)
    return ox.Literal(value, language=kind)


def evaluate(
    store: ox.Store,
    query: str,
    engine_format: ox.RdfFormat | ox.QueryResultsFormat,
    *,
    result_limit: int,
    count_rows: bool,
    dataset: Dataset,
    bindings: tuple[tuple[str, str, str], ...] = (),
    base_iri: str | None = None,
) -> bytes:
    """Run a query and serialize its answer natively.

    With ``count_rows``, the answer is written once when it is short enough to be
    surely within ``result_limit`` rows; a longer one has its rows counted first, and
    one over the limit is refused with :class:`ResultTooLarge` (never truncated).
    """
    options = dataset.engine_options()
    options["base_iri"] = base_iri
    if bindings:
        options["substitutions"] = {ox.Variable(v): term(k, value) for v, k, value in bindings}
    try:
        if not count_rows:
            return _query(store, query, options).serialize(format=engine_format)
        # Every row takes at least 3 bytes in any results format, so an answer that fits
        # in 3 bytes a row is within the limit: write it once, stopping if it grows past.
        short = _Bounded(3 * result_limit)
        try:
            _query(store, query, options).serialize(short, format=engine_format)
            return bytes(short.data)
        except _TooLong:
            pass
        solutions = _query(store, query, options)
        rows = sum(1 for _ in zip(solutions, range(result_limit + 1), strict=False))
        if rows > result_limit:
            raise ResultTooLarge(
                f"The query returns more than {result_limit} rows; add a LIMIT "
                f"(at most {result_limit}) or narrow it down."
            )
        return _query(store, query, options).serialize(format=engine_format)
    except RuntimeError as err:  # the engine's evaluation errors (unknown function …)
        raise QueryEvaluationError(f"The query cannot be evaluated: {err}") from None


class _TooLong(Exception):
    """Raised by :class:`_Bounded` to stop the engine's writer early."""


class _Bounded(io.RawIOBase):
    """A write-only buffer that refuses to grow past ``cap`` bytes."""

    def __init__(self, cap: int):
        super().__init__()
        self.data, self.cap = bytearray(), cap

    def writable(self) -> bool:
        return True

    def write(self, chunk: bytes) -> int:  # type: ignore[override]
        self.data += chunk
        if len(self.data) > self.cap:
            raise _TooLong
        return len(chunk)


def _query(store: ox.Store, query: str, options: dict[str, object]):
    try:
        return store.query(query, **options)
    except SyntaxError as err:
        raise QuerySyntaxError(f"SPARQL syntax error: {err}") from None
