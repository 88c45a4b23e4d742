"""The release's self-check of the site: in the app built over a release's store, every
resource IRI answers with RDF and every ``wise:`` term has its anchor on ``/ontology``."""

from __future__ import annotations

import asyncio

import httpx
import pyoxigraph as ox

from wise_kg.config import Settings
from wise_kg.namespaces import WISE
from wise_kg.release.checks import published_iris, violation
from wise_kg.validation.report import Report, Result

#: Resources asked at once (the app describes each in a thread of its own).
CONCURRENT = 8


def check_dereferencing(settings: Settings, store: ox.Store) -> Report:
    """In the app built over ``settings``' store, every resource IRI answers with RDF and
    every ``wise:`` term has its ``#anchor`` on ``/ontology``."""
    return Report(results=asyncio.run(_check(settings, store)))


async def _check(settings: Settings, store: ox.Store) -> list[Result]:
    """The app is asked in this event loop, through httpx's ASGI transport, a few resources
    at once (Starlette's test client hands every request to another thread and back, one
    after the other)."""
    from wise_kg.api import create_app

    app = create_app(settings)
    prefix = settings.base_iri + "id/"
    transport = httpx.ASGITransport(app=app)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=transport, base_url="http://release-check") as client,
    ):
        asked = asyncio.Semaphore(CONCURRENT)

        async def dereference(iri: str) -> Result | None:
            url = "/id/" + iri[len(prefix) :]
            async with asked:
                response = await client.get(url, headers={"Accept": "text/turtle"})
            problem = f"GET {url} answered {response.status_code}"
            if response.status_code == 200:
                parsed = ox.parse(response.content, format=ox.RdfFormat.TURTLE)
                problem = "" if any(True for _ in parsed) else f"GET {url} answered no triple"
            return violation(iri, problem, "dereference", (url,)) if problem else None

        found = await asyncio.gather(*map(dereference, published_iris(store, prefix)))
        results = [result for result in found if result is not None]
        page = (await client.get("/ontology", headers={"Accept": "text/html"})).text
        for iri in published_iris(store, WISE):
            if f'id="{iri[len(WISE) :]}"' not in page:
                message = f"/ontology has no anchor #{iri[len(WISE) :]} for this term"
                results.append(violation(iri, message, "dereference", ("/ontology",)))
    return results
