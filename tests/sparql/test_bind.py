"""Binding saved-query parameters into the text, for any engine: VALUES where WHERE opens."""

from __future__ import annotations

import pyoxigraph as ox

from wise_kg.sparql.bind import bind, where_brace


def test_values_open_the_where_clause_whatever_comes_before() -> None:
    query = (
        "PREFIX ex: <http://example.org/{x}#>  # a comment with WHERE {\n"
        'SELECT ?where ("WHERE {" AS ?s) WHERE { ?where ex:p ?o }'
    )
    at = where_brace(query)
    assert query[at - 6 : at + 1] == "WHERE {"
    bound = bind(query, {ox.Variable("o"): ox.Literal("x", language="en")})
    assert 'WHERE {\n  VALUES (?o) { ("x"@en) }\n ?where' in bound
    assert bind("ASK { ?s ?p ?o }", {ox.Variable("s"): ox.NamedNode("http://a")}).endswith(
        "VALUES (?s) { (<http://a>) }"
    )
