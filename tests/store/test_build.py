"""Build: atomic swap; a failed build keeps the previous store and its answers."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers import TEST_DATA
from wise_kg.config import Settings
from wise_kg.errors import SourceSyntaxError, StoreNotBuilt, ValidationFailed
from wise_kg.formats import RESULT_FORMATS, by_name
from wise_kg.sparql.local import answer
from wise_kg.store.build import build, is_current
from wise_kg.store.embedded import open_read_only

COUNT_NEEDS = "SELECT (COUNT(?n) AS ?c) WHERE { ?n a <https://w3id.org/wise-kg/ontology#Need> }"
JSON = by_name("json", RESULT_FORMATS)


def _needs(settings: Settings) -> bytes:
    store, _ = open_read_only(settings.resolved_store_path())
    return answer(store, COUNT_NEEDS, JSON, result_limit=10)


def test_build_loads_named_graphs(settings: Settings) -> None:
    result = build(settings)
    graphs = result.info.graphs
    assert set(graphs) == {
        "https://w3id.org/wise-kg/graph/ontology",
        "https://w3id.org/wise-kg/graph/data",
        "https://w3id.org/wise-kg/graph/shapes",
    }
    assert all(n > 0 for n in graphs.values())
    assert b'"21"' in _needs(settings)


def test_top_concepts_are_materialised(settings: Settings) -> None:
    build(settings)
    store, _ = open_read_only(settings.resolved_store_path())
    ask = (
        "ASK { <https://w3id.org/wise-kg/id/scheme/needs> "
        "<http://www.w3.org/2004/02/skos/core#hasTopConcept> "
        "<https://w3id.org/wise-kg/id/need-area/people-area> }"
    )
    assert b"true" in answer(store, ask, JSON, result_limit=10)


def test_failed_validation_keeps_previous_store(settings: Settings, project: Path) -> None:
    first = build(settings)
    link = settings.resolved_store_path()
    before = link.resolve()
    broken = TEST_DATA / "invalid" / "Persona-broader.ttl"
    (project / "data" / "zz-broken.ttl").write_text(broken.read_text(encoding="utf-8"))
    with pytest.raises(ValidationFailed):
        build(settings)
    assert link.resolve() == before
    assert open_read_only(link)[1].build_id == first.info.build_id
    assert b'"21"' in _needs(settings)
    assert len(list(link.with_name(link.name + ".builds").iterdir())) == 1


def test_syntax_error_keeps_previous_store(settings: Settings, project: Path) -> None:
    first = build(settings)
    (project / "data" / "needs.ttl").write_text("@prefix : <x> .\n:a :b", encoding="utf-8")
    with pytest.raises(SourceSyntaxError) as err:
        build(settings)
    assert err.value.line == 2
    assert open_read_only(settings.resolved_store_path())[1].build_id == first.info.build_id


def test_rebuild_swaps_and_prunes(settings: Settings) -> None:
    ids = [build(settings).info.build_id for _ in range(5)]
    link = settings.resolved_store_path()
    assert open_read_only(link)[1].build_id == ids[-1]
    kept = list(link.with_name(link.name + ".builds").iterdir())
    assert len(kept) == 3  # the current build and the two before it


def test_incomplete_build_is_not_served(settings: Settings) -> None:
    build(settings)
    target = settings.resolved_store_path().resolve()
    (target / "wise-kg-build.json").unlink()
    with pytest.raises(StoreNotBuilt, match="not a complete wise-kg build"):
        open_read_only(settings.resolved_store_path())


def test_no_store_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(StoreNotBuilt, match="run `wise-kg build`"):
        open_read_only(tmp_path / "nothing")


def test_is_current_follows_the_sources(settings: Settings, project: Path) -> None:
    assert not is_current(settings)
    build(settings)
    assert is_current(settings)
    needs = project / "data" / "needs.ttl"
    needs.write_text(needs.read_text(encoding="utf-8") + "\n# edited\n", encoding="utf-8")
    assert not is_current(settings)
