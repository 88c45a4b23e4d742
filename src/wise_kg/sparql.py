"""Safe SPARQL execution over the read-only store.

Every query is parsed first; updates, ``SERVICE`` and ``FROM``/``FROM NAMED``
(which would dereference remote graphs) are refused from the parse tree, never
by searching the text. Answers are serialized by the engine itself.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache

import pyoxigraph as ox
from pyparsing import ParseException
from rdflib.plugins.sparql.parser import parseQuery, parseUpdate
from rdflib.plugins.sparql.parserutils import CompValue

from wise_kg.errors import QueryRefused, QuerySyntaxError, ResultTooLarge
from wise_kg.formats import GRAPH_FORMATS, RESULT_FORMATS, Format, by_name, negotiate

FORMS = {
    "SelectQuery": "SELECT",
    "AskQuery": "ASK",
    "ConstructQuery": "CONSTRUCT",
    "DescribeQuery": "DESCRIBE",
}

READ_ONLY = (
    "This endpoint is read-only: SPARQL Update (INSERT, DELETE, LOAD, CLEAR, CREATE, DROP …) "
    "is not accepted. The graph changes only by editing its Turtle sources and rebuilding."
)


@dataclass(frozen=True)
class QueryInfo:
    """What the parser says of a query: its form and its top-level LIMIT."""

    form: str
    limit: int | None

    @property
    def returns_graph(self) -> bool:
        """CONSTRUCT and DESCRIBE answer with RDF; SELECT and ASK with result sets."""
        return self.form in ("CONSTRUCT", "DESCRIBE")

    def formats(self) -> tuple[Format, ...]:
        """The formats this query form can be answered in."""
        return GRAPH_FORMATS if self.returns_graph else RESULT_FORMATS


def _walk(node: object) -> Iterator[object]:
    """Every parse-tree node below ``node``."""
    yield node
    if isinstance(node, dict):
        for value in node.values():
            yield from _walk(value)
    elif isinstance(node, list | tuple):
        for value in node:
            yield from _walk(value)


@lru_cache(maxsize=1024)
def inspect(query: str) -> QueryInfo:
    """Parse a query and refuse what the read-only endpoint will not run.

    >>> inspect("ASK { ?s ?p ?o }").form
    'ASK'
    """
    try:
        _prologue, body = parseQuery(query)
    except ParseException as err:
        if _is_update(query):
            raise QueryRefused(READ_ONLY) from None
        raise QuerySyntaxError(
            f"SPARQL syntax error at line {err.lineno}, column {err.col}: {err.msg}"
        ) from None
    for node in _walk(body):
        if isinstance(node, CompValue) and node.name == "ServiceGraphPattern":
            raise QueryRefused(
                "SERVICE (federated query) is disabled on this endpoint: "
                "it would make the server fetch from other hosts."
            )
    if "datasetClause" in body:
        raise QueryRefused(
            "FROM / FROM NAMED are not dereferenced by this endpoint; query the graphs it "
            "stores with GRAPH, or select them with default-graph-uri / named-graph-uri."
        )
    # rdflib's CompValue.get() does not honour its default: test membership instead.
    clauses = body["limitoffset"] if "limitoffset" in body else {}  # noqa: SIM401
    limit = clauses["limit"] if "limit" in clauses else None  # noqa: SIM401
    return QueryInfo(FORMS[body.name], int(limit) if limit is not None else None)


def _is_update(text: str) -> bool:
    try:
        parseUpdate(text)
    except ParseException:
        return False
    return True


def _evaluate(store: ox.Store, query: str):
    try:
        return store.query(query, use_default_graph_as_union=True)
    except SyntaxError as err:
        raise QuerySyntaxError(f"SPARQL syntax error: {err}") from None


def answer(store: ox.Store, query: str, fmt: Format, *, result_limit: int) -> bytes:
    """Check, evaluate and serialize a query natively in ``fmt``.

    A SELECT whose own LIMIT is within ``result_limit`` goes straight to the
    engine's writer. Otherwise its rows are counted first, and an answer over
    the limit is refused with :class:`ResultTooLarge`, never truncated.
    """
    info = inspect(query)
    if info.form == "SELECT" and (info.limit is None or info.limit > result_limit):
        rows = sum(1 for _ in zip(_evaluate(store, query), range(result_limit + 1), strict=False))
        if rows > result_limit:
            raise ResultTooLarge(
                f"The query returns more than {result_limit} rows; add a LIMIT "
                f"(at most {result_limit}) or narrow it down."
            )
    result = _evaluate(store, query)
    return result.serialize(format=fmt.engine)


def choose_format(info: QueryInfo, accept: str | None, format_param: str | None) -> Format:
    """The format to answer in: the ``format`` parameter wins, else the Accept header."""
    if format_param:
        return by_name(format_param, info.formats())
    return negotiate(accept, info.formats())
