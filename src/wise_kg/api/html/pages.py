"""HTML pages for people: a view model built from a resource's triples, rendered by Jinja2.

Every page is made from the same triples as the resource's Turtle and JSON-LD
views (:func:`wise_kg.publish.describe.describe`); nothing on a page comes from elsewhere
but the names of properties, read once from the ontology.

Only http(s) IRIs become links: an IRI of any other scheme in the data (``javascript:``,
``data:`` …) is shown as text, so the data cannot put a script behind a link.

>>> linker = Linker("https://w3id.org/wise-kg/", {})
>>> linker.url("https://w3id.org/wise-kg/id/need/placement")
('/id/need/placement', False)
>>> linker.url("javascript:alert(1)")
(None, True)
>>> linker.url("https://w3id.org/wise-kg/shapes#Need")
('/shapes#Need', False)
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import pyoxigraph as ox
from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from jinja2 import Environment, PackageLoader, select_autoescape

from wise_kg.api.html.diagram import Node, neighbourhood_svg
from wise_kg.namespaces import DCTERMS, ESCO_DATA, RDF_TYPE, RDFS, SKOS, WISE
from wise_kg.publish.index import natural

#: The IRI schemes a page links to; an IRI of any other scheme is shown as text.
WEB_SCHEMES = ("http", "https")
#: The site's own scripts (pages have no inline script: their CSP runs files of this server).
SCRIPTS = Path(__file__).resolve().parent / "static"
#: The URL path they are served under.
SCRIPTS_PREFIX = "/static/wise-kg"

#: Names of the standard properties; wise: properties are named by the ontology.
STANDARD_NAMES = {
    SKOS + "prefLabel": "preferred label",
    SKOS + "altLabel": "also called",
    SKOS + "definition": "definition",
    SKOS + "notation": "notation",
    SKOS + "broader": "broader",
    SKOS + "narrower": "narrower",
    SKOS + "inScheme": "in scheme",
    SKOS + "topConceptOf": "top concept of",
    SKOS + "hasTopConcept": "top concepts",
    SKOS + "scopeNote": "scope note",
    SKOS + "editorialNote": "editorial note",
    SKOS + "memberList": "members, in order",
    SKOS + "exactMatch": "exact match",
    SKOS + "closeMatch": "close match",
    SKOS + "broadMatch": "broad match",
    SKOS + "narrowMatch": "narrow match",
    SKOS + "relatedMatch": "related match",
    DCTERMS + "source": "source",
    DCTERMS + "isPartOf": "part of",
    DCTERMS + "title": "title",
    RDFS + "label": "label",
    RDFS + "comment": "comment",
    RDFS + "seeAlso": "see also",
    RDF_TYPE: "type",
}
#: Shown in the page header, not again in the table of properties.
HEADER = {SKOS + "prefLabel", SKOS + "definition", SKOS + "notation", RDF_TYPE}
#: Properties whose objects are shown as embedded sections (owned resources).
OWNED = {
    WISE + "hasResistance": "Elements of resistance",
    WISE + "hasAction": "Skills-enhancement actions",
    WISE + "hasSwotFinding": "Evidence from the SWOT analysis",
    WISE + "hasEscoAlignment": "ESCO alignments",
    WISE + "hasDirection": "Directions",
    WISE + "hasCollaborationTopic": "Collaboration topics",
}


@dataclass
class Value:
    """One object of a property: a link or a literal."""

    text: str
    url: str | None = None  # None: shown as text
    external: bool = False
    lang: str | None = None
    note: str | None = None  # notation, datatype …


@dataclass
class Row:
    """One property with its values."""

    name: str
    anchor: str
    values: list[Value]


@dataclass
class ResourceView:
    """What a resource page shows."""

    iri: str
    url: str | None
    label: str
    kind: str
    notation: str | None = None
    definition: str | None = None
    rows: list[Row] = field(default_factory=list)
    owned: list[tuple[str, list[ResourceView]]] = field(default_factory=list)
    inbound: list[Row] = field(default_factory=list)
    sources: list[Value] = field(default_factory=list)
    esco: list[Value] = field(default_factory=list)
    hierarchies: list[Value] = field(default_factory=list)  # the trees it is shown in
    diagram: str = ""


class Linker:
    """Turns IRIs into local URLs (for ours) or external links, with their names."""

    def __init__(self, base_iri: str, names: dict[str, str], lang: str = "en"):
        self.base_iri, self.names, self.lang = base_iri, names, lang

    def url(self, iri: str) -> tuple[str | None, bool]:
        """The URL a page links to for ``iri`` (None: no link, not http(s)), and whether
        it leaves the site."""
        if iri.startswith(self.base_iri + "id/"):
            return "/" + iri[len(self.base_iri) :], False
        if iri.startswith(WISE):
            return "/ontology#" + iri[len(WISE) :], False
        for served in ("shapes#", "graph/"):  # the shapes and the named graphs have pages
            if iri.startswith(self.base_iri + served) and len(iri) > len(self.base_iri + served):
                return "/" + iri[len(self.base_iri) :], False
        return (iri if linkable(iri) else None), True

    def value(
        self, term: ox.NamedNode | ox.BlankNode | ox.Literal, labels: dict[str, str]
    ) -> Value:
        """A term as a page shows it."""
        if isinstance(term, ox.Literal):
            datatype = term.datatype.value.rsplit("#", 1)[-1]
            note = None if datatype in ("string", "langString") else datatype
            return Value(term.value, lang=term.language, note=note)
        if isinstance(term, ox.BlankNode):
            return Value("(anonymous)")
        url, external = self.url(term.value)
        label = labels.get(term.value) or self.names.get(term.value) or _short(term.value)
        note = None if url else term.value  # an IRI shown as text is shown whole
        return Value(label, url=url, external=external, note=note)

    def property_name(self, iri: str) -> str:
        """A property's name for people."""
        return self.names.get(iri) or STANDARD_NAMES.get(iri) or _short(iri)


def linkable(iri: str) -> bool:
    """Whether ``iri`` may be an ``href``: an http(s) IRI, never ``javascript:`` and the like.

    >>> linkable("HTTPS://example.org/"), linkable("javascript:alert(1)"), linkable("urn:x:1")
    (True, False, False)
    """
    scheme, colon, _rest = iri.partition(":")
    return bool(colon) and scheme.lower() in WEB_SCHEMES


def mount_scripts(app: FastAPI) -> None:
    """Serve the site's own scripts (:data:`SCRIPTS`) at :data:`SCRIPTS_PREFIX`."""
    app.mount(SCRIPTS_PREFIX, StaticFiles(directory=SCRIPTS), name="scripts")


def _short(iri: str) -> str:
    return iri.rstrip("/").rsplit("/", 1)[-1].rsplit("#", 1)[-1]


def _language_rank(term: ox.NamedNode | ox.BlankNode | ox.Literal, lang: str) -> int:
    """0 for the requested language, 1 for English or no language, 2 for any other."""
    language = term.language if isinstance(term, ox.Literal) else None
    if language == lang:
        return 0
    return 1 if language in (None, "en") else 2


def labels_of(triples: list[ox.Triple], lang: str = "en") -> dict[str, str]:
    """The best name of every IRI in the triples, in ``lang`` if it has one, else English."""
    ranked: dict[str, tuple[int, int, str]] = {}
    rank = {SKOS + "prefLabel": 0, RDFS + "label": 1, DCTERMS + "title": 2, SKOS + "notation": 3}
    for t in triples:
        r = rank.get(t.predicate.value)
        if r is None or not isinstance(t.object, ox.Literal):
            continue
        key = (_language_rank(t.object, lang), r, t.object.value)
        subject = t.subject.value
        if subject not in ranked or key < ranked[subject]:
            ranked[subject] = key
    return {k: v for k, (_l, _r, v) in ranked.items()}


def _first(triples: list[ox.Triple], subject: str, predicate: str, lang: str = "en") -> str | None:
    """The value of a property, in ``lang`` if there is one, else English or plain."""
    values = [
        t.object for t in triples if t.subject.value == subject and t.predicate.value == predicate
    ]
    best = sorted(
        (v for v in values if _language_rank(v, lang) < 2), key=lambda v: _language_rank(v, lang)
    )
    return best[0].value if best else None


def build_view(
    iri: str, triples: list[ox.Triple], linker: Linker, *, nested: bool = False
) -> ResourceView:
    """The view of ``iri`` from its description triples."""
    labels = labels_of(triples, linker.lang)
    types = [
        t.object.value for t in triples if t.subject.value == iri and t.predicate.value == RDF_TYPE
    ]
    kind = ", ".join(linker.property_name(t) for t in types) or "resource"
    view = ResourceView(
        iri=iri,
        url=linker.url(iri)[0],
        label=labels.get(iri, _short(iri)),
        kind=kind,
        notation=_first(triples, iri, SKOS + "notation"),
        definition=_first(triples, iri, SKOS + "definition", linker.lang),
    )
    outgoing: dict[str, list[ox.Triple]] = defaultdict(list)
    incoming: dict[str, list[ox.Triple]] = defaultdict(list)
    for t in triples:
        if t.subject.value == iri:
            outgoing[t.predicate.value].append(t)
        elif isinstance(t.object, ox.NamedNode) and t.object.value == iri:
            incoming[t.predicate.value].append(t)
    for predicate in sorted(outgoing, key=linker.property_name):
        objects = outgoing[predicate]
        if predicate in OWNED and not nested:
            members = sorted({t.object.value for t in objects})
            view.owned.append(
                (OWNED[predicate], [build_view(m, triples, linker, nested=True) for m in members])
            )
            continue
        values = sorted(
            (linker.value(t.object, labels) for t in objects), key=lambda v: natural(v.text)
        )
        if predicate == DCTERMS + "source":
            view.sources = values
        if predicate in HEADER:
            continue
        view.rows.append(Row(linker.property_name(predicate), _short(predicate), values))
        if (
            predicate.startswith(SKOS) and predicate.endswith("Match")
        ) or predicate == WISE + "escoConcept":
            view.esco.extend(v for v in values if v.url and v.url.startswith(ESCO_DATA))
    if not nested:
        view.hierarchies = _hierarchies(view, types, outgoing, labels, linker)
        for predicate in sorted(incoming, key=linker.property_name):
            values = sorted(
                (linker.value(t.subject, labels) for t in incoming[predicate]), key=lambda v: v.text
            )
            view.inbound.append(Row(linker.property_name(predicate), _short(predicate), values))
        view.diagram = _diagram(view, outgoing, incoming, labels, linker)
    return view


#: Where a concept scheme's tree is shown (``routes/hierarchy.py``).
HIERARCHY_PREFIX = "/hierarchy/"
SCHEME_PREFIX = "/id/scheme/"


def _hierarchies(
    view: ResourceView,
    types: list[str],
    outgoing: dict[str, list[ox.Triple]],
    labels: dict[str, str],
    linker: Linker,
) -> list[Value]:
    """Links to the trees of the schemes a concept is in (at its place), or a scheme's own."""
    if SKOS + "ConceptScheme" in types and view.url and view.url.startswith(SCHEME_PREFIX):
        tree = HIERARCHY_PREFIX + view.url[len(SCHEME_PREFIX) :]
        return [Value(f"{view.label}, as a tree", url=tree)]
    anchor = (view.url or "").removeprefix("/id/")
    found: dict[str, Value] = {}
    for predicate in (SKOS + "inScheme", SKOS + "topConceptOf"):
        for t in outgoing.get(predicate, []):
            url = linker.url(t.object.value)[0] or ""
            if url.startswith(SCHEME_PREFIX):
                tree = HIERARCHY_PREFIX + url[len(SCHEME_PREFIX) :] + "#" + anchor
                label = labels.get(t.object.value) or _short(t.object.value)
                found.setdefault(tree, Value(label, url=tree))
    return sorted(found.values(), key=lambda v: v.text)


def _diagram(
    view: ResourceView,
    outgoing: dict[str, list[ox.Triple]],
    incoming: dict[str, list[ox.Triple]],
    labels: dict[str, str],
    linker: Linker,
) -> str:
    neighbours: list[Node] = []
    seen: set[str] = set()
    for direction, groups, end in (("out", outgoing, "object"), ("in", incoming, "subject")):
        for predicate, group in groups.items():
            if predicate in (RDF_TYPE, SKOS + "inScheme", DCTERMS + "source"):
                continue
            for t in group:
                node = getattr(t, end)
                if not isinstance(node, ox.NamedNode) or node.value in seen:
                    continue
                seen.add(node.value)
                url, _ = linker.url(node.value)
                neighbours.append(
                    Node(
                        labels.get(node.value, _short(node.value)),
                        url,
                        linker.property_name(predicate),
                        direction,
                    )
                )
    return neighbourhood_svg(Node(view.label, view.url, "", "self"), neighbours)


@lru_cache(maxsize=1)
def environment() -> Environment:
    """The Jinja2 environment of the package's templates (autoescaped)."""
    env = Environment(
        loader=PackageLoader("wise_kg.api.html", "templates"),
        autoescape=select_autoescape(["html"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.globals["scripts"] = SCRIPTS_PREFIX
    return env


def render(template: str, lang: str = "en", **context: object) -> str:
    """Render one template of ``wise_kg/templates`` in a page language."""
    return environment().get_template(template).render(lang=lang, **context)


#: A whole HTML document: what its head and its body hold (their own attributes dropped).
HTML_DOCUMENT = re.compile(
    r"\s*<!doctype html>\s*<html[^>]*>\s*<head[^>]*>(.*?)</head>\s*<body[^>]*>(.*)</body>"
    r"\s*</html>\s*",
    re.DOTALL | re.IGNORECASE,
)
#: The icons a page made elsewhere names (the site's instead).
ICON_LINK = re.compile(r'<link[^>]*rel="icon"[^>]*>\s*')


def with_site_header(document: str, lang: str = "en", nav: str | None = None) -> str:
    """A page made elsewhere (pyLODE's ontology page) with the site's icon, header styles,
    navigation and search suggestions, like every page rendered from ``base.html``: its
    head and body inside ``made_elsewhere.html``."""
    parts = HTML_DOCUMENT.fullmatch(document)
    if parts is None:
        raise ValueError("not an HTML document with a head and a body")
    head, body = ICON_LINK.sub("", parts[1]).strip(), parts[2].strip()
    return render("made_elsewhere.html", lang, nav=nav, head=head, body=body)
