"""`/queries` and `/queries/{name}`: pages for browsers, JSON and SPARQL answers for programs."""

from __future__ import annotations

import csv
import io
from urllib.parse import urlencode

import httpx
import pytest

from tests.helpers import saved_queries

BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
CQ01 = "/queries/cq_01_needs_by_area"
PEOPLE_AREA = "https://w3id.org/wise-kg/id/need-area/people-area"
ID = "https://w3id.org/wise-kg/id/"
SAVED = saved_queries()


def test_the_list_is_a_page_for_browsers_and_json_for_programs(http: httpx.Client) -> None:
    page = http.get("/queries", headers={"Accept": BROWSER})
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    listing = http.get("/queries").json()
    for item in listing:
        assert f'<a href="/queries/{item["name"]}">{item["name"]}</a>' in page.text
    assert "Accept" in page.headers["vary"]
    assert http.get("/queries", headers={"Accept": "application/json"}).json() == listing
    mixed = http.get("/queries", headers={"Accept": "application/json, text/html;q=0.5"})
    assert mixed.headers["content-type"].startswith("application/json")


def test_a_query_page_has_its_form_and_its_answer_as_a_table(http: httpx.Client) -> None:
    page = http.get(CQ01, headers={"Accept": BROWSER})
    assert page.status_code == 200, page.text
    assert page.headers["content-type"].startswith("text/html")
    assert '<form class="query-params" method="get" action="/queries/cq_01_needs_by_area">' in (
        page.text
    )
    assert 'name="area"' in page.text
    answer = http.get(CQ01, params={"format": "csv"})
    rows = list(csv.DictReader(io.StringIO(answer.text)))
    assert rows
    assert f"{len(rows)} rows" in page.text
    assert page.text.count("<tr><td>") == len(rows)
    assert 'href="/id/need/' in page.text  # result IRIs open the local pages
    assert 'href="/queries/cq_01_needs_by_area?format=csv"' in page.text


def test_the_form_binds_its_parameters(http: httpx.Client) -> None:
    page = http.get(CQ01, params={"area": PEOPLE_AREA}, headers={"Accept": BROWSER})
    assert page.status_code == 200
    assert f'value="{PEOPLE_AREA}"' in page.text
    answer = http.get(CQ01, params={"area": PEOPLE_AREA, "format": "csv"})
    rows = list(csv.DictReader(io.StringIO(answer.text)))
    assert f"{len(rows)} rows" in page.text
    download = "?" + urlencode({"area": PEOPLE_AREA, "format": "csv"}).replace("&", "&amp;")
    assert f'href="{CQ01}{download}"' in page.text  # the answer's links keep the parameters


def test_a_bad_parameter_is_shown_on_the_page(http: httpx.Client) -> None:
    page = http.get(CQ01, params={"area": "not an iri"}, headers={"Accept": BROWSER})
    assert page.status_code == 400
    assert page.headers["content-type"].startswith("text/html")
    assert 'role="alert"' in page.text
    assert "must be an absolute iri" in page.text


@pytest.mark.parametrize(
    ("headers", "params", "media_type"),
    [
        ({"Accept": BROWSER}, {"format": "json"}, "application/sparql-results+json"),
        ({"Accept": "application/sparql-results+json"}, {}, "application/sparql-results+json"),
        ({"Accept": "application/sparql-results+xml"}, {}, "application/sparql-results+xml"),
        ({"Accept": "text/csv"}, {}, "text/csv"),
        ({}, {}, "application/sparql-results+json"),
    ],
)
def test_programs_keep_the_sparql_answer_formats(
    http: httpx.Client, headers: dict, params: dict, media_type: str
) -> None:
    answer = http.get(CQ01, headers=headers, params=params)
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith(media_type)


def test_query_pages_answer_304_to_their_etag(http: httpx.Client) -> None:
    for path in ("/queries", CQ01):
        first = http.get(path, headers={"Accept": BROWSER})
        again = http.get(path, headers={"Accept": BROWSER, "If-None-Match": first.headers["etag"]})
        assert again.status_code == 304, path
        data = http.get(path, headers={"If-None-Match": first.headers["etag"]})
        assert data.status_code == 200, path


# --- the /queries API, on every store (moved from tests/sources/test_queries.py) ---------


@pytest.mark.both_stores
def test_queries_are_listed_with_parameters(client: httpx.Client) -> None:
    listed = {q["name"]: q for q in client.get("/queries").json()}
    assert sorted(listed) == sorted(SAVED)
    cq01 = listed["cq_01_needs_by_area"]
    assert cq01["summary"].startswith("Which needs")
    assert cq01["parameters"] == [
        {"name": "area", "type": "iri", "required": True, "default": ID + "need-area/people-area"}
    ]
    assert cq01["url"].endswith("/queries/cq_01_needs_by_area")


@pytest.mark.both_stores
def test_saved_query_errors(client: httpx.Client) -> None:
    assert client.get("/queries/cq_99_nothing").status_code == 404
    assert client.get("/queries/../../etc/passwd").status_code == 404
    bad = client.get("/queries/cq_01_needs_by_area", params={"area": "not an iri"})
    assert bad.status_code == 400 and "area" in bad.text
    unknown = client.get("/queries/cq_01_needs_by_area", params={"colour": "red"})
    assert unknown.status_code == 400 and "no parameter colour" in unknown.text
    injected = client.get(
        "/queries/cq_01_needs_by_area",
        params={"area": ID + "need-area/people-area> } ; DROP ALL ; SELECT * { <x"},
    )
    assert injected.status_code == 400


@pytest.mark.both_stores
def test_saved_query_formats_and_prefix(client: httpx.Client) -> None:
    csv = client.get("/queries/cq_10", params={"format": "csv"})
    assert csv.status_code == 200 and csv.headers["content-type"].startswith("text/csv")
    assert len(csv.text.strip().splitlines()) == 11  # header + the 10 needs no area develops
