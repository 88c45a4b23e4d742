"""The format of a site document (a list, a hierarchy, a graph's page): HTML or RDF.

A document is chosen by ``?format=`` (a short name, an extension or a media type;
``html`` for the page) or else by ``Accept``: HTML when a browser ranks it first,
else the best of the RDF formats. Links to one format therefore never depend on
headers, as the ``/id/…`` file extensions do for resources.
"""

from __future__ import annotations

from typing import Annotated

import pyoxigraph as ox
from fastapi import Query, Request

from wise_kg.api.routes.resources import LD_FORMATS, TITLES
from wise_kg.formats import Format, by_name, negotiate, wants_html

#: The ``format`` parameter of every document route.
FormatParam = Annotated[
    str | None,
    Query(
        max_length=40,
        description="html, or an RDF format (ttl, jsonld, nt, rdf, nq, trig, or a media "
        "type), overriding Accept.",
    ),
]
#: The RDF formats a page offers as links: (short name, title).
FORMAT_CHOICES = [(f.extension, TITLES[f.name]) for f in LD_FORMATS]


def choose(request: Request, format_param: str | None) -> Format | None:
    """The format to answer in; None is HTML."""
    if format_param:
        if format_param.strip().lower() in ("html", "text/html"):
            return None
        return by_name(format_param, LD_FORMATS)
    accept = request.headers.get("accept")
    if wants_html(accept, LD_FORMATS):
        return None
    return negotiate(accept, LD_FORMATS)


def format_key(fmt: Format | None) -> str:
    """What an answer's cache key says of its format."""
    return fmt.name if fmt is not None else "html"


def triple(subject: str, predicate: str, obj: ox.NamedNode | ox.Literal) -> ox.Triple:
    """A triple with IRI subject and predicate (a shorthand for documents built here)."""
    return ox.Triple(ox.NamedNode(subject), ox.NamedNode(predicate), obj)
