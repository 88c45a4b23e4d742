"""Evaluating a checked query and serializing its answer with the engine alone.

Kept free of rdflib and the web stack so a worker process imports it quickly.
"""

from __future__ import annotations

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

    With ``count_rows`` the solutions are counted first and an answer over
    ``result_limit`` rows is refused with :class:`ResultTooLarge` (never
    truncated); then the query runs again straight into the engine's writer.
    """
    options = dataset.engine_options()
    options["base_iri"] = base_iri
    if bindings:
        options["substitutions"] = {ox.Variable(v): term(k, value) for v, k, value in bindings}
    try:
        if count_rows:
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


def _query(store: ox.Store, query: str, options: dict[str, object]):
    try:
        return store.query(query, **options)
    except SyntaxError as err:
        raise QuerySyntaxError(f"SPARQL syntax error: {err}") from None
