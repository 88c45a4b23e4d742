"""What a query worker answers from: the build, or a memory copy of it with its merges.

The copy is made once per build, in the zygote (:mod:`wise_kg.sparql.zygote`), and
every worker forked from there shares its pages. The zygote must stay a process of
one thread, safe to fork, so it never opens the disk store (RocksDB starts threads of
its own): a loader process reads the build and writes it down a pipe as N-Quads, one
predicate at a time, and the zygote loads that into memory.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any, Protocol

import pyoxigraph as ox

from wise_kg.graphs import default_graphs
from wise_kg.sparql.evaluate import Dataset

#: Every predicate of a store, in its default graph or in a named one.
EVERY_PREDICATE = "SELECT DISTINCT ?p { { ?s ?p ?o } UNION { GRAPH ?g { ?s ?p ?o } } }"


class StoreSpec(Protocol):
    """What a worker is given to open its store (picklable; the store layer makes it)."""

    remote: bool

    def open(self) -> Any:
        """The store, opened in the worker."""
        ...


@dataclass(frozen=True)
class Opened:
    """What a worker answers from: the build, and in memory the merge of its published graphs.

    SPARQL's default graph over several graphs is their RDF merge (a triple stated in
    two graphs is one triple), which the engine does not make of a list of graphs: it
    answers such a triple once per graph. A memory copy therefore holds the merge as its
    own default graph, and a second store holds the merge alone: a query that reads no
    named graph scans that one, of half the quads (measured: 6-7 ms against 8-9 ms for a
    substring search). Any other default graph of several graphs (named by the protocol
    or by FROM) is merged into a store of its own when first asked for, beside the named
    graphs the query may read; the last one made is kept.
    """

    store: Any
    #: The published graphs whose merge the copy's default graph and ``merged`` hold.
    published: frozenset[str] | None = None
    merged: Any = None
    #: Every named graph of the copy.
    named: frozenset[str] = frozenset()
    #: The last other merge made: ``[(default graphs, named graphs), store]``.
    other: list[Any] = field(default_factory=lambda: [None, None], compare=False)

    def for_job(self, dataset: Dataset) -> tuple[Any, Dataset]:
        """The store to ask, and the dataset to ask it for."""
        if self.published is None:
            return self.store, dataset
        if dataset.explicit and len(set(dataset.default_graphs)) > 1:
            named = tuple(sorted(set(dataset.named_graphs)))
            own = Dataset((), named, explicit=True, own_default=True)
            if set(dataset.default_graphs) != self.published:
                return self._merge_of(dataset), own
            if dataset.merge:  # reads no named graph
                return self.merged, Dataset()
            return self.store, own  # the copy's default graph is that merge
        if dataset.explicit or dataset.union:
            return self.store, dataset
        # The store's own default graph, empty in every build (union default graph off).
        return self.store, Dataset((), dataset.named_graphs, explicit=True)

    def _merge_of(self, dataset: Dataset) -> Any:
        """A store whose default graph is the merge of ``dataset``'s default graphs, and
        whose named graphs are its named graphs."""
        key = (frozenset(dataset.default_graphs), frozenset(dataset.named_graphs))
        if self.other[0] != key:
            store = ox.Store()
            store.bulk_extend(
                ox.Quad(q.subject, q.predicate, q.object)
                for graph in sorted(key[0])
                for q in self.store.quads_for_pattern(None, None, None, ox.NamedNode(graph))
            )
            store.bulk_extend(
                q
                for graph in sorted(key[1])
                for q in self.store.quads_for_pattern(None, None, None, ox.NamedNode(graph))
            )
            self.other[:] = [key, store]
        return self.other[1]


def memory_copy(spec: StoreSpec, most_quads: int) -> Opened | None:
    """The build copied into this process's memory, with its merges; None when it is
    remote, empty, larger than ``most_quads``, or cannot be read (each worker then
    opens it itself, and reports what is wrong).

    Copied one predicate at a time: a scan of one predicate (every skos:prefLabel, say)
    then reads memory laid out in the order it reads it. Measured on WISE + ESCO, five
    processes each (the engine seeds its hash maps per process): a substring search over
    every label 3.2-5.6 ms, median 4.0, against 4.1-8.2 ms, median 6.6, when copied in
    the order of the disk store's index.
    """
    if spec.remote:
        return None
    readable, writable = os.pipe()
    loader = os.fork()
    if loader == 0:  # pragma: no cover (the loader process; its exit code is checked)
        os.close(readable)
        code = 1
        try:
            _write_by_predicate(spec, most_quads, writable)
            code = 0
        finally:
            os._exit(code)
    os.close(writable)
    copy = ox.Store()
    try:
        with os.fdopen(readable, "rb") as stream:
            copy.bulk_load(stream, format=ox.RdfFormat.N_QUADS)
    except (SyntaxError, OSError):  # cut short: the loader failed
        copy = ox.Store()
    _, status = os.waitpid(loader, 0)
    if status != 0 or not len(copy):
        return None
    return _with_merges(copy)


def _write_by_predicate(spec: StoreSpec, most_quads: int, out_fd: int) -> None:
    """The loader's work: the build as N-Quads, one predicate after another (nothing when
    it is not to be copied)."""
    store = spec.open()
    with os.fdopen(out_fd, "wb", buffering=1 << 20) as out:
        if not 0 < len(store) <= most_quads:
            return
        for row in store.query(EVERY_PREDICATE):
            quads = store.quads_for_pattern(None, row["p"], None)
            ox.serialize(quads, out, format=ox.RdfFormat.N_QUADS)


def _with_merges(copy: ox.Store) -> Opened:
    """The copy, with the merge of its published graphs as its default graph and alone."""
    if next(copy.quads_for_pattern(None, None, None, ox.DefaultGraph()), None):
        return Opened(copy)  # not a build of ours: its default graph is its own
    predicates = [row["p"] for row in copy.query(EVERY_PREDICATE)]
    named = frozenset(g.value for g in copy.named_graphs())
    published = [ox.NamedNode(graph) for graph in default_graphs(sorted(named))]
    merged = ox.Store()
    for predicate in predicates:
        merged.bulk_extend(
            ox.Quad(q.subject, q.predicate, q.object)
            for graph in published
            for q in copy.quads_for_pattern(None, predicate, None, graph)
        )
    for predicate in predicates:
        copy.bulk_extend(merged.quads_for_pattern(None, predicate, None))
    return Opened(copy, frozenset(g.value for g in published), merged, named)
