"""SPARQL 1.1 query evaluation tests (and the JSON / TSV result-format ones) over HTTP.

Each test also runs in-process on pyoxigraph, to count what the engine itself passes.
"""

from __future__ import annotations

import httpx
import pytest

from tests.w3c import suite
from tests.w3c.results import Answer, difference
from tests.w3c.runner import (
    EndpointError,
    ask_http,
    ask_in_process,
    expected_answer,
    media_type_for,
)
from tests.w3c.xfail import param

if not suite.available():
    pytest.skip(f"W3C suite not found at {suite.SHARED}", allow_module_level=True)

TESTS = suite.evaluation_tests()


def _in_process(test: suite.Test, expected: Answer, media_type: str) -> str | None:
    """Why pyoxigraph in-process fails the test, or None when it passes."""
    try:
        return difference(expected, ask_in_process(test, media_type))
    except (SyntaxError, OSError, ValueError, RuntimeError) as err:
        return f"error: {err}"


@pytest.mark.parametrize("test", [param(t.iri, t, t.short) for t in TESTS])
def test_query_evaluation(
    test: suite.Test, w3c_client: httpx.Client, in_process_tally: dict[str, bool]
) -> None:
    """The endpoint's answer equals the expected result (after normalisation)."""
    expected = expected_answer(test)
    media_type = media_type_for(test, expected)
    reference = _in_process(test, expected, media_type)
    in_process_tally[test.iri] = reference is None
    note = f"(pyoxigraph in-process: {reference or 'passes'})"
    try:
        actual = ask_http(w3c_client, test, media_type)
    except EndpointError as err:
        pytest.fail(f"{err} {note}")
    problem = difference(expected, actual)
    assert problem is None, f"{problem} {note}"
