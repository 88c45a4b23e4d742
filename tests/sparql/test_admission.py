"""Admission: SERVICE is refused in every spelling the engine reads, and only where it might be.

The ground truth is the engine itself: each spelling of ``service_spellings`` (``tests/helpers.py``)
is first shown to make pyoxigraph open a connection to a listener (so the list is of
real attacks), then shown refused. Generated texts check the one property that
matters: whatever admission lets through makes the engine connect nowhere.
"""

from __future__ import annotations

import time
from collections.abc import Iterator

import pyoxigraph as ox
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.helpers import Recorder
from tests.helpers import service_spellings as spellings
from wise_kg.errors import QueryRefused, QuerySyntaxError
from wise_kg.sparql.admission import MAX_NESTING, inspect


@pytest.fixture(scope="module")
def recorder() -> Iterator[Recorder]:
    listening = Recorder()
    yield listening
    listening.sock.close()


def _engine_connects(query: str, recorder: Recorder) -> bool:
    """Whether running ``query`` on pyoxigraph (in this process, no sandbox) connects out."""
    store = ox.Store()
    store.add(ox.Quad(ox.NamedNode("urn:x:a"), ox.NamedNode("urn:x:b"), ox.NamedNode("urn:x:c")))
    before = recorder.connections
    try:
        answer = store.query(query, use_default_graph_as_union=True)
        _ = bool(answer) if isinstance(answer, ox.QueryBoolean) else list(answer)
    except (SyntaxError, OSError, RuntimeError, ValueError):
        pass
    time.sleep(0.02)  # let the listener's thread count it
    return recorder.connections > before


def test_most_spellings_are_real_attacks(recorder: Recorder) -> None:
    """Unchecked, the engine connects for these (a list of harmless texts would prove nothing)."""
    live = [n for n, q in spellings(recorder.base).items() if _engine_connects(q, recorder)]
    assert len(live) >= 20, live
    assert "empty prefix after a negative decimal" in live  # the bypass that was found


@pytest.mark.parametrize("name", list(spellings("http://127.0.0.1:9/")))
def test_every_spelling_is_refused(name: str) -> None:
    with pytest.raises(QueryRefused, match="SERVICE"):
        inspect(spellings("http://127.0.0.1:9/")[name])


@pytest.mark.parametrize(
    "query",
    [
        'SELECT * WHERE { ?s ?p ?o FILTER(CONTAINS(?o, "social services")) }',
        "SELECT * WHERE { ?s ?p '''Service''' }",
        "SELECT * WHERE { ?s <http://schema.org/Service> ?o }",
        "SELECT ?service WHERE { ?service ?p ?o }",
        "PREFIX schema: <http://schema.org/> SELECT * WHERE { ?s a schema:Service }",
        "SELECT * WHERE { ?s ?p ?o } # no SERVICE here",
        'SELECT * WHERE { ?s ?p "x"@en-service }',
        "SELECT * WHERE { _:service ?p ?o }",
    ],
)
def test_the_word_elsewhere_is_admitted(query: str) -> None:
    assert inspect(query).form == "SELECT"


@pytest.mark.parametrize(
    "query",
    [
        # '<' here may be an operator; with a '#' or a quote inside, the readings part ways
        'SELECT * WHERE { ?a ?b ?c FILTER(?a<?b#> "service") }',
        "SELECT * WHERE { ?a ?b ?c FILTER(?a<'x>' = 'service') }",
        # a text the lexer cannot read, naming service
        "SELECT * WHERE { ?s ?p ?o } ` service",
        # a prefixed name whose prefix starts with the keyword
        "PREFIX services: <http://e/> SELECT * WHERE { ?s ?p services:x }",
    ],
)
def test_service_where_the_reading_is_uncertain_is_refused(query: str) -> None:
    with pytest.raises(QueryRefused, match="SERVICE"):
        inspect(query)


def test_without_the_word_the_operator_readings_are_admitted() -> None:
    assert inspect("SELECT * WHERE { ?a ?b ?c FILTER(?a<?b#> 1) }").form == "SELECT"


@pytest.mark.parametrize(
    "query, form, graphs",
    [
        ("ASK {}", "ASK", ()),
        (
            "BASE <http://e/> PREFIX p: <g/> SELECT * FROM p:x { ?s ?p ?o }",
            "SELECT",
            ("http://e/g/x",),
        ),
        ("construct where { ?s ?p ?o }", "CONSTRUCT", ()),
        ("# a comment\nDESCRIBE <http://e/x>", "DESCRIBE", ()),
    ],
)
def test_form_and_from_graphs(query: str, form: str, graphs: tuple[str, ...]) -> None:
    info = inspect(query)
    assert (info.form, info.from_graphs) == (form, graphs)


@pytest.mark.parametrize(
    "query",
    [
        "INSERT DATA { <urn:a> <urn:b> <urn:c> }",
        "PREFIX p: <urn:p> DELETE WHERE { ?s ?p ?o }",
        "load <http://e/x>",
    ],
)
def test_updates_are_refused_as_read_only(query: str) -> None:
    with pytest.raises(QueryRefused, match="read-only"):
        inspect(query)


@pytest.mark.parametrize(
    "query",
    [
        "SELECT * WHERE " + "{" * (MAX_NESTING + 1) + "}" * (MAX_NESTING + 1),
        "ASK { FILTER(" + "!" * (MAX_NESTING + 1) + "true) }",
    ],
    ids=["braces", "negations"],
)
def test_nesting_that_would_overflow_the_engines_stack_is_refused(query: str) -> None:
    with pytest.raises(QuerySyntaxError, match="nests more than"):
        inspect(query)


# --- generated texts ---------------------------------------------------------------------

_KEYWORDS = ["SERVICE", "service", "SeRvIcE", "\\u0053ERVICE", "SERV\\u0049CE", "SERVICE:x"]
_PIECES = [
    "?s ?p ?o .", "{", "}", "(", ")", "<", ">", "#", "\n", "\t", " ", '"', "'", '"""', "'''",
    "\\", "\\\"", "?a<?b", "FILTER(", "OPTIONAL", "UNION", "EXISTS", "SILENT", ":x", "p:x",
    "<http://e/a#b>", "<http://e/'>", '"x"@en', "-1.5", "VALUES ?e { <urn:e> }", "BIND(1 AS ?z)",
]  # fmt: skip


@st.composite
def _texts(draw: st.DrawFn, base: str) -> str:
    keyword = draw(st.sampled_from(_KEYWORDS))
    pieces = draw(
        st.lists(
            st.one_of(
                st.sampled_from(_PIECES),
                st.just(f"{keyword} <{base}x> {{ ?a ?b ?c }}"),
                st.just(f"{keyword}<{base}x>{{}}"),
            ),
            max_size=12,
        )
    )
    return f"PREFIX : <{base}> PREFIX p: <{base}> SELECT * WHERE {{ " + " ".join(pieces) + " }"


PROPERTY = settings(
    max_examples=400,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)


@PROPERTY
@given(data=st.data())
def test_whatever_is_admitted_connects_nowhere(recorder: Recorder, data: st.DataObject) -> None:
    query = data.draw(_texts(recorder.base))
    try:
        inspect(query)
    except (QueryRefused, QuerySyntaxError):
        return
    assert not _engine_connects(query, recorder), query


@pytest.mark.parametrize(
    ("query", "reads_named"),
    [
        ("SELECT * { ?s ?p ?o }", False),
        ("SELECT * { GRAPH ?g { ?s ?p ?o } }", True),
        ("select * { graph<urn:g>{ ?s ?p ?o } }", True),
        ("SELECT * { ?s ?p ?o FILTER(CONTAINS(?o, 'paragraph')) }", True),  # in doubt: may
        ("SELECT * { ?s ?p ?o } # no GRAPH here", True),
        ("SELECT * { \\u0047RAPH ?g { ?s ?p ?o } }", True),  # an escaped keyword is read too
    ],
)
def test_a_query_reads_named_graphs_unless_the_word_graph_is_nowhere(
    query: str, reads_named: bool
) -> None:
    """Only a query certain to read no named graph is answered from the merged store."""
    assert inspect(query).reads_named is reads_named
