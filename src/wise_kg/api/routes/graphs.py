"""``/graph/{name}``: what each named graph of the build holds (its IRI dereferences here).

A page (and, by negotiation, a VoID description: ``void:Dataset`` with ``void:triples``,
its dumps as ``void:dataDump``, the endpoint) of ``…/graph/data``, ``ontology``,
``shapes`` and, when loaded, ``esco``. Sizes come from the build's manifest; links
are made from the server's public address.
"""

from __future__ import annotations

import pyoxigraph as ox
from fastapi import APIRouter, Request, Response
from fastapi.responses import HTMLResponse

from wise_kg import namespaces as ns
from wise_kg.api.deps import Build, Config
from wise_kg.api.documents import (
    BY_FORMAT_AND_LANGUAGE,
    FORMAT_CHOICES,
    FormatParam,
    cached,
    choose,
    format_key,
    language,
    render_page,
    serialize,
    triple,
)
from wise_kg.errors import NotFound
from wise_kg.namespaces import DCTERMS, GRAPH_BASE, RDF_TYPE, VOID

router = APIRouter(tags=["linked data"])

XSD_INTEGER = ox.NamedNode(ns.XSD_INTEGER)
#: The dumps that keep graph names (every graph is in them, each under its IRI).
QUAD_DUMPS = (("dump.nq", "N-Quads"), ("dump.trig", "TriG"))
#: What each graph holds, for people.
HOLDS = {
    "data": "The instance data: the needs, personas and roles, SWOT and technology evidence, "
    "areas of expertise, profiles, ESCO alignments and the report's sections they cite "
    "(data/ in the sources).",
    "ontology": "The classes and properties of the wise: vocabulary (ontology/), documented "
    "at /ontology.",
    "shapes": "The SHACL shapes the data is validated with (shapes/); each shape has an "
    "anchor on /shapes. Not part of the default graph: query it with GRAPH.",
    "esco": "The ESCO classification as loaded from its download (skills, occupations, "
    "their hierarchies and relations), kept apart from the graph's own statements.",
}


@router.get("/graph/{name}", summary="A named graph of the build: its size, contents, dumps")
def graph(
    request: Request, snap: Build, settings: Config, name: str, format: FormatParam = None
) -> Response:
    """The graph ``…/graph/{name}``: a page, or its VoID description by negotiation."""
    iri = GRAPH_BASE + name
    if iri not in snap.graphs:
        held = ", ".join(sorted(g.removeprefix(GRAPH_BASE) for g in snap.graphs))
        raise NotFound(f"This build has no graph '{name}'; it holds {held}.")
    fmt = choose(request, format)
    size = snap.build.graphs.get(iri, 0)
    public = settings.public_base()
    dumps = [(f"{public}/{file}", title) for file, title in QUAD_DUMPS]

    def make() -> Response:
        if fmt is not None:
            triples = [
                triple(iri, RDF_TYPE, ox.NamedNode(VOID + "Dataset")),
                triple(
                    iri, DCTERMS + "title", ox.Literal(f"wise-kg graph '{name}'", language="en")
                ),
                triple(iri, VOID + "triples", ox.Literal(str(size), datatype=XSD_INTEGER)),
                triple(iri, VOID + "sparqlEndpoint", ox.NamedNode(f"{public}/sparql")),
                triple(iri, DCTERMS + "isPartOf", ox.NamedNode(settings.base_iri + "dataset")),
                *(triple(iri, VOID + "dataDump", ox.NamedNode(url)) for url, _t in dumps),
            ]
            if name in HOLDS:
                description = ox.Literal(HOLDS[name], language="en")
                triples.append(triple(iri, DCTERMS + "description", description))
            return serialize(request, triples, iri, fmt, framed=False)
        others = sorted(g.removeprefix(GRAPH_BASE) for g in snap.graphs if g != iri)
        page = render_page(
            request,
            "graph.html",
            name=name,
            iri=iri,
            size=size,
            holds=HOLDS.get(name, ""),
            dumps=dumps,
            others=others,
            example=f"SELECT * WHERE {{ GRAPH <{iri}> {{ ?s ?p ?o }} }} LIMIT 20",
            formats=FORMAT_CHOICES,
        )
        return HTMLResponse(page)

    key = ("graph", name, format_key(fmt), language(request))
    return cached(request, key, make, BY_FORMAT_AND_LANGUAGE)
