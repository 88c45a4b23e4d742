"""Evaluating an admitted query once, and writing its answer within the row and byte caps.

Kept free of rdflib and the web stack so a worker process imports it quickly.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from itertools import islice

import pyoxigraph as ox

from wise_kg.errors import QueryEvaluationError, QueryRefused, QuerySyntaxError, ResultTooLarge
from wise_kg.namespaces import XSD

GRAPH_FORMS = frozenset({"CONSTRUCT", "DESCRIBE"})


def answer_form(answer: object) -> str:
    """The form an engine's answer is of: SELECT, ASK, or GRAPH for CONSTRUCT and DESCRIBE."""
    if isinstance(answer, ox.QuerySolutions):
        return "SELECT"
    return "ASK" if isinstance(answer, ox.QueryBoolean) else "GRAPH"


@dataclass(frozen=True)
class Dataset:
    """The dataset a query runs over.

    ``explicit``: the graphs are given, by the protocol (``default-graph-uri`` /
    ``named-graph-uri``), by the query's FROM and FROM NAMED, or as the union of the
    published graphs; otherwise the store's default graph (``union``: the union of every
    stored graph).
    """

    default_graphs: tuple[str, ...] = ()
    named_graphs: tuple[str, ...] = ()
    explicit: bool = False
    union: bool = False
    #: With ``explicit``: the default graph is the store's own (a merge made for this
    #: dataset), whatever the query's FROM says.
    own_default: bool = False
    #: The default graph is the published graphs and no named graph is read: a worker
    #: holding their RDF merge as a store of its own may answer from that.
    merge: bool = False

    def engine_options(self) -> dict[str, object]:
        """Keyword arguments for :meth:`pyoxigraph.Store.query`."""
        if self.explicit:
            default = [ox.NamedNode(g) for g in self.default_graphs]
            return {
                "default_graph": ox.DefaultGraph() if self.own_default else default,
                "named_graphs": [ox.NamedNode(g) for g in self.named_graphs],
            }
        return {"use_default_graph_as_union": True} if self.union else {}


@dataclass(frozen=True)
class Limits:
    """How much one answer may hold: rows (solutions or triples) and bytes."""

    rows: int
    bytes: int


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
    form: str,
    engine_format: ox.RdfFormat | ox.QueryResultsFormat,
    *,
    limits: Limits,
    dataset: Dataset,
    bindings: tuple[tuple[str, str, str], ...] = (),
    base_iri: str | None = None,
) -> bytes:
    """Run a query once and serialize its answer natively, within ``limits``.

    The engine's answer must be of the form admission read (else the query is
    refused: the two readings disagree). Triples are taken up to one past the row
    cap. A result set is written up to the byte cap, its rows bounded from above as
    the bytes come (:func:`most_rows`): the writing stops as soon as that bound passes
    the row cap, and the rows are then counted exactly (the query run once more, up to
    one row past the cap). An answer over a cap is refused with :class:`ResultTooLarge`,
    never truncated.
    """
    options = dataset.engine_options()
    options["base_iri"] = base_iri
    if bindings:
        options["substitutions"] = {ox.Variable(v): term(k, value) for v, k, value in bindings}
    try:
        try:
            answer = store.query(query, **options)
        except SyntaxError as err:
            raise QuerySyntaxError(syntax_message(str(err))) from None
        read = answer_form(answer)
        if read != ("GRAPH" if form in GRAPH_FORMS else form):
            raise QueryRefused(
                f"The query was read as a {form} query but the engine reads it otherwise; "
                "it is refused rather than guessed at."
            )
        if read == "GRAPH":  # the embedded engine's QueryTriples, or a remote engine's triples
            out = _Bounded(limits)
            triples = list(islice(answer, limits.rows + 1))
            if len(triples) > limits.rows:
                raise ResultTooLarge(out.too_many_rows())
            ox.serialize(triples, out, format=engine_format)
            return bytes(out.data)
        out = _Bounded(limits, _ROW_MARKS.get(engine_format) if read == "SELECT" else None)
        try:
            answer.serialize(out, format=engine_format)
        except _OverRows:
            if _more_rows_than(store, query, options, limits.rows):
                raise ResultTooLarge(out.too_many_rows()) from None
            out = _Bounded(limits)  # the bound counted marks inside values: write it all
            store.query(query, **options).serialize(out, format=engine_format)
        return bytes(out.data)
    except _TooLong:
        # Say which cap: a result set is counted (once more, only on this error path).
        over_rows = form == "SELECT" and _more_rows_than(store, query, options, limits.rows)
        raise ResultTooLarge(out.too_many_rows() if over_rows else out.too_many_bytes()) from None
    except (RuntimeError, OSError) as err:  # the engine's evaluation errors (unknown function …)
        raise QueryEvaluationError(f"The query cannot be evaluated: {err}") from None


def most_rows(body: bytes, engine_format: ox.QueryResultsFormat) -> int:
    """An upper bound of the rows in a result set the engine wrote, by counting bytes.

    JSON: a row after the first starts with ``,{"`` (``,{}`` when nothing is bound), and
    a quote inside a string is always escaped, so only ``,{}`` can also stand in a value
    (counted too: the bound is never below the truth). XML: ``<result>``, whose ``<``
    a value cannot hold. CSV and TSV: line ends (a CSV value may hold more).

    >>> most_rows(b'{"head":{"vars":["a"]},"results":{"bindings":[{"a":{}},{"a":{}}]}}',
    ...           ox.QueryResultsFormat.JSON)
    2
    """
    marks = _ROW_MARKS[engine_format]
    return max(marks.first + marks.count(body, 0), 0)


@dataclass(frozen=True)
class _RowMarks:
    """The byte strings that start a row in a result format, and what to add to their count."""

    marks: tuple[bytes, ...]
    first: int

    def count(self, data: bytearray | bytes, since: int) -> int:
        """The marks in ``data`` that end after ``since`` (each counted once across writes)."""
        return sum(data.count(mark, max(since - len(mark) + 1, 0)) for mark in self.marks)


_ROW_MARKS = {
    ox.QueryResultsFormat.JSON: _RowMarks((b',{"', b",{}", b"[{"), 0),
    ox.QueryResultsFormat.XML: _RowMarks((b"<result>",), 0),
    ox.QueryResultsFormat.CSV: _RowMarks((b"\n",), -1),
    ox.QueryResultsFormat.TSV: _RowMarks((b"\n",), -1),
}


def _more_rows_than(store: ox.Store, query: str, options: dict[str, object], rows: int) -> bool:
    solutions = store.query(query, **options)
    return sum(1 for _ in islice(solutions, rows + 1)) > rows  # type: ignore[arg-type]


def syntax_message(engine_message: str) -> str:
    """The engine's syntax error, its position said as line and column.

    >>> syntax_message("error at 1:25: expected one of LATERAL, SERVICE")
    'SPARQL syntax error at line 1, column 25: expected one of LATERAL, SERVICE'
    """
    found = _POSITION.match(engine_message)
    if found is None:
        return f"SPARQL syntax error: {engine_message}"
    return f"SPARQL syntax error at line {found[1]}, column {found[2]}: {found[3]}"


_POSITION = re.compile(r"error at (\d+):(\d+): (.*)", re.DOTALL)


class _TooLong(Exception):
    """Raised by :class:`_Bounded` to stop the engine's writer early."""


class _OverRows(Exception):
    """Raised by :class:`_Bounded` when what was written may hold more rows than the cap."""


class _Bounded(io.RawIOBase):
    """A write-only buffer that refuses to grow past the byte cap, and, given a format's
    row marks, stops once the rows written may be more than the row cap."""

    def __init__(self, limits: Limits, rows: _RowMarks | None = None):
        super().__init__()
        self.data, self.limits, self.rows = bytearray(), limits, rows
        self._marks = 0 if rows is None else rows.first
        self._counted = 0  # where the next count starts (a mark may straddle two writes)

    def writable(self) -> bool:
        return True

    def write(self, chunk: bytes) -> int:  # type: ignore[override]
        if len(self.data) + len(chunk) > self.limits.bytes:
            raise _TooLong
        self.data += chunk
        if self.rows is not None:
            self._marks += self.rows.count(self.data, self._counted)
            self._counted = len(self.data)
            if self._marks > self.limits.rows:
                raise _OverRows
        return len(chunk)

    def too_many_rows(self) -> str:
        """The message for an answer over the row cap."""
        return (
            f"The answer is over this endpoint's limit of {self.limits.rows:,} rows. "
            f"Add a LIMIT (at most {self.limits.rows:,}) or narrow the query down; "
            "page through longer answers with LIMIT and OFFSET."
        )

    def too_many_bytes(self) -> str:
        """The message for an answer over the byte cap."""
        return (
            f"The answer is over this endpoint's limit of {self.limits.bytes:,} bytes. "
            "Select fewer or shorter values (long GROUP_CONCATs, whole literals), "
            "or add a LIMIT."
        )
