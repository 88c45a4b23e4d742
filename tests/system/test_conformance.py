"""Every saved query gives the same rows on every engine as on the embedded store.

Each query of queries/ runs with its defaults, and once more with each optional
parameter bound to its documented default, on the session builds of the embedded
store, ``oxigraph serve`` and Virtuoso, as the server runs it (the union of the
graphs as default graph, parameters bound by substitution). Rows are compared as
bags: first by value (lexical form, IRI, language), then with their datatypes, so a
failure says which of the two differs.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import pyoxigraph as ox
import pytest

from tests.helpers import PROJECT, STORES
from wise_kg.config import Settings
from wise_kg.sparql.evaluate import term
from wise_kg.sparql.queries import SavedQuery, load
from wise_kg.store.backends import backend_for

SAVED = load(PROJECT / "queries")
ENGINES = [kind for kind in STORES if kind != "embedded"]


def runs() -> list[tuple[str, str]]:
    """(query, run) pairs: ``defaults``, then one run per optional parameter."""
    return [
        (name, run)
        for name, saved in sorted(SAVED.items())
        for run in ("defaults", *(p.name for p in saved.params if not p.required))
    ]


def substitutions(saved: SavedQuery, run: str) -> dict[ox.Variable, Any]:
    """The required parameters' defaults, and the optional one a run is named after."""
    bound = [p for p in saved.params if p.required or p.name == run]
    return {ox.Variable(p.variable): term(p.kind, p.default) for p in bound if p.default}


def rows(settings: Settings, saved: SavedQuery, run: str) -> Counter[tuple[Any, ...]]:
    """The query's rows on a store, each a tuple of terms (None where unbound)."""
    store, _info = backend_for(settings).open()
    solutions = store.query(
        saved.text, use_default_graph_as_union=True, substitutions=substitutions(saved, run)
    )
    names = [v.value for v in solutions.variables]
    return Counter(tuple(row[n] for n in names) for row in solutions)


def values(found: Counter[tuple[Any, ...]]) -> Counter[tuple[Any, ...]]:
    """The rows with their datatypes left out: what a term says, not how it is typed."""
    return Counter(
        {
            tuple((t.value, t.language) if isinstance(t, ox.Literal) else t for t in row): count
            for row, count in found.items()
        }
    )


@pytest.fixture(scope="module")
def embedded_rows(built: Settings) -> dict[tuple[str, str], Counter[tuple[Any, ...]]]:
    """Every run's rows on the embedded store, the reference."""
    return {(name, run): rows(built, SAVED[name], run) for name, run in runs()}


@pytest.fixture(scope="module", params=ENGINES)
def engine(request: pytest.FixtureRequest) -> tuple[str, Settings]:
    """Each remote engine's session build (an engine that is not installed skips)."""
    return request.param, request.getfixturevalue(STORES[request.param])


def test_the_runs_cover_every_query_and_parameter() -> None:
    assert {name for name, _ in runs()} == set(SAVED)
    optional = sum(1 for saved in SAVED.values() for p in saved.params if not p.required)
    assert len(runs()) == len(SAVED) + optional


@pytest.mark.parametrize(("name", "run"), runs())
def test_same_rows_as_the_embedded_store(
    engine: tuple[str, Settings],
    embedded_rows: dict[tuple[str, str], Counter[tuple[Any, ...]]],
    name: str,
    run: str,
) -> None:
    kind, settings = engine
    expected, found = embedded_rows[name, run], rows(settings, SAVED[name], run)
    assert values(found) == values(expected), f"{kind} answers {name} ({run}) otherwise"
    assert found == expected, f"{kind}: same values, other datatypes in {name} ({run})"
