"""The ontology's documentation as HTML, made by pyLODE from the ontology's own triples.

pyLODE names its anchors after labels; ours are the terms' local names
(``#Need``, ``#develops``), as the IRIs are, so they are given to it first. The
page is in one language (English by default): pyLODE shows one label per term.
"""

from __future__ import annotations

import logging
import pickle
import time
from collections.abc import Callable, Iterable
from functools import lru_cache
from typing import TypeVar

import pyoxigraph as ox

from wise_kg.namespaces import WISE
from wise_kg.sources.reader import to_rdflib

T = TypeVar("T")


def _ontpub() -> type:
    """pyLODE's OntPub class; importing pyLODE must not change the program's logging."""
    root = logging.getLogger()
    level, handlers = root.level, list(root.handlers)
    try:
        from pylode import OntPub
    finally:
        root.setLevel(level)
        for handler in [h for h in root.handlers if h not in handlers]:
            root.removeHandler(handler)
    return OntPub


def warm() -> None:
    """Make pyLODE's cache of its background ontologies, which it otherwise writes into its
    own package folder on first use. ``make`` runs this at set-up time: server processes
    that made it at once raced, one reading the file half-written by another (a 500)."""
    from pylode.utils import load_background_onts

    _ontpub()  # pyLODE's import, with the program's logging kept
    _retried(load_background_onts)


def _retried(make: Callable[[], T]) -> T:
    """``make()``, once more after a moment if pyLODE read its cache while another process
    was still writing it."""
    try:
        return make()
    except (pickle.UnpicklingError, EOFError):
        time.sleep(1.0)
        return make()


def html(triples: Iterable[ox.Triple], lang: str = "en") -> str:
    """The HTML documentation of the ontology ``triples``, with ``#LocalName`` anchors."""
    kept = [
        t
        for t in triples
        if not (isinstance(t.object, ox.Literal) and t.object.language not in (None, lang))
    ]
    return _cached(ox.serialize(kept, format=ox.RdfFormat.N_TRIPLES))


@lru_cache(maxsize=4)
def _cached(ntriples: bytes) -> str:
    triples = [
        ox.Triple(q.subject, q.predicate, q.object)
        for q in ox.parse(ntriples, format=ox.RdfFormat.N_TRIPLES)
    ]
    graph = to_rdflib(triples)
    doc = _retried(lambda: _ontpub()(ontology=graph, sort_subjects=True))
    for term in {str(s) for s in graph.subjects()}:
        if term.startswith(WISE) and len(term) > len(WISE):
            doc.fids[term] = term[len(WISE) :]
    return doc.make_html()
