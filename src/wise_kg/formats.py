"""The one table of media types, format names, file extensions and engine formats.

Every route and command that reads or writes a format goes through here.

>>> negotiate("text/turtle;q=0.9, application/n-triples", GRAPH_FORMATS).name
'ntriples'
>>> negotiate("TEXT/Turtle", GRAPH_FORMATS).name
'turtle'
>>> by_name("json", RESULT_FORMATS).media_type
'application/sparql-results+json'
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import mimeparse
from pyoxigraph import QueryResultsFormat, RdfFormat

from wise_kg.errors import NotAcceptable

W3C = "http://www.w3.org/ns/formats/"


@dataclass(frozen=True)
class Format:
    """One serialization: short name, media type, extension and the engine's own format."""

    name: str
    media_type: str
    extension: str
    engine: RdfFormat | QueryResultsFormat
    aliases: tuple[str, ...] = ()
    w3c: str = ""  # its IRI in http://www.w3.org/ns/formats/

    @property
    def content_type(self) -> str:
        """The Content-Type header value: text types carry their charset; JSON types
        define no charset parameter (RFC 8259 §11; a JSON-LD processor ignores a
        context ``Link`` only on exactly ``application/ld+json``)."""
        textual = self.media_type.startswith("text/") or self.media_type.endswith(
            ("xml", "triples", "quads", "trig")
        )
        return f"{self.media_type}; charset=utf-8" if textual else self.media_type


# fmt: off
#: SELECT / ASK results, in order of preference.
RESULT_FORMATS: tuple[Format, ...] = (
    Format("json", "application/sparql-results+json", "srj", QueryResultsFormat.JSON,
           ("application/json",), W3C + "SPARQL_Results_JSON"),
    Format("xml", "application/sparql-results+xml", "srx", QueryResultsFormat.XML,
           ("application/xml", "text/xml"), W3C + "SPARQL_Results_XML"),
    Format("csv", "text/csv", "csv", QueryResultsFormat.CSV, (), W3C + "SPARQL_Results_CSV"),
    Format("tsv", "text/tab-separated-values", "tsv", QueryResultsFormat.TSV, (),
           W3C + "SPARQL_Results_TSV"),
)

#: CONSTRUCT / DESCRIBE results and graph documents, in order of preference.
GRAPH_FORMATS: tuple[Format, ...] = (
    Format("turtle", "text/turtle", "ttl", RdfFormat.TURTLE,
           ("application/x-turtle", "text/n3", "n3"), W3C + "Turtle"),
    Format("ntriples", "application/n-triples", "nt", RdfFormat.N_TRIPLES, (), W3C + "N-Triples"),
    Format("jsonld", "application/ld+json", "jsonld", RdfFormat.JSON_LD, ("application/json",),
           W3C + "JSON-LD"),
    Format("rdfxml", "application/rdf+xml", "rdf", RdfFormat.RDF_XML,
           ("application/xml", "text/xml"), W3C + "RDF_XML"),
    Format("nquads", "application/n-quads", "nq", RdfFormat.N_QUADS, (), W3C + "N-Quads"),
    Format("trig", "application/trig", "trig", RdfFormat.TRIG, (), W3C + "TriG"),
)
# fmt: on

#: Documents about the service (service description): RDF formats that hold one graph.
DESCRIPTION_FORMATS: tuple[Format, ...] = tuple(
    f for f in GRAPH_FORMATS if f.name in ("turtle", "jsonld", "rdfxml", "ntriples")
)


def offered(formats: tuple[Format, ...]) -> list[str]:
    """The media types a list of formats offers (canonical ones first)."""
    return [f.media_type for f in formats]


#: Accept headers up to this length have their outcome remembered (clients send few kinds).
MEMO_ACCEPT = 256


def negotiate(accept: str | None, formats: tuple[Format, ...]) -> Format:
    """Pick the best format for an Accept header, honouring q-values.

    A missing or empty header, or ``*/*``, gets the first (preferred) format.
    Raises :class:`NotAcceptable` with the offered types when nothing fits.
    """
    if not accept or not accept.strip():
        return formats[0]
    if len(accept) <= MEMO_ACCEPT:
        return _remembered(accept, formats)
    return _negotiate(accept, formats)


@lru_cache(maxsize=512)
def _remembered(accept: str, formats: tuple[Format, ...]) -> Format:
    return _negotiate(accept, formats)


def _negotiate(accept: str, formats: tuple[Format, ...]) -> Format:
    # Canonical types first so that ties go to them; aliases after.
    candidates = [f.media_type for f in formats] + [
        a for f in formats for a in f.aliases if "/" in a
    ]
    try:  # media types are case-insensitive (RFC 9110 §8.3.1)
        best = mimeparse.best_match(list(reversed(candidates)), accept.lower())
    except (ValueError, IndexError):
        best = ""
    if not best:
        raise NotAcceptable(offered(formats))
    for fmt in formats:
        if best == fmt.media_type or best in fmt.aliases:
            return fmt
    raise NotAcceptable(offered(formats))  # pragma: no cover - best came from the list


def by_name(name: str, formats: tuple[Format, ...]) -> Format:
    """Find a format by short name, extension or media type (the ``format`` parameter)."""
    key = name.strip().lower()
    for fmt in formats:
        if key in (fmt.name, fmt.extension, fmt.media_type, *fmt.aliases):
            return fmt
    raise NotAcceptable(offered(formats))


def wants_html(accept: str | None, formats: tuple[Format, ...]) -> bool:
    """True when a browser-style Accept header ranks text/html above every RDF format."""
    accept = (accept or "").lower()
    if "text/html" not in accept:
        return False
    candidates = [f.media_type for f in reversed(formats)] + ["text/html"]
    try:
        return mimeparse.best_match(candidates, accept) == "text/html"
    except (ValueError, IndexError):
        return False
