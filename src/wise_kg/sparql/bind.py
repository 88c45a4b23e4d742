"""Parameters bound into a query's text, for engines the protocol gives no other way to.

The SPARQL protocol has no parameters, so a saved query's parameters travel as a
``VALUES`` block opening its WHERE clause, found with admission's lexer (the one
reading of a query text wise-kg has). Terms are written by the engine's own term
types, so a value can never change the query around it.

>>> where_brace('SELECT * WHERE { ?s <urn:where{> "WHERE {" }')
15
>>> where_brace("ASK {}") is None
True
"""

from __future__ import annotations

from typing import Any

import pyoxigraph as ox

from wise_kg.sparql.admission import tokens


def bind(query: str, values: dict[ox.Variable, Any]) -> str:
    """``query`` with variables bound by a ``VALUES`` block opening its WHERE clause
    (or, when it has no ``WHERE`` keyword, one trailing ``VALUES`` clause)."""
    variables = " ".join(str(v) for v in values)
    row = " ".join(str(t) for t in values.values())
    at = where_brace(query)
    if at is None:
        return f"{query}\nVALUES ({variables}) {{ ({row}) }}"
    return query[: at + 1] + f"\n  VALUES ({variables}) {{ ({row}) }}\n" + query[at + 1 :]


def where_brace(query: str) -> int | None:
    """The offset of the ``{`` that opens the WHERE clause, or None without ``WHERE``."""
    seen_where = False
    for token in tokens(query):
        if token.kind == "word" and token.text.upper() == "WHERE":
            seen_where = True
        elif seen_where and token.kind == "punct" and token.text == "{":
            return token.start
    return None
