"""The result comparator itself: its normalisations, blank nodes, multisets and order."""

from __future__ import annotations

import pyoxigraph as ox

from tests.w3c.results import XSD, Answer, difference

A, B = ox.NamedNode("http://example/a"), ox.NamedNode("http://example/b")


def rows(*solutions: dict[str, object], ordered: bool = False) -> Answer:
    """An answer of solutions over the variables they bind."""
    names = frozenset(k for s in solutions for k in s)
    return Answer(variables=names, solutions=list(solutions), ordered=ordered)


def typed(lexical: str, datatype: str) -> ox.Literal:
    return ox.Literal(lexical, datatype=ox.NamedNode(XSD + datatype))


def test_normalisations() -> None:
    """xsd:string ≡ simple literal; language tags ignore case; numeric forms are canonical."""
    assert difference(rows({"x": ox.Literal("s")}), rows({"x": typed("s", "string")})) is None
    assert (
        difference(
            rows({"x": ox.Literal("s", language="en-US")}),
            rows({"x": ox.Literal("s", language="en-us")}),
        )
        is None
    )
    two = rows({"x": typed("2", "decimal")})
    assert difference(rows({"x": typed("2.0", "decimal")}), two) is None
    assert difference(two, rows({"x": typed("2", "integer")}))


def test_blank_nodes_are_relabelled_across_the_whole_result() -> None:
    """Labels may differ, but one label must map to one label in every solution."""
    b1, b2, c = ox.BlankNode("b1"), ox.BlankNode("b2"), ox.BlankNode("c")
    expected = rows({"x": b1, "y": A}, {"x": b1, "y": B})
    assert difference(expected, rows({"x": c, "y": A}, {"x": c, "y": B})) is None
    assert difference(expected, rows({"x": b1, "y": A}, {"x": b2, "y": B}))


def test_multisets_and_order() -> None:
    """Duplicates count; order matters only when the expected answer is ordered."""
    assert difference(rows({"x": A}, {"x": A}), rows({"x": A}))
    assert difference(rows({"x": A}, {"x": B}), rows({"x": B}, {"x": A})) is None
    assert difference(rows({"x": A}, {"x": B}, ordered=True), rows({"x": B}, {"x": A}))


def test_graphs_and_booleans() -> None:
    """Graphs compare by isomorphism; booleans and answer kinds must match."""
    p = ox.NamedNode("http://example/p")
    left = Answer(triples=[ox.Triple(ox.BlankNode("x"), p, A)])
    assert difference(left, Answer(triples=[ox.Triple(ox.BlankNode("y"), p, A)])) is None
    assert difference(left, Answer(triples=[ox.Triple(ox.BlankNode("y"), p, B)]))
    assert difference(Answer(boolean=True), Answer(boolean=False))
    assert difference(Answer(boolean=True), rows({"x": A}))
