"""``/docs`` and ``/redoc`` from ``node_modules/`` (never a CDN, a plain page without it), in
the site's header and footer, and an OpenAPI description that names every media type and
error status the routes answer."""

from __future__ import annotations

import asyncio
import json
import re
from typing import Any
from urllib.parse import urljoin, urlsplit

import httpx
import pytest
from fastapi import FastAPI

from tests.helpers import PROJECT
from wise_kg.api import create_app
from wise_kg.api.routes import docs
from wise_kg.config import Settings

#: FastAPI's own pages load from these hosts.
CDNS = ("cdn.jsdelivr.net", "fonts.googleapis.com", "unpkg.com", "cdn.redoc.ly")
ASSET = re.compile(r'(?:src|href)="(/assets/[^"]+)"')
LINK = re.compile(r'(?:src|href)="([^"]*)"')
RESULTS = [
    "application/sparql-results+json",
    "application/sparql-results+xml",
    "text/csv",
    "text/tab-separated-values",
    "text/turtle",
    "application/n-triples",
    "application/ld+json",
]
#: (path, method): the media types of its 200 and the error statuses it lists.
ANSWERS = {
    ("/sparql", "get"): ([*RESULTS, "text/html"], {"400", "406", "503"}),
    ("/sparql", "post"): (RESULTS, {"400", "406", "413", "415", "503"}),
    ("/id/{path}", "get"): (
        ["text/html", "text/turtle", "application/ld+json", "application/n-triples"],
        {"404", "406", "503"},
    ),
    ("/queries/{name}", "get"): (RESULTS, {"400", "404", "406", "503"}),
    ("/ontology", "get"): (["text/html", "text/turtle"], {"406", "503"}),
    ("/ontology.{extension}", "get"): (["text/html", "text/turtle"], {"404", "503"}),
    ("/dump.{extension}", "get"): (["text/turtle", "application/n-triples"], {"404", "503"}),
    ("/.well-known/void", "get"): (["text/turtle", "application/ld+json"], {"406"}),
    ("/catalog", "get"): (["text/turtle", "application/ld+json"], {"406"}),
    ("/search", "get"): (["application/json", "text/html"], set()),
    ("/metrics", "get"): (["text/plain"], {"401"}),
}

needs_viewers = pytest.mark.skipif(
    any(docs.package_dir(v, PROJECT) is None for v in (docs.SWAGGER_UI, docs.REDOC)),
    reason="Swagger UI and ReDoc are not installed in node_modules/ (`make` runs `npm ci`)",
)


@pytest.fixture(scope="module")
def schema() -> dict[str, Any]:
    """The app's OpenAPI description (made without a store, as schemathesis reads it)."""
    return create_app(Settings()).openapi()


def test_the_description_is_valid_openapi(schema: dict[str, Any]) -> None:
    validator = pytest.importorskip("openapi_spec_validator")
    validator.validate(schema)


@pytest.mark.parametrize(("path", "method"), list(ANSWERS), ids=lambda v: str(v))
def test_the_description_names_media_types_and_errors(
    schema: dict[str, Any], path: str, method: str
) -> None:
    media_types, errors = ANSWERS[(path, method)]
    responses = schema["paths"][path][method]["responses"]
    assert set(media_types) <= set(responses["200"]["content"]), responses["200"]
    assert errors <= set(responses), sorted(responses)
    for status in errors:
        assert responses[status]["description"]
        assert responses[status]["content"], status


def test_only_answered_media_types_are_named(schema: dict[str, Any]) -> None:
    """FastAPI's default ``application/json`` is gone where a route never answers it."""
    for path in ("/id/{path}", "/ontology", "/dump.{extension}", "/metrics"):
        assert "application/json" not in schema["paths"][path]["get"]["responses"]["200"]["content"]


def test_the_docs_pages_are_not_in_the_description(schema: dict[str, Any]) -> None:
    assert not {"/docs", "/redoc"} & set(schema["paths"])


@needs_viewers
@pytest.mark.parametrize("path", ["/docs", "/redoc"])
def test_the_viewers_load_only_this_server(client: httpx.Client, path: str) -> None:
    page = client.get(path)
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert not [cdn for cdn in CDNS if cdn in page.text]
    assets = ASSET.findall(page.text)
    assert assets, page.text
    here = urlsplit(str(page.url))  # every link, the site header's and footer's too
    links = [urlsplit(urljoin(str(page.url), url)) for url in LINK.findall(page.text)]
    assert not [link.geturl() for link in links if link[:2] != here[:2]]
    for url in assets:
        answer = client.get(url)
        assert answer.status_code == 200, url
        assert answer.headers["cache-control"] == docs.IMMUTABLE
        assert len(answer.content) > 10_000
        assert not [cdn for cdn in CDNS if cdn.encode() in answer.content], url


@needs_viewers
@pytest.mark.parametrize(("path", "viewer"), [("/docs", docs.SWAGGER_UI), ("/redoc", docs.REDOC)])
def test_asset_urls_name_the_installed_version(
    client: httpx.Client, path: str, viewer: docs.Viewer
) -> None:
    """So a newer package, after ``npm ci``, is never hidden by a year-long cache."""
    package = json.loads((docs.package_dir(viewer, PROJECT) / "package.json").read_text())
    expected = f"{viewer.prefix}/{package['version']}/"
    assert all(url.startswith(expected) for url in ASSET.findall(client.get(path).text))


async def _get(app: FastAPI, *paths: str) -> list[httpx.Response]:
    """GET each path of ``app`` in-process, without its lifespan (so without a store)."""
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
        return [await http.get(path) for path in paths]


def test_without_the_viewers_the_pages_say_so(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(docs, "installed", lambda *_args: None)
    app = create_app(Settings())
    assert app.state.docs == {docs.SWAGGER_UI.name: None, docs.REDOC.name: None}
    pages = asyncio.run(_get(app, "/docs", "/redoc"))
    for page, viewer in zip(pages, (docs.SWAGGER_UI, docs.REDOC), strict=True):
        assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
        assert f"{viewer.name} is not installed" in page.text
        assert viewer.package in page.text and 'href="/openapi.json"' in page.text
        assert page.text.count('<nav aria-label="Site">') == 1  # a page of the site
        assert "<script" not in page.text
