"""Query answers read from files or responses, normalised and compared.

An :class:`Answer` is a boolean, a sequence of solutions or a graph. Two answers
are compared after three normalisations (HARNESS-NOTES §4): ``"x"^^xsd:string``
is ``"x"`` (pyoxigraph already makes them one term), language tags are
lower-cased, and xsd:integer / decimal / float / double lexical forms are made
canonical by a round trip through a pyoxigraph store (``"2.0"^^xsd:decimal`` →
``"2"``), as Oxigraph's own runner does. Solutions are compared as a multiset,
in order only when ``ordered`` is set (``rs:index`` in the expected file, or
the caller knows the query orders its results); blank nodes are
matched by graph isomorphism (rdflib) whenever either side has one.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import pyoxigraph as ox
import rdflib
from rdflib.compare import isomorphic

XSD = "http://www.w3.org/2001/XMLSchema#"
RS = "http://www.w3.org/2001/sw/DataAccess/tests/result-set#"
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
NUMERIC = frozenset(XSD + t for t in ("integer", "decimal", "float", "double"))
PLAIN = frozenset((XSD + "string", "http://www.w3.org/1999/02/22-rdf-syntax-ns#langString"))

#: Result-set media types and file extensions → pyoxigraph's parser format.
RESULTS_MEDIA = {
    "application/sparql-results+json": ox.QueryResultsFormat.JSON,
    "application/sparql-results+xml": ox.QueryResultsFormat.XML,
    "text/tab-separated-values": ox.QueryResultsFormat.TSV,
    "text/csv": ox.QueryResultsFormat.CSV,
}
RESULTS_EXTENSIONS = {
    "srj": ox.QueryResultsFormat.JSON,
    "srx": ox.QueryResultsFormat.XML,
    "tsv": ox.QueryResultsFormat.TSV,
}

Solution = dict[str, object]


@dataclass
class Answer:
    """One query answer: exactly one of ``boolean``, ``solutions`` or ``triples`` is set."""

    boolean: bool | None = None
    variables: frozenset[str] = frozenset()
    solutions: list[Solution] | None = None
    triples: list[ox.Triple] | None = None
    ordered: bool = False

    @property
    def kind(self) -> str:
        """``boolean``, ``solutions`` or ``graph``."""
        if self.boolean is not None:
            return "boolean"
        return "solutions" if self.solutions is not None else "graph"


# --- reading -------------------------------------------------------------------------


def from_results(results: object) -> Answer:
    """An answer from pyoxigraph query results (parsed or evaluated)."""
    if isinstance(results, ox.QueryBoolean):
        return Answer(boolean=bool(results))
    if isinstance(results, ox.QuerySolutions):
        names = [v.value for v in results.variables]
        solutions = [
            {n: s[n] for n in names if s[n] is not None}
            for s in results  # type: ignore[attr-defined]
        ]
        return Answer(variables=frozenset(names), solutions=solutions)
    return Answer(triples=list(results))  # type: ignore[call-overload]


def from_response(body: bytes, content_type: str) -> Answer:
    """An answer from an HTTP response body, read according to its media type."""
    media = content_type.split(";")[0].strip().lower()
    if media in RESULTS_MEDIA:
        return from_results(ox.parse_query_results(body, RESULTS_MEDIA[media]))
    rdf_format = ox.RdfFormat.from_media_type(media)
    if rdf_format is None:
        raise ValueError(f"unexpected media type {content_type!r}")
    return Answer(triples=[q.triple for q in ox.parse(body, rdf_format)])


def from_file(iri: str, path: Path) -> Answer:
    """An expected answer from a result file (SRX, SRJ, TSV, or RDF: graph or DAWG result set)."""
    extension = path.suffix.lstrip(".")
    if extension in RESULTS_EXTENSIONS:
        return from_results(ox.parse_query_results(path=path, format=RESULTS_EXTENSIONS[extension]))
    rdf_format = ox.RdfFormat.from_extension(extension)
    triples = [q.triple for q in ox.parse(path=path, format=rdf_format, base_iri=iri)]
    result_set = ox.NamedNode(RS + "ResultSet")
    heads = [t.subject for t in triples if t.predicate.value == RDF_TYPE and t.object == result_set]
    return _dawg_result_set(triples, heads[0]) if heads else Answer(triples=triples)


def _dawg_result_set(triples: list[ox.Triple], head: object) -> Answer:
    """Read a DAWG ``rs:ResultSet`` (rs:solution / rs:binding / rs:index / rs:boolean)."""
    props: dict[object, dict[str, list[object]]] = {}
    for t in triples:
        props.setdefault(t.subject, {}).setdefault(t.predicate.value, []).append(t.object)

    def get(node: object, name: str) -> list:
        return props.get(node, {}).get(RS + name, [])

    if get(head, "boolean"):
        return Answer(boolean=get(head, "boolean")[0].value == "true")
    rows = []
    for solution in get(head, "solution"):
        row = {get(b, "variable")[0].value: get(b, "value")[0] for b in get(solution, "binding")}
        index = get(solution, "index")
        rows.append((int(index[0].value) if index else None, row))
    ordered = any(i is not None for i, _ in rows)
    if ordered:
        rows.sort(key=lambda r: r[0] if r[0] is not None else 0)
    variables = frozenset(v.value for v in get(head, "resultVariable"))
    return Answer(variables=variables, solutions=[r for _, r in rows], ordered=ordered)


# --- normalising ---------------------------------------------------------------------

_SCRATCH = ox.Store()
_S, _P = ox.NamedNode("urn:x-w3c:s"), ox.NamedNode("urn:x-w3c:p")


@cache
def normalise(term: object) -> object:
    """The term with a lower-case language tag and a canonical numeric lexical form."""
    if not isinstance(term, ox.Literal):
        return term
    if term.language:
        return ox.Literal(term.value, language=term.language.lower())
    if term.datatype.value in NUMERIC:
        _SCRATCH.clear()
        _SCRATCH.add(ox.Quad(_S, _P, term))
        return next(iter(_SCRATCH)).object
    return term


def _has_bnode(terms: object) -> bool:
    return any(isinstance(t, ox.BlankNode) for t in terms)  # type: ignore[attr-defined]


def _to_rdflib(term: object) -> rdflib.term.Node:
    if isinstance(term, ox.NamedNode):
        return rdflib.URIRef(term.value)
    if isinstance(term, ox.BlankNode):
        return rdflib.BNode(term.value)
    assert isinstance(term, ox.Literal), term
    if term.language:
        return rdflib.Literal(term.value, lang=term.language)
    datatype = None if term.datatype.value in PLAIN else rdflib.URIRef(term.datatype.value)
    return rdflib.Literal(term.value, datatype=datatype, normalize=False)


def _solutions_graph(answer: Answer) -> rdflib.Graph:
    """The DAWG result-set encoding of solutions, for isomorphism with blank nodes."""
    rs = rdflib.Namespace(RS)
    graph = rdflib.Graph()
    for index, solution in enumerate(answer.solutions or []):
        node = rdflib.BNode()
        graph.add((node, rdflib.RDF.type, rs.Solution))
        if answer.ordered:
            graph.add((node, rs["index"], rdflib.Literal(index)))
        for name, value in solution.items():
            binding = rdflib.BNode()
            graph.add((node, rs.binding, binding))
            graph.add((binding, rs.variable, rdflib.Literal(name)))
            graph.add((binding, rs.value, _to_rdflib(normalise(value))))
    return graph


# --- comparing -----------------------------------------------------------------------


def _sample(items: object, limit: int = 5) -> str:
    shown = [str(i) for i in items]  # type: ignore[attr-defined]
    return "; ".join(shown[:limit]) + (" …" if len(shown) > limit else "")


def difference(expected: Answer, actual: Answer) -> str | None:
    """Why two answers differ, or None when they are the same after normalisation."""
    if expected.kind != actual.kind:
        return f"expected a {expected.kind} answer, got a {actual.kind} answer"
    if expected.boolean is not None:
        if expected.boolean != actual.boolean:
            return f"expected {expected.boolean}, got {actual.boolean}"
        return None
    if expected.triples is not None:
        return _graph_difference(expected.triples, actual.triples or [])
    return _solutions_difference(expected, actual)


def _graph_difference(expected: list[ox.Triple], actual: list[ox.Triple]) -> str | None:
    def norm(triples: list[ox.Triple]) -> set[tuple]:
        return {(t.subject, t.predicate, normalise(t.object)) for t in triples}

    left, right = norm(expected), norm(actual)
    if _has_bnode(x for t in left | right for x in t):
        graphs = []
        for side in (left, right):
            graph = rdflib.Graph()
            for triple in side:
                graph.add(tuple(_to_rdflib(x) for x in triple))  # type: ignore[arg-type]
            graphs.append(graph)
        if isomorphic(*graphs):
            return None
        return f"graphs not isomorphic: expected {len(left)} triples, got {len(right)}"
    if left == right:
        return None
    return (
        f"missing {len(left - right)} triples: {_sample(left - right)} | "
        f"unexpected {len(right - left)}: {_sample(right - left)}"
    )


def _solutions_difference(expected: Answer, actual: Answer) -> str | None:
    if expected.variables and expected.variables != actual.variables:
        wanted, got = sorted(expected.variables), sorted(actual.variables)
        return f"variables differ: expected {wanted}, got {got}"
    left = [frozenset((k, normalise(v)) for k, v in s.items()) for s in expected.solutions or []]
    right = [frozenset((k, normalise(v)) for k, v in s.items()) for s in actual.solutions or []]
    if _has_bnode(v for s in left + right for _, v in s):
        actual_ordered = Answer(solutions=actual.solutions, ordered=expected.ordered)
        if isomorphic(_solutions_graph(expected), _solutions_graph(actual_ordered)):
            return None
        return f"solutions not isomorphic: expected {len(left)} rows, got {len(right)}"
    if expected.ordered:
        if left == right:
            return None
        wanted, got = _sample(map(_row, left)), _sample(map(_row, right))
        return f"ordered solutions differ: expected {wanted} | got {got}"
    missing, extra = Counter(left) - Counter(right), Counter(right) - Counter(left)
    if not missing and not extra:
        return None
    return (
        f"missing {sum(missing.values())} rows: {_sample(_show(missing))} | "
        f"unexpected {sum(extra.values())}: {_sample(_show(extra))}"
    )


def _row(row: frozenset) -> str:
    return "{" + ", ".join(f"?{k}={v}" for k, v in sorted(row, key=str)) + "}"


def _show(rows: Counter) -> list[str]:
    return [_row(r) for r in rows.elements()]
