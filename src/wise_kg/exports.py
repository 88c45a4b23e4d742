"""Exports: the ESCO alignments as SSSOM, and the ESCO descriptions of ``data/`` from a loaded ESCO.

SSSOM (Simple Standard for Sharing Ontological Mappings) is a TSV table with a
YAML metadata block in ``#`` comment lines; each alignment with an ESCO concept
is one row, justified as manual curation, its coverage kept as the comment.
"""

from __future__ import annotations

import csv
import io
import sys
from pathlib import Path

import pyoxigraph as ox

from wise_kg.esco import ESCO, ESCO_GRAPH

DCTERMS = "http://purl.org/dc/terms/"
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"

SSSOM_COLUMNS = (
    "subject_id",
    "subject_label",
    "subject_type",
    "predicate_id",
    "object_id",
    "object_label",
    "object_type",
    "mapping_justification",
    "author_label",
    "comment",
)
CURIES = {
    "wisekg": "https://w3id.org/wise-kg/id/",
    "wise": "https://w3id.org/wise-kg/ontology#",
    "escoskill": "http://data.europa.eu/esco/skill/",
    "escooccupation": "http://data.europa.eu/esco/occupation/",
    "escoisco": "http://data.europa.eu/esco/isco/",
    "escoiscedf": "http://data.europa.eu/esco/isced-f/",
    "skos": "http://www.w3.org/2004/02/skos/core#",
    "semapv": "https://w3id.org/semapv/vocab/",
    "owl": "http://www.w3.org/2002/07/owl#",
}
ALIGNMENTS = """
PREFIX wise: <https://w3id.org/wise-kg/ontology#>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
SELECT DISTINCT ?subject ?subjectLabel ?type ?relation ?concept ?conceptLabel ?coverage WHERE {
  ?subject wise:hasEscoAlignment ?alignment .
  ?alignment wise:escoConcept ?concept ; wise:mappingRelation ?relation .
  ?subject a ?type . FILTER (STRSTARTS(STR(?type), STR(wise:)))
  OPTIONAL { ?subject skos:prefLabel ?subjectLabel .
             FILTER (LANGMATCHES(LANG(?subjectLabel), "en")) }
  OPTIONAL { ?concept skos:prefLabel ?conceptLabel .
             FILTER (LANGMATCHES(LANG(?conceptLabel), "en")) }
  OPTIONAL { ?alignment wise:escoCoverage/skos:prefLabel ?coverage .
             FILTER (LANGMATCHES(LANG(?coverage), "en")) }
}
ORDER BY ?subject ?concept
"""


def curie(iri: str) -> str:
    """The CURIE of an IRI under :data:`CURIES` (the IRI itself if none fits)."""
    for prefix, namespace in sorted(CURIES.items(), key=lambda kv: -len(kv[1])):
        if iri.startswith(namespace):
            return f"{prefix}:{iri[len(namespace) :]}"
    return iri


def _value(solution: ox.QuerySolution, name: str) -> str:
    term = solution[name]
    return term.value if term is not None else ""


def sssom(store: ox.Store, *, version: str, esco_version: str, base_iri: str) -> str:
    """The alignments as an SSSOM TSV document (metadata block, then the table)."""
    rows = list(store.query(ALIGNMENTS, use_default_graph_as_union=True))
    metadata = [
        f"mapping_set_id: {base_iri}mappings/esco/{version}",
        f"mapping_set_version: {version}",
        "mapping_set_title: WISE capacity-building areas and profiles aligned with ESCO",
        "license: https://creativecommons.org/licenses/by/4.0/",
        "subject_source: https://w3id.org/wise-kg/",
        "object_source: http://data.europa.eu/esco/",
        f"object_source_version: {esco_version}",
        "mapping_provider: https://w3id.org/wise-kg/",
        "curie_map:",
        *(f"  {prefix}: {namespace}" for prefix, namespace in CURIES.items()),
    ]
    out = io.StringIO()
    out.write("".join(f"#{line}\n" for line in metadata))
    writer = csv.writer(out, delimiter="\t", lineterminator="\n")
    writer.writerow(SSSOM_COLUMNS)
    for row in rows:
        writer.writerow(
            [
                curie(_value(row, "subject")),
                _value(row, "subjectLabel"),
                "skos concept",
                curie(_value(row, "relation")),
                curie(_value(row, "concept")),
                _value(row, "conceptLabel"),
                "skos concept",
                "semapv:ManualMappingCuration",
                "B-WISE D3.1 (2023), curated by wise-kg",
                f"ESCO coverage as the report judges it: {_value(row, 'coverage') or 'not stated'}",
            ]
        )
    return out.getvalue()


def esco_subset(store: ox.Store, esco_version: str, base_iri: str) -> str:
    """Turtle describing, from the loaded ESCO, every ESCO concept ``data/`` links to.

    For each linked concept and each ancestor up its pillar: its ESCO types,
    English prefLabel, notation, broader and schemes, as ESCO gives them.
    """
    graph = ox.NamedNode(ESCO_GRAPH)
    linked = {
        q.object.value
        for q in store.quads_for_pattern(
            None, ox.NamedNode("https://w3id.org/wise-kg/ontology#escoConcept"), None
        )
    }
    if not any(True for _ in store.quads_for_pattern(None, None, None, graph)):
        raise ValueError("no ESCO graph in the store: run `wise-kg esco load PATH` first")
    keep = {
        RDF_TYPE,
        "http://www.w3.org/2004/02/skos/core#prefLabel",
        "http://www.w3.org/2004/02/skos/core#notation",
        "http://www.w3.org/2004/02/skos/core#broader",
        "http://www.w3.org/2004/02/skos/core#inScheme",
    }
    triples, todo, done = [], sorted(linked), set()
    while todo:
        iri = todo.pop()
        if iri in done:
            continue
        done.add(iri)
        for q in store.quads_for_pattern(ox.NamedNode(iri), None, None, graph):
            if q.predicate.value not in keep:
                continue
            if isinstance(q.object, ox.Literal) and q.object.language not in (None, "en"):
                continue
            if q.predicate.value.endswith("#type") and not (
                q.object.value.startswith(ESCO) or q.object.value.endswith("#Concept")
            ):
                continue
            triples.append(ox.Triple(q.subject, q.predicate, q.object))
            if q.predicate.value.endswith("#broader"):
                todo.append(q.object.value)
    source = ox.NamedNode(f"{base_iri}id/source/esco-v{esco_version}")
    triples += [
        ox.Triple(ox.NamedNode(c), ox.NamedNode(DCTERMS + "source"), source) for c in sorted(done)
    ]
    triples += [
        ox.Triple(source, ox.NamedNode(RDF_TYPE), ox.NamedNode(DCTERMS + "BibliographicResource")),
        ox.Triple(
            source,
            ox.NamedNode("http://www.w3.org/2004/02/skos/core#prefLabel"),
            ox.Literal(f"ESCO v{esco_version}", language="en"),
        ),
        ox.Triple(source, ox.NamedNode(DCTERMS + "publisher"), ox.Literal("European Commission")),
        ox.Triple(source, ox.NamedNode(DCTERMS + "hasVersion"), ox.Literal(esco_version)),
    ]
    header = (
        "# ESCO concepts linked from data/, with their ancestors, as the loaded ESCO describes\n"
        "# them. Generated by `wise-kg export esco-subset`: do not edit by hand.\n\n"
    )
    body = ox.serialize(
        sorted(set(triples), key=str),
        format=ox.RdfFormat.TURTLE,
        prefixes={
            "esco": ESCO,
            "skos": "http://www.w3.org/2004/02/skos/core#",
            "dcterms": DCTERMS,
        },
    )
    return header + body.decode("utf-8")


def write(text: str, target: Path | None) -> None:
    """Write an export to a file, or to standard output when no file is named."""
    if target is None:
        sys.stdout.write(text)
    else:
        target.write_text(text, encoding="utf-8")
