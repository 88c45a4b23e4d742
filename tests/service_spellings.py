"""Every spelling of SERVICE the tests try: each one makes pyoxigraph connect when it runs.

``spellings(base)`` gives the query texts for a listener at ``base`` (``http://host:port/``).
"""

from __future__ import annotations


def spellings(base: str) -> dict[str, str]:
    """Named query texts, each calling SERVICE on ``base`` in its own way."""
    esc = base.replace("h", "\\u0068", 1)  # an IRI with a codepoint escape
    return {
        "plain": f"SELECT * WHERE {{ SERVICE <{base}x> {{ ?s ?p ?o }} }}",
        "lower case": f"select * where {{ service <{base}x> {{ ?s ?p ?o }} }}",
        "mixed case": f"SELECT * WHERE {{ SeRvIcE <{base}x> {{ ?s ?p ?o }} }}",
        "silent": f"SELECT * WHERE {{ SERVICE SILENT <{base}x> {{ ?s ?p ?o }} }}",
        "empty prefix after a negative decimal": (
            f"PREFIX : <{base}> SELECT * WHERE "
            "{ { ?s ?p -1.5 } UNION { SERVICE:x { ?a ?b ?c } } }"
        ),
        "prefix named like the keyword": (
            f"PREFIX service: <{base}> SELECT * WHERE {{ SERVICE service:x {{ ?a ?b ?c }} }}"
        ),
        "keyword glued to a prefixed name": (
            f"PREFIX p: <{base}> SELECT * WHERE {{ SERVICEp:x {{ ?a ?b ?c }} }}"
        ),
        "no spaces": f"SELECT*WHERE{{SERVICE<{base}x>{{?s?p?o}}}}",
        "tabs and newlines": f"SELECT *\tWHERE {{\r\n\tSERVICE\n\t<{base}x>\r\n{{ ?s ?p ?o }} }}",
        "variable from VALUES": (
            f"SELECT * WHERE {{ VALUES ?e {{ <{base}x> }} SERVICE ?e {{ ?s ?p ?o }} }}"
        ),
        "variable from BIND": (
            f"SELECT * WHERE {{ BIND(<{base}x> AS ?e) SERVICE ?e {{ ?s ?p ?o }} }}"
        ),
        "inside OPTIONAL": (
            f"SELECT * WHERE {{ OPTIONAL {{ SERVICE <{base}x> {{ ?s ?q ?r }} }} }}"
        ),
        "inside EXISTS": f"ASK {{ FILTER EXISTS {{ SERVICE <{base}x> {{ ?s ?p ?o }} }} }}",
        "inside NOT EXISTS": (
            f"ASK {{ FILTER NOT EXISTS {{ SERVICE <{base}x> {{ ?s ?p ?o }} }} }}"
        ),
        "inside a subquery": (
            f"SELECT * WHERE {{ {{ SELECT ?s WHERE {{ SERVICE <{base}x> {{ ?s ?p ?o }} }} }} }}"
        ),
        "in CONSTRUCT": f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ SERVICE <{base}x> {{ ?s ?p ?o }} }}",
        "escaped first letter": f"SELECT * WHERE {{ \\u0053ERVICE <{base}x> {{ ?s ?p ?o }} }}",
        "escaped middle letter": f"SELECT * WHERE {{ SERV\\u0049CE <{base}x> {{ ?s ?p ?o }} }}",
        "long escape": f"SELECT * WHERE {{ \\U00000053ERVICE <{base}x> {{ ?s ?p ?o }} }}",
        "escaped IRI": f"SELECT * WHERE {{ SERVICE <{esc}x> {{ ?s ?p ?o }} }}",
        "comment between keyword and IRI": (
            f"SELECT * WHERE {{ SERVICE # what follows is an IRI\n <{base}x> {{ ?s ?p ?o }} }}"
        ),
        "after a comment with quotes": (
            f"SELECT * WHERE {{ # it's \"quoted\n SERVICE <{base}x> {{ ?s ?p ?o }} }}"
        ),
        "after long strings with quotes and braces": (
            'SELECT * WHERE { BIND("""a \' "" \\" } { """ AS ?x) '
            f"BIND('''b \" '' }} ''' AS ?y) SERVICE <{base}x> {{ ?s ?p ?o }} }}"
        ),
        "after an IRI with a hash": (
            f"SELECT * WHERE {{ BIND(<http://e/a#b> AS ?x) SERVICE <{base}x> {{ ?s ?p ?o }} }}"
        ),
        "less-than read as an IRI with a hash": (
            'SELECT * WHERE { ?a ?b ?c FILTER(?a<?b#> """\n) '
            f'SERVICE <{base}x> {{ ?s ?p ?o }} #"""\n}}'
        ),
        "less-than read as an IRI with a quote": (
            f"SELECT * WHERE {{ ?a ?b ?c FILTER(?a<'x>') SERVICE <{base}x> {{ ?s ?p ?o }} }}"
        ),
        "after a language tag": (
            f'SELECT * WHERE {{ BIND("x"@en AS ?l) SERVICE <{base}x> {{ ?s ?p ?o }} }}'
        ),
        "in a GRAPH": f"SELECT * WHERE {{ GRAPH ?g {{ SERVICE <{base}x> {{ ?s ?p ?o }} }} }}",
        "in a MINUS": f"SELECT * WHERE {{ ?a ?b ?c MINUS {{ SERVICE <{base}x> {{ ?s ?p ?o }} }} }}",
    }
