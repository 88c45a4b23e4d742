"""A remote SPARQL 1.1 engine as the store, reached through the standard protocols only.

Reads go through the SPARQL 1.1 Protocol (POST, form-encoded); answers are parsed
by pyoxigraph into the same result types the embedded store returns, so the rest
of wise-kg cannot tell the two apart. Builds are loaded with the Graph Store
Protocol (or SPARQL Update) into staging graphs, then swapped in by one SPARQL
Update request of ``MOVE`` operations, which engines with transactional updates
apply atomically. The build's manifest lives in a graph of its own.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import re
import ssl
import time
import weakref
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass, field
from functools import cache
from typing import Any, ClassVar
from urllib.parse import urlencode

import httpx
import pyoxigraph as ox
from tqdm import tqdm

from wise_kg.config import Settings
from wise_kg.errors import (
    QuerySyntaxError,
    ResultTooLarge,
    StoreNotBuilt,
    StoreUnavailable,
    StoreWriteError,
)
from wise_kg.graphs import MANIFEST_GRAPH
from wise_kg.sparql.admission import inspect
from wise_kg.sparql.bind import bind
from wise_kg.sparql.evaluate import syntax_message
from wise_kg.store.embedded import BuildInfo, new_build_id

#: The graph holding the manifest of the build in service.
#: The property of the manifest graph whose value is the manifest (JSON).
MANIFEST_PROPERTY = "urn:wise-kg:manifest"
#: The property giving, in the manifest graph, a graph's content digest (see graph_digest).
DIGEST_PROPERTY = "urn:wise-kg:digest"
#: What a SELECT or ASK asks for, in formats pyoxigraph parses.
RESULTS_ACCEPT = "application/sparql-results+json, application/sparql-results+xml;q=0.9"
#: What a CONSTRUCT or DESCRIBE asks for. By form, never both: Virtuoso answers a CONSTRUCT
#: asked with both in a results table of ?s ?p ?o, and a SELECT asked for RDF as a graph.
GRAPH_ACCEPT = "application/n-triples, text/turtle;q=0.9, application/rdf+xml;q=0.8"
RESULTS_JSON = "application/sparql-results+json"
#: Statuses after which a read is tried again (after a pause that doubles each time).
RETRY_STATUSES = frozenset({502, 503, 504})
BACKOFF_SECONDS = 0.25


@dataclass(frozen=True)
class RemoteConfig:
    """Where the engine is and how to talk to it (picklable: query workers get a copy)."""

    query_url: str
    update_url: str
    gsp_url: str | None = None
    user: str | None = None
    password: str | None = None
    token: str | None = None
    auth: str = "auto"
    timeout: float = 30.0
    retries: int = 3
    chunk_triples: int = 50_000
    engine_union: bool = False
    graphs: tuple[str, ...] = field(default=())
    #: A worker querying it reaches the engine over the network.
    remote: ClassVar[bool] = True

    def open(self) -> RemoteStore:
        """The store a query worker reads (its own connection to the engine)."""
        return RemoteStore(self)

    @classmethod
    def from_settings(cls, settings: Settings) -> RemoteConfig:
        """The remote store named by ``WISE_KG_STORE`` and its companion settings."""
        query_url = settings.store.removeprefix("sparql+")
        default_update = query_url
        if query_url.endswith("/query"):  # Oxigraph, Fuseki: …/query and …/update
            default_update = query_url.removesuffix("/query") + "/update"
        secret = settings.store_password or None
        token = settings.store_token or None
        return cls(
            query_url=query_url,
            update_url=settings.store_update_url or default_update,
            gsp_url=settings.store_gsp_url,
            user=settings.store_user,
            password=secret.get_secret_value() if secret else None,
            token=token.get_secret_value() if token else None,
            auth=settings.store_auth,
            timeout=settings.store_timeout,
            retries=settings.store_retries,
            chunk_triples=settings.store_chunk_triples,
            engine_union=settings.store_union_default_graph,
        )

    def with_graphs(self, graphs: Iterable[str]) -> RemoteConfig:
        """The same engine, with the named graphs of the build in service."""
        return RemoteConfig(**{**asdict(self), "graphs": tuple(sorted(graphs))})


class RemoteStore:
    """The read side of :class:`pyoxigraph.Store`, over a remote SPARQL 1.1 endpoint.

    ``query`` takes the same options (union default graph, dataset, substitutions,
    base IRI) and returns the same types, so callers work on either store.
    """

    def __init__(self, config: RemoteConfig):
        self.config = config
        self._http = httpx.Client(
            auth=credentials(config),
            verify=_tls(),
            headers={"User-Agent": "wise-kg"},
            timeout=httpx.Timeout(config.timeout, connect=min(config.timeout, 5.0)),
            limits=httpx.Limits(max_connections=32, max_keepalive_connections=8),
        )

    def close(self) -> None:
        """Close the pooled connections."""
        self._http.close()

    # --- the pyoxigraph.Store read API ---------------------------------------------------

    def query(
        self,
        query: str,
        *,
        use_default_graph_as_union: bool = False,
        default_graph: Any = None,
        named_graphs: Any = None,
        substitutions: dict[ox.Variable, Any] | None = None,
        base_iri: str | None = None,
    ) -> Any:
        """Evaluate ``query`` on the engine: solutions, a boolean, or an iterable of triples."""
        accept = GRAPH_ACCEPT if inspect(query).returns_graph else RESULTS_ACCEPT
        text = query
        if substitutions:
            query = bind(query, substitutions)
        form: list[tuple[str, str]] = [("query", query)]
        if default_graph is not None or named_graphs is not None:
            form += _dataset(default_graph, named_graphs)
        elif use_default_graph_as_union and not self.config.engine_union:
            form += _dataset(self.config.graphs, self.config.graphs)
        if base_iri:  # the protocol has no base parameter: the query states it, on its own line
            form[0] = ("query", f"BASE <{base_iri}>\n{query}")
        try:
            return _answer(self._open(form, accept))
        except QuerySyntaxError as refused:
            reason = _parse_error(text, base_iri) or str(refused)
            raise QuerySyntaxError(syntax_message(reason)) from None

    def quads_for_pattern(
        self, subject: Any, predicate: Any, object: Any, graph_name: Any = None
    ) -> Iterator[ox.Quad]:
        """The quads matching a pattern, streamed from the engine (``None`` matches anything)."""
        terms = [
            t if t is not None else ox.Variable(v)
            for t, v in zip((subject, predicate, object), ("s", "p", "o"), strict=True)
        ]
        pattern = " ".join(str(t) for t in terms)
        if isinstance(graph_name, ox.DefaultGraph):
            if self.config.engine_union:
                return iter(())  # wise-kg writes named graphs only
            text, form = f"SELECT * WHERE {{ {pattern} }}", []
        elif graph_name is not None:
            text, form = f"SELECT * WHERE {{ GRAPH {graph_name} {{ {pattern} }} }}", []
        else:
            text = f"SELECT * WHERE {{ GRAPH ?g {{ {pattern} }} }}"
            form = _dataset([], self.config.graphs)
        return self._stream_quads(text, form, terms, graph_name)

    def named_graphs(self) -> Iterator[ox.NamedNode]:
        """The named graphs of the build in service."""
        return iter(ox.NamedNode(g) for g in self.config.graphs)

    def __len__(self) -> int:
        text = "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }"
        solutions = _answer(self._open([("query", text), *_dataset([], self.config.graphs)]))
        return int(next(iter(solutions))["n"].value)

    # --- the build in service -----------------------------------------------------------

    def manifest(self) -> BuildInfo | None:
        """The manifest of the build in service, or None when nothing was ever loaded."""
        text = (
            f"SELECT ?m WHERE {{ GRAPH <{MANIFEST_GRAPH}> "
            f"{{ <{MANIFEST_GRAPH}> <{MANIFEST_PROPERTY}> ?m }} }}"
        )
        for row in _answer(self._open([("query", text)], RESULTS_JSON)):
            return BuildInfo(**json.loads(row["m"].value))
        return None

    def publish(
        self, quads: Iterable[ox.Quad], fingerprint: str = "", keep: Iterable[str] = ()
    ) -> BuildInfo:
        """Put a new build in service with one update, moving only the graphs that changed.

        A graph whose digest is the one the build in service recorded for it is neither
        sent nor moved, and the graphs named in ``keep`` (absent from ``quads``) stay as
        they are in service, unread. The others are loaded into staging graphs; then one
        update moves them in, drops the graphs the new build no longer has and rewrites
        the manifest. Until that update the build in service is untouched; a failure
        removes the staging graphs and raises :class:`StoreWriteError`.
        """
        build_id, created = new_build_id()
        by_graph = _by_graph(quads)
        digests = {g: graph_digest(triples) for g, triples in by_graph.items()}
        staging: dict[str, str] = {}
        try:
            previous, recorded = self._in_service()
            kept = (set(keep) & set(previous.graphs if previous else ())) - set(by_graph)
            changed = sorted(g for g in by_graph if digests[g] != recorded.get(g))
            staging = {g: f"urn:wise-kg:staging:{build_id}:{n}" for n, g in enumerate(changed)}
            counts = {g: previous.graphs[g] for g in kept} if previous else {}
            counts |= {g: len(t) for g, t in by_graph.items()}
            digests |= {g: recorded[g] for g in kept if g in recorded}
            info = BuildInfo(build_id, created, sum(counts.values()), counts, fingerprint)
            chunks = [
                (staging[g], n, chunk)
                for g in changed
                for n, chunk in enumerate(_chunks(by_graph[g], self.config.chunk_triples))
            ]
            for target, n, chunk in tqdm(chunks, desc="loading", unit="request", disable=None):
                self._load_chunk(target, chunk, replace=n == 0)
            self._still_in_service(previous)
            old = set(previous.graphs) - set(counts) if previous else set()
            self._update(swap_update(staging, old, info, digests))
        except (StoreUnavailable, StoreWriteError) as err:
            self._drop_quietly(staging.values())
            raise StoreWriteError(f"{err}; the build in service is unchanged") from None
        return info

    def _in_service(self) -> tuple[BuildInfo | None, dict[str, str]]:
        """The manifest of the build in service and the digests it recorded, graph by graph."""
        text = f"SELECT ?s ?p ?o WHERE {{ GRAPH <{MANIFEST_GRAPH}> {{ ?s ?p ?o }} }}"
        info, digests = None, {}
        for row in _answer(self._open([("query", text)], RESULTS_JSON)):
            if row["p"].value == MANIFEST_PROPERTY:
                info = BuildInfo(**json.loads(row["o"].value))
            elif row["p"].value == DIGEST_PROPERTY:
                digests[row["s"].value] = row["o"].value
        return info, digests

    def _still_in_service(self, previous: BuildInfo | None) -> None:
        """Refuse to swap when another build was put in service while this one loaded.

        Its unchanged graphs were judged against the build in service when it began.
        """
        now = self.manifest()
        if (now.build_id if now else None) != (previous.build_id if previous else None):
            raise StoreWriteError(
                f"build {now.build_id if now else '(none)'} was put in service while this "
                "one loaded; run the build again"
            )

    # --- HTTP -----------------------------------------------------------------------------

    def _open(self, form: list[tuple[str, str]], accept: str = RESULTS_ACCEPT) -> httpx.Response:
        """POST a query (retried on connection errors and 502/503/504); the answer streams."""
        request = self._http.build_request("POST", self.config.query_url, **_form(form, accept))
        response = self._with_retries(lambda: self._http.send(request, stream=True), True)
        if not response.is_success:
            response.read()
            response.close()
        if response.status_code == 400:
            raise QuerySyntaxError(_reason(response))
        _check(response, "query")
        if (cut := response.headers.get("x-sparql-maxrows")) is not None:
            response.close()
            raise ResultTooLarge(
                f"The SPARQL engine cut its answer at its own limit of {cut} rows "
                "(Virtuoso: ResultSetMaxRows); wise-kg never passes on a cut answer."
            )
        return response

    def _stream_quads(
        self, text: str, form: list[tuple[str, str]], terms: list[Any], graph: Any
    ) -> Iterator[ox.Quad]:
        solutions = _answer(self._open([("query", text), *form], RESULTS_JSON))
        for row in solutions:
            s, p, o = (row[t] if isinstance(t, ox.Variable) else t for t in terms)
            g = graph if graph is not None else row["g"]
            yield ox.Quad(s, p, o, g if g is not None else ox.DefaultGraph())

    def _update(self, update: str) -> None:
        response = self._send("POST", self.config.update_url, **_form([("update", update)]))
        _check(response, "update", write=True)

    def _load_chunk(self, graph: str, triples: list[ox.Triple], *, replace: bool) -> None:
        """Write one chunk: Graph Store Protocol PUT/POST, or SPARQL Update INSERT DATA."""
        body = ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES)
        if self.config.gsp_url:
            response = self._send(
                "PUT" if replace else "POST",
                self.config.gsp_url,
                params={"graph": graph},
                content=body,
                headers={"Content-Type": "application/n-triples"},
            )
            _check(response, "Graph Store Protocol load", write=True)
        else:
            prefix = f"DROP SILENT GRAPH <{graph}> ;\n" if replace else ""
            self._update(f"{prefix}INSERT DATA {{ GRAPH <{graph}> {{\n{body.decode()}\n}} }}")

    def _drop_quietly(self, graphs: Iterable[str]) -> None:
        # staging graphs are named by build and never read: harmless if one is left
        drops = [f"DROP SILENT GRAPH <{g}>" for g in graphs]
        with contextlib.suppress(StoreUnavailable, StoreWriteError):
            if drops:
                self._update(" ;\n".join(drops))

    def _send(self, method: str, url: str, *, retry: bool = False, **kwargs: Any) -> httpx.Response:
        """One request; reads are retried, writes only when the connection was never made."""
        return self._with_retries(lambda: self._http.request(method, url, **kwargs), retry)

    def _with_retries(self, send: Any, retry: bool) -> httpx.Response:
        attempts = 1 + self.config.retries
        for attempt in range(attempts):
            last = attempt == attempts - 1
            try:
                response = send()
            except httpx.ConnectError as err:
                if last:
                    raise StoreUnavailable(self._down(err)) from None
            except httpx.TimeoutException:
                raise StoreUnavailable(
                    f"The SPARQL engine at {self.config.query_url} did not answer within "
                    f"{self.config.timeout:g} s; try again shortly."
                ) from None
            except httpx.HTTPError as err:
                raise StoreUnavailable(self._down(err)) from None
            else:
                if not (retry and response.status_code in RETRY_STATUSES) or last:
                    return response
                response.close()
            time.sleep(BACKOFF_SECONDS * 2**attempt)
        raise AssertionError("unreachable")

    def _down(self, err: Exception) -> str:
        return (
            f"The SPARQL engine at {self.config.query_url} is not answering "
            f"({type(err).__name__}: {err}); try again shortly."
        )


class BearerAuth(httpx.Auth):
    """``Authorization: Bearer <token>`` on every request."""

    def __init__(self, token: str):
        self._header = f"Bearer {token}"

    def auth_flow(self, request: httpx.Request) -> Iterator[httpx.Request]:
        request.headers["Authorization"] = self._header
        yield request


class ChallengeAuth(httpx.Auth):
    """Credentials in the scheme the engine's 401 challenge names, kept to once learned.

    The first request goes without credentials (as ``curl --anyauth`` does); an answer
    of 401 whose ``WWW-Authenticate`` names a scheme we hold credentials for is answered
    in that scheme, and every later request uses it from the start (Digest reuses the
    engine's nonce). Endpoints that ask for nothing get nothing.
    """

    def __init__(self, schemes: dict[str, httpx.Auth]):
        self._schemes = schemes
        self._learned: httpx.Auth | None = None

    def auth_flow(self, request: httpx.Request) -> Iterator[httpx.Request]:
        if self._learned is not None:
            yield from self._learned.auth_flow(request)
            return
        challenged = yield request
        scheme = self._scheme_for(challenged)
        if scheme is None:
            return
        self._learned = scheme
        flow = scheme.auth_flow(request)
        retry = next(flow)
        if "Authorization" not in retry.headers:  # a scheme that answers challenges: ours
            retry = flow.send(challenged)
        while True:
            response = yield retry
            try:
                retry = flow.send(response)
            except StopIteration:
                return

    def _scheme_for(self, response: httpx.Response) -> httpx.Auth | None:
        if response.status_code != 401:
            return None
        for challenge in response.headers.get_list("www-authenticate"):
            scheme = self._schemes.get(challenge.split(" ", 1)[0].lower())
            if scheme is not None:
                return scheme
        return None


@cache
def _tls() -> ssl.SSLContext:
    """httpx's default TLS context, made once: each new one reads the CA bundle (~20 ms)."""
    return httpx.create_ssl_context()


def credentials(config: RemoteConfig) -> httpx.Auth | None:
    """How requests to the engine carry the configured credentials (``store_auth``)."""
    user, password, token = config.user, config.password or "", config.token
    schemes: dict[str, httpx.Auth] = {}
    if user is not None:
        schemes |= {
            "basic": httpx.BasicAuth(user, password),
            "digest": httpx.DigestAuth(user, password),
        }
    if token is not None:
        schemes["bearer"] = BearerAuth(token)
    if config.auth != "auto":
        if config.auth not in schemes:
            needs = "a token" if config.auth == "bearer" else "a user name"
            raise StoreUnavailable(
                f"store_auth={config.auth} needs {needs}: set store_user or store_token"
            )
        return schemes[config.auth]
    if user is None:
        return schemes.get("bearer")
    return ChallengeAuth(schemes)


def swap_update(
    staging: dict[str, str],
    old_graphs: Iterable[str],
    info: BuildInfo,
    digests: dict[str, str] | None = None,
) -> str:
    """The one update that puts a build in service: MOVE each staging graph, drop the
    graphs gone, then rewrite the manifest (with each graph's digest)."""
    manifest = ox.Literal(json.dumps(asdict(info)))
    operations = [f"MOVE <{stage}> TO <{graph}>" for graph, stage in sorted(staging.items())]
    operations += [f"DROP SILENT GRAPH <{g}>" for g in sorted(old_graphs)]
    recorded = "".join(
        f"\n  <{g}> <{DIGEST_PROPERTY}> {ox.Literal(d)} ."
        for g, d in sorted((digests or {}).items())
    )
    operations += [
        f"DROP SILENT GRAPH <{MANIFEST_GRAPH}>",
        f"INSERT DATA {{ GRAPH <{MANIFEST_GRAPH}> "
        f"{{ <{MANIFEST_GRAPH}> <{MANIFEST_PROPERTY}> {manifest} .{recorded} }} }}",
    ]
    return " ;\n".join(operations)


def graph_digest(triples: list[ox.Triple]) -> str:
    """The SHA-256 of a graph's content: equal for equal graphs, whatever the order or the
    blank nodes' labels (those graphs are put in canonical form, RDFC-1.0, first)."""
    if any(map(_has_blank, triples)):
        dataset = ox.Dataset(ox.Quad(t.subject, t.predicate, t.object) for t in triples)
        dataset.canonicalize(ox.CanonicalizationAlgorithm.RDFC_1_0)
        triples = [q.triple for q in dataset]
    lines = sorted(str(t) for t in triples)
    return hashlib.sha256("\n".join(lines).encode()).hexdigest()


def _by_graph(quads: Iterable[ox.Quad]) -> dict[str, list[ox.Triple]]:
    """The quads' triples, graph by graph (duplicates once; every quad in a named graph)."""
    by_graph: dict[str, list[ox.Triple]] = defaultdict(list)
    for q in dict.fromkeys(quads):
        if not isinstance(q.graph_name, ox.NamedNode):
            raise StoreWriteError("wise-kg writes named graphs only; a quad has none")
        by_graph[q.graph_name.value].append(q.triple)
    return by_graph


def _form(fields: list[tuple[str, str]], accept: str = RESULTS_ACCEPT) -> dict[str, Any]:
    """A form-encoded POST body (repeated keys kept, as the protocol's dataset needs)."""
    return {
        "content": urlencode(fields).encode(),
        "headers": {"Content-Type": "application/x-www-form-urlencoded", "Accept": accept},
    }


def _dataset(default: Iterable[Any], named: Iterable[Any]) -> list[tuple[str, str]]:
    """Protocol parameters naming the dataset: ``default-graph-uri`` and ``named-graph-uri``."""
    return [("default-graph-uri", _iri(g)) for g in default or ()] + [
        ("named-graph-uri", _iri(g)) for g in named or ()
    ]


def _parse_error(query: str, base_iri: str | None) -> str | None:
    """Why pyoxigraph cannot parse ``query`` (None if it can), positions as the user wrote it.

    Engines count lines in the text they were sent (a ``VALUES`` block or ``BASE`` line
    added; Virtuoso adds a prologue of its own), so their positions can mislead.
    """
    try:
        ox.Store().query(query, base_iri=base_iri)  # parsed at once; the answer, lazy, unread
    except SyntaxError as err:
        return str(err)
    return None


def _iri(graph: ox.NamedNode | str) -> str:
    return graph.value if isinstance(graph, ox.NamedNode) else graph


def _answer(response: httpx.Response) -> Any:
    """The engine's answer as pyoxigraph objects: solutions, a boolean or triples.

    Solutions are parsed as they arrive, so a reader that stops early (at the row
    limit) stops the download too; the connection is released with the reader.
    """
    media_type = response.headers.get("content-type", "").split(";")[0].strip()
    reader = io.BufferedReader(_StreamReader(response, json=media_type == RESULTS_JSON))
    results_format = ox.QueryResultsFormat.from_media_type(media_type)
    if results_format is not None:
        return ox.parse_query_results(reader, format=results_format)
    rdf_format = ox.RdfFormat.from_media_type(media_type)
    if rdf_format is None:
        response.close()
        raise StoreUnavailable(f"The SPARQL engine answered in an unknown format: {media_type!r}")
    return _triples(reader, rdf_format)


def _triples(reader: io.BufferedReader, rdf_format: ox.RdfFormat) -> Iterator[ox.Triple]:
    """A graph answer's triples as they arrive; a reader that stops early stops the download."""
    with reader:
        for quad in ox.parse(reader, format=rdf_format):
            yield quad.triple


class _StreamReader(io.RawIOBase):
    """A file-like view of an HTTP body as it arrives, for pyoxigraph's streaming parser.

    The response is closed (its connection back to the pool) at the end of the body,
    or when the reader is dropped: a parser abandoned at the row limit frees it too.
    """

    def __init__(self, response: httpx.Response, *, json: bool = False):
        super().__init__()
        chunks = response.iter_bytes()
        self._chunks = _standard_blank_nodes(chunks) if json else chunks
        self._rest = b""
        self._closed_with = weakref.finalize(self, response.close)

    def readable(self) -> bool:
        return True

    def close(self) -> None:
        self._closed_with()
        super().close()

    def readinto(self, buffer: Any) -> int:
        while not self._rest:
            try:
                self._rest = next(self._chunks, b"")
            except httpx.HTTPError as err:
                raise OSError(f"the SPARQL engine's answer broke off: {err}") from None
            if not self._rest:
                self._closed_with()
                return 0
        n = min(len(buffer), len(self._rest))
        buffer[:n], self._rest = self._rest[:n], self._rest[n:]
        return n


#: A blank node as Virtuoso writes it in JSON results, ``"nodeID://b123"``: pyoxigraph
#: refuses the label, and ``b123`` names the same node in every answer.
_VIRTUOSO_BLANK = re.compile(rb'("type"\s*:\s*"bnode"\s*,\s*"value"\s*:\s*")nodeID://')
#: Bytes held back at the end of a chunk, in case the next one completes a match.
_HELD_BACK = 64


def _standard_blank_nodes(chunks: Iterator[bytes]) -> Iterator[bytes]:
    """A JSON results body with Virtuoso's blank-node labels made plain ones, as it streams."""
    held = b""
    for chunk in chunks:
        data = _VIRTUOSO_BLANK.sub(rb"\1", held + chunk)
        held, ready = data[-_HELD_BACK:], data[:-_HELD_BACK]
        if ready:
            yield ready
    yield held


def _chunks(triples: list[ox.Triple], size: int) -> Iterator[list[ox.Triple]]:
    """Triples in chunks; every triple with a blank node goes in the first one.

    Each request is its own blank-node scope, so a blank node must not straddle two.
    """
    blank = [t for t in triples if _has_blank(t)]
    rest = [t for t in triples if not _has_blank(t)]
    first = max(size - len(blank), 0)
    yield blank + rest[:first]
    for start in range(first, len(rest), size):
        yield rest[start : start + size]


def _has_blank(triple: ox.Triple) -> bool:
    return isinstance(triple.subject, ox.BlankNode) or isinstance(triple.object, ox.BlankNode)


def _reason(response: httpx.Response) -> str:
    return response.text.strip()[:1000] or response.reason_phrase


def _check(response: httpx.Response, what: str, *, write: bool = False) -> None:
    """Turn the engine's refusals into wise-kg errors that say what happened."""
    if response.is_success:
        return
    message = f"The SPARQL engine refused the {what} ({response.status_code}): {_reason(response)}"
    if write:
        raise StoreWriteError(message)
    if response.status_code == 404:
        raise StoreNotBuilt(message)
    raise StoreUnavailable(message)
