"""Evaluation: one run of the engine, answers within the row and byte caps, never truncated."""

from __future__ import annotations

import time

import pyoxigraph as ox
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from wise_kg.errors import QueryRefused, QuerySyntaxError, ResultTooLarge
from wise_kg.sparql.evaluate import Dataset, Limits, evaluate, most_rows

JSON = ox.QueryResultsFormat.JSON
CSV = ox.QueryResultsFormat.CSV
TURTLE = ox.RdfFormat.TURTLE
ROOMY = 1 << 30


def _store(rows: int, text: str) -> ox.Store:
    store = ox.Store()
    store.extend(
        ox.Quad(
            ox.NamedNode(f"http://example.org/{i}"),
            ox.NamedNode("http://example.org/p"),
            ox.Literal(text),
        )
        for i in range(rows)
    )
    return store


def _run(store: ox.Store, query: str, form: str, fmt, rows: int, size: int = ROOMY) -> bytes:
    return evaluate(store, query, form, fmt, limits=Limits(rows, size), dataset=Dataset())


@pytest.mark.parametrize("text", ["x", "a long literal " * 20], ids=["short", "long"])
def test_at_the_row_cap_answers_and_past_it_refuses(text: str) -> None:
    query = "SELECT ?s ?o WHERE { ?s ?p ?o }"
    assert _run(_store(5, text), query, "SELECT", JSON, 5).count(b'"s":') == 5
    with pytest.raises(ResultTooLarge, match="limit of 5 rows"):
        _run(_store(6, text), query, "SELECT", JSON, 5)


@pytest.mark.timing
@pytest.mark.parametrize("fmt", [JSON, CSV, ox.QueryResultsFormat.XML, ox.QueryResultsFormat.TSV])
def test_huge_answers_are_refused_quickly(fmt: ox.QueryResultsFormat) -> None:
    """The writing stops at the row cap, not at the (here roomy) byte cap: 4 million
    rows were once written whole (7 s) before they were refused."""
    query = "SELECT * WHERE { ?a ?b ?c . ?d ?e ?f }"  # four million rows
    started = time.monotonic()
    with pytest.raises(ResultTooLarge, match="limit of 100 rows"):
        _run(_store(2000, "x"), query, "SELECT", fmt, 100)
    assert time.monotonic() - started < 1.0


def test_a_row_mark_inside_a_value_does_not_refuse_an_answer_within_the_cap() -> None:
    """CSV values may hold line ends: the bound passes the cap, the exact count does not."""
    assert _run(_store(3, "a\nb\nc\nd"), "SELECT ?o WHERE { ?s ?p ?o }", "SELECT", CSV, 3)


@pytest.mark.parametrize(
    "query, form",
    [("CONSTRUCT WHERE { ?s ?p ?o }", "CONSTRUCT"), ("DESCRIBE ?s WHERE { ?s ?p ?o }", "DESCRIBE")],
)
def test_graph_answers_obey_the_row_cap(query: str, form: str) -> None:
    assert _run(_store(5, "x"), query, form, TURTLE, 5).count(b"example.org/p") == 5
    with pytest.raises(ResultTooLarge, match="limit of 5 rows"):
        _run(_store(6, "x"), query, form, TURTLE, 5)


def test_the_byte_cap_stops_a_long_answer() -> None:
    query = "SELECT ?o WHERE { ?s ?p ?o }"
    with pytest.raises(ResultTooLarge, match="limit of 1,000 bytes"):
        _run(_store(20, "a long literal " * 20), query, "SELECT", JSON, 100, 1_000)


def test_a_form_the_engine_reads_otherwise_is_refused() -> None:
    with pytest.raises(QueryRefused, match="reads it otherwise"):
        _run(_store(1, "x"), "ASK { ?s ?p ?o }", "SELECT", JSON, 10)


def test_syntax_errors_say_line_and_column() -> None:
    with pytest.raises(QuerySyntaxError, match="line 1, column 25"):
        _run(_store(1, "x"), "SELECT * WHERE { ?s ?p }", "SELECT", JSON, 10)


@settings(max_examples=60, deadline=None, derandomize=True, database=None)
@given(st.lists(st.text(alphabet=',{}[]"\\\n\r<>/result ab', max_size=12), max_size=8))
def test_the_cheap_row_bound_is_never_below_the_truth(values: list[str]) -> None:
    store = ox.Store()
    store.extend(
        ox.Quad(ox.NamedNode(f"http://e/{i}"), ox.NamedNode("http://e/p"), ox.Literal(v))
        for i, v in enumerate(values)
    )
    for query in ("SELECT ?s ?o WHERE { ?s ?p ?o }", "SELECT ?x WHERE { ?s ?p ?o }"):
        for fmt in (JSON, ox.QueryResultsFormat.XML, ox.QueryResultsFormat.TSV, CSV):
            body = store.query(query).serialize(format=fmt)
            assert most_rows(body, fmt) >= len(values), (query, fmt, body)


def test_csv_answers_over_the_row_cap_are_refused_not_a_failure() -> None:
    with pytest.raises(ResultTooLarge, match="limit of 5 rows"):
        _run(_store(6, "a\\nb"), "SELECT ?s ?o WHERE { ?s ?p ?o }", "SELECT", CSV, 5)
