"""JSON-LD views of the graph: one versioned ``@context`` and a framed document per resource.

A resource's JSON-LD document is made from exactly the triples of its
description (:func:`wise_kg.publish.describe.describe`), the same triples its Turtle
view shows: expanding the document gives those triples back, no more, no less.

* The ``@context`` (``contexts/wise-kg.jsonld``, version :data:`CONTEXT_VERSION`)
  gives short keys (``prefLabel``, ``develops``, ``escoConcept`` …), types every
  IRI-valued property as ``@id`` and makes English the default language, so
  English strings are plain JSON strings; other literals keep an explicit
  ``@value`` object (``{"@value": "S1.8"}`` has no language, ``@language`` or
  ``@type`` are spelled out when they differ).
* The document is framed around the resource (JSON-LD framing, ``@embed
  @always``): the resource at top level, what it owns (resistances, actions,
  SWOT findings, ESCO alignments …) embedded, what it points at embedded as a
  small node carrying the label, notation and type the description holds, and
  the resources linking to it under ``@reverse``. The labels of its classes
  (objects of ``@type``, which a frame cannot embed) go under ``@included``.
* Documents name the context at the server's own public address (``{public
  base}/context.jsonld``), so any JSON-LD processor with its own default loader
  (pyld, jsonld.js, rdflib, Comunica) reads them from wherever they are served.
* This process never fetches a remote document: every pyld call here passes
  :func:`loader`, which serves our own context from disk for the URLs listed in
  its docstring and refuses everything else. pyld's own default loader is left
  as pyld has it, for other code in the process.
* The JSON-LD profiles (``expanded``, ``compacted``, ``flattened``) of an
  ``Accept`` header are honoured by :func:`in_profile`.

>>> CONTEXT_VERSION
'1.1.0'
>>> context_url("http://127.0.0.1:8000/")
'http://127.0.0.1:8000/context.jsonld'
>>> loader("https://w3id.org/wise-kg/context.jsonld")["document"] == context()
True
"""

from __future__ import annotations

import copy
import json
import threading
from collections.abc import Iterable
from functools import cache
from importlib import resources
from typing import Any

import pyoxigraph as ox
from pyld import jsonld
from pyld.jsonld import JsonLdError

from wise_kg.namespaces import PUBLISHED_BASE, XSD_STRING

#: Version of the published ``@context``; bump it whenever a term changes meaning.
CONTEXT_VERSION = "1.1.0"
#: Where the context is published for good: its own IRI is ``PUBLISHED_BASE + "context.jsonld"``.
PUBLISHED_CONTEXT = PUBLISHED_BASE + "context.jsonld"
#: The context file, shipped as package data.
CONTEXT_FILE = "wise-kg.jsonld"

#: Keys put first in every node object, in this order; the rest follow sorted.
_KEY_ORDER = ("@context", "id", "type", "notation", "prefLabel", "label", "title")
#: Keys put last, in this order.
_KEY_LAST = ("@reverse", "@included")

_registered: set[str] = set()
_lock = threading.Lock()


# --- the context --------------------------------------------------------------------------


@cache
def _context_file() -> dict[str, Any]:
    text = resources.files("wise_kg").joinpath("contexts", CONTEXT_FILE).read_text("utf-8")
    return json.loads(text)


def context() -> dict[str, Any]:
    """The ``@context`` document (``{"@context": {...}}``), a fresh copy each call.

    >>> context()["@context"]["develops"]
    {'@id': 'wise:develops', '@type': '@id'}
    """
    return copy.deepcopy(_context_file())


def context_paths() -> tuple[str, str]:
    """The paths, relative to the server's base, at which the context is served."""
    return "context.jsonld", f"context/{CONTEXT_VERSION}.jsonld"


def context_url(base: str) -> str:
    """The context's URL under a server ``base`` (ending in ``/``), registered with the loader.

    Registering both the plain and the versioned URL lets :func:`to_triples` read
    back any document this process has published.

    >>> context_url("http://example.org/wise/")
    'http://example.org/wise/context.jsonld'
    >>> loader("http://example.org/wise/context/1.1.0.jsonld")["documentUrl"]
    'http://example.org/wise/context/1.1.0.jsonld'
    """
    plain, versioned = context_paths()
    register_context_url(base + versioned)
    return register_context_url(base + plain)


def register_context_url(url: str) -> str:
    """Let :func:`loader` serve our context for exactly ``url`` (no pattern, no fetching)."""
    with _lock:
        _registered.add(url)
    return url


def is_context_url(url: str) -> bool:
    """Whether :func:`loader` serves our context for ``url``: exact URLs only, no pattern.

    They are the published IRIs (``https://w3id.org/wise-kg/context.jsonld`` and
    ``https://w3id.org/wise-kg/context/{CONTEXT_VERSION}.jsonld``) and the URLs
    registered in this process, by :func:`register_context_url` or by
    :func:`context_url` for the server's configured base. A URL that merely
    looks like ours (``http://elsewhere/context.jsonld``, another port, another
    version) is refused: it may not be our context, and it is never fetched.

    >>> is_context_url("https://w3id.org/wise-kg/context/1.1.0.jsonld")
    True
    >>> is_context_url("http://evil.example/context.jsonld")
    False
    >>> is_context_url("https://w3id.org/wise-kg/context/0.0.1.jsonld")
    False
    """
    if url in _published_urls():
        return True
    with _lock:
        return url in _registered


def _published_urls() -> tuple[str, str]:
    plain, versioned = context_paths()
    return PUBLISHED_BASE + plain, PUBLISHED_BASE + versioned


def loader(url: str, options: dict[str, Any] | None = None) -> dict[str, Any]:
    """A pyld document loader that never touches the network.

    Serves our context (from the package's file) for the URLs of
    :func:`is_context_url`; raises pyld's ``JsonLdError`` for any other URL.
    """
    if not isinstance(url, str) or not is_context_url(url):
        raise JsonLdError(
            f"wise-kg does not fetch remote JSON-LD documents: {url!r} is not a known context",
            "jsonld.LoadDocumentError",
            {"url": url},
            code="loading remote context failed",
        )
    return {
        "contentType": "application/ld+json",
        "contextUrl": None,
        "documentUrl": url,
        "document": context(),
    }


#: The JSON-LD 1.1 profiles of ``application/ld+json`` (JSON-LD 1.1 §9.1).
PROFILES = {
    name: f"http://www.w3.org/ns/json-ld#{name}" for name in ("expanded", "compacted", "flattened")
}


def requested_profile(accept: str | None) -> str | None:
    """The first JSON-LD profile an ``Accept`` header asks of ``application/ld+json``.

    >>> requested_profile('application/ld+json;profile="http://www.w3.org/ns/json-ld#expanded"')
    'http://www.w3.org/ns/json-ld#expanded'
    >>> requested_profile("application/ld+json") is None
    True
    """
    for media_range in (accept or "").split(","):
        media_type, *params = media_range.split(";")
        if media_type.strip().lower() != "application/ld+json":
            continue
        for param in params:
            key, _, value = param.strip().partition("=")
            if key.strip().lower() == "profile":
                for iri in value.strip().strip('"').split():
                    if iri in PROFILES.values():
                        return iri
    return None


def in_profile(document: dict[str, Any], profile: str, context_ref: str) -> Any:
    """A resource's (compacted, framed) document in another JSON-LD profile.

    Expanded: no context at all. Flattened: every node at top level under
    ``@graph``, compacted with our context (named by ``context_ref``).
    """
    options = {"documentLoader": loader, "base": None}
    if profile == PROFILES["expanded"]:
        return jsonld.expand(document, options)
    if profile == PROFILES["flattened"]:
        flattened = jsonld.flatten(document, context(), options)
        flattened["@context"] = document.get("@context", context_ref)
        return flattened
    return document


# --- triples <-> pyld datasets ------------------------------------------------------------


def _to_pyld_term(term: ox.NamedNode | ox.BlankNode | ox.Literal) -> dict[str, str]:
    if isinstance(term, ox.NamedNode):
        return {"type": "IRI", "value": term.value}
    if isinstance(term, ox.BlankNode):
        return {"type": "blank node", "value": f"_:{term.value}"}
    if isinstance(term, ox.Literal):
        out = {"type": "literal", "value": term.value, "datatype": term.datatype.value}
        if term.language:
            out["language"] = term.language
        return out
    raise ValueError(f"JSON-LD cannot hold the RDF term {term!r}")


def _from_pyld_term(term: dict[str, str]) -> ox.NamedNode | ox.BlankNode | ox.Literal:
    kind = term["type"]
    if kind == "IRI":
        return ox.NamedNode(term["value"])
    if kind == "blank node":
        return ox.BlankNode(term["value"].removeprefix("_:"))
    if term.get("language"):
        return ox.Literal(term["value"], language=term["language"])
    datatype = term.get("datatype") or XSD_STRING
    if datatype == XSD_STRING:
        return ox.Literal(term["value"])
    return ox.Literal(term["value"], datatype=ox.NamedNode(datatype))


def pyld_dataset(triples: Iterable[ox.Triple]) -> dict[str, list[dict[str, dict[str, str]]]]:
    """The triples as a pyld RDF dataset (default graph only), with no text format between.

    (pyld's own N-Quads reader checks each triple against every one before it: on the
    release's 10,000 triples, 5 s of its 6.)
    """
    return {
        "@default": [
            {
                "subject": _to_pyld_term(t.subject),
                "predicate": _to_pyld_term(t.predicate),
                "object": _to_pyld_term(t.object),
            }
            for t in triples
        ]
    }


def to_triples(doc: dict[str, Any] | list[Any]) -> list[ox.Triple]:
    """The triples a JSON-LD document expands to, resolving contexts with :func:`loader` only.

    >>> doc = {"@context": PUBLISHED_CONTEXT, "id": "wisekg:need/x", "prefLabel": "X"}
    >>> to_triples(doc)  # doctest: +NORMALIZE_WHITESPACE
    [<Triple subject=<NamedNode value=https://w3id.org/wise-kg/id/need/x>
      predicate=<NamedNode value=http://www.w3.org/2004/02/skos/core#prefLabel>
      object=<Literal value=X language=en>>]
    """
    dataset = jsonld.to_rdf(doc, {"documentLoader": loader, "base": None})
    triples = []
    for name, quads in dataset.items():
        if name != "@default":
            raise ValueError(f"a resource's document holds no named graph, found {name!r}")
        for quad in quads:
            triples.append(
                ox.Triple(
                    _from_pyld_term(quad["subject"]),
                    _from_pyld_term(quad["predicate"]),
                    _from_pyld_term(quad["object"]),
                )
            )
    return triples


# --- the framed document ------------------------------------------------------------------


def _refs_to(value: dict[str, Any], iri: str) -> bool:
    return value.get("@id") == iri and len(value) == 1


def _inbound(nodes: list[dict[str, Any]], iri: str) -> dict[str, list[dict[str, Any]]]:
    """For each property linking another node to ``iri``: those nodes, minus those links.

    Each linking node is repeated under every such property; the copy drops only
    its links to ``iri`` (``@reverse`` states them) and keeps everything else.
    """
    reverse: dict[str, list[dict[str, Any]]] = {}
    for node in nodes:
        if node.get("@id") == iri:
            continue
        linking = [
            prop
            for prop, values in node.items()
            if not prop.startswith("@") and any(_refs_to(v, iri) for v in values)
        ]
        if not linking:
            continue
        rest: dict[str, Any] = {}
        for prop, values in node.items():
            kept = values if prop.startswith("@") else [v for v in values if not _refs_to(v, iri)]
            if kept:
                rest[prop] = kept
        for prop in linking:
            reverse.setdefault(prop, []).append(rest)
    return reverse


def _ordered(value: Any) -> Any:
    """Keys in reading order: ``id``, ``type``, names, the rest sorted, then ``@reverse`` …"""
    if isinstance(value, list):
        return [_ordered(v) for v in value]
    if not isinstance(value, dict):
        return value
    first = [k for k in _KEY_ORDER if k in value]
    rest = sorted(k for k in value if k not in _KEY_ORDER and k not in _KEY_LAST)
    last = [k for k in _KEY_LAST if k in value]
    return {k: (value[k] if k == "@context" else _ordered(value[k])) for k in first + rest + last}


def document(
    triples: list[ox.Triple], iri: str, context_ref: str, language: str = "en"
) -> dict[str, Any]:
    """The JSON-LD document of resource ``iri``, made of exactly ``triples``.

    Strings in ``language`` are written as plain JSON strings (the context's
    default language, overridden in the document when it is not English); the
    others keep their language tag. Every language is always there.

    ``context_ref`` (a URL of our context, e.g. :func:`context_url`) becomes the
    document's ``@context``. The resource is the top-level object; everything
    reachable from it is embedded (``@embed @always``, cycles stop at a
    reference); nodes linking to it come under ``@reverse``. A triple the frame
    could not place (none, for a description) is kept under ``@included``, so
    none is ever dropped.
    """
    options = {"documentLoader": loader, "base": None}
    nodes = jsonld.from_rdf(pyld_dataset(triples), options)
    # Frame forward from the resource, in expanded form (no context yet).
    frame = {"@id": iri, "@embed": "@always"}
    framed = jsonld.frame(nodes, frame, {**options, "omitGraph": True})
    framed.pop("@context", None)
    tree = jsonld.expand(framed, options) if framed.get("@id") == iri else []
    root: dict[str, Any] = tree[0] if tree else {"@id": iri}
    reverse = _inbound(nodes, iri)
    if reverse:
        root["@reverse"] = reverse
    placed = {_key(t) for t in to_triples([root])}
    missing = [t for t in triples if _is_ground(t) and _key(t) not in placed]
    if missing:
        root["@included"] = jsonld.from_rdf(pyld_dataset(missing), options)
    local = context()
    if language != "en":
        local["@context"]["@language"] = language
    compacted = jsonld.compact(root, local, options)
    compacted["@context"] = (
        context_ref if language == "en" else [context_ref, {"@language": language}]
    )
    return _ordered(compacted)


def _is_ground(triple: ox.Triple) -> bool:
    return not isinstance(triple.subject, ox.BlankNode) and not isinstance(
        triple.object, ox.BlankNode
    )


def _key(triple: ox.Triple) -> tuple[str, str, str]:
    return (str(triple.subject), str(triple.predicate), str(triple.object))
