"""The label index answers exactly as ranking every label by brute force would."""

from __future__ import annotations

import re

import pytest

from wise_kg.config import Settings
from wise_kg.search import FEW, KIND_RANK, LabelIndex, fold
from wise_kg.store import open_read_only

NEEDLES = ["a", "e", "ma", "man", "placement", "dig", "1.2", "s1.8", "(", "-", "lavoro", "zzzz"]


def brute_force(index: LabelIndex, query: str, limit: int, lang: str | None) -> list[tuple]:
    """Every label scored, best per resource, sorted: what the index must reproduce."""
    needle = fold(query.strip())
    word = re.compile(r"(?:^|[ \t\-/(])" + re.escape(needle))
    scored: dict[str, tuple] = {}
    for entry in index.entries:
        if lang and entry.lang not in (lang, None):
            continue
        text = entry.folded
        if text == needle:
            match = 0
        elif text.startswith(needle):
            match = 1
        elif word.search(text):
            match = 2
        elif needle in text:
            match = 3
        else:
            continue
        score = (match, KIND_RANK.get(entry.kind, 3), len(text), entry.label, entry.iri)
        if entry.iri not in scored or score < scored[entry.iri][0]:
            scored[entry.iri] = (score, entry)
    ranked = sorted(scored.values(), key=lambda item: item[0])
    return [(e.iri, e.label) for _score, e in ranked[:limit]]


@pytest.fixture(scope="module")
def index(built: Settings) -> LabelIndex:
    store, _info = open_read_only(built.resolved_store_path())
    return LabelIndex.from_store(store)


@pytest.mark.parametrize("lang", [None, "en", "it", "fr"])
@pytest.mark.parametrize("limit", [1, 10, 100])
def test_the_index_ranks_like_brute_force(index: LabelIndex, lang: str | None, limit: int) -> None:
    for needle in NEEDLES:
        hits = [(h.iri, h.matched) for h in index.search(needle, limit, lang)]
        assert hits == brute_force(index, needle, limit, lang), needle


def test_many_matches_take_the_scan_and_still_rank_right() -> None:
    rows = [
        (f"http://x/{n}", f"Alpha {n:05d} beta", "en", "prefLabel", "") for n in range(FEW + 500)
    ]
    rows += [(f"http://y/{n}", f"beta alpha {n}", "it", "altLabel", "") for n in range(FEW + 500)]
    rows += [("http://z/1", "Alpha", None, "notation", "")]
    index = LabelIndex(rows)
    for needle, lang in [("alpha", None), ("alpha", "it"), ("beta", "en"), ("a", None)]:
        hits = [(h.iri, h.matched) for h in index.search(needle, 10, lang)]
        assert hits == brute_force(index, needle, 10, lang)
        assert len(hits) == 10


def test_empty_and_unknown() -> None:
    index = LabelIndex([("http://x/a", "Placement", "en", "prefLabel", "Need")])
    assert index.search("   ") == [] and index.search("nothing") == []
    assert index.search("place", lang="de") == []  # no label in German, none without language
    assert [h.iri for h in index.search("PLACÉ")] == ["http://x/a"]  # case and accents folded
