"""Evaluation: answers written once when short, counted only when long, never truncated."""

from __future__ import annotations

import pyoxigraph as ox
import pytest

from wise_kg.errors import ResultTooLarge
from wise_kg.evaluate import Dataset, evaluate

JSON = ox.QueryResultsFormat.JSON


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


@pytest.mark.parametrize("text", ["x", "a long literal " * 20], ids=["short", "long"])
def test_at_the_limit_answers_and_past_it_refuses(text: str) -> None:
    query = "SELECT ?s ?o WHERE { ?s ?p ?o }"
    answer = evaluate(
        _store(5, text), query, JSON, result_limit=5, count_rows=True, dataset=Dataset()
    )
    assert answer.count(b'"s":') == 5
    with pytest.raises(ResultTooLarge, match="more than 5 rows"):
        evaluate(_store(6, text), query, JSON, result_limit=5, count_rows=True, dataset=Dataset())


def test_huge_answers_are_refused_quickly() -> None:
    store = _store(2000, "x")
    query = "SELECT * WHERE { ?a ?b ?c . ?d ?e ?f }"  # four million rows
    with pytest.raises(ResultTooLarge):
        evaluate(store, query, JSON, result_limit=100, count_rows=True, dataset=Dataset())
