"""A DCAT description of the dataset: its distributions (files), licence, coverage, versions.

Used twice: for a release (:mod:`wise_kg.release.assemble`, every file of ``dist/VERSION/``
with its size and SHA-256) and live (``/catalog``, the dumps of the build in
service). Coverage is read from the graph itself: the languages of its literals,
and the years its sources are dated.

>>> store = ox.Store()
>>> coverage(store)
Coverage(languages=(), start=None, end=None)
>>> triples = describe("https://w3id.org/wise-kg/release/1.0.0", [], Coverage(("en",), 2020, 2023),
...                    endpoint="https://w3id.org/wise-kg/sparql")
>>> any(t.object.value == DCAT + "Dataset" for t in triples)
True
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox

from wise_kg import namespaces as ns
from wise_kg.graphs import PUBLISHED_GRAPHS
from wise_kg.namespaces import DCAT, DCTERMS, FOAF, PUBLISHED_BASE, SPDX, XSD
from wise_kg.publish.nodes import blank_node

RDF_TYPE = ox.NamedNode(ns.RDF_TYPE)
IANA = "http://www.iana.org/assignments/media-types/"
LANGUAGES = "http://publications.europa.eu/resource/authority/language/"
#: ISO 639-1 → the EU Publications Office language authority (ISO 639-2/B codes).
LANGUAGE_CODES = {"en": "ENG", "it": "ITA", "fr": "FRA", "de": "DEU", "es": "SPA", "nl": "NLD"}
LICENSE = "https://creativecommons.org/licenses/by/4.0/"
TITLE = "The WISE capacity-building knowledge graph"
DESCRIPTION = (
    "The needs of Work Integration Social Enterprises (WISEs), the areas of expertise that "
    "answer them and their alignment with ESCO, after the B-WISE report D3.1 (2023), "
    "as OWL/SKOS validated with SHACL."
)

COVERAGE_LANGUAGES = """
SELECT DISTINCT (LANG(?o) AS ?lang) WHERE { ?s ?p ?o . FILTER (isLiteral(?o) && LANG(?o) != "") }
"""
COVERAGE_YEARS = """
PREFIX dcterms: <http://purl.org/dc/terms/>
PREFIX xsd: <http://www.w3.org/2001/XMLSchema#>
SELECT (MIN(?year) AS ?start) (MAX(?year) AS ?end) WHERE {
  ?source dcterms:date|dcterms:issued ?date .
  BIND (xsd:integer(SUBSTR(STR(?date), 1, 4)) AS ?year)
}
"""


@dataclass(frozen=True)
class Artefact:
    """One distributed file: name, URL, media type, format IRI, size and SHA-256."""

    name: str
    url: str
    media_type: str
    title: str
    size: int
    sha256: str
    format_iri: str = ""


@dataclass(frozen=True)
class Coverage:
    """What the graph covers: the languages of its text, the years of its sources."""

    languages: tuple[str, ...]
    start: int | None
    end: int | None


def sha256(path: Path) -> str:
    """The SHA-256 of a file, in hex."""
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        for block in iter(lambda: stream.read(1 << 16), b""):
            digest.update(block)
    return digest.hexdigest()


def artefact(path: Path, url: str, media_type: str, title: str, format_iri: str = "") -> Artefact:
    """Describe one file on disk (its size and checksum read now)."""
    return Artefact(
        path.name, url, media_type, title, path.stat().st_size, sha256(path), format_iri
    )


def coverage(store: ox.Store) -> Coverage:
    """Languages and years of the published graphs of ``store``."""
    graphs = [ox.NamedNode(g) for g in PUBLISHED_GRAPHS]
    languages = sorted(
        s["lang"].value.lower() for s in store.query(COVERAGE_LANGUAGES, default_graph=graphs)
    )
    years = next(iter(store.query(COVERAGE_YEARS, default_graph=graphs)))
    start, end = years["start"], years["end"]
    return Coverage(
        tuple(languages),
        int(start.value) if start is not None else None,
        int(end.value) if end is not None else None,
    )


def _typed(value: str, datatype: str) -> ox.Literal:
    return ox.Literal(value, datatype=ox.NamedNode(XSD + datatype))


def _distribution(node: ox.NamedNode, item: Artefact) -> list[ox.Triple]:
    checksum = blank_node("checksum", node.value)  # the same bytes each time (a strong ETag)
    triples = [
        ox.Triple(node, RDF_TYPE, ox.NamedNode(DCAT + "Distribution")),
        ox.Triple(node, ox.NamedNode(DCTERMS + "title"), ox.Literal(item.title, language="en")),
        ox.Triple(node, ox.NamedNode(DCAT + "downloadURL"), ox.NamedNode(item.url)),
        ox.Triple(node, ox.NamedNode(DCAT + "accessURL"), ox.NamedNode(item.url)),
        ox.Triple(node, ox.NamedNode(DCAT + "mediaType"), ox.NamedNode(IANA + item.media_type)),
        ox.Triple(
            node, ox.NamedNode(DCAT + "byteSize"), _typed(str(item.size), "nonNegativeInteger")
        ),
        ox.Triple(node, ox.NamedNode(DCTERMS + "license"), ox.NamedNode(LICENSE)),
        ox.Triple(node, ox.NamedNode(SPDX + "checksum"), checksum),
        ox.Triple(checksum, RDF_TYPE, ox.NamedNode(SPDX + "Checksum")),
        ox.Triple(
            checksum,
            ox.NamedNode(SPDX + "algorithm"),
            ox.NamedNode(SPDX + "checksumAlgorithm_sha256"),
        ),
        ox.Triple(checksum, ox.NamedNode(SPDX + "checksumValue"), _typed(item.sha256, "hexBinary")),
    ]
    if item.format_iri:
        triples.append(
            ox.Triple(node, ox.NamedNode(DCTERMS + "format"), ox.NamedNode(item.format_iri))
        )
    return triples


def _coverage(dataset: ox.NamedNode, cover: Coverage) -> list[ox.Triple]:
    triples = [
        ox.Triple(
            dataset,
            ox.NamedNode(DCTERMS + "language"),
            ox.NamedNode(LANGUAGES + LANGUAGE_CODES.get(lang, lang.upper())),
        )
        for lang in cover.languages
    ]
    if cover.start is not None and cover.end is not None:
        period = blank_node("period", dataset.value)
        triples += [
            ox.Triple(dataset, ox.NamedNode(DCTERMS + "temporal"), period),
            ox.Triple(period, RDF_TYPE, ox.NamedNode(DCTERMS + "PeriodOfTime")),
            ox.Triple(
                period, ox.NamedNode(DCAT + "startDate"), _typed(f"{cover.start}-01-01", "date")
            ),
            ox.Triple(period, ox.NamedNode(DCAT + "endDate"), _typed(f"{cover.end}-12-31", "date")),
        ]
    return triples


def describe(
    dataset_iri: str,
    files: Iterable[Artefact],
    cover: Coverage,
    *,
    endpoint: str,
    version: str | None = None,
    previous: str | None = None,
    issued: str | None = None,
    series: str | None = None,
) -> list[ox.Triple]:
    """A ``dcat:Dataset`` with one ``dcat:Distribution`` per file and the SPARQL service.

    ``version``, ``previous`` (the IRI of the release before) and ``issued`` (a date)
    describe a release; ``series`` is the dataset every version belongs to.
    """
    dataset = ox.NamedNode(dataset_iri)
    publisher, service = ox.NamedNode(PUBLISHED_BASE), ox.NamedNode(endpoint)
    triples = [
        ox.Triple(dataset, RDF_TYPE, ox.NamedNode(DCAT + "Dataset")),
        ox.Triple(dataset, ox.NamedNode(DCTERMS + "title"), ox.Literal(TITLE, language="en")),
        ox.Triple(
            dataset, ox.NamedNode(DCTERMS + "description"), ox.Literal(DESCRIPTION, language="en")
        ),
        ox.Triple(dataset, ox.NamedNode(DCTERMS + "license"), ox.NamedNode(LICENSE)),
        ox.Triple(dataset, ox.NamedNode(DCTERMS + "publisher"), publisher),
        ox.Triple(
            dataset,
            ox.NamedNode(DCTERMS + "source"),
            ox.NamedNode(PUBLISHED_BASE + "id/source/bwise-d3-1"),
        ),
        ox.Triple(
            dataset,
            ox.NamedNode(DCAT + "keyword"),
            ox.Literal("work integration social enterprise", language="en"),
        ),
        ox.Triple(dataset, ox.NamedNode(DCAT + "keyword"), ox.Literal("ESCO", language="en")),
        ox.Triple(publisher, RDF_TYPE, ox.NamedNode(FOAF + "Agent")),
        ox.Triple(publisher, ox.NamedNode(FOAF + "name"), ox.Literal("The wise-kg team")),
        ox.Triple(service, RDF_TYPE, ox.NamedNode(DCAT + "DataService")),
        ox.Triple(
            service,
            ox.NamedNode(DCTERMS + "title"),
            ox.Literal("wise-kg SPARQL endpoint", language="en"),
        ),
        ox.Triple(service, ox.NamedNode(DCAT + "endpointURL"), service),
        ox.Triple(
            service,
            ox.NamedNode(DCTERMS + "conformsTo"),
            ox.NamedNode("https://www.w3.org/TR/sparql11-protocol/"),
        ),
        ox.Triple(service, ox.NamedNode(DCAT + "servesDataset"), dataset),
        *_coverage(dataset, cover),
    ]
    if version:
        triples.append(ox.Triple(dataset, ox.NamedNode(DCAT + "version"), ox.Literal(version)))
    if previous:
        triples.append(
            ox.Triple(dataset, ox.NamedNode(DCAT + "previousVersion"), ox.NamedNode(previous))
        )
    if issued:
        triples.append(ox.Triple(dataset, ox.NamedNode(DCTERMS + "issued"), _typed(issued, "date")))
    if series:
        triples.append(
            ox.Triple(dataset, ox.NamedNode(DCTERMS + "isVersionOf"), ox.NamedNode(series))
        )
    for item in files:
        node = ox.NamedNode(item.url)
        triples.append(ox.Triple(dataset, ox.NamedNode(DCAT + "distribution"), node))
        triples += _distribution(node, item)
    return triples
