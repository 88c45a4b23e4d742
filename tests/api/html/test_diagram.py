"""The neighbourhood diagram: geometry from Python, markup from ``_diagram.html``, every
label and URL escaped."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from wise_kg.api.html.diagram import MAX_NEIGHBOURS, Node, neighbourhood_svg

SVG = "{http://www.w3.org/2000/svg}"
LABEL = "<script>x</script> & co"  # short enough to be drawn whole


def test_labels_and_urls_are_escaped() -> None:
    svg = neighbourhood_svg(
        Node(LABEL, '/id/need/a?b=1&c="2"', "", "self"),
        [Node("Q & <A>", None, "<b>via</b> & co", "out")],
    )
    assert "<script" not in svg and "<b>" not in svg
    assert "&lt;script&gt;x&lt;/script&gt; &amp; co" in svg
    root = ET.fromstring(svg)  # well-formed: nothing came through unescaped
    assert root.find(SVG + "title").text == f"{LABEL} and the 1 resources it is linked with"
    texts = [t.text for t in root.iter(SVG + "text")]
    assert texts == ["<b>via</b> & co", "Q & <A>", LABEL]
    assert [a.get("href") for a in root.iter(SVG + "a")] == ['/id/need/a?b=1&c="2"']


def test_more_neighbours_than_drawn_are_counted() -> None:
    neighbours = [Node(f"N{i}", f"/id/n/{i}", "related", "in") for i in range(20)]
    root = ET.fromstring(neighbourhood_svg(Node("C", "/id/c", "", "self"), neighbours))
    assert len(list(root.iter(SVG + "line"))) == MAX_NEIGHBOURS
    assert len(list(root.iter(SVG + "a"))) == MAX_NEIGHBOURS + 1
    assert "and 4 more (listed below)" in [t.text for t in root.iter(SVG + "text")]
