"""A small neighbourhood diagram of a resource, drawn server-side as accessible SVG.

The resource sits in the middle; the resources it links to and that link to it
sit on a circle around it, each a link to its own page, each edge named by its
property. No script, no external asset. A node without a URL (an IRI that is not
http(s), see :func:`wise_kg.api.html.pages.linkable`) is drawn without a link.

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
from html import escape

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


def _clip(text: str, length: int = 24) -> str:
    return text if len(text) <= length else text[: length - 1] + "…"


def neighbourhood_svg(centre: Node, neighbours: list[Node]) -> str:
    """The SVG of ``centre`` and up to :data:`MAX_NEIGHBOURS` of its neighbours."""
    shown = neighbours[:MAX_NEIGHBOURS]
    per_column = max(1, math.ceil(len(shown) / 2))
    height = per_column * ROW + 40
    cx, cy = WIDTH / 2, height / 2
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {height}" '
        f'role="img" aria-labelledby="diagram-title" class="diagram">',
        f'<title id="diagram-title">{escape(centre.label)} and the {len(shown)} resources '
        "it is linked with</title>",
        '<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" '
        'markerHeight="7" orient="auto-start-reverse"><path d="M 0 0 L 10 5 L 0 10 z" '
        'fill="#667"/></marker></defs>',
    ]
    points = []
    for i, node in enumerate(shown):
        column, row = divmod(i, per_column)
        x = COLUMN_X[column]
        y = 20 + ROW / 2 + row * ROW
        points.append((node, x, y))
        start, end = ((cx, cy), (x, y)) if node.direction == "out" else ((x, y), (cx, cy))
        mx, my = cx + (x - cx) * 0.55, cy + (y - cy) * 0.55
        parts.append(
            f'<line x1="{start[0]:.0f}" y1="{start[1]:.0f}" x2="{end[0]:.0f}" y2="{end[1]:.0f}" '
            'stroke="#99a" stroke-width="1.2" marker-end="url(#arrow)"/>'
            f'<text x="{mx:.0f}" y="{my - 3:.0f}" class="edge" text-anchor="middle" '
            f'font-size="10" fill="#556">{escape(_clip(node.via, 22))}</text>'
        )
    for node, x, y in points:
        parts.append(_box(node, x, y, "#eef3fb", "#4a6fa5"))
    parts.append(_box(centre, cx, cy, "#4a6fa5", "#24406b", text_colour="#fff"))
    parts.append("</svg>")
    if len(neighbours) > len(shown):
        parts.insert(
            -1,
            f'<text x="8" y="{height - 8}" font-size="11" fill="#556">'
            f"and {len(neighbours) - len(shown)} more (listed below)</text>",
        )
    return "".join(parts)


def _box(node: Node, x: float, y: float, fill: str, stroke: str, text_colour: str = "#123") -> str:
    label = _clip(node.label)
    width = max(70, 7 * len(label) + 16)
    box = (
        f'<g><rect x="{x - width / 2:.0f}" y="{y - 15:.0f}" width="{width}" height="30" rx="6" '
        f'fill="{fill}" stroke="{stroke}"/>'
        f'<text x="{x:.0f}" y="{y + 4:.0f}" text-anchor="middle" font-size="12" '
        f'fill="{text_colour}">{escape(label)}</text></g>'
    )
    return box if node.url is None else f'<a href="{escape(node.url)}">{box}</a>'
