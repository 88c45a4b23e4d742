"""``/catalog``: the DCAT description of the graph in service (its dumps, sizes, checksums)."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, Request, Response
from starlette.concurrency import run_in_threadpool

from wise_kg.api.deps import Build, Config, DumpFolder
from wise_kg.api.documents import LD_FORMATS, PREFIXES, cached, rdf_format, serialize
from wise_kg.api.live import Snapshot
from wise_kg.config import Settings
from wise_kg.formats import by_name
from wise_kg.publish import dcat
from wise_kg.publish.dumps import dump_file
from wise_kg.publish.void import DUMPS

router = APIRouter(tags=["dataset"])


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
