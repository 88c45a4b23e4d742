"""YASGUI at ``/sparql`` for browsers, served from this machine (never from a CDN).

The bundle comes from the npm package ``@zazuko/yasgui`` that ``make`` installs into
``node_modules/`` (see ``package.json``); it is never committed. Without it the plain
form of :mod:`wise_kg.api.html.query_form` is served instead.

The page loads nothing from other hosts: YASQE's class and property autocompleters
(which ask Linked Open Vocabularies) are left out, the prefix autocompleter uses the
list inside the bundle (``prefixCcApi`` stays unset), the endpoint catalogue offers
only this endpoint, and no CORS proxy is set (so no probing request is made).
Persistence is off, so every visit starts from the saved queries. The page has no
inline script (its Content-Security-Policy runs files of this server only): the
configuration is a JSON block read by the site's ``yasgui.js``, which also makes result
IRIs under the published base open this site's pages. The page is
``templates/sparql.html``, with the site's navigation.

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
from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from wise_kg.api.html.pages import render
from wise_kg.api.html.query_form import EXAMPLE
from wise_kg.namespaces import PUBLISHED_BASE

#: Where the built bundle lies inside a project (or checkout) folder.
BUNDLE = Path("node_modules", "@zazuko", "yasgui", "build")
#: The URL path the bundle is served under.
PREFIX = "/static/yasgui"
#: The files the page needs from the bundle.
FILES = ("yasgui.min.js", "yasgui.min.css")

_CHECKOUT = Path(__file__).resolve().parents[4]


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


def page(
    endpoint: str, examples: list[tuple[str, str, str]], base_iri: str = PUBLISHED_BASE
) -> str:
    """The YASGUI page on ``endpoint``: one tab per example ``(name, summary, query)``.

    Result IRIs under ``base_iri`` open this site's pages (see ``yasgui.js``).
    """
    tabs = [{"name": name, "summary": summary, "query": text} for name, summary, text in examples]
    config = _script_json({"endpoint": endpoint, "tabs": tabs, "base": base_iri})
    return render(
        "sparql.html",
        endpoint=endpoint,
        items=[(name, summary) for name, summary, _text in examples],
        first=examples[0][2] if examples else EXAMPLE,
        config=config,
        bundle=PREFIX,
        nav="/sparql",
    )
