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
from wise_kg.graphs import default_graphs

#: Formats that keep each statement's graph.
NAMED = frozenset({"nquads", "trig"})

_lock = threading.Lock()


def dump_file(
    store: ox.Store, build_id: str, fmt: Format, folder: Path, prefixes: dict[str, str]
) -> Path:
    """The dump of this build in ``fmt``, written on first use (atomically) and reused.

    Every published graph (ontology, data, ESCO when loaded): as one graph in the triple
    formats, with its graph's name in N-Quads and TriG.
    """
    target = folder / f"{build_id}.{fmt.extension}"
    with _lock:
        if not target.exists():
            folder.mkdir(parents=True, exist_ok=True)
            partial = target.with_suffix(target.suffix + ".partial")
            graphs = default_graphs(g.value for g in store.named_graphs())
            quads = (
                q
                for graph in graphs
                for q in store.quads_for_pattern(None, None, None, ox.NamedNode(graph))
            )
            statements = quads if fmt.name in NAMED else (q.triple for q in quads)
            use_prefixes = prefixes if fmt.name in ("turtle", "jsonld", "trig") else None
            with partial.open("wb") as out:
                ox.serialize(statements, out, format=fmt.engine, prefixes=use_prefixes)
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
