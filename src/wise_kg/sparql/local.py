"""Answering a query in this process, for the command line and the release checks."""

from __future__ import annotations

import pyoxigraph as ox

from wise_kg.formats import Format
from wise_kg.sparql.admission import dataset_for, inspect
from wise_kg.sparql.evaluate import Dataset, Limits, evaluate

#: The byte cap of an answer written in-process (the rows are capped by the caller).
LOCAL_ANSWER_BYTES = 1 << 30


def answer(
    store: ox.Store,
    query: str,
    fmt: Format,
    *,
    result_limit: int,
    dataset: Dataset | None = None,
    bindings: tuple[tuple[str, str, str], ...] = (),
) -> bytes:
    """Admit, then evaluate and serialize a query over ``store``: by default over the
    graph the endpoint serves (the published graphs; every graph by name)."""
    info = inspect(query)
    stored = frozenset(g.value for g in store.named_graphs())
    return evaluate(
        store,
        query,
        info.form,
        fmt.engine,
        limits=Limits(result_limit, LOCAL_ANSWER_BYTES),
        dataset=dataset or dataset_for(info, stored, [], [], union_default_graph=True),
        bindings=bindings,
    )
