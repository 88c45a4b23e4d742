"""``/esco?uri=…``: for an ESCO concept, the WISE resources linked to it or below it.

For any ESCO URI the graph knows (described in ``data/`` or loaded in the ESCO graph):
the areas of expertise and profiles whose ESCO alignment points at it or at a concept
below it in ESCO's hierarchy (``skos:broader`` / ``skos:broaderTransitive``), with the
mapping relation and whose judgement the link is: the report's (a ``wise:EscoAlignment``
citing the report's sections in ``dcterms:source``) or the graph's curators' (a
``wise:CuratedEscoAlignment`` with its curator, date and justification); and the needs
those areas develop. A page for people, JSON or JSON-LD (with an inline context, so
no remote context is ever needed) for programs. Without ``uri``: the ESCO concepts the
graph links to, as a list to start from.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Annotated, Any

import mimeparse
import pyoxigraph as ox
from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import HTMLResponse, JSONResponse

from wise_kg.api.deps import Build, Config
from wise_kg.api.documents import BY_FORMAT_AND_LANGUAGE, cached, language, page_linker, render_page
from wise_kg.api.html.pages import linkable
from wise_kg.api.live import Snapshot
from wise_kg.api.routes.query_pages import esco_page
from wise_kg.errors import BadEscoUri, NotFound
from wise_kg.namespaces import ESCO_DATA, WISE, prefixes

router = APIRouter(tags=["esco"])

OFFERED = ["application/json", "application/ld+json", "text/html"]
PREFIXES = """
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
PREFIX wise: <https://w3id.org/wise-kg/ontology#>
PREFIX dcterms: <http://purl.org/dc/terms/>
"""
CONCEPT = (
    PREFIXES
    + """
SELECT ?label ?notation ?type ?broader ?broaderLabel WHERE {
  { %(uri)s skos:prefLabel ?label FILTER (LANGMATCHES(LANG(?label), "en")) }
  UNION { %(uri)s skos:notation ?notation }
  UNION { %(uri)s a ?type }
  UNION { %(uri)s skos:broader ?broader
          OPTIONAL { ?broader skos:prefLabel ?broaderLabel
                     FILTER (LANGMATCHES(LANG(?broaderLabel), "en")) } }
}
"""
)
LINKS = (
    PREFIXES
    + """
SELECT ?subject ?subjectType ?alignment ?alignmentType ?linked ?relation ?coverage ?source
       ?justification ?creator ?created WHERE {
  ?subject wise:hasEscoAlignment|wise:hasCuratedEscoAlignment ?alignment .
  ?alignment wise:escoConcept ?linked ; a ?alignmentType .
  FILTER (?alignmentType IN (wise:EscoAlignment, wise:CuratedEscoAlignment))
  ?linked (skos:broader|skos:broaderTransitive)* %(uri)s .
  ?subject a ?subjectType .
  FILTER (STRSTARTS(STR(?subjectType), STR(wise:)))
  OPTIONAL { ?alignment wise:mappingRelation ?relation }
  OPTIONAL { ?alignment wise:escoCoverage ?coverage }
  OPTIONAL { ?alignment dcterms:source ?source }
  OPTIONAL { ?alignment wise:justification ?justification }
  OPTIONAL { ?alignment dcterms:creator ?creator }
  OPTIONAL { ?alignment dcterms:created ?created }
}
"""
)
NEEDS = (
    PREFIXES
    + """
SELECT DISTINCT ?need ?area WHERE { VALUES ?area { %(areas)s } ?area wise:develops ?need }
"""
)
LINKED = (
    PREFIXES
    + """
SELECT DISTINCT ?concept WHERE { ?a wise:escoConcept ?concept }
"""
)
CONTEXT = {
    **prefixes("skos", "wise", "dcterms"),
    "label": "skos:prefLabel",
    "notation": "skos:notation",
    "broader": {"@id": "skos:broader", "@type": "@id"},
    "alignments": {"@reverse": "wise:escoConcept"},
    "escoConcept": {"@id": "wise:escoConcept", "@type": "@id"},
    "mappingRelation": {"@id": "wise:mappingRelation", "@type": "@id"},
    "escoCoverage": {"@id": "wise:escoCoverage", "@type": "@id"},
    "source": {"@id": "dcterms:source", "@type": "@id"},
    "justification": "wise:justification",
    "creator": "dcterms:creator",
    "created": "dcterms:created",
    "holders": {"@reverse": "wise:hasEscoAlignment"},
    "curatedHolders": {"@reverse": "wise:hasCuratedEscoAlignment"},
}


EscoUri = Annotated[
    str | None,
    Query(max_length=300, description="An ESCO concept URI (http://data.europa.eu/esco/…)."),
]


def _wants(request: Request, format_param: str | None) -> str:
    """``html``, ``json`` or ``jsonld``: the ``format`` parameter, else Accept."""
    if format_param in ("html", "json", "jsonld"):
        return format_param
    accept = request.headers.get("accept") or "application/json"
    try:
        best = mimeparse.best_match(OFFERED, accept)
    except (ValueError, IndexError):
        best = ""
    return {"text/html": "html", "application/ld+json": "jsonld"}.get(best, "json")


def _value(row: Any, name: str) -> str | None:
    term = row[name]
    return term.value if term is not None else None


def links_to(store: Any, uri: str) -> list[dict[str, Any]]:
    """The alignments of WISE resources to ``uri`` or below it, one entry per alignment."""
    found: dict[tuple[str, str], dict[str, Any]] = {}
    sources: dict[tuple[str, str], set[str]] = defaultdict(set)
    for row in store.query(LINKS % {"uri": ox.NamedNode(uri)}, use_default_graph_as_union=True):
        key = (row["subject"].value, row["alignment"].value)
        curated = row["alignmentType"].value == WISE + "CuratedEscoAlignment"
        entry = found.setdefault(
            key,
            {
                "subject": key[0],
                "subjectType": row["subjectType"].value,
                "alignment": key[1],
                "judgement": "curated" if curated else "report",
                "linked": row["linked"].value,
                "direct": row["linked"].value == uri,
                "relation": _value(row, "relation"),
                "coverage": _value(row, "coverage"),
                "justification": _value(row, "justification"),
                "creator": _value(row, "creator"),
                "created": _value(row, "created"),
            },
        )
        if row["source"] is not None:
            sources[key].add(row["source"].value)
        entry["sources"] = sorted(sources[key])
    return sorted(found.values(), key=lambda e: (not e["direct"], e["subject"], e["alignment"]))


def needs_of(store: Any, areas: list[str]) -> list[tuple[str, str]]:
    """(need, area) for every need the ``areas`` develop."""
    if not areas:
        return []
    values = " ".join(str(ox.NamedNode(a)) for a in sorted(set(areas)))
    rows = store.query(NEEDS % {"areas": values}, use_default_graph_as_union=True)
    return sorted((r["need"].value, r["area"].value) for r in rows)


def concept(store: Any, uri: str) -> dict[str, Any]:
    """What the graph says of the ESCO concept: label, notation, types, broader ones."""
    found: dict[str, Any] = {"label": None, "notation": None, "types": set(), "broader": {}}
    for row in store.query(CONCEPT % {"uri": ox.NamedNode(uri)}, use_default_graph_as_union=True):
        found["label"] = found["label"] or _value(row, "label")
        found["notation"] = found["notation"] or _value(row, "notation")
        if row["type"] is not None:
            found["types"].add(row["type"].value)
        if row["broader"] is not None:
            found["broader"][row["broader"].value] = _value(row, "broaderLabel")
    return found


def _check(uri: str) -> str:
    uri = uri.strip()
    if not uri.startswith(ESCO_DATA) or not linkable(uri):
        raise BadEscoUri(
            f"'uri' must be an ESCO concept URI starting with {ESCO_DATA}, not {uri!r}."
        )
    try:
        ox.NamedNode(uri)
    except ValueError as err:
        raise BadEscoUri(f"'uri' is not a valid IRI: {err}") from None
    return uri


@router.get("/esco", summary="WISE areas, profiles and needs linked to an ESCO concept")
def esco(
    request: Request,
    snap: Build,
    settings: Config,
    uri: EscoUri = None,
    format: Annotated[str | None, Query(max_length=10, description="html, json or jsonld.")] = None,
) -> Response:
    """The WISE resources linked to ``uri`` or below it, and whose judgement each link is."""
    wants = _wants(request, format)
    if not uri:
        return cached(
            request,
            ("esco-index", wants, language(request)),
            lambda: _index(request, snap, wants),
            BY_FORMAT_AND_LANGUAGE,
        )
    uri = _check(uri)
    about = concept(snap.store, uri)
    links = links_to(snap.store, uri)
    if not links and not about["label"] and not about["types"]:
        raise NotFound(f"The graph knows nothing of {uri}: it is neither linked nor described.")
    areas = [e["subject"] for e in links if e["subjectType"] == WISE + "AreaOfExpertise"]
    needs = needs_of(snap.store, areas)

    def make() -> Response:
        if wants == "html":
            return HTMLResponse(_page(request, snap, uri, about, links, needs))
        document = _document(uri, about, links, needs)
        if wants == "jsonld":
            return JSONResponse({"@context": CONTEXT, **document}, media_type="application/ld+json")
        return JSONResponse(document)

    return cached(request, ("esco", uri, wants, language(request)), make, BY_FORMAT_AND_LANGUAGE)


def _document(
    uri: str, about: dict[str, Any], links: list[dict[str, Any]], needs: list[tuple[str, str]]
) -> dict[str, Any]:
    """The answer for programs (JSON-LD once the context is added)."""
    return {
        "@id": uri,
        "label": about["label"],
        "notation": about["notation"],
        "broader": sorted(about["broader"]),
        "alignments": [
            {
                "@id": e["alignment"],
                "@type": "wise:CuratedEscoAlignment"
                if e["judgement"] == "curated"
                else "wise:EscoAlignment",
                "judgement": e["judgement"],
                "escoConcept": e["linked"],
                "direct": e["direct"],
                "mappingRelation": e["relation"],
                "escoCoverage": e["coverage"],
                "source": e["sources"],
                "justification": e["justification"],
                "creator": e["creator"],
                "created": e["created"],
                "curatedHolders" if e["judgement"] == "curated" else "holders": [
                    {"@id": e["subject"], "@type": _curie(e["subjectType"])}
                ],
            }
            for e in links
        ],
        "needs": [{"@id": need, "developedBy": area} for need, area in needs],
    }


def _curie(iri: str) -> str:
    return "wise:" + iri[len(WISE) :] if iri.startswith(WISE) else iri


def _page(
    request: Request,
    snap: Snapshot,
    uri: str,
    about: dict[str, Any],
    links: list[dict[str, Any]],
    needs: list[tuple[str, str]],
) -> str:
    linker, lang = page_linker(request), language(request)

    def named(iri: str | None) -> dict[str, Any] | None:
        if iri is None:
            return None
        url, external = linker.url(iri)
        if iri.startswith(ESCO_DATA):
            url, external = esco_page(iri), False
        label = snap.search.label_for(iri, lang) or snap.search.label_for(iri, "en")
        return {
            "iri": iri,
            "url": url,
            "external": external,
            "label": label or linker.property_name(iri),
        }

    rows = [
        {
            **e,
            "subject": named(e["subject"]),
            "kind": linker.property_name(e["subjectType"]),
            "alignment": named(e["alignment"]),
            "linked": named(e["linked"]),
            "relation": named(e["relation"]),
            "coverage": named(e["coverage"]),
            "sources": [named(s) for s in e["sources"]],
        }
        for e in links
    ]
    return render_page(
        request,
        "esco.html",
        nav="/esco",
        uri=uri,
        about=about,
        broader=[named(b) for b in sorted(about["broader"])],
        rows=rows,
        needs=[(named(n), named(a)) for n, a in needs],
    )


def _index(request: Request, snap: Snapshot, wants: str) -> Response:
    """The ESCO concepts the graph links to: where to start."""
    concepts = sorted(
        {r["concept"].value for r in snap.store.query(LINKED, use_default_graph_as_union=True)}
    )
    entries = [
        {
            "uri": c,
            "url": esco_page(c),
            "label": snap.search.label_for(c, "en") or c,
        }
        for c in concepts
    ]
    if wants != "html":
        return JSONResponse(
            [{"uri": e["uri"], "label": e["label"], "url": e["url"]} for e in entries]
        )
    return HTMLResponse(render_page(request, "esco_index.html", nav="/esco", entries=entries))
