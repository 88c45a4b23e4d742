"""The label index answers exactly as ranking every label by brute force would, and
suggests the resource a mistyped IRI meant at a cost that does not grow with the index."""

from __future__ import annotations

import difflib
import random
import re

import pytest

from wise_kg.config import Settings
from wise_kg.publish import search
from wise_kg.publish.search import FEW, KIND_RANK, SCORED, LabelIndex, fold
from wise_kg.store.embedded import open_read_only

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


ID = "https://w3id.org/wise-kg/id/"


@pytest.mark.parametrize(
    ("typed", "meant"),
    [
        ("need/placment", "need/placement"),  # a letter left out
        (
            "action/placement-rewards-for-hiring-cormpanies",
            "action/placement-rewards-for-hiring-companies",
        ),
        ("role/stafq", "role/staff"),  # a short slug, its last letter wrong
        ("ned/placement", "need/placement"),  # the kind mistyped
        ("source/bwisn-d3-1/section/2.7.8", "source/bwise-d3-1/section/2.7.8"),  # a folder
        ("source/bwise-d3-1section/2.2.6", "source/bwise-d3-1/section/2.2.6"),  # a slash lost
    ],
)
def test_a_mistyped_iri_suggests_the_resource_first(
    index: LabelIndex, typed: str, meant: str
) -> None:
    hits = index.similar(ID + typed)
    assert hits and hits[0].iri == ID + meant
    assert hits[0].label == index.best[ID + meant]


@pytest.mark.parametrize("typed", ["nope", "need/", "need/zzzz-nothing-like-it", "x/y/z", "n"])
def test_nothing_close_suggests_nothing(index: LabelIndex, typed: str) -> None:
    assert index.similar(ID + typed) == []


class CountingMatcher(difflib.SequenceMatcher):
    """A SequenceMatcher that counts the IRIs compared with the unknown one."""

    compared = 0

    def set_seq1(self, a: str) -> None:  # type: ignore[override]
        CountingMatcher.compared += 1
        super().set_seq1(a)


@pytest.fixture(scope="module")
def big() -> tuple[LabelIndex, list[str]]:
    """50,000 resources under one folder, slugs of three words out of 300 (siblings alike)."""
    rng = random.Random(16)
    letters = "abcdefghijklmnopqrstuvwxyz"
    words = {"".join(rng.choices(letters, k=rng.randint(4, 10))) for _ in range(300)}
    names: set[str] = set()
    while len(names) < 50_000:
        names.add("-".join(rng.sample(sorted(words), 3)))
    iris = [f"{ID}skill/{name}" for name in sorted(names)]
    rows = [
        (iri, iri.rsplit("/", 1)[1].replace("-", " "), "en", "prefLabel", "Skill") for iri in iris
    ]
    return LabelIndex(rows), rng.sample(iris, 20)


def test_suggesting_compares_a_bounded_number_of_iris(
    big: tuple[LabelIndex, list[str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    index, sample = big
    monkeypatch.setattr(search.difflib, "SequenceMatcher", CountingMatcher)
    probes = [ID + "skill/", ID + "skill/aaaa", ID + "skill/e-e-e-e-e-e", ID + "other/x"]
    rng = random.Random(17)
    for iri in sample:
        at = rng.randrange(len(ID + "skill/"), len(iri))
        typo = iri[:at] + "q" + iri[at + 1 :]
        CountingMatcher.compared = 0
        assert [hit.iri for hit in index.similar(typo)][:1] == [iri]
        assert CountingMatcher.compared <= SCORED  # out of 50,000
    for iri in probes:
        CountingMatcher.compared = 0
        index.similar(iri)
        assert CountingMatcher.compared <= SCORED
