"""The remote store's client: credentials in the scheme the engine asks for, and an engine
that never answers is a clear error (no engine needed: a mock transport, a closed port)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.helpers import free_port
from wise_kg.config import Settings
from wise_kg.errors import StoreUnavailable
from wise_kg.store.backends import Remote, backend_for
from wise_kg.store.remote import RemoteConfig, credentials


def _asking_for(scheme: str, sent: list[str]) -> httpx.MockTransport:
    """An endpoint that answers 401 with a ``scheme`` challenge until it gets that scheme.

    ``sent`` collects the Authorization header of every request (empty: none).
    """
    challenge = {
        "basic": 'Basic realm="engine"',
        "digest": 'Digest realm="engine", nonce="abc", qop="auth", algorithm="MD5"',
        "none": "",
    }[scheme]

    def answer(request: httpx.Request) -> httpx.Response:
        given = request.headers.get("Authorization", "")
        sent.append(given)
        if scheme == "none" or given.lower().startswith(scheme):
            return httpx.Response(200)
        return httpx.Response(401, headers={"WWW-Authenticate": challenge})

    return httpx.MockTransport(answer)


def _client(transport: httpx.MockTransport, **config: Any) -> httpx.Client:
    remote = RemoteConfig(query_url="http://engine/query", update_url="http://engine/u", **config)
    return httpx.Client(transport=transport, auth=credentials(remote))


@pytest.mark.parametrize("scheme", ["basic", "digest"])
def test_credentials_answer_the_challenge_then_go_with_every_request(scheme: str) -> None:
    sent: list[str] = []
    with _client(_asking_for(scheme, sent), user="u", password="p") as http:
        assert http.post("http://engine/u", content=b"first").status_code == 200
        assert http.post("http://engine/u", content=b"second").status_code == 200
    assert sent[0] == ""  # asked without: the engine's challenge names the scheme
    assert [h.split(" ")[0].lower() for h in sent[1:]] == [scheme, scheme]  # then one each


def test_an_engine_that_asks_nothing_gets_no_credentials_and_a_token_is_bearer() -> None:
    sent: list[str] = []
    with _client(_asking_for("none", sent), user="u", password="p") as http:
        http.get("http://engine/query")
    with _client(_asking_for("none", sent), token="t0k") as http:
        http.get("http://engine/query")
    assert sent == ["", "Bearer t0k"]


def test_a_forced_scheme_is_sent_at_once_and_needs_its_secret() -> None:
    sent: list[str] = []
    with _client(_asking_for("basic", sent), user="u", password="p", auth="basic") as http:
        http.get("http://engine/query")
    assert len(sent) == 1 and sent[0].startswith("Basic ")
    with pytest.raises(StoreUnavailable, match="store_auth=bearer needs a token"):
        credentials(RemoteConfig(query_url="http://e/q", update_url="http://e/u", auth="bearer"))


def test_an_engine_that_never_answers_is_a_clear_error(tmp_path: Path) -> None:
    settings = Settings(
        project_dir=tmp_path,
        store=f"sparql+http://127.0.0.1:{free_port()}/query",
        store_retries=1,
    )
    backend = backend_for(settings)
    assert isinstance(backend, Remote)
    assert backend.config == RemoteConfig.from_settings(settings)
    assert backend.config.update_url.endswith("/update")
    with pytest.raises(Exception, match="is not answering"):
        backend.current_id()
