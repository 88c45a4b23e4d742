"""rdflib's SPARQL processor for pySHACL: each text translated once, targets run by the engine.

pySHACL evaluates a SPARQL-based constraint once per focus node, through rdflib,
which parses and translates the same text every time: pyparsing was most of a
validation's time. This processor keeps the translated algebra (the same object
rdflib's own ``prepareQuery`` gives for reuse) and evaluates it with each call's
bindings, so the answers are unchanged.

A query with nothing bound (a SPARQL-based target: which nodes a shape checks) is
run by pyoxigraph over a copy of the graph instead. rdflib's evaluator makes a
solution object per row: the target "every IRI in subject or object position" took
0.41 s of a 1.4 s build, a few milliseconds in the engine. The copy is made once per
graph, its terms mapped both ways as the graphs pySHACL is given were made
(:func:`~wise_kg.sources.reader.to_rdflib_term`; blank nodes keep their ids); a text
the engine cannot run goes to rdflib as before.
"""

from __future__ import annotations

import weakref
from collections.abc import Mapping
from functools import lru_cache
from typing import Any

import pyoxigraph as ox
from rdflib import Graph, Variable, plugin
from rdflib.plugins.sparql.algebra import translateQuery
from rdflib.plugins.sparql.parser import parseQuery
from rdflib.plugins.sparql.processor import SPARQLProcessor
from rdflib.plugins.sparql.sparql import FrozenDict, Query
from rdflib.query import Processor

from wise_kg.sources.reader import to_engine_term, to_rdflib_term

#: Each graph's copy in the engine, with the graph's size when it was made.
_COPIES: weakref.WeakKeyDictionary[Graph, tuple[int, ox.Store]] = weakref.WeakKeyDictionary()


class PreparedProcessor(SPARQLProcessor):
    """A :class:`SPARQLProcessor` that parses and translates a given text only once, and
    hands queries with nothing bound to pyoxigraph."""

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
            if not initBindings and base is None:
                answer = _by_engine(self.graph, strOrQuery, initNs or {})
                if answer is not None:
                    return answer
            namespaces = tuple(sorted((initNs or {}).items()))
            strOrQuery = _translated(strOrQuery, base, namespaces)
        return super().query(strOrQuery, initBindings, initNs, base, DEBUG)


@lru_cache(maxsize=1024)
def _translated(text: str, base: str | None, namespaces: tuple[tuple[str, Any], ...]) -> Query:
    return translateQuery(parseQuery(text), base, dict(namespaces))


def _by_engine(graph: Graph, text: str, namespaces: Mapping[str, Any]) -> Mapping[str, Any] | None:
    """A SELECT or ASK answered by pyoxigraph, as rdflib's ``evalQuery`` answers it (None:
    the engine cannot run it, or it is another form). ``namespaces`` (rdflib passes the
    graph's own) come first, so the text's own prefixes override them, as in rdflib."""
    prologue = "".join(f"PREFIX {name}: <{iri}>\n" for name, iri in namespaces.items())
    try:
        answer = _copy_of(graph).query(prologue + text)
    except (SyntaxError, OSError, RuntimeError):  # rdflib may know what the engine refuses
        return None
    if isinstance(answer, ox.QueryBoolean):
        return {"type_": "ASK", "askAnswer": bool(answer)}
    if not isinstance(answer, ox.QuerySolutions):
        return None
    names = [Variable(v.value) for v in answer.variables]
    rows = [
        FrozenDict(
            (name, to_rdflib_term(term))
            for name, term in zip(names, solution, strict=True)
            if term is not None
        )
        for solution in answer
    ]
    return {"type_": "SELECT", "bindings": rows, "vars_": names}


def _copy_of(graph: Graph) -> ox.Store:
    """The graph in the engine (made again if the graph has changed size since)."""
    size = len(graph)
    known = _COPIES.get(graph)
    if known is not None and known[0] == size:
        return known[1]
    store = ox.Store()
    store.bulk_extend(
        ox.Quad(to_engine_term(s), to_engine_term(p), to_engine_term(o))  # type: ignore[arg-type]
        for s, p, o in graph.triples((None, None, None))
    )
    _COPIES[graph] = (size, store)
    return store


def install() -> None:
    """Make this rdflib's processor for ``Graph.query`` (the name pySHACL asks for)."""
    plugin.register("sparql", Processor, __name__, PreparedProcessor.__name__)
