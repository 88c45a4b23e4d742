"""Typed settings, made once and passed explicitly (env prefix ``WISE_KG_``)."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from wise_kg.namespaces import PUBLISHED_BASE


class Settings(BaseSettings):
    """Every knob of wise-kg. Read from ``WISE_KG_*`` variables or given directly.

    >>> Settings(port=9000).port
    9000
    """

    model_config = SettingsConfigDict(env_prefix="WISE_KG_", extra="forbid")

    project_dir: Path = Field(
        default=Path("."),
        description="Folder holding ontology/, data/, shapes/ and queries/.",
    )
    store_path: Path = Field(
        default=Path(".wise-kg/store"),
        description="Where the built store lives (a link swapped atomically on rebuild).",
    )
    host: str = "127.0.0.1"
    port: int = 8000
    public_url: str = Field(
        default="",
        description="The address clients reach the server at (scheme://host[:port][/path]); "
        "every link the server writes starts with it, never with a client's Host header. "
        "Empty: http://{host}:{port}.",
        pattern=r"^(|https?://[^\s/?#]+(/[^\s?#]*)?)$",
    )
    trusted_proxies: str = Field(
        default="",
        description="Comma-separated addresses (or CIDR networks) of reverse proxies whose "
        "X-Forwarded-For/-Proto headers are honoured; empty: no one's.",
    )
    base_iri: str = Field(
        default=PUBLISHED_BASE,
        description="Base of the published IRIs; the server answers for them at its own address.",
    )
    result_limit: int = Field(default=10_000, gt=0, description="Most rows a query may return.")
    max_body_bytes: int = Field(default=1_000_000, gt=0, description="Largest request body.")
    answer_bytes: int = Field(
        default=64 * 1024 * 1024, gt=0, description="Most bytes one query answer may take."
    )
    query_timeout: float = Field(
        default=10.0,
        gt=0,
        description="Seconds a query request may take in all: reading, waiting, running, sending.",
    )
    query_workers: int = Field(default=2, gt=0, description="Processes evaluating queries.")
    query_memory_mb: int = Field(
        default=768, gt=0, description="MiB of memory one query may use in its worker."
    )
    query_queue_seconds: float = Field(
        default=1.0,
        ge=0,
        description="Seconds a query may wait for a busy worker before a 503 with Retry-After.",
    )
    query_queue_size: int = Field(
        default=16, ge=0, description="Most queries waiting for a worker at once (more: 503)."
    )
    worker_memory_copy_quads: int = Field(
        default=1_000_000,
        ge=0,
        description="The query workers answer from a memory copy of a build of at most this "
        "many quads, with the published graphs' merge as its default graph and, for queries "
        "that read no named graph, in a store of its own (measured: a substring scan 4-6 ms "
        "against 15 ms on disk). It is made once per build and shared by the workers forked "
        "from it: 107 MiB a process, proportional, for the 184,535 quads of WISE + ESCO; "
        "0: never.",
    )
    cache_bytes: int = Field(
        default=64 * 1024 * 1024, ge=0, description="Memory for cached answers (0: no cache)."
    )
    admin_token: SecretStr | None = Field(
        default=None, description="Bearer token for the non-read routes (/metrics); none: open."
    )
    union_default_graph: bool = Field(
        default=True, description="Whether the default graph is the union of the stored graphs."
    )
    reload_seconds: float = Field(
        default=2.0, gt=0, description="How often the server looks for a new build to serve."
    )

    # --- the HTTP server: limits on slow and abusive clients -------------------------------
    header_timeout: float = Field(
        default=10.0,
        gt=0,
        description="Seconds a connection has to send a request's line and headers, from "
        "connecting or from the previous answer; then it is closed (408 if it had begun).",
    )
    body_timeout: float = Field(
        default=10.0,
        gt=0,
        description="Seconds a request body may pause between two pieces; then 408, closed.",
    )
    keep_alive_timeout: float = Field(
        default=5.0, gt=0, description="Seconds an idle connection is kept for a next request."
    )
    max_connections: int = Field(
        default=1000,
        gt=0,
        description="Most open connections per server process (kept well below its open-file "
        "limit); one more closes the one waiting longest for a request, or is refused (503).",
    )

    # --- a remote SPARQL 1.1 store instead of the embedded one -----------------------------
    store: str = Field(
        default="",
        description="Empty: the embedded store at store_path. 'sparql+http(s)://host/query': "
        "a remote SPARQL 1.1 engine, reached through the standard protocols only.",
        pattern=r"^(|sparql\+https?://\S+)$",
    )
    store_update_url: str | None = Field(
        default=None,
        description="Its SPARQL Update endpoint (default: the query URL, '/query' → '/update').",
    )
    store_gsp_url: str | None = Field(
        default=None,
        description="Its Graph Store Protocol endpoint for loading (none: SPARQL Update).",
    )
    store_user: str | None = Field(default=None, description="User name (Basic or Digest).")
    store_password: SecretStr | None = Field(default=None, description="Its password.")
    store_token: SecretStr | None = Field(default=None, description="Bearer token instead.")
    store_auth: Literal["auto", "basic", "digest", "bearer"] = Field(
        default="auto",
        description="How credentials are sent: 'auto' answers the engine's 401 challenge "
        "in the scheme it names (Basic, Digest, or Bearer with the token) and keeps to it; "
        "a token without a user is sent as Bearer from the first request. 'basic', "
        "'digest' or 'bearer' forces one scheme.",
    )
    store_timeout: float = Field(default=30.0, gt=0, description="Seconds per HTTP request.")
    store_retries: int = Field(
        default=3, ge=0, description="Retries (with back-off) of a read the engine did not take."
    )
    store_chunk_triples: int = Field(default=50_000, gt=0, description="Triples per load request.")
    store_union_default_graph: bool = Field(
        default=False,
        description="The engine's default graph already is the union of its graphs: "
        "send no dataset with queries (else each query names wise-kg's graphs).",
    )

    def public_base(self) -> str:
        """The configured public address without a trailing slash (links are made from it)."""
        return (self.public_url or f"http://{_url_host(self.host)}:{self.port}").rstrip("/")

    def source_dir(self, name: str) -> Path:
        """The folder of one kind of source (``ontology``, ``data``, ``shapes``, ``queries``)."""
        return self.project_dir / name

    @property
    def remote(self) -> bool:
        """Whether the graph lives in a remote SPARQL engine rather than the embedded store."""
        return bool(self.store)

    def resolved_store_path(self) -> Path:
        """The store path, relative paths taken from the project folder."""
        path = self.store_path
        return path if path.is_absolute() else self.project_dir / path


#: Settings whose flag is not ``--`` and the field's name with dashes (names kept from
#: earlier releases).
FLAGS = {"project_dir": "--project"}


def flag(name: str) -> str:
    """The command-line flag of the setting ``name``.

    >>> flag("query_timeout"), flag("project_dir")
    ('--query-timeout', '--project')
    """
    return FLAGS.get(name, "--" + name.replace("_", "-"))


def _url_host(host: str) -> str:
    """A host as it stands in a URL (an IPv6 address in brackets)."""
    return f"[{host}]" if ":" in host and not host.startswith("[") else host
