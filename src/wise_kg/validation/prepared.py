"""rdflib's SPARQL processor, translating each query text once.

pySHACL evaluates a SPARQL-based constraint once per focus node, through
rdflib, which parses and translates the same text every time: pyparsing was
most of a validation's time. This processor keeps the translated algebra (the
same object rdflib's own ``prepareQuery`` gives for reuse) and evaluates it
with each call's bindings, so the answers are unchanged.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache
from typing import Any

from rdflib import plugin
from rdflib.plugins.sparql.algebra import translateQuery
from rdflib.plugins.sparql.parser import parseQuery
from rdflib.plugins.sparql.processor import SPARQLProcessor
from rdflib.plugins.sparql.sparql import Query
from rdflib.query import Processor


class PreparedProcessor(SPARQLProcessor):
    """A :class:`SPARQLProcessor` that parses and translates a given text only once."""

    def query(  # type: ignore[override]
        self,
        strOrQuery: str | Query,
        initBindings: Mapping[str, Any] | None = None,
        initNs: Mapping[str, Any] | None = None,
        base: str | None = None,
        DEBUG: bool = False,
    ) -> Mapping[str, Any]:
        """Evaluate a query, its text translated once per text, base and namespaces."""
        if isinstance(strOrQuery, str):
            namespaces = tuple(sorted((initNs or {}).items()))
            strOrQuery = _translated(strOrQuery, base, namespaces)
        return super().query(strOrQuery, initBindings, initNs, base, DEBUG)


@lru_cache(maxsize=1024)
def _translated(text: str, base: str | None, namespaces: tuple[tuple[str, Any], ...]) -> Query:
    return translateQuery(parseQuery(text), base, dict(namespaces))


def install() -> None:
    """Make this rdflib's processor for ``Graph.query`` (the name pySHACL asks for)."""
    plugin.register("sparql", Processor, __name__, PreparedProcessor.__name__)
