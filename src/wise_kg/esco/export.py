"""Exports: the ESCO alignments as SSSOM, and the ESCO descriptions of ``data/`` from a loaded ESCO.

SSSOM (Simple Standard for Sharing Ontological Mappings) is a TSV table with a
YAML metadata block in ``#`` comment lines; each alignment with an ESCO concept
is one row. Two kinds of row are kept apart:

* the report's links (``wise:hasEscoAlignment``): made by human judgement by the
  report's author, so ``semapv:ManualMappingCuration`` with the report's author as
  ``author_label``, the report as ``see_also`` and its sections and coverage
  judgement in the comment;
* our curated links (``wise:hasCuratedEscoAlignment``), which the report does not
  state: ``semapv:ManualMappingCuration`` by the wise-kg team (``author_label``,
  ``mapping_date``), no ``see_also``, our justification as the comment.

semapv has no term for "stated in a publication", so the justification is the same
manual curation for both; ``author_label``, ``see_also`` and the comment say whose
judgement each row is.
"""

from __future__ import annotations

import csv
import io
import sys
from pathlib import Path

import pyoxigraph as ox

from wise_kg import namespaces as ns
from wise_kg.graphs import ESCO_GRAPH
from wise_kg.namespaces import DCTERMS, ESCO, RDF_TYPE, prefixes

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
    "creator_label",
    "mapping_date",
    "see_also",
    "comment",
)
#: The SSSOM curie map.
CURIES = prefixes(
    "wisekg",
    "wise",
    "escoskill",
    "escooccupation",
    "escoisco",
    "escoiscedf",
    "skos",
    "semapv",
    "owl",
)
REPORT = ns.WISEKG + "source/bwise-d3-1"
#: Who made the report's links: its author, as data/sources.ttl names him.
REPORT_AUTHOR = "Gianfranco Marocchi (B-WISE D3.1, 2023)"
CREATOR = "wise-kg"
ALIGNMENTS = """
PREFIX wise: <https://w3id.org/wise-kg/ontology#>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
PREFIX dcterms: <http://purl.org/dc/terms/>
SELECT DISTINCT ?subject ?subjectLabel ?type ?relation ?concept ?conceptLabel ?coverage
       ?curated ?justification ?curator ?date ?sections WHERE {
  {
    ?subject wise:hasEscoAlignment ?alignment .
    BIND (false AS ?curated)
    { SELECT ?alignment (GROUP_CONCAT(DISTINCT ?notation; separator=", ") AS ?sections) WHERE {
        ?any wise:hasEscoAlignment ?alignment .
        ?alignment dcterms:source ?section .
        OPTIONAL { ?section skos:notation ?n }
        BIND (COALESCE(?n, REPLACE(STR(?section), "^.*/", "")) AS ?notation)
      } GROUP BY ?alignment }
  }
  UNION
  {
    ?subject wise:hasCuratedEscoAlignment ?alignment .
    BIND (true AS ?curated)
    OPTIONAL { ?alignment wise:justification ?justification .
               FILTER (LANGMATCHES(LANG(?justification), "en")) }
    OPTIONAL { ?alignment dcterms:creator ?curator }
    OPTIONAL { ?alignment dcterms:created ?date }
  }
  ?alignment wise:escoConcept ?concept ; wise:mappingRelation ?relation .
  ?subject a ?type . FILTER (STRSTARTS(STR(?type), STR(wise:)))
  OPTIONAL { ?subject skos:prefLabel ?subjectLabel .
             FILTER (LANGMATCHES(LANG(?subjectLabel), "en")) }
  OPTIONAL { ?concept skos:prefLabel ?conceptLabel .
             FILTER (LANGMATCHES(LANG(?conceptLabel), "en")) }
  OPTIONAL { ?alignment wise:escoCoverage/skos:prefLabel ?coverage .
             FILTER (LANGMATCHES(LANG(?coverage), "en")) }
}
ORDER BY ?curated ?subject ?concept
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
        curated = _value(row, "curated") == "true"
        if curated:
            author, date, publication = _value(row, "curator"), _value(row, "date"), ""
            justification = _value(row, "justification")
            comment = f"Curated by wise-kg, not stated by the report: {justification}"
        else:
            author, date, publication = REPORT_AUTHOR, "", REPORT
            comment = (
                f"Stated by the report (D3.1 {_value(row, 'sections')}); ESCO coverage as the "
                f"report judges it: {_value(row, 'coverage') or 'not stated'}"
            )
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
                author,
                CREATOR,
                date,
                publication,
                comment,
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
        prefixes=prefixes("esco", "skos", "dcterms"),
    )
    return header + body.decode("utf-8")


def write(text: str, target: Path | None) -> None:
    """Write an export to a file, or to standard output when no file is named."""
    if target is None:
        sys.stdout.write(text)
    else:
        target.write_text(text, encoding="utf-8")
