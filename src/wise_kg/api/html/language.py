"""The language a page is shown in."""

from __future__ import annotations

from wise_kg.publish.index import LANGUAGES


def request_language(query_lang: str | None, accept_language: str | None) -> str:
    """The page language: ``?lang=`` if offered, else the best of Accept-Language, else English.

    >>> request_language(None, "it-IT,it;q=0.9,en;q=0.8")
    'it'
    >>> request_language("en", "it")
    'en'
    """
    if query_lang in LANGUAGES:
        return query_lang
    ranked = []
    for part in (accept_language or "").split(","):
        tag, _, params = part.strip().partition(";")
        q = 1.0
        if params.strip().startswith("q="):
            try:
                q = float(params.strip()[2:])
            except ValueError:
                q = 0.0
        primary = tag.strip().lower().split("-")[0]
        if primary in LANGUAGES and q > 0:
            ranked.append((-q, primary))
    return min(ranked)[1] if ranked else "en"
