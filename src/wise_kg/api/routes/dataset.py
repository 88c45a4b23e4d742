"""The dataset as a whole: its dumps, VoID, DCAT catalogue and JSON-LD context."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, Request, Response
from fastapi.responses import FileResponse, JSONResponse
from starlette.concurrency import run_in_threadpool

from wise_kg.api.conditional import etag, is_fresh, validators
from wise_kg.api.deps import Build, Config, DumpFolder
from wise_kg.api.documents import LD_FORMATS, PREFIXES, cached, rdf_format, serialize
from wise_kg.api.live import Snapshot
from wise_kg.api.middleware.compression import accepts_gzip
from wise_kg.config import Settings
from wise_kg.errors import NotFound
from wise_kg.formats import by_name
from wise_kg.publish import dcat, jsonld
from wise_kg.publish.dumps import dump_file, gzipped
from wise_kg.publish.void import DUMPS, describe_dataset

router = APIRouter(tags=["dataset"])
DUMP_EXTENSIONS = {name.split(".", 1)[1] for name in DUMPS}


@router.get("/dump.{extension}", summary="The whole graph (ontology and data) as one file")
async def dump(request: Request, snap: Build, folder: DumpFolder, extension: str) -> Response:
    """Turtle (``ttl``), N-Triples (``nt``), JSON-LD (``jsonld``), N-Quads (``nq``) or TriG
    (``trig``), streamed from disk.

    gzip-coded when the client accepts it (a copy compressed once per build); byte
    ranges (``Range``, ``If-Range``) and conditional requests of either coding.
    """
    if extension not in DUMP_EXTENSIONS:
        raise NotFound(f"No dump in '{extension}'; there are {', '.join(sorted(DUMP_EXTENSIONS))}.")
    fmt = by_name(extension, LD_FORMATS)
    build = snap.build
    headers = validators(etag(build.build_id, "dump", fmt.name), build, "Accept-Encoding")
    if is_fresh(
        request.headers.get("if-none-match"),
        request.headers.get("if-modified-since"),
        headers["ETag"],
        headers["Last-Modified"],
    ):
        return Response(status_code=304, headers=headers)
    path = await run_in_threadpool(dump_file, snap.store, build.build_id, fmt, folder, PREFIXES)
    if accepts_gzip(request.headers.get("accept-encoding", "").encode("latin-1")):
        path = await run_in_threadpool(gzipped, path)
        headers["Content-Encoding"] = "gzip"
    return FileResponse(
        path, media_type=fmt.content_type, filename=f"wise-kg.{fmt.extension}", headers=headers
    )


@router.get("/.well-known/void", summary="VoID description of the dataset")
def void(request: Request, snap: Build, settings: Config) -> Response:
    """Size, vocabularies, SPARQL endpoint, dumps and the linksets to ESCO (RDF by negotiation)."""
    fmt = rdf_format(request)
    site = settings.public_base() + "/"
    return cached(
        request,
        ("void", fmt.name),
        lambda: serialize(
            request,
            describe_dataset(snap.store, site, settings.base_iri),
            settings.base_iri + "dataset",
            fmt,
        ),
    )


@router.get("/context.jsonld", summary="The JSON-LD context of the graph")
def jsonld_context() -> Response:
    """The current, versioned ``@context`` (also at ``/context/{version}.jsonld``)."""
    return JSONResponse(jsonld.context(), media_type="application/ld+json")


@router.get("/context/{version}.jsonld", summary="One version of the JSON-LD context")
def jsonld_context_version(version: str) -> Response:
    """A published version of the context; only the current one is served."""
    if version != jsonld.CONTEXT_VERSION:
        raise NotFound(
            f"Context version {version} is not published here; "
            f"the current one is {jsonld.CONTEXT_VERSION}."
        )
    return jsonld_context()


def catalog(snap: Snapshot, settings: Settings, folder: Path) -> list:
    """DCAT triples for the live dataset: one distribution per dump, written if need be."""
    site = settings.public_base() + "/"
    files = []
    for name, media_type in DUMPS.items():
        fmt = by_name(name.rsplit(".", 1)[1], LD_FORMATS)
        path = dump_file(snap.store, snap.build.build_id, fmt, folder, PREFIXES)
        files.append(
            dcat.artefact(path, site + name, media_type, f"The whole graph, {name}", fmt.w3c)
        )
    return dcat.describe(
        settings.base_iri + "dataset",
        files,
        dcat.coverage(snap.store),
        endpoint=site + "sparql",
        issued=snap.build.created[:10],
    )


@router.get("/catalog", summary="DCAT description of the dataset (RDF by negotiation)")
async def dcat_catalog(
    request: Request, snap: Build, settings: Config, folder: DumpFolder
) -> Response:
    """The dataset, its dumps (media type, size, SHA-256), licence, coverage and endpoint."""
    fmt = rdf_format(request)
    triples = await run_in_threadpool(catalog, snap, settings, folder)
    return cached(
        request,
        ("catalog", fmt.name),
        lambda: serialize(request, triples, settings.base_iri + "dataset", fmt, framed=False),
    )
