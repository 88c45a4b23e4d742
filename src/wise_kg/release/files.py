"""The files of a release: graphs in every format, JSON-LD, VoID, DCAT, changes, checksums."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pyoxigraph as ox
from pyld import jsonld as pyld

from wise_kg.config import Settings
from wise_kg.esco import export as exports
from wise_kg.esco import load as esco
from wise_kg.formats import GRAPH_FORMATS, Format, by_name
from wise_kg.graphs import PUBLISHED_GRAPHS
from wise_kg.namespaces import GRAPH_BASE, VOID, prefixes
from wise_kg.publish import dcat, jsonld, ontodoc
from wise_kg.publish.service_description import describe as describe_service
from wise_kg.publish.void import describe_dataset
from wise_kg.release.changes import RELEASE_QUADS, Changes, published_store
from wise_kg.release.checks import check_description, stop_if_failed

CHECKSUMS = "SHA256SUMS"
#: The prefixes of the release's Turtle and TriG files.
PREFIXES = prefixes(
    "wise",
    "skos",
    "dcterms",
    "rdfs",
    "owl",
    "xsd",
    "dcat",
    "void",
    "spdx",
    "foaf",
    "sd",
    "cs",
    "prov",
)


def release_iri(settings: Settings, version: str) -> str:
    """``https://w3id.org/wise-kg/release/1.0.0`` (under the configured base)."""
    return f"{settings.base_iri}release/{version}"


def _fmt(name: str) -> Format:
    return by_name(name, GRAPH_FORMATS)


def _triples(quad_list: Iterable[ox.Quad]) -> list[ox.Triple]:
    return [ox.Triple(q.subject, q.predicate, q.object) for q in quad_list]


def _write_rdf(path: Path, items: list, fmt: Format) -> None:
    prefixes = PREFIXES if fmt.name in ("turtle", "trig") else None
    with path.open("wb") as out:
        ox.serialize(items, out, format=fmt.engine, prefixes=prefixes)


def jsonld_document(triples: list[ox.Triple]) -> dict:
    """The triples as one JSON-LD document compacted with our context, held inline."""
    expanded = pyld.from_rdf(jsonld.pyld_dataset(dict.fromkeys(triples)), {})
    return pyld.compact(expanded, jsonld.context(), {"documentLoader": jsonld.loader})


def _release_void(
    store: ox.Store, settings: Settings, iri: str, dumps: list[dcat.Artefact]
) -> list[ox.Triple]:
    """The VoID of the release: the live description's figures, under the release's IRI,
    with the release's files as its dumps."""
    live = settings.base_iri + "dataset"

    def moved(term):
        if isinstance(term, ox.NamedNode) and term.value.startswith(live):
            return ox.NamedNode(iri + term.value[len(live) :])
        return term

    dump = ox.NamedNode(VOID + "dataDump")
    triples = [
        ox.Triple(moved(t.subject), t.predicate, moved(t.object))
        for t in describe_dataset(store, settings.base_iri, settings.base_iri)
        if t.predicate != dump
    ]
    triples += [ox.Triple(ox.NamedNode(iri), dump, ox.NamedNode(d.url)) for d in dumps]
    return triples


#: The graph files: name, format, title.
GRAPH_FILES = (
    ("wise-kg.ttl", "turtle", "The graph (ontology and data) as Turtle"),
    ("wise-kg.nt", "ntriples", "The graph (ontology and data) as N-Triples"),
    ("wise-kg.jsonld", "jsonld", "The graph (ontology and data) as JSON-LD, with its context"),
    (RELEASE_QUADS, "nquads", "The graph as N-Quads, in its named graphs (ontology, data)"),
)


@dataclass
class _Writer:
    """Writes the files of one release into a staging folder and lists them."""

    folder: Path
    base_url: str
    files: list[dcat.Artefact]

    def add(
        self,
        name: str,
        media_type: str,
        title: str,
        write: Callable[[Path], None],
        fmt_iri: str = "",
    ) -> dcat.Artefact:
        path = self.folder / name
        write(path)
        item = dcat.artefact(path, self.base_url + name, media_type, title, fmt_iri)
        self.files.append(item)
        return item


def _text(content: str) -> Callable[[Path], None]:
    return lambda path: path.write_text(content, encoding="utf-8")


def write_files(
    folder: Path,
    settings: Settings,
    version: str,
    built: ox.Store,
    release_quads: list[ox.Quad],
    changes: Changes,
    previous: str | None,
) -> list[dcat.Artefact]:
    """Every file of a release into ``folder``; returns the described ones."""
    iri = release_iri(settings, version)
    writer = _Writer(folder, iri + "/", [])
    triples = _triples(release_quads)
    ontology = _triples(q for q in release_quads if q.graph_name.value == GRAPH_BASE + "ontology")
    dumps = []
    for name, fmt_name, title in GRAPH_FILES:
        fmt = _fmt(fmt_name)
        items = release_quads if fmt.name == "nquads" else triples
        if fmt.name == "jsonld":
            write = _text(json.dumps(jsonld_document(triples), ensure_ascii=False, indent=1))
        else:
            write = lambda path, items=items, fmt=fmt: _write_rdf(path, items, fmt)  # noqa: E731
        dumps.append(writer.add(name, fmt.media_type, title, write, fmt.w3c))
    turtle = _fmt("turtle")
    writer.add(
        "ontology.ttl",
        turtle.media_type,
        "The ontology alone, as Turtle",
        lambda p: _write_rdf(p, ontology, turtle),
        turtle.w3c,
    )
    writer.add(
        "ontology.html",
        "text/html",
        "The ontology's documentation (pyLODE)",
        _text(ontodoc.html(ontology)),
    )
    writer.add(
        "context.jsonld",
        "application/ld+json",
        "The JSON-LD context",
        _text(json.dumps(jsonld.context(), indent=2)),
    )
    sssom = exports.sssom(
        built,
        version=version,
        esco_version=esco.loaded_version(built) or "1.2.0",
        base_iri=settings.base_iri,
    )
    writer.add(
        "mappings.sssom.tsv",
        "text/tab-separated-values",
        "The ESCO alignments as SSSOM",
        _text(sssom),
    )
    writer.add(
        "changes.txt", "text/plain", "Changes since the previous release", _text(changes.as_text())
    )
    writer.add(
        "changes.ttl",
        turtle.media_type,
        "Changes since the previous release, as RDF",
        lambda p: _write_rdf(p, changes.triples(iri + "/changes"), turtle),
        turtle.w3c,
    )
    release_store = published_store(release_quads)
    graph_sizes = {
        g: sum(1 for q in release_quads if q.graph_name.value == g) for g in PUBLISHED_GRAPHS
    }
    service = describe_service(settings.base_iri + "sparql", graph_sizes)
    void = _release_void(release_store, settings, iri, dumps)
    writer.add(
        "void.ttl",
        turtle.media_type,
        "VoID description of the release",
        lambda p: _write_rdf(p, void, turtle),
        turtle.w3c,
    )
    writer.add(
        "service.ttl",
        turtle.media_type,
        "SPARQL service description",
        lambda p: _write_rdf(p, service, turtle),
        turtle.w3c,
    )
    catalog = dcat.describe(
        iri,
        writer.files,
        dcat.coverage(release_store),
        endpoint=settings.base_iri + "sparql",
        version=version,
        previous=release_iri(settings, previous) if previous else None,
        issued=datetime.now(UTC).date().isoformat(),
        series=settings.base_iri + "dataset",
    )
    stop_if_failed("description", check_description(catalog + void + service))
    (folder / "dcat.ttl").write_bytes(
        ox.serialize(catalog, format=turtle.engine, prefixes=PREFIXES)
    )
    sums = "".join(
        f"{dcat.sha256(p)}  {p.name}\n" for p in sorted(folder.iterdir()) if p.name != CHECKSUMS
    )
    (folder / CHECKSUMS).write_text(sums, encoding="utf-8")
    return writer.files
