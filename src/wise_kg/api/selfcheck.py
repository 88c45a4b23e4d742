"""The release's self-check of the site: in the app built over a release's store, every
resource IRI answers with RDF and every ``wise:`` term has its anchor on ``/ontology``."""

from __future__ import annotations

import warnings

import pyoxigraph as ox

from wise_kg.config import Settings
from wise_kg.namespaces import WISE
from wise_kg.release.checks import published_iris, violation
from wise_kg.validation.report import Report


def check_dereferencing(settings: Settings, store: ox.Store) -> Report:
    """In the app built over ``settings``' store, every resource IRI answers with RDF and
    every ``wise:`` term has its ``#anchor`` on ``/ontology``."""
    with warnings.catch_warnings():  # starlette's notice about its test client's transport
        warnings.simplefilter("ignore")
        from fastapi.testclient import TestClient

    from wise_kg.api import create_app

    results = []
    prefix = settings.base_iri + "id/"
    with TestClient(create_app(settings)) as client:
        for iri in published_iris(store, prefix):
            url = "/id/" + iri[len(prefix) :]
            response = client.get(url, headers={"Accept": "text/turtle"})
            problem = f"GET {url} answered {response.status_code}"
            if response.status_code == 200:
                parsed = ox.parse(response.content, format=ox.RdfFormat.TURTLE)
                problem = "" if any(True for _ in parsed) else f"GET {url} answered no triple"
            if problem:
                results.append(violation(iri, problem, "dereference", (url,)))
        page = client.get("/ontology", headers={"Accept": "text/html"}).text
        for iri in published_iris(store, WISE):
            if f'id="{iri[len(WISE) :]}"' not in page:
                message = f"/ontology has no anchor #{iri[len(WISE) :]} for this term"
                results.append(violation(iri, message, "dereference", ("/ontology",)))
    return Report(results=results)
