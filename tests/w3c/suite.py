"""Where the W3C suite lives, its canonical IRIs, and a small manifest reader.

Every file of the suite gets one canonical IRI,
``https://w3c.github.io/rdf-tests/sparql/<sparql10|sparql11>/<dir>/<file>`` (as
Oxigraph's runner does); manifests, data, queries and expected results are all
parsed with that IRI as base, so relative IRIs agree everywhere.
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from urllib.parse import urljoin

import pyoxigraph as ox

#: ``../shared/w3c`` beside the project root (this file is ``tests/w3c/suite.py``).
SHARED = (Path(__file__).resolve().parents[3] / "shared" / "w3c").resolve()
SPARQL_DIR = SHARED / "rdf-tests" / "sparql"
CANONICAL = "https://w3c.github.io/rdf-tests/sparql/"

MF = "http://www.w3.org/2001/sw/DataAccess/tests/test-manifest#"
QT = "http://www.w3.org/2001/sw/DataAccess/tests/test-query#"
DAWGT = "http://www.w3.org/2001/sw/DataAccess/tests/test-dawg#"
RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"

#: The SPARQL 1.1 query-evaluation directories (``manifest-sparql11-query.ttl``) plus
#: the two result-format directories.
QUERY_DIRS = (
    "aggregates",
    "bind",
    "bindings",
    "cast",
    "construct",
    "exists",
    "functions",
    "grouping",
    "negation",
    "project-expression",
    "property-path",
    "subquery",
    "json-res",
    "csv-tsv-res",
)
SPARQL10_SYNTAX_DIRS = tuple(f"syntax-sparql{i}" for i in range(1, 6))

_FROM = re.compile(r"\bFROM\s+(NAMED\s+)?<([^>]*)>", re.IGNORECASE)


def available() -> bool:
    """Whether the shared suite is there to be read."""
    return SPARQL_DIR.is_dir()


def iri_of(path: Path) -> str:
    """The canonical IRI of a file of the suite."""
    return CANONICAL + path.resolve().relative_to(SPARQL_DIR).as_posix()


def path_of(iri: str) -> Path:
    """The local file of a canonical IRI."""
    if not iri.startswith(CANONICAL):
        raise ValueError(f"{iri} is not a file of the suite")
    return SPARQL_DIR / iri.removeprefix(CANONICAL)


@dataclass(frozen=True)
class Test:
    """One manifest entry: its IRI, type (``mf:`` local name) and action."""

    iri: str
    kind: str
    name: str
    directory: str
    query: str | None = None
    data: tuple[str, ...] = ()
    graph_data: tuple[str, ...] = ()
    result: str | None = None
    service_data: bool = False
    approval: str = ""

    @property
    def short(self) -> str:
        """The entry's local name (``agg01``), used as pytest id."""
        return self.iri.rsplit("#", 1)[-1]

    def query_text(self) -> str:
        """The query file's text."""
        assert self.query is not None
        return path_of(self.query).read_text(encoding="utf-8")

    def from_graphs(self) -> tuple[tuple[str, ...], tuple[str, ...]]:
        """The IRIs the query names in FROM and FROM NAMED, resolved against its IRI."""
        assert self.query is not None
        default: list[str] = []
        named: list[str] = []
        for is_named, ref in _FROM.findall(self.query_text()):
            (named if is_named else default).append(_resolve(self.query, ref))
        return tuple(default), tuple(named)

    def files(self) -> set[str]:
        """Every data file the test needs loaded (qt:data, qt:graphData, FROM targets)."""
        default, named = self.from_graphs() if self.query else ((), ())
        return {*self.data, *self.graph_data, *default, *named}


def _resolve(base: str, ref: str) -> str:
    """Resolve a relative IRI reference against the query's IRI."""
    return urljoin(base, ref)


class _Graph:
    """Triples of one manifest, indexed by subject and predicate."""

    def __init__(self, path: Path):
        self.index: dict[object, dict[str, list[object]]] = defaultdict(lambda: defaultdict(list))
        for triple in ox.parse(path=path, format=ox.RdfFormat.TURTLE, base_iri=iri_of(path)):
            self.index[triple.subject][triple.predicate.value].append(triple.object)

    def values(self, subject: object, predicate: str) -> list[object]:
        return self.index.get(subject, {}).get(predicate, [])

    def one(self, subject: object, predicate: str) -> object | None:
        found = self.values(subject, predicate)
        return found[0] if found else None

    def items(self, head: object | None) -> list[object]:
        """The members of an RDF list."""
        members = []
        while head is not None and head != ox.NamedNode(RDF + "nil"):
            members.append(self.one(head, RDF + "first"))
            head = self.one(head, RDF + "rest")
        return members


def _value(term: object | None) -> str:
    return "" if term is None else str(getattr(term, "value", term))


@cache
def read_manifest(path: Path) -> tuple[Test, ...]:
    """The entries of one manifest (``mf:include`` is not followed)."""
    graph = _Graph(path)
    manifest = ox.NamedNode(iri_of(path))
    directory = path.resolve().parent.relative_to(SPARQL_DIR).as_posix()
    tests = []
    for entry in graph.items(graph.one(manifest, MF + "entries")):
        kind = _value(graph.one(entry, RDF + "type")).rsplit("#", 1)[-1]
        action = graph.one(entry, MF + "action")
        fields: dict[str, object] = {}
        if isinstance(action, ox.NamedNode):  # syntax tests: the action is the query file
            fields["query"] = action.value
        elif action is not None:
            fields["query"] = _value(graph.one(action, QT + "query")) or None
            fields["data"] = tuple(_value(d) for d in graph.values(action, QT + "data"))
            fields["graph_data"] = tuple(_value(g) for g in graph.values(action, QT + "graphData"))
            fields["service_data"] = bool(graph.values(action, QT + "serviceData"))
        result = graph.one(entry, MF + "result")
        tests.append(
            Test(
                iri=_value(entry),
                kind=kind,
                name=_value(graph.one(entry, MF + "name")),
                directory=directory,
                result=_value(result) if isinstance(result, ox.NamedNode) else None,
                approval=_value(graph.one(entry, DAWGT + "approval")).rsplit("#", 1)[-1],
                **fields,  # type: ignore[arg-type]
            )
        )
    return tuple(tests)


def _entries(version: str, dirs: tuple[str, ...]) -> list[Test]:
    return [t for d in dirs for t in read_manifest(SPARQL_DIR / version / d / "manifest.ttl")]


def evaluation_tests() -> list[Test]:
    """The SPARQL 1.1 QueryEvaluationTests of the query and result-format directories."""
    return [t for t in _entries("sparql11", QUERY_DIRS) if t.kind == "QueryEvaluationTest"]


def syntax_tests(positive: bool) -> list[Test]:
    """Query syntax tests (no update ones) of SPARQL 1.1 and 1.0, positive or negative.

    Positive: ``syntax-query``, ``syntax-fed`` and SPARQL 1.0. Negative: every SPARQL 1.1
    query directory with negative syntax tests, ``syntax-query``, and SPARQL 1.0.
    """
    wanted = {"PositiveSyntaxTest11", "PositiveSyntaxTest"}
    if not positive:
        wanted = {"NegativeSyntaxTest11", "NegativeSyntaxTest"}
    sparql11_dirs = ("syntax-query", "syntax-fed") if positive else (*QUERY_DIRS, "syntax-query")
    tests = _entries("sparql11", sparql11_dirs) + _entries("sparql10", SPARQL10_SYNTAX_DIRS)
    return [t for t in tests if t.kind in wanted and (t.query or "").endswith(".rq")]


@dataclass(frozen=True)
class ProtocolTest:
    """One test of ``protocol-tests.json``, with its manifest IRI."""

    iri: str
    id: str
    kind: str
    graph_data: tuple[tuple[str, str], ...]
    requests: tuple[dict, ...] = field(default=())


PROTOCOL_MANIFEST = "http://www.w3.org/2009/sparql/docs/tests/data-sparql11/protocol/manifest#"
SD_MANIFEST = "http://www.w3.org/2009/sparql/docs/tests/data-sparql11/service-description/manifest#"


@cache
def _protocol_json() -> dict:
    return json.loads((SHARED / "protocol-tests.json").read_text(encoding="utf-8"))


def protocol_tests() -> list[ProtocolTest]:
    """The Protocol tests a read-only query endpoint must pass (``readOnlyEndpoint: required``)."""
    return [
        ProtocolTest(
            iri=PROTOCOL_MANIFEST + t["id"],
            id=t["id"],
            kind=t["kind"],
            graph_data=tuple((g["file"], g["graphName"]) for g in t["graphData"]),
            requests=tuple(t["requests"]),
        )
        for t in _protocol_json()["protocol"]
        if t["readOnlyEndpoint"] == "required"
    ]


def protocol_graphs() -> dict[str, Path]:
    """Every graph the protocol tests preload: graph name → local file."""
    return {
        name: SPARQL_DIR / "sparql11" / file
        for t in protocol_tests()
        for file, name in t.graph_data
    }


def service_description_tests() -> list[tuple[str, str]]:
    """The three Service Description tests as (IRI, id)."""
    return [(SD_MANIFEST + t["id"], t["id"]) for t in _protocol_json()["serviceDescription"]]
