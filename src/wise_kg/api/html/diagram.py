"""A small neighbourhood diagram of a resource, drawn server-side as accessible SVG.

The resource sits in the middle; the resources it links to and that link to it
sit in two columns around it, each a link to its own page, each edge named by its
property. No script, no external asset. A node without a URL (an IRI that is not
http(s), see :func:`wise_kg.api.html.pages.linkable`) is drawn without a link.

The geometry is computed here; the markup is the template ``_diagram.html``, rendered
with the site's other templates (autoescaped: labels and URLs are text).

>>> svg = neighbourhood_svg(Node("Placement", "/id/need/placement", "", "self"),
...                         [Node("People Area", "/id/need-area/people-area", "broader", "out"),
...                          Node("Trap", None, "seeAlso", "out")])
>>> svg.startswith("<svg") and "People Area" in svg and 'href="/id/need-area/people-area"' in svg
True
>>> "Trap" in svg and svg.count("href=") == 2
True
"""

from __future__ import annotations

import math
from dataclasses import dataclass

WIDTH = 760
ROW = 50  # vertical distance between neighbours in a column
COLUMN_X = (120, WIDTH - 120)  # neighbours sit in two columns, left and right of the centre
MAX_NEIGHBOURS = 16


@dataclass(frozen=True)
class Node:
    """A node of the diagram: its label, its page, and the edge that reaches it."""

    label: str
    url: str | None  # None: drawn without a link
    via: str
    direction: str  # "out", "in" or "self"


@dataclass(frozen=True)
class Edge:
    """An arrow from (x1, y1) to (x2, y2), named at (label_x, label_y)."""

    x1: int
    y1: int
    x2: int
    y2: int
    label_x: int
    label_y: int
    label: str


@dataclass(frozen=True)
class Box:
    """A node's box: its corner (x, y) and width; its label centred at (text_x, text_y)."""

    x: int
    y: int
    width: int
    text_x: int
    text_y: int
    label: str
    url: str | None
    centre: bool  # the resource itself (drawn in the accent colour)


def _clip(text: str, length: int = 24) -> str:
    return text if len(text) <= length else text[: length - 1] + "…"


def neighbourhood_svg(centre: Node, neighbours: list[Node]) -> str:
    """The SVG of ``centre`` and up to :data:`MAX_NEIGHBOURS` of its neighbours."""
    from wise_kg.api.html.pages import render  # here: pages imports this module

    shown = neighbours[:MAX_NEIGHBOURS]
    per_column = max(1, math.ceil(len(shown) / 2))
    height = per_column * ROW + 40
    cx, cy = WIDTH / 2, height / 2
    edges: list[Edge] = []
    boxes: list[Box] = []
    for i, node in enumerate(shown):
        column, row = divmod(i, per_column)
        x = COLUMN_X[column]
        y = 20 + ROW / 2 + row * ROW
        start, end = ((cx, cy), (x, y)) if node.direction == "out" else ((x, y), (cx, cy))
        mx, my = cx + (x - cx) * 0.55, cy + (y - cy) * 0.55
        points = (*start, *end, mx, my - 3)
        edges.append(Edge(*(round(p) for p in points), label=_clip(node.via, 22)))
        boxes.append(_box(node, x, y))
    boxes.append(_box(centre, cx, cy, centre=True))
    return render(
        "_diagram.html",
        width=WIDTH,
        height=height,
        title=centre.label,
        edges=edges,
        boxes=boxes,
        more=len(neighbours) - len(shown),
    )


def _box(node: Node, x: float, y: float, *, centre: bool = False) -> Box:
    label = _clip(node.label)
    width = max(70, 7 * len(label) + 16)
    return Box(
        x=round(x - width / 2),
        y=round(y - 15),
        width=width,
        text_x=round(x),
        text_y=round(y + 4),
        label=label,
        url=node.url,
        centre=centre,
    )
