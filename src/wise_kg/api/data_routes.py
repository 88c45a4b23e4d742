"""Whole-dataset access: dumps (``/dump.ttl|nt|jsonld``) and the VoID description."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from fastapi.responses import FileResponse
from starlette.concurrency import run_in_threadpool

from wise_kg.api.ld_routes import LD_FORMATS, PREFIXES, NotFound, _cached, serialize
from wise_kg.cache import etag, matches
from wise_kg.dumps import dump_file
from wise_kg.formats import by_name, negotiate
from wise_kg.void import DUMPS, describe_dataset

router = APIRouter(tags=["dataset"])
DUMP_EXTENSIONS = {name.split(".", 1)[1] for name in DUMPS}


@router.get("/dump.{extension}", summary="The whole graph (ontology and data) as one file")
async def dump(request: Request, extension: str) -> Response:
    """Turtle (``ttl``), N-Triples (``nt``) or JSON-LD (``jsonld``), streamed from disk."""
    if extension not in DUMP_EXTENSIONS:
        raise NotFound(f"No dump in '{extension}'; there are {', '.join(sorted(DUMP_EXTENSIONS))}.")
    state = request.app.state
    fmt = by_name(extension, LD_FORMATS)
    tag = etag(state.build.build_id, "dump", fmt.name)
    if matches(request.headers.get("if-none-match"), tag):
        return Response(status_code=304, headers={"ETag": tag})
    path = await run_in_threadpool(
        dump_file, state.store, state.build.build_id, fmt, state.dump_folder, PREFIXES
    )
    return FileResponse(
        path,
        media_type=fmt.content_type,
        filename=f"wise-kg.{fmt.extension}",
        headers={"ETag": tag, "Cache-Control": "public, no-cache"},
    )


@router.get("/.well-known/void", summary="VoID description of the dataset")
def void(request: Request) -> Response:
    """Size, vocabularies, SPARQL endpoint, dumps and the linksets to ESCO (RDF by negotiation)."""
    state = request.app.state
    fmt = (
        negotiate(request.headers.get("accept"), LD_FORMATS)
        if "html" not in (request.headers.get("accept") or "")
        else LD_FORMATS[0]
    )
    site = str(request.base_url)
    return _cached(
        request,
        ("void", fmt.name, site),
        lambda: serialize(
            request,
            describe_dataset(state.store, site, state.settings.base_iri),
            state.settings.base_iri + "dataset",
            fmt,
        ),
    )
