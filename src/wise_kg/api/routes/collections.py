"""``/id/`` lists the kinds of resources, ``/id/{kind}/`` the members of one, paged.

HTML for browsers; RDF by negotiation (or ``?format=``) in the Hydra Core vocabulary:
each list is a ``hydra:Collection`` with ``hydra:totalItems`` and ``hydra:member``, and
a long one is split into pages of :data:`PAGE_SIZE` members, each page a
``hydra:PartialCollectionView`` with ``hydra:first``/``previous``/``next``/``last``.
Hydra is chosen because it says both what a collection holds and how to walk its pages,
in one vocabulary that Linked Data clients (Comunica, Hydra clients) follow; LDP
containers say membership but leave paging to a separate note, and VoID describes
datasets, not lists of members. The same page links appear as ``Link`` headers.
"""

from __future__ import annotations

import math
from typing import Annotated, Any

import pyoxigraph as ox
from fastapi import APIRouter, Query, Request, Response
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
from wise_kg.api.live import Snapshot
from wise_kg.config import Settings
from wise_kg.errors import NotFound
from wise_kg.namespaces import GRAPH_BASE, HYDRA, RDF_TYPE
from wise_kg.publish.index import Kind, Member

router = APIRouter(tags=["linked data"])

#: Members on one page of a kind.
PAGE_SIZE = 100
RDFS_LABEL = ns.RDFS + "label"
XSD_INTEGER = ox.NamedNode(ns.XSD_INTEGER)
MEMBER_FACTS = """
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
PREFIX rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#>
CONSTRUCT { ?s ?p ?o } WHERE {
  VALUES ?s { %(members)s }
  VALUES ?p { skos:prefLabel skos:notation rdf:type }
  GRAPH %(graph)s { ?s ?p ?o }
}
"""


@router.get("/id/", summary="The kinds of resources, with their numbers (HTML or Hydra RDF)")
def kind_list(
    request: Request, snap: Build, settings: Config, format: FormatParam = None
) -> Response:
    """Every ``/id/{kind}/`` with how many resources it holds."""
    fmt = choose(request, format)
    found = snap.kinds
    iri = settings.base_iri + "id/"

    def make() -> Response:
        if fmt is not None:
            return serialize(request, _kinds_triples(iri, found), iri, fmt, framed=False)
        lang = snap.names.get(language(request), snap.names["en"])
        rows = [
            {
                "url": f"/id/{k.name}/",
                "name": k.name,
                "type": lang.get(k.type or ""),
                "count": len(k.members),
            }
            for k in found.values()
        ]
        page = render_page(
            request,
            "kinds.html",
            nav="/id/",
            kinds=rows,
            total=sum(len(k.members) for k in found.values()),
            iri=iri,
            formats=FORMAT_CHOICES,
        )
        return HTMLResponse(page)

    return cached(
        request, ("kinds", format_key(fmt), language(request)), make, BY_FORMAT_AND_LANGUAGE
    )


@router.get("/id/{kind}/", summary="The resources of one kind, paged (HTML or Hydra RDF)")
def kind_members(
    request: Request,
    snap: Build,
    settings: Config,
    kind: str,
    page: Annotated[int, Query(ge=1, le=1_000_000, description="Page number, from 1.")] = 1,
    format: FormatParam = None,
) -> Response:
    """The members of ``kind`` (label, notation), :data:`PAGE_SIZE` to a page."""
    found = snap.kinds.get(kind)
    if found is None:
        raise NotFound(f"No resource IRI starts with {settings.base_iri}id/{kind}/; see /id/.")
    last = max(1, math.ceil(len(found.members) / PAGE_SIZE))
    if page > last:
        raise NotFound(f"/id/{kind}/ has {last} page(s) of {PAGE_SIZE}; there is no page {page}.")
    fmt = choose(request, format)
    members = found.members[(page - 1) * PAGE_SIZE : page * PAGE_SIZE]
    pager = Pager(f"/id/{kind}/", page, last)

    def make() -> Response:
        if fmt is not None:
            triples = _kind_triples(settings, snap.store, found, members, pager)
            response = serialize(
                request, triples, settings.base_iri + f"id/{kind}/", fmt, framed=False
            )
        else:
            response = HTMLResponse(_members_page(request, snap, found, members, pager, settings))
        if pager.links:
            response.headers["Link"] = pager.link_header(settings.public_base())
        return response

    key = ("kind", kind, page, format_key(fmt), language(request))
    return cached(request, key, make, BY_FORMAT_AND_LANGUAGE)


class Pager:
    """The neighbouring pages of one page of a list."""

    def __init__(self, path: str, page: int, last: int):
        self.path, self.page, self.last = path, page, last
        self.links: dict[str, int] = {}
        if last > 1:
            self.links = {"first": 1, "last": last}
            if page > 1:
                self.links["prev"] = page - 1
            if page < last:
                self.links["next"] = page + 1

    def url(self, page: int) -> str:
        """The path of page ``page``."""
        return f"{self.path}?page={page}"

    def link_header(self, public_base: str) -> str:
        """The pages as a ``Link`` header (RFC 8288), at the server's public address."""
        return ", ".join(
            f'<{public_base}{self.url(n)}>; rel="{rel}"' for rel, n in self.links.items()
        )


def _members_page(
    request: Request,
    snap: Snapshot,
    found: Kind,
    members: tuple[Member, ...],
    pager: Pager,
    settings: Settings,
) -> str:
    lang = language(request)
    names = snap.names.get(lang, snap.names["en"])
    rows = [
        {
            "url": f"/id/{found.name}/{m.slug}",
            "label": snap.search.label_for(m.iri, lang) or m.slug,
            "notation": m.notation,
            "type": names.get(m.type or ""),
        }
        for m in members
    ]
    return render_page(
        request,
        "collection.html",
        nav="/id/",
        kind=found.name,
        type_name=names.get(found.type or ""),
        total=len(found.members),
        rows=rows,
        pager=pager,
        first_index=(pager.page - 1) * PAGE_SIZE + 1,
        iri=settings.base_iri + f"id/{found.name}/",
        formats=FORMAT_CHOICES,
    )


def _count(n: int) -> ox.Literal:
    return ox.Literal(str(n), datatype=XSD_INTEGER)


def _kinds_triples(iri: str, found: dict[str, Kind]) -> list[ox.Triple]:
    triples = [
        triple(iri, RDF_TYPE, ox.NamedNode(HYDRA + "Collection")),
        triple(iri, RDFS_LABEL, ox.Literal("The kinds of resources of wise-kg", language="en")),
        triple(iri, HYDRA + "totalItems", _count(len(found))),
    ]
    for kind in found.values():
        kind_iri = f"{iri}{kind.name}/"
        triples += [
            triple(iri, HYDRA + "member", ox.NamedNode(kind_iri)),
            triple(kind_iri, RDF_TYPE, ox.NamedNode(HYDRA + "Collection")),
            triple(kind_iri, RDFS_LABEL, ox.Literal(kind.name)),
            triple(kind_iri, HYDRA + "totalItems", _count(len(kind.members))),
        ]
    return triples


def _kind_triples(
    settings: Settings, store: Any, kind: Kind, members: tuple[Member, ...], pager: Pager
) -> list[ox.Triple]:
    iri = settings.base_iri + f"id/{kind.name}/"
    triples = [
        triple(iri, RDF_TYPE, ox.NamedNode(HYDRA + "Collection")),
        triple(iri, RDFS_LABEL, ox.Literal(kind.name)),
        triple(iri, HYDRA + "totalItems", _count(len(kind.members))),
        *(triple(iri, HYDRA + "member", ox.NamedNode(m.iri)) for m in members),
    ]
    if pager.links:
        view = iri + f"?page={pager.page}"
        triples += [
            triple(iri, HYDRA + "view", ox.NamedNode(view)),
            triple(view, RDF_TYPE, ox.NamedNode(HYDRA + "PartialCollectionView")),
        ]
        rels = {"first": "first", "last": "last", "prev": "previous", "next": "next"}
        for rel, n in pager.links.items():
            triples.append(triple(view, HYDRA + rels[rel], ox.NamedNode(iri + f"?page={n}")))
    if members:
        query = MEMBER_FACTS % {
            "members": " ".join(str(ox.NamedNode(m.iri)) for m in members),
            "graph": ox.NamedNode(GRAPH_BASE + "data"),
        }
        triples += list(store.query(query, use_default_graph_as_union=True))
    return triples
