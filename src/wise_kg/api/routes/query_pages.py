"""Saved queries as pages: a query's answer run for a table, and the pages that show it.

The answer is asked of the query workers exactly as ``/queries/{name}?format=json``
would ask it (same job, so the same cached answer), then turned into rows whose IRIs
link to this site's pages (ours), to ``/esco`` (ESCO's) or out.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from urllib.parse import quote

import mimeparse
import pyoxigraph as ox
from fastapi import Request

from wise_kg.api.answers import client_gone, deadline_of, endpoint_url
from wise_kg.api.conditional import etag
from wise_kg.api.deps import snapshot_of
from wise_kg.api.documents import language, page_linker
from wise_kg.api.html.pages import Linker, Value, linkable
from wise_kg.namespaces import ESCO_DATA
from wise_kg.publish.search import LabelIndex
from wise_kg.sparql.admission import QueryInfo, dataset_for
from wise_kg.sparql.evaluate import Limits
from wise_kg.sparql.queries import Binding, SavedQuery
from wise_kg.sparql.worker import Job

#: Rows a page shows; the whole answer is a ``format=`` link away.
SHOWN_ROWS = 1000
#: The answer formats a query page links to: (format parameter, title).
DOWNLOADS = {
    "result": [("csv", "CSV"), ("json", "SPARQL JSON"), ("xml", "SPARQL XML"), ("tsv", "TSV")],
    "graph": [("ttl", "Turtle"), ("jsonld", "JSON-LD"), ("nt", "N-Triples")],
}


@dataclass
class Table:
    """A query's answer as a page shows it."""

    columns: list[str]
    rows: list[list[Value | None]] = field(default_factory=list)
    total: int = 0
    boolean: bool | None = None  # an ASK's answer


def browser_asks_html(accept: str | None, offered: list[str]) -> bool:
    """Whether ``accept`` ranks HTML above every one of the ``offered`` media types."""
    if not accept or "text/html" not in accept:
        return False
    try:
        return mimeparse.best_match([*reversed(offered), "text/html"], accept) == "text/html"
    except (ValueError, IndexError):
        return False


async def run_for_table(
    request: Request, query: SavedQuery, info: QueryInfo, bindings: tuple[Binding, ...]
) -> Table:
    """Run ``query`` with ``bindings`` on the workers (or take it from the answer cache)."""
    state, snap = request.app.state, snapshot_of(request.scope)
    settings = state.settings
    fmt = "ntriples" if info.returns_graph else "json"
    dataset = dataset_for(
        info, snap.graphs, [], [], union_default_graph=settings.union_default_graph
    )
    limits = Limits(settings.result_limit, settings.answer_bytes)
    job = Job(query.text, info.form, fmt, limits, dataset, bindings, endpoint_url(request))
    tag = etag(snap.build.build_id, job.encoded)
    body = state.cache.get(tag)
    if body is None:
        answer = await snap.pool.run(
            job, deadline=deadline_of(request), gone=lambda: client_gone(request)
        )
        body = answer.first
        if answer.rest is not None:
            body += b"".join([chunk async for chunk in answer.rest])
        else:
            state.cache.put(tag, body)
    linker = _EscoAwareLinker(page_linker(request), snap.search, language(request))
    if info.returns_graph:
        return _graph_table(body, linker)
    return _result_table(json.loads(body), linker)


class _EscoAwareLinker:
    """Names IRIs by the label index and links them: ours locally, ESCO's to ``/esco``."""

    def __init__(self, linker: Linker, index: LabelIndex, lang: str):
        self.linker, self.index, self.lang = linker, index, lang

    def iri(self, iri: str) -> Value:
        """An IRI as a cell shows it: its label and its link (the IRI as ``note``)."""
        url, external = self.linker.url(iri)
        label = label_of(self.index, iri, self.lang) or self.linker.property_name(iri)
        if iri.startswith(ESCO_DATA) and linkable(iri):
            url, external = esco_page(iri), False
        return Value(label, url=url, external=external, note=iri)


def label_of(index: LabelIndex, iri: str, lang: str) -> str | None:
    """The preferred label of ``iri`` in ``lang``, else in English."""
    return index.label_for(iri, lang) or index.label_for(iri, "en")


def esco_page(iri: str) -> str:
    """The URL of this site's page about an ESCO concept."""
    return "/esco?uri=" + quote(iri, safe="")


def _term(binding: dict[str, str], linker: _EscoAwareLinker) -> Value:
    kind, value = binding["type"], binding["value"]
    if kind == "uri":
        return linker.iri(value)
    if kind == "bnode":
        return Value("(anonymous)")
    datatype = binding.get("datatype", "").rsplit("#", 1)[-1] or None
    return Value(value, lang=binding.get("xml:lang"), note=datatype)


def _result_table(answer: dict, linker: _EscoAwareLinker) -> Table:
    if "boolean" in answer:
        return Table(columns=[], boolean=bool(answer["boolean"]))
    columns = list(answer["head"].get("vars", []))
    bindings = answer["results"]["bindings"]
    table = Table(columns=columns, total=len(bindings))
    for row in bindings[:SHOWN_ROWS]:
        table.rows.append([_term(row[c], linker) if c in row else None for c in columns])
    return table


def _graph_table(body: bytes, linker: _EscoAwareLinker) -> Table:
    triples = list(ox.parse(body, format=ox.RdfFormat.N_TRIPLES))
    table = Table(columns=["subject", "predicate", "object"], total=len(triples))
    for t in triples[:SHOWN_ROWS]:
        table.rows.append([_node(term, linker) for term in (t.subject, t.predicate, t.object)])
    return table


def _node(term: ox.NamedNode | ox.BlankNode | ox.Literal, linker: _EscoAwareLinker) -> Value:
    if isinstance(term, ox.NamedNode):
        return linker.iri(term.value)
    return linker.linker.value(term, {})  # a literal or a blank node, as resource pages show it
