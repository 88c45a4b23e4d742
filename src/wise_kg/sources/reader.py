"""Reading the Turtle sources: ontology/, data/ and shapes/ into named graphs.

Parsing is done by the engine's own parser, whose errors carry line and column;
each triple remembers the file it came from, so reports can point at it.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pyoxigraph as ox
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.term import Node

from wise_kg.config import Settings
from wise_kg.errors import SourceMissingError, SourceSyntaxError
from wise_kg.graphs import GRAPHS


@dataclass
class SourceFile:
    """One parsed Turtle file: its path, the graph it feeds and its triples."""

    path: Path
    graph: str
    triples: list[ox.Triple] = field(default_factory=list)


def discover(settings: Settings) -> dict[str, list[Path]]:
    """The Turtle files of each source folder, sorted; a missing folder is an error."""
    found: dict[str, list[Path]] = {}
    for name in GRAPHS:
        folder = settings.source_dir(name)
        files = sorted(folder.rglob("*.ttl")) if folder.is_dir() else []
        if not files:
            raise SourceMissingError(f"no Turtle files in {folder}")
        found[name] = files
    return found


def parse_file(path: Path, graph: str) -> SourceFile:
    """Parse one Turtle file; a syntax error names the file, line and column.

    Blank nodes are kept apart per file by the parser, as Turtle requires.
    """
    try:
        data = path.read_bytes()
        triples = [
            ox.Triple(q.subject, q.predicate, q.object)
            for q in ox.parse(data, format=ox.RdfFormat.TURTLE, base_iri=path.resolve().as_uri())
        ]
    except SyntaxError as err:
        line, column = err.lineno, err.offset
        message = str(err.msg) if getattr(err, "msg", None) else str(err)
        raise SourceSyntaxError(path, line, column, message) from None
    except OSError as err:
        raise SourceMissingError(f"{path}: {err.strerror}") from None
    return SourceFile(path, graph, triples)


def load_sources(settings: Settings) -> list[SourceFile]:
    """Parse every source file of the project, ontology first."""
    return [
        parse_file(path, GRAPHS[name])
        for name, paths in discover(settings).items()
        for path in paths
    ]


def to_rdflib_term(term: ox.NamedNode | ox.BlankNode | ox.Literal) -> Node:
    """Convert an engine term to rdflib's, for pySHACL and serializers."""
    if isinstance(term, ox.NamedNode):
        return URIRef(term.value)
    if isinstance(term, ox.BlankNode):
        return BNode(term.value)
    if term.language:
        return Literal(term.value, lang=term.language)
    return Literal(term.value, datatype=URIRef(term.datatype.value))


def to_engine_term(term: Node) -> ox.NamedNode | ox.BlankNode | ox.Literal:
    """Convert an rdflib term to the engine's (the inverse of :func:`to_rdflib_term`)."""
    if isinstance(term, URIRef):
        return ox.NamedNode(str(term))
    if isinstance(term, BNode):
        return ox.BlankNode(str(term))
    assert isinstance(term, Literal)
    if term.language:
        return ox.Literal(str(term), language=term.language)
    if term.datatype:
        return ox.Literal(str(term), datatype=ox.NamedNode(str(term.datatype)))
    return ox.Literal(str(term))


def to_rdflib(triples: Iterable[ox.Triple], graph: Graph | None = None) -> Graph:
    """Add engine triples to an rdflib graph (a new one by default)."""
    graph = Graph() if graph is None else graph
    for t in triples:
        graph.add(
            (to_rdflib_term(t.subject), to_rdflib_term(t.predicate), to_rdflib_term(t.object))
        )
    return graph


def quads(files: Iterable[SourceFile]) -> Iterator[ox.Quad]:
    """Every triple of the files, placed in its named graph."""
    for source in files:
        graph = ox.NamedNode(source.graph)
        for t in source.triples:
            yield ox.Quad(t.subject, t.predicate, t.object, graph)
