"""YASGUI at ``/sparql`` for browsers, served from this machine (never from a CDN).

The bundle comes from the npm package ``@zazuko/yasgui`` that ``make`` installs into
``node_modules/`` (see ``package.json``); it is never committed. Without it the plain
form of :mod:`wise_kg.api.query_form` is served instead.

The page loads nothing from other hosts: YASQE's class and property autocompleters
(which ask Linked Open Vocabularies) are left out, the prefix autocompleter uses the
list inside the bundle (``prefixCcApi`` stays unset), the endpoint catalogue offers
only this endpoint, and no CORS proxy is set (so no probing request is made).
Persistence is off, so every visit starts from the saved queries. The page has no
inline script (its Content-Security-Policy runs files of this server only): the
configuration is a JSON block read by the site's ``yasgui.js``.

>>> html = page("http://127.0.0.1:8000/sparql", [("cq_00", "A </script> demo", "ASK {}")])
>>> "/static/yasgui/yasgui.min.js" in html and "/static/wise-kg/yasgui.js" in html
True
>>> "A &lt;/script&gt; demo" in html and "A \\\\u003c/script> demo" in html
True
>>> "<script>" in html
False
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from html import escape
from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from wise_kg.api.pages import SCRIPTS_PREFIX
from wise_kg.api.query_form import EXAMPLE

#: Where the built bundle lies inside a project (or checkout) folder.
BUNDLE = Path("node_modules", "@zazuko", "yasgui", "build")
#: The URL path the bundle is served under.
PREFIX = "/static/yasgui"
#: The files the page needs from the bundle.
FILES = ("yasgui.min.js", "yasgui.min.css")

_CHECKOUT = Path(__file__).resolve().parents[3]


def installed(project_dir: Path, folder: Path, files: Iterable[str]) -> Path | None:
    """The ``folder`` (under ``node_modules/``) holding all of ``files``, or None.

    Looked for under ``project_dir``, then under the checkout this package runs from
    (an editable install), so a server over a copied project still finds it.
    """
    for root in (Path(project_dir), _CHECKOUT):
        found = (root / folder).resolve()
        if all((found / name).is_file() for name in files):
            return found
    return None


def assets_dir(project_dir: Path) -> Path | None:
    """The folder of the built YASGUI bundle, or None when it is not installed."""
    return installed(project_dir, BUNDLE, FILES)


def mount(app: FastAPI, assets: Path) -> None:
    """Serve the bundle at ``/static/yasgui/``."""
    app.mount(PREFIX, StaticFiles(directory=assets), name="yasgui")


def _script_json(value: object) -> str:
    """JSON safe inside a ``<script>`` element (no ``</script>``, no ``<!--``)."""
    text = json.dumps(value, ensure_ascii=False)
    return text.replace("<", "\\u003c").replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")


def page(endpoint: str, examples: list[tuple[str, str, str]]) -> str:
    """The YASGUI page on ``endpoint``: one tab per example ``(name, summary, query)``."""
    tabs = [{"name": name, "summary": summary, "query": text} for name, summary, text in examples]
    items = "".join(
        f'<li><button type="button" class="example" data-tab="{i}">{escape(name)}</button> '
        f"{escape(summary)}</li>"
        for i, (name, summary, _text) in enumerate(examples)
    )
    config = _script_json({"endpoint": endpoint, "tabs": tabs})
    first = examples[0][2] if examples else EXAMPLE
    return f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>wise-kg SPARQL endpoint</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="{PREFIX}/yasgui.min.css">
<style>
  body {{ font-family: system-ui, sans-serif; margin: 0 auto; max-width: 90rem; }}
  body {{ padding: 1rem 2rem; }}
  header p, #examples p {{ max-width: 60rem; }}
  #examples ul {{ padding-left: 1.2rem; }}
  #examples li {{ margin: .25rem 0; }}
  #examples button {{ font-family: ui-monospace, monospace; cursor: pointer; }}
</style>
</head>
<body>
<header>
<h1>wise-kg SPARQL endpoint</h1>
<p>Read-only SPARQL 1.1 over the WISE capacity-building knowledge graph, at
<code>{escape(endpoint)}</code>. Write a query and press the run button (or Ctrl+Enter).
RDF clients get the service description here (<code>Accept: text/turtle</code>).</p>
</header>
<main>
<section aria-labelledby="editor-heading">
<h2 id="editor-heading">Query editor</h2>
<noscript>
<p>The editor needs JavaScript; this plain form sends a query without it.</p>
<form method="get" action="{escape(endpoint)}">
<label for="query">Query</label><br>
<textarea id="query" name="query" rows="14" cols="100" required>{escape(first)}</textarea><br>
<button type="submit">Run query</button>
</form>
</noscript>
<div id="yasgui"></div>
</section>
<section id="examples" aria-labelledby="examples-heading">
<h2 id="examples-heading">Saved queries</h2>
<p>Each opens in its own tab above. Parameters such as <code>?_area_iri</code> are plain
variables here; bind them through <code>/queries/</code> or edit the query.</p>
<ul>{items}</ul>
</section>
</main>
<script src="{PREFIX}/yasgui.min.js"></script>
<script type="application/json" id="yasgui-config">{config}</script>
<script src="{SCRIPTS_PREFIX}/yasgui.js"></script>
</body>
</html>
"""
