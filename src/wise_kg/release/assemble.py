"""``wise-kg release VERSION``: every check, then versioned, described files in ``dist/VERSION/``.

The checks run in order and the first class of failure stops the release with
its full report (the same :class:`~wise_kg.validation.validate.Report` the validator gives,
so it renders as text or JUnit):

1. **validate** — SHACL and the ESCO reference checks over the sources;
2. **queries** — every saved query of ``queries/`` parses and, with its default
   parameters, answers on the built graph (an empty answer is only a warning: some
   queries need a loaded ESCO);
3. **dereference** — in the app built over it, every ``{base}id/…`` IRI the graph
   holds answers with RDF, and every ``wise:`` term has its anchor on ``/ontology``;
4. **description** — the DCAT, VoID and service description of the release
   conform to the release shapes (``release_shapes.ttl``).

Nothing is written to ``dist/`` before the checks of steps 1 to 3 pass; the files
are written to a hidden staging folder beside the target and renamed into place
only when step 4 passes, so a failed release leaves ``dist/`` as it was.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import tempfile
import warnings
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path

import pyoxigraph as ox
from pyld import jsonld as pyld
from rdflib import Graph

from wise_kg.config import GRAPH_BASE, ONTOLOGY_IRI, Settings
from wise_kg.errors import BadVersion, ReleaseFailed, WiseKgError
from wise_kg.esco import export as exports
from wise_kg.esco import load as esco
from wise_kg.formats import GRAPH_FORMATS, Format, by_name
from wise_kg.publish import dcat, jsonld, ontodoc
from wise_kg.publish.service_description import describe as describe_service
from wise_kg.publish.void import PUBLISHED_GRAPHS, describe_dataset
from wise_kg.release import w3id
from wise_kg.release.changes import RELEASE_QUADS, Changes, Version, compare, published_store
from wise_kg.sources.entail import with_entailments
from wise_kg.sources.reader import load_sources, quads, to_rdflib
from wise_kg.sparql import queries
from wise_kg.sparql.admission import inspect
from wise_kg.sparql.local import answer
from wise_kg.store import embedded as stores
from wise_kg.validation.results import Result
from wise_kg.validation.validate import Report, shacl, validate_files

VERSION = re.compile(r"^(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)$")
OWL = "http://www.w3.org/2002/07/owl#"
VERSION_PREDICATES = tuple(
    ox.NamedNode(OWL + p) for p in ("versionIRI", "versionInfo", "priorVersion")
)
WISE = ONTOLOGY_IRI + "#"
VOID = "http://rdfs.org/ns/void#"
CHECKSUMS = "SHA256SUMS"
SHAPES_FILE = "release_shapes.ttl"
PREFIXES = {
    "wise": WISE,
    "skos": "http://www.w3.org/2004/02/skos/core#",
    "dcterms": dcat.DCTERMS,
    "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
    "owl": OWL,
    "xsd": dcat.XSD,
    "dcat": dcat.DCAT,
    "void": VOID,
    "spdx": dcat.SPDX,
    "foaf": dcat.FOAF,
    "sd": "http://www.w3.org/ns/sparql-service-description#",
    "cs": "http://purl.org/vocab/changeset/schema#",
    "prov": "http://www.w3.org/ns/prov#",
}


@dataclass(frozen=True)
class Release:
    """A finished release: its version, folder, files and the changes since the previous one."""

    version: str
    iri: str
    folder: Path
    files: tuple[dcat.Artefact, ...]
    changes: Changes
    previous: str | None
    warnings: list[Result]


# --- versions -------------------------------------------------------------------------------


def _key(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in version.split("."))


def release_iri(settings: Settings, version: str) -> str:
    """``https://w3id.org/wise-kg/release/1.0.0`` (under the configured base)."""
    return f"{settings.base_iri}release/{version}"


def previous_release(dist: Path, version: str) -> str | None:
    """The highest complete release in ``dist`` below ``version`` (None for a first release)."""
    if not dist.is_dir():
        return None
    older = [
        p.name
        for p in dist.iterdir()
        if VERSION.match(p.name) and (p / CHECKSUMS).is_file() and _key(p.name) < _key(version)
    ]
    return max(older, key=_key, default=None)


def versioned(published: Iterable[ox.Quad], version: str, previous: str | None) -> list[ox.Quad]:
    """The quads with the ontology header's version triples set for this release."""
    header, graph = ox.NamedNode(ONTOLOGY_IRI), ox.NamedNode(GRAPH_BASE + "ontology")
    kept = [q for q in published if not (q.subject == header and q.predicate in VERSION_PREDICATES)]
    kept += [
        ox.Quad(header, VERSION_PREDICATES[0], ox.NamedNode(f"{ONTOLOGY_IRI}/{version}"), graph),
        ox.Quad(header, VERSION_PREDICATES[1], ox.Literal(version), graph),
    ]
    if previous:
        kept.append(
            ox.Quad(
                header, VERSION_PREDICATES[2], ox.NamedNode(f"{ONTOLOGY_IRI}/{previous}"), graph
            )
        )
    return kept


# --- checks ---------------------------------------------------------------------------------


def _violation(
    focus: str, message: str, check: str, files: tuple[str, ...], severity: str = "Violation"
) -> Result:
    return Result(severity, focus, None, None, message, f"release:{check}", files, check)


def _stop_if_failed(stage: str, report: Report) -> None:
    if not report.conforms:
        raise ReleaseFailed(stage, report)


def check_queries(settings: Settings, store: ox.Store) -> Report:
    """Every saved query parses and answers with its defaults (an empty answer: a warning)."""
    results = []
    for name, saved in queries.load(settings.source_dir("queries")).items():
        files = (f"queries/{name}.rq",)
        try:
            info = inspect(saved.text)
            body = answer(
                store,
                saved.text,
                info.formats()[0],
                result_limit=settings.result_limit,
                bindings=saved.bind({}),
            )
        except WiseKgError as err:
            results.append(_violation(name, f"the query does not run: {err}", "queries", files))
            continue
        empty = (info.form == "SELECT" and not json.loads(body)["results"]["bindings"]) or (
            info.returns_graph and not body.strip()
        )
        if empty:  # allowed: some queries need a loaded ESCO, or other parameters
            message = "the query answers nothing with its defaults"
            results.append(_violation(name, message, "queries", files, "Warning"))
    return Report(results=results)


def _iris(store: ox.Store, prefix: str) -> list[str]:
    """Every IRI starting with ``prefix`` in the published graphs, in any position."""
    found = set()
    for graph in PUBLISHED_GRAPHS:
        for q in store.quads_for_pattern(None, None, None, ox.NamedNode(graph)):
            for term in (q.subject, q.predicate, q.object):
                if isinstance(term, ox.NamedNode) and term.value.startswith(prefix):
                    found.add(term.value)
    return sorted(found)


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
        for iri in _iris(store, prefix):
            url = "/id/" + iri[len(prefix) :]
            response = client.get(url, headers={"Accept": "text/turtle"})
            problem = f"GET {url} answered {response.status_code}"
            if response.status_code == 200:
                parsed = ox.parse(response.content, format=ox.RdfFormat.TURTLE)
                problem = "" if any(True for _ in parsed) else f"GET {url} answered no triple"
            if problem:
                results.append(_violation(iri, problem, "dereference", (url,)))
        page = client.get("/ontology", headers={"Accept": "text/html"}).text
        for iri in _iris(store, WISE):
            if f'id="{iri[len(WISE) :]}"' not in page:
                message = f"/ontology has no anchor #{iri[len(WISE) :]} for this term"
                results.append(_violation(iri, message, "dereference", ("/ontology",)))
    return Report(results=results)


def description_shapes() -> Graph:
    """The SHACL shapes a release's DCAT, VoID and service description must meet."""
    text = resources.files("wise_kg.release").joinpath(SHAPES_FILE).read_text("utf-8")
    return Graph().parse(data=text, format="turtle")


def check_description(triples: list[ox.Triple]) -> Report:
    """The description of a release against :func:`description_shapes`."""
    return shacl(to_rdflib(triples), description_shapes())


# --- files ----------------------------------------------------------------------------------


def _fmt(name: str) -> Format:
    return by_name(name, GRAPH_FORMATS)


def _triples(quad_list: Iterable[ox.Quad]) -> list[ox.Triple]:
    return [ox.Triple(q.subject, q.predicate, q.object) for q in quad_list]


def _write_rdf(path: Path, items: list, fmt: Format) -> None:
    prefixes = PREFIXES if fmt.name in ("turtle", "trig") else None
    with path.open("wb") as out:
        ox.serialize(items, out, format=fmt.engine, prefixes=prefixes)


def jsonld_document(triples: list[ox.Triple]) -> dict:
    """The triples as one JSON-LD document compacted with our context, held inline."""
    nquads = ox.serialize(triples, format=ox.RdfFormat.N_QUADS).decode("utf-8")
    expanded = pyld.from_rdf(nquads, {"format": "application/n-quads"})
    return pyld.compact(expanded, jsonld.context(), {"documentLoader": jsonld.loader})


def _release_void(
    store: ox.Store, settings: Settings, iri: str, dumps: list[dcat.Artefact]
) -> list[ox.Triple]:
    """The VoID of the release: the live description's figures, under the release's IRI,
    with the release's files as its dumps."""
    live = settings.base_iri + "dataset"

    def moved(term):
        if isinstance(term, ox.NamedNode) and term.value.startswith(live):
            return ox.NamedNode(iri + term.value[len(live) :])
        return term

    dump = ox.NamedNode(VOID + "dataDump")
    triples = [
        ox.Triple(moved(t.subject), t.predicate, moved(t.object))
        for t in describe_dataset(store, settings.base_iri, settings.base_iri)
        if t.predicate != dump
    ]
    triples += [ox.Triple(ox.NamedNode(iri), dump, ox.NamedNode(d.url)) for d in dumps]
    return triples


#: The graph files: name, format, title.
GRAPH_FILES = (
    ("wise-kg.ttl", "turtle", "The graph (ontology and data) as Turtle"),
    ("wise-kg.nt", "ntriples", "The graph (ontology and data) as N-Triples"),
    ("wise-kg.jsonld", "jsonld", "The graph (ontology and data) as JSON-LD, with its context"),
    (RELEASE_QUADS, "nquads", "The graph as N-Quads, in its named graphs (ontology, data)"),
)


@dataclass
class _Writer:
    """Writes the files of one release into a staging folder and lists them."""

    folder: Path
    base_url: str
    files: list[dcat.Artefact]

    def add(
        self,
        name: str,
        media_type: str,
        title: str,
        write: Callable[[Path], None],
        fmt_iri: str = "",
    ) -> dcat.Artefact:
        path = self.folder / name
        write(path)
        item = dcat.artefact(path, self.base_url + name, media_type, title, fmt_iri)
        self.files.append(item)
        return item


def _text(content: str) -> Callable[[Path], None]:
    return lambda path: path.write_text(content, encoding="utf-8")


def write_files(
    folder: Path,
    settings: Settings,
    version: str,
    built: ox.Store,
    release_quads: list[ox.Quad],
    changes: Changes,
    previous: str | None,
) -> list[dcat.Artefact]:
    """Every file of a release into ``folder``; returns the described ones."""
    iri = release_iri(settings, version)
    writer = _Writer(folder, iri + "/", [])
    triples = _triples(release_quads)
    ontology = _triples(q for q in release_quads if q.graph_name.value == GRAPH_BASE + "ontology")
    dumps = []
    for name, fmt_name, title in GRAPH_FILES:
        fmt = _fmt(fmt_name)
        items = release_quads if fmt.name == "nquads" else triples
        if fmt.name == "jsonld":
            write = _text(json.dumps(jsonld_document(triples), ensure_ascii=False, indent=1))
        else:
            write = lambda path, items=items, fmt=fmt: _write_rdf(path, items, fmt)  # noqa: E731
        dumps.append(writer.add(name, fmt.media_type, title, write, fmt.w3c))
    turtle = _fmt("turtle")
    writer.add(
        "ontology.ttl",
        turtle.media_type,
        "The ontology alone, as Turtle",
        lambda p: _write_rdf(p, ontology, turtle),
        turtle.w3c,
    )
    writer.add(
        "ontology.html",
        "text/html",
        "The ontology's documentation (pyLODE)",
        _text(ontodoc.html(ontology)),
    )
    writer.add(
        "context.jsonld",
        "application/ld+json",
        "The JSON-LD context",
        _text(json.dumps(jsonld.context(), indent=2)),
    )
    sssom = exports.sssom(
        built,
        version=version,
        esco_version=esco.loaded_version(built) or "1.2.0",
        base_iri=settings.base_iri,
    )
    writer.add(
        "mappings.sssom.tsv",
        "text/tab-separated-values",
        "The ESCO alignments as SSSOM",
        _text(sssom),
    )
    writer.add(
        "changes.txt", "text/plain", "Changes since the previous release", _text(changes.as_text())
    )
    writer.add(
        "changes.ttl",
        turtle.media_type,
        "Changes since the previous release, as RDF",
        lambda p: _write_rdf(p, changes.triples(iri + "/changes"), turtle),
        turtle.w3c,
    )
    release_store = published_store(release_quads)
    graph_sizes = {
        g: sum(1 for q in release_quads if q.graph_name.value == g) for g in PUBLISHED_GRAPHS
    }
    service = describe_service(settings.base_iri + "sparql", graph_sizes)
    void = _release_void(release_store, settings, iri, dumps)
    writer.add(
        "void.ttl",
        turtle.media_type,
        "VoID description of the release",
        lambda p: _write_rdf(p, void, turtle),
        turtle.w3c,
    )
    writer.add(
        "service.ttl",
        turtle.media_type,
        "SPARQL service description",
        lambda p: _write_rdf(p, service, turtle),
        turtle.w3c,
    )
    catalog = dcat.describe(
        iri,
        writer.files,
        dcat.coverage(release_store),
        endpoint=settings.base_iri + "sparql",
        version=version,
        previous=release_iri(settings, previous) if previous else None,
        issued=datetime.now(UTC).date().isoformat(),
        series=settings.base_iri + "dataset",
    )
    _stop_if_failed("description", check_description(catalog + void + service))
    (folder / "dcat.ttl").write_bytes(
        ox.serialize(catalog, format=turtle.engine, prefixes=PREFIXES)
    )
    sums = "".join(
        f"{dcat.sha256(p)}  {p.name}\n" for p in sorted(folder.iterdir()) if p.name != CHECKSUMS
    )
    (folder / CHECKSUMS).write_text(sums, encoding="utf-8")
    return writer.files


# --- the command ----------------------------------------------------------------------------


def build_checked(settings: Settings, work: Path) -> tuple[Settings, ox.Store]:
    """Validate the sources (step 1) and build them into a private store under ``work``."""
    files = load_sources(settings)
    carried = esco.current_quads(settings)
    _stop_if_failed("validate", validate_files(files, settings.project_dir, carried))
    private = settings.model_copy(
        update={"store_path": work / "store", "store": "", "query_workers": 1}
    )
    stores.publish(private.store_path, [*quads(with_entailments(files)), *carried])
    store, _info = stores.open_read_only(private.store_path)
    return private, store


def release(settings: Settings, version: str, dist: Path | None = None) -> Release:
    """Check everything, then write ``dist/VERSION/``; raises :class:`ReleaseFailed`."""
    if not VERSION.match(version):
        raise BadVersion(f"VERSION must be X.Y.Z (semantic versioning), not {version!r}")
    dist = dist if dist is not None else settings.project_dir / "dist"
    target = dist / version
    if target.exists():
        raise BadVersion(f"{target} exists: a release is never overwritten")
    previous = previous_release(dist, version)
    redirects = _redirect_notes(settings)
    with tempfile.TemporaryDirectory(prefix="wise-kg-release-") as tmp:
        private, built = build_checked(settings, Path(tmp))
        query_report = check_queries(settings, built)
        _stop_if_failed("queries", query_report)
        _stop_if_failed("dereference", check_dereferencing(private, built))
        published = list(published_store(built).quads_for_pattern(None, None, None))
        release_quads = versioned(published, version, previous)
        before = (
            Version(previous, published_store(_load(dist / previous / RELEASE_QUADS)))
            if previous
            else Version("nothing (first release)", ox.Store())
        )
        changes = compare(
            before, Version(version, published_store(release_quads)), settings.base_iri
        )
        created = not dist.exists()
        staging = dist / f".{version}.partial"
        try:
            staging.mkdir(parents=True)
            files = write_files(staging, settings, version, built, release_quads, changes, previous)
            os.rename(staging, target)
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            if created:
                shutil.rmtree(dist, ignore_errors=True)
            raise
    w3id.write(dist, settings.public_base(), settings.base_iri)
    return Release(
        version,
        release_iri(settings, version),
        target,
        tuple(files),
        changes,
        previous,
        [*query_report.warnings, *redirects],
    )


def _redirect_notes(settings: Settings) -> list[Result]:
    """Warnings about the w3id.org rules' target (one they cannot hold stops the release)."""
    target = settings.public_base()
    rules = (str(w3id.location(settings.base_iri)),)
    return [_violation(target, note, "w3id", rules, "Warning") for note in w3id.notes(target)]


def _load(path: Path) -> list[ox.Quad]:
    return list(ox.parse(path=str(path), format=ox.RdfFormat.N_QUADS))
