"""The ontology's HTML documentation (pyLODE): its cache made at set-up time, and a page
made even when pyLODE reads that cache while another process is still writing it."""

from __future__ import annotations

import pickle
from pathlib import Path

import pyoxigraph as ox
import pytest
from pylode.utils import RDF_FOLDER

from tests.helpers import PROJECT
from wise_kg.publish import ontodoc


def test_set_up_made_pylodes_cache_so_no_server_process_writes_it() -> None:
    assert (Path(RDF_FOLDER) / "refs.pickle").is_file()


def test_a_half_written_pylode_cache_is_read_again(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[int] = []

    def half_written() -> str:
        calls.append(1)
        if len(calls) == 1:
            raise pickle.UnpicklingError("pickle data was truncated")
        return "made"

    monkeypatch.setattr(ontodoc.time, "sleep", lambda _: None)
    assert ontodoc._retried(half_written) == "made" and len(calls) == 2


def test_the_page_names_the_ontologys_terms_by_their_local_names() -> None:
    triples = [
        ox.Triple(q.subject, q.predicate, q.object)
        for q in ox.parse(path=str(PROJECT / "ontology" / "wise.ttl"), format=ox.RdfFormat.TURTLE)
    ]
    page = ontodoc.html(triples)
    assert 'id="Need"' in page and 'id="develops"' in page
