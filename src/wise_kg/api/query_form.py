"""A plain HTML query form at ``/sparql`` for browsers (works with no JavaScript)."""

from __future__ import annotations

from html import escape

EXAMPLE = """PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
PREFIX wise: <https://w3id.org/wise-kg/ontology#>

SELECT ?need ?notation ?label WHERE {
  ?need a wise:Need ; skos:notation ?notation ; skos:prefLabel ?label .
}
ORDER BY ?notation"""


def page(endpoint: str, graphs: list[str]) -> str:
    """The form page: a query box, a format choice, and the graphs one can query."""
    options = "".join(
        f'<option value="{value}">{label}</option>'
        for value, label in (
            ("json", "SPARQL JSON"),
            ("xml", "SPARQL XML"),
            ("csv", "CSV"),
            ("tsv", "TSV"),
            ("turtle", "Turtle (CONSTRUCT/DESCRIBE)"),
            ("jsonld", "JSON-LD (CONSTRUCT/DESCRIBE)"),
        )
    )
    graph_items = "".join(f"<li><code>{escape(g)}</code></li>" for g in graphs)
    return f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>wise-kg SPARQL endpoint</title>
<style>
  body {{ font-family: system-ui, sans-serif; max-width: 60rem; margin: 2rem auto; }}
  textarea {{ width: 100%; font-family: ui-monospace, monospace; font-size: .95rem; }}
  label {{ font-weight: 600; display: block; margin: 1rem 0 .3rem; }}
  button {{ margin-top: 1rem; padding: .5rem 1.2rem; font-size: 1rem; }}
</style>
</head>
<body>
<header><h1>wise-kg SPARQL endpoint</h1>
<p>Read-only SPARQL 1.1 over the WISE capacity-building knowledge graph.
The service description is served here to RDF clients (<code>Accept: text/turtle</code>).</p>
</header>
<main>
<form method="get" action="{escape(endpoint)}">
  <label for="query">Query</label>
  <textarea id="query" name="query" rows="14" required>{escape(EXAMPLE)}</textarea>
  <label for="format">Answer format</label>
  <select id="format" name="format">{options}</select>
  <button type="submit">Run query</button>
</form>
<section aria-labelledby="graphs"><h2 id="graphs">Stored graphs</h2>
<p>The default graph is the union of these; use <code>GRAPH</code> to pick one.</p>
<ul>{graph_items}</ul></section>
</main>
</body>
</html>
"""
