"""A plain HTML query form at ``/sparql`` for browsers (works with no JavaScript)."""

from __future__ import annotations

from wise_kg.api.html.pages import render

EXAMPLE = """PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
PREFIX wise: <https://w3id.org/wise-kg/ontology#>

SELECT ?need ?notation ?label WHERE {
  ?need a wise:Need ; skos:notation ?notation ; skos:prefLabel ?label .
}
ORDER BY ?notation"""


#: The answer formats the form offers: (format parameter, title).
FORMATS = [
    ("json", "SPARQL JSON"),
    ("xml", "SPARQL XML"),
    ("csv", "CSV"),
    ("tsv", "TSV"),
    ("turtle", "Turtle (CONSTRUCT/DESCRIBE)"),
    ("jsonld", "JSON-LD (CONSTRUCT/DESCRIBE)"),
]


def page(endpoint: str, graphs: list[str]) -> str:
    """The form page: a query box, a format choice, and the graphs one can query."""
    return render(
        "sparql_form.html",
        endpoint=endpoint,
        example=EXAMPLE,
        formats=FORMATS,
        graphs=graphs,
        nav="/sparql",
    )
