"""``/catalog``: the DCAT description of the graph in service (its dumps, sizes, checksums)."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from starlette.concurrency import run_in_threadpool

from wise_kg import dcat
from wise_kg.api.ld_routes import LD_FORMATS, PREFIXES, _cached, serialize
from wise_kg.dumps import dump_file
from wise_kg.formats import by_name, negotiate
from wise_kg.void import DUMPS

router = APIRouter(tags=["dataset"])


def catalog(state, site: str) -> list:
    """DCAT triples for the live dataset: one distribution per dump, written if need be."""
    files = []
    for name, media_type in DUMPS.items():
        fmt = by_name(name.rsplit(".", 1)[1], LD_FORMATS)
        path = dump_file(state.store, state.build.build_id, fmt, state.dump_folder, PREFIXES)
        files.append(
            dcat.artefact(path, site + name, media_type, f"The whole graph, {name}", fmt.w3c)
        )
    return dcat.describe(
        state.settings.base_iri + "dataset",
        files,
        dcat.coverage(state.store),
        endpoint=site + "sparql",
        issued=state.build.created[:10],
    )


@router.get("/catalog", summary="DCAT description of the dataset (RDF by negotiation)")
async def dcat_catalog(request: Request) -> Response:
    """The dataset, its dumps (media type, size, SHA-256), licence, coverage and endpoint."""
    state = request.app.state
    accept = request.headers.get("accept") or ""
    fmt = LD_FORMATS[0] if "html" in accept else negotiate(accept, LD_FORMATS)
    site = str(request.base_url)
    triples = await run_in_threadpool(catalog, state, site)
    return _cached(
        request,
        ("catalog", fmt.name, site),
        lambda: serialize(request, triples, state.settings.base_iri + "dataset", fmt, framed=False),
    )
