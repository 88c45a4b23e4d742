"""Safe SPARQL execution over the read-only store.

Every query is parsed first; updates, ``SERVICE`` and ``FROM``/``FROM NAMED`` of
graphs the store does not hold (which would mean dereferencing them) are refused
from the parsed query, never by searching the text. Evaluation itself lives in
:mod:`wise_kg.evaluate`, which a worker process can import without rdflib.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache

import pyoxigraph as ox
from pyparsing import ParseException
from rdflib.plugins.sparql.algebra import translateQuery
from rdflib.plugins.sparql.parser import parseQuery, parseUpdate
from rdflib.plugins.sparql.parserutils import CompValue

from wise_kg.errors import NotAcceptable, QueryRefused, QuerySyntaxError
from wise_kg.evaluate import Dataset, evaluate
from wise_kg.formats import GRAPH_FORMATS, RESULT_FORMATS, Format, by_name, negotiate

FORMS = {
    "SelectQuery": "SELECT",
    "AskQuery": "ASK",
    "ConstructQuery": "CONSTRUCT",
    "DescribeQuery": "DESCRIBE",
}

READ_ONLY = (
    "This endpoint is read-only: SPARQL Update (INSERT, DELETE, LOAD, CLEAR, CREATE, DROP …) "
    "is not accepted. The graph changes only by editing its Turtle sources and rebuilding."
)


@dataclass(frozen=True)
class QueryInfo:
    """What the parser says of a query: its form, top-level LIMIT and FROM graphs."""

    form: str
    limit: int | None
    from_graphs: tuple[str, ...] = ()
    from_named: tuple[str, ...] = ()

    @property
    def returns_graph(self) -> bool:
        """CONSTRUCT and DESCRIBE answer with RDF; SELECT and ASK with result sets."""
        return self.form in ("CONSTRUCT", "DESCRIBE")

    def formats(self) -> tuple[Format, ...]:
        """The formats this query form can be answered in."""
        return GRAPH_FORMATS if self.returns_graph else RESULT_FORMATS


def _walk(node: object) -> Iterator[object]:
    """Every parse-tree node below ``node``."""
    yield node
    if isinstance(node, dict):
        for value in node.values():
            yield from _walk(value)
    elif isinstance(node, list | tuple):
        for value in node:
            yield from _walk(value)


@lru_cache(maxsize=1024)
def inspect(query: str) -> QueryInfo:
    """Parse a query and refuse what the read-only endpoint will not run.

    >>> inspect("ASK { ?s ?p ?o }").form
    'ASK'
    """
    try:
        parsed = parseQuery(query)
    except ParseException as err:
        if _is_update(query):
            raise QueryRefused(READ_ONLY) from None
        raise QuerySyntaxError(
            f"SPARQL syntax error at line {err.lineno}, column {err.col}: {err.msg}"
        ) from None
    except RecursionError:
        raise QuerySyntaxError(
            "The query is nested too deeply to be checked; flatten it (fewer nested groups)."
        ) from None
    except Exception:
        # (e.g. a negative decimal as an object): fall back to a conservative check of the
        # query's tokens, and let the engine parse it.
        return _token_check(query)
    body = parsed[1]
    for node in _walk(body):
        if isinstance(node, CompValue) and node.name == "ServiceGraphPattern":
            raise QueryRefused(
                "SERVICE (federated query) is disabled on this endpoint: "
                "it would make the server fetch from other hosts."
            )
    try:
        algebra = translateQuery(parsed).algebra
    except Exception as err:  # rdflib raises bare Exceptions for semantic errors
        raise QuerySyntaxError(f"SPARQL query error: {err}") from None
    clauses = algebra["datasetClause"] or []
    # rdflib's CompValue.get() does not honour its default: test membership instead.
    limits = body["limitoffset"] if "limitoffset" in body else {}  # noqa: SIM401
    limit = limits["limit"] if "limit" in limits else None  # noqa: SIM401
    return QueryInfo(
        FORMS[body.name],
        int(limit) if limit is not None else None,
        tuple(str(c["default"]) for c in clauses if "default" in c),
        tuple(str(c["named"]) for c in clauses if "named" in c),
    )


def dataset_for(
    info: QueryInfo,
    stored: frozenset[str],
    default_graph_uris: list[str],
    named_graph_uris: list[str],
    *,
    union_default_graph: bool,
) -> Dataset:
    """The RDF dataset a request queries, from the protocol parameters or the query.

    Protocol parameters win over FROM / FROM NAMED (SPARQL 1.1 Protocol §2.1.4);
    they name stored graphs only, and an unknown one is simply empty. FROM of a
    graph the store does not hold is refused: it could only be answered by
    fetching it, which this endpoint never does.
    """
    if default_graph_uris or named_graph_uris:
        for iri in (*default_graph_uris, *named_graph_uris):
            try:
                ox.NamedNode(iri)
                absolute = ":" in iri
            except ValueError:
                absolute = False
            if not absolute:
                raise QuerySyntaxError(
                    f"default-graph-uri / named-graph-uri must be absolute IRIs: {iri!r}"
                )
        return Dataset(tuple(default_graph_uris), tuple(named_graph_uris), explicit=True)
    missing = sorted(set(info.from_graphs + info.from_named) - stored)
    if missing:
        raise QueryRefused(
            "FROM / FROM NAMED name graphs this endpoint does not store and never fetches: "
            + ", ".join(missing)
            + ". Query the stored graphs (listed in the service description at GET /sparql)."
        )
    if info.from_graphs or info.from_named:
        return Dataset(explicit=False, union=False)
    return Dataset(explicit=False, union=union_default_graph)


#: Strings, IRIs, comments, variables and prefixed names: never keywords.
_NOT_KEYWORDS = re.compile(
    r'"""(?:[^\\]|\\.)*?"""'
    r"|'''(?:[^\\]|\\.)*?'''"
    r'|"(?:[^"\\\n]|\\.)*"'
    r"|'(?:[^'\\\n]|\\.)*'"
    r"|<[^<>\"{}|^`\\\s]*>"
    r"|#[^\n]*"
    r"|[?$]\w+"
    r"|[\w.-]*:[\w.:%-]*",
    re.DOTALL,
)
_KEYWORDS = re.compile(r"[A-Za-z_]+")
_UPDATE_WORDS = {
    "INSERT",
    "DELETE",
    "LOAD",
    "CLEAR",
    "CREATE",
    "DROP",
    "COPY",
    "MOVE",
    "ADD",
    "WITH",
}


def _token_check(query: str) -> QueryInfo:
    """A conservative check of a query's keywords, for queries rdflib cannot parse.

    Strings, IRIs, comments, variables and prefixed names are removed first, so
    only real keywords remain. Anything that could reach out (SERVICE, an update,
    FROM) is refused, since the parse tree that would prove it harmless is missing.
    """
    words = [w.upper() for w in _KEYWORDS.findall(_NOT_KEYWORDS.sub(" ", query))]
    if _UPDATE_WORDS & set(words):
        raise QueryRefused(READ_ONLY)
    if "SERVICE" in words:
        raise QueryRefused("SERVICE (federated query) is disabled on this endpoint.")
    if "FROM" in words:
        raise QueryRefused("FROM / FROM NAMED cannot be checked in this query; use GRAPH.")
    form = next((w for w in words if w in FORMS.values()), None)
    if form is None:
        raise QuerySyntaxError("SPARQL syntax error: no SELECT, ASK, CONSTRUCT or DESCRIBE.")
    return QueryInfo(form, None)


def _is_update(text: str) -> bool:
    try:
        parseUpdate(text)
    except ParseException:
        return False
    return True


def answer(
    store: ox.Store,
    query: str,
    fmt: Format,
    *,
    result_limit: int,
    dataset: Dataset | None = None,
    bindings: tuple[tuple[str, str, str], ...] = (),
) -> bytes:
    """Check, then evaluate and serialize a query in-process (the CLI's path)."""
    info = inspect(query)
    return evaluate(
        store,
        query,
        fmt.engine,
        result_limit=result_limit,
        count_rows=needs_count(info, result_limit),
        dataset=dataset or Dataset(union=True),
        bindings=bindings,
    )


def needs_count(info: QueryInfo, result_limit: int) -> bool:
    """Whether a query's rows must be counted before serializing (no LIMIT within the limit)."""
    return info.form == "SELECT" and (info.limit is None or info.limit > result_limit)


def choose_format(info: QueryInfo, accept: str | None, format_values: list[str]) -> Format:
    """The format to answer in: the first ``format`` value we know, else the Accept header.

    Clients repeat the format under several spellings (SPARQLWrapper sends
    ``format=tsv&format=text/tab-separated-values``); unknown ones are skipped.
    """
    for value in format_values:
        try:
            return by_name(value, info.formats())
        except NotAcceptable:
            continue
    return negotiate(accept, info.formats())
