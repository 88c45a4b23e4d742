"""Whole-graph dumps, written once per build to a file (and a gzipped copy), then streamed
from disk."""

from __future__ import annotations

import gzip
import os
import shutil
import threading
from pathlib import Path

import pyoxigraph as ox

from wise_kg.formats import Format
from wise_kg.void import PUBLISHED_GRAPHS

_lock = threading.Lock()


def dump_file(
    store: ox.Store, build_id: str, fmt: Format, folder: Path, prefixes: dict[str, str]
) -> Path:
    """The dump of this build in ``fmt``, written on first use (atomically) and reused."""
    target = folder / f"{build_id}.{fmt.extension}"
    with _lock:
        if not target.exists():
            folder.mkdir(parents=True, exist_ok=True)
            partial = target.with_suffix(target.suffix + ".partial")
            triples = (
                ox.Triple(q.subject, q.predicate, q.object)
                for graph in PUBLISHED_GRAPHS
                for q in store.quads_for_pattern(None, None, None, ox.NamedNode(graph))
            )
            use_prefixes = prefixes if fmt.name in ("turtle", "jsonld") else None
            with partial.open("wb") as out:
                ox.serialize(triples, out, format=fmt.engine, prefixes=use_prefixes)
            os.replace(partial, target)
    return target


def gzipped(plain: Path) -> Path:
    """A gzipped copy of a dump beside it, written on first use (atomically) and reused.

    Compressed once at the highest level, with no time stamp in it, so each build's
    copy has the same bytes however often it is made.
    """
    target = plain.with_name(plain.name + ".gz")
    with _lock:
        if not target.exists():
            partial = target.with_suffix(".partial")
            with (
                plain.open("rb") as source,
                partial.open("wb") as raw,
                gzip.GzipFile("", "wb", 9, raw, mtime=0) as out,
            ):
                shutil.copyfileobj(source, out, 1 << 20)
            os.replace(partial, target)
    return target
