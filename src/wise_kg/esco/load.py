"""Importing an ESCO download into the named graph ``…/graph/esco``.

Two kinds of download are read:

* the CSV download, a folder of ``*_{lang}.csv`` files (the reduced one in
  ``shared/esco`` or the full one with ``skills_{lang}.csv`` and
  ``occupationSkillRelations_{lang}.csv``), turned into ESCO's own model:
  ``esco:Occupation``, ``esco:Skill``, ``esco:SkillGroup``, ``esco:ISCOGroup`` (all
  ``skos:Concept``), ``skos:prefLabel``/``altLabel``/``hiddenLabel`` in the file's
  language, ``skos:notation`` codes, ``skos:broader``, ``skos:inScheme``,
  ``esco:skillType``, ``esco:skillReuseLevel``, ``esco:hasEssentialSkill`` /
  ``esco:hasOptionalSkill``, ``esco:status`` and the concept schemes;
* the RDF download (Turtle, N-Triples, N-Quads or RDF/XML, optionally gzipped),
  taken as it is.

Rows are streamed; a bad file or row stops the import with its name and row
number, before anything is written. The store is then rebuilt with the new
ESCO graph beside the unchanged WISE graphs and swapped in atomically.
"""

from __future__ import annotations

import csv
import gzip
import re
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import pyoxigraph as ox
from tqdm import tqdm

from wise_kg import namespaces as ns
from wise_kg.config import Settings
from wise_kg.errors import EscoFileError, StoreNotBuilt
from wise_kg.graphs import ESCO_GRAPH
from wise_kg.namespaces import DCTERMS, ESCO, ESCO_DATA, PROV, SKOS, XSD
from wise_kg.store.backends import backend_for

RDF_TYPE = ox.NamedNode(ns.RDF_TYPE)

#: CSV ``conceptType`` → the ESCO class of the concept.
CONCEPT_TYPES = {
    "Occupation": "Occupation",
    "KnowledgeSkillCompetence": "Skill",
    "SkillGroup": "SkillGroup",
    "ISCOGroup": "ISCOGroup",
}
SKILL_TYPES = {"skill/competence": "skill", "knowledge": "knowledge"}
RELATIONS = {"essential": "hasEssentialSkill", "optional": "hasOptionalSkill"}
FILE = re.compile(r"^(?P<kind>[A-Za-z]+)_(?P<lang>[a-z]{2}(?:-[A-Za-z]+)?)\.csv$")
RDF_SUFFIXES = {
    ".ttl": ox.RdfFormat.TURTLE,
    ".nt": ox.RdfFormat.N_TRIPLES,
    ".nq": ox.RdfFormat.N_QUADS,
    ".rdf": ox.RdfFormat.RDF_XML,
}


@dataclass
class LoadSummary:
    """What an import loaded."""

    version: str
    source: str
    concepts: Counter = field(default_factory=Counter)
    triples: int = 0
    languages: set[str] = field(default_factory=set)
    seconds: float = 0.0

    def lines(self) -> list[str]:
        """A summary for people."""
        kinds = ", ".join(f"{n} {kind}" for kind, n in sorted(self.concepts.items()))
        return [
            f"ESCO {self.version} from {self.source}",
            f"  concepts: {kinds or 'none'}",
            f"  triples:  {self.triples} in <{ESCO_GRAPH}>",
            f"  languages: {', '.join(sorted(self.languages)) or '-'}",
            f"  time:     {self.seconds:.1f} s",
        ]


def _iri(value: str, path: Path, row: int) -> ox.NamedNode:
    try:
        return ox.NamedNode(value.strip())
    except ValueError as err:
        raise EscoFileError(path, row, f"not an IRI: {value!r} ({err})") from None


def _split(cell: str) -> list[str]:
    """ESCO packs several values in one cell, one per line (sometimes comma-ended)."""
    return [
        v.strip().rstrip(",").strip() for v in cell.splitlines() if v.strip().rstrip(",").strip()
    ]


class _Emitter:
    """Collects quads in the ESCO graph, counting concepts by type."""

    def __init__(self, summary: LoadSummary):
        self.graph = ox.NamedNode(ESCO_GRAPH)
        self.summary = summary
        self.typed: set[tuple[str, str]] = set()

    def quad(self, s: ox.NamedNode, p: str, o: ox.NamedNode | ox.Literal) -> ox.Quad:
        return ox.Quad(s, ox.NamedNode(p), o, self.graph)

    def concept(self, s: ox.NamedNode, esco_class: str) -> Iterator[ox.Quad]:
        if (s.value, esco_class) not in self.typed:
            self.typed.add((s.value, esco_class))
            self.summary.concepts[esco_class] += 1
            yield ox.Quad(s, RDF_TYPE, ox.NamedNode(SKOS + "Concept"), self.graph)
            yield ox.Quad(s, RDF_TYPE, ox.NamedNode(ESCO + esco_class), self.graph)


def _rows(path: Path, progress: bool) -> Iterator[tuple[int, dict[str, str]]]:
    try:
        handle = path.open(encoding="utf-8-sig", newline="")
    except OSError as err:
        raise EscoFileError(path, None, err.strerror or str(err)) from None
    csv.field_size_limit(max(csv.field_size_limit(), 64 * 1024 * 1024))  # ESCO's long cells
    with handle:
        reader = csv.DictReader(handle)
        if not reader.fieldnames:
            raise EscoFileError(path, 1, "empty file, no header")
        rows = tqdm(reader, desc=path.name, unit=" rows", disable=not progress, leave=False)
        try:
            for number, row in enumerate(rows, start=2):
                if None in row:
                    raise EscoFileError(path, number, "more cells than the header names")
                yield number, row
        except csv.Error as err:
            raise EscoFileError(path, reader.line_num, f"malformed CSV: {err}") from None


def _concept_rows(path: Path, lang: str, emit: _Emitter, progress: bool) -> Iterator[ox.Quad]:
    """Concept files: occupations, skills, skill groups, ISCO groups, collections."""
    for number, row in _rows(path, progress):
        uri = row.get("conceptUri", "")
        if not uri:
            raise EscoFileError(path, number, "no conceptUri")
        s = _iri(uri, path, number)
        esco_class = CONCEPT_TYPES.get(row.get("conceptType", ""))
        if esco_class is None:
            raise EscoFileError(path, number, f"unknown conceptType {row.get('conceptType')!r}")
        yield from emit.concept(s, esco_class)
        if row.get("preferredLabel"):
            yield emit.quad(
                s, SKOS + "prefLabel", ox.Literal(row["preferredLabel"].strip(), language=lang)
            )
        for column, predicate in (("altLabels", "altLabel"), ("hiddenLabels", "hiddenLabel")):
            for label in _split(row.get(column) or ""):
                yield emit.quad(s, SKOS + predicate, ox.Literal(label, language=lang))
        if row.get("code"):
            yield emit.quad(s, SKOS + "notation", ox.Literal(row["code"].strip()))
        if row.get("status"):
            yield emit.quad(s, ESCO + "status", ox.Literal(row["status"].strip()))
        for column, predicate in (
            ("definition", SKOS + "definition"),
            ("description", DCTERMS + "description"),
            ("scopeNote", SKOS + "scopeNote"),
        ):
            if (row.get(column) or "").strip():
                yield emit.quad(s, predicate, ox.Literal(row[column].strip(), language=lang))
        for scheme in _split(row.get("inScheme") or ""):
            yield emit.quad(s, SKOS + "inScheme", _iri(scheme, path, number))
        if row.get("skillType") in SKILL_TYPES:
            yield emit.quad(
                s,
                ESCO + "skillType",
                ox.NamedNode(ESCO_DATA + "skill-type/" + SKILL_TYPES[row["skillType"]]),
            )
        if row.get("reuseLevel"):
            yield emit.quad(
                s,
                ESCO + "skillReuseLevel",
                ox.NamedNode(ESCO_DATA + "skill-reuse-level/" + row["reuseLevel"].strip()),
            )
        if row.get("iscoGroup"):
            yield emit.quad(s, ESCO + "iscoGroup", ox.Literal(row["iscoGroup"].strip()))
        if row.get("broaderConceptUri"):
            for broader in _split(row["broaderConceptUri"].replace(" | ", "\n")):
                yield emit.quad(s, SKOS + "broader", _iri(broader, path, number))


def _broader_rows(path: Path, emit: _Emitter, progress: bool) -> Iterator[ox.Quad]:
    """broaderRelations*: the hierarchy, and the type of each concept it places.

    The reduced download has no ``skills_{lang}.csv``: a skill found only here (such
    as "validation of learning acquired through volunteering") is typed from the
    row's ``conceptType``, so that it is known to exist.
    """
    for number, row in _rows(path, progress):
        concept = _iri(row["conceptUri"], path, number)
        esco_class = CONCEPT_TYPES.get(row.get("conceptType") or "")
        if esco_class is not None:
            yield from emit.concept(concept, esco_class)
        yield emit.quad(concept, SKOS + "broader", _iri(row["broaderUri"], path, number))


def _relation_rows(path: Path, emit: _Emitter, progress: bool) -> Iterator[ox.Quad]:
    """occupationSkillRelations and skillSkillRelations: essential / optional skills."""
    for number, row in _rows(path, progress):
        subject = row.get("occupationUri") or row.get("originalSkillUri")
        target = row.get("skillUri") or row.get("relatedSkillUri")
        relation = RELATIONS.get((row.get("relationType") or "").strip())
        if not subject or not target or relation is None:
            raise EscoFileError(
                path, number, "needs a subject, a skill and relationType essential|optional"
            )
        yield emit.quad(_iri(subject, path, number), ESCO + relation, _iri(target, path, number))


def _scheme_rows(path: Path, lang: str, emit: _Emitter, progress: bool) -> Iterator[ox.Quad]:
    for number, row in _rows(path, progress):
        s = _iri(row["conceptSchemeUri"], path, number)
        yield ox.Quad(s, RDF_TYPE, ox.NamedNode(SKOS + "ConceptScheme"), emit.graph)
        if row.get("preferredLabel"):
            yield emit.quad(
                s, SKOS + "prefLabel", ox.Literal(row["preferredLabel"].strip(), language=lang)
            )
        for top in _split(row.get("hasTopConcept") or ""):
            concept = _iri(top, path, number)
            yield emit.quad(s, SKOS + "hasTopConcept", concept)
            # SKOS: hasTopConcept is the inverse of topConceptOf, a kind of inScheme.
            yield emit.quad(concept, SKOS + "topConceptOf", s)
            yield emit.quad(concept, SKOS + "inScheme", s)


def _hierarchy_rows(path: Path, emit: _Emitter, progress: bool) -> Iterator[ox.Quad]:
    """skillsHierarchy: the codes of the skill groups (S1.8, T2.1 …)."""
    for number, row in _rows(path, progress):
        for level in range(4):
            uri, code = row.get(f"Level {level} URI"), row.get(f"Level {level} code")
            if uri and code:
                yield emit.quad(
                    _iri(uri, path, number), SKOS + "notation", ox.Literal(code.strip())
                )


def _readers(
    lang: str, emit: _Emitter, progress: bool
) -> dict[str, Callable[[Path], Iterable[ox.Quad]]]:
    concept = lambda p: _concept_rows(p, lang, emit, progress)  # noqa: E731
    return {
        "occupations": concept,
        "skills": concept,
        "skillGroups": concept,
        "ISCOGroups": concept,
        "broaderRelationsOccPillar": lambda p: _broader_rows(p, emit, progress),
        "broaderRelationsSkillPillar": lambda p: _broader_rows(p, emit, progress),
        "occupationSkillRelations": lambda p: _relation_rows(p, emit, progress),
        "skillSkillRelations": lambda p: _relation_rows(p, emit, progress),
        "conceptSchemes": lambda p: _scheme_rows(p, lang, emit, progress),
        "skillsHierarchy": lambda p: _hierarchy_rows(p, emit, progress),
    }


def csv_quads(folder: Path, summary: LoadSummary, progress: bool = False) -> Iterator[ox.Quad]:
    """Every quad of a CSV download folder (all its languages)."""
    emit = _Emitter(summary)
    files = sorted(p for p in folder.iterdir() if FILE.match(p.name))
    if not files:
        raise EscoFileError(folder, None, "no ESCO CSV files (*_{lang}.csv) in this folder")
    # Concept files first, so that types are known before relations point at them.
    order = {"occupations": 0, "skills": 0, "skillGroups": 0, "ISCOGroups": 0}
    for path in sorted(files, key=lambda p: (order.get(FILE.match(p.name)["kind"], 1), p.name)):
        match = FILE.match(path.name)
        kind, lang = match["kind"], match["lang"]
        summary.languages.add(lang)
        reader = _readers(lang, emit, progress).get(kind)
        if reader is None and kind.endswith("Collection"):
            reader = lambda p, lang=lang: _concept_rows(p, lang, emit, progress)  # noqa: E731
        if reader is not None:
            yield from reader(path)


def rdf_quads(path: Path) -> Iterator[ox.Quad]:
    """Every quad of an RDF download file (optionally gzipped), put in the ESCO graph."""
    name = path.name[:-3] if path.name.endswith(".gz") else path.name
    fmt = RDF_SUFFIXES.get(Path(name).suffix)
    if fmt is None:
        raise EscoFileError(
            path, None, f"not an ESCO RDF file ({', '.join(RDF_SUFFIXES)}, optionally .gz)"
        )
    graph = ox.NamedNode(ESCO_GRAPH)
    opener = gzip.open if path.name.endswith(".gz") else open
    try:
        with opener(path, "rb") as handle:
            for quad in ox.parse(handle, format=fmt):
                yield ox.Quad(quad.subject, quad.predicate, quad.object, graph)
    except SyntaxError as err:
        raise EscoFileError(path, err.lineno, f"syntax error: {err.msg}") from None
    except OSError as err:
        raise EscoFileError(path, None, str(err)) from None


def provenance(summary: LoadSummary) -> list[ox.Quad]:
    """The ESCO graph describes itself: version, source, when (DCTERMS and PROV)."""
    graph = ox.NamedNode(ESCO_GRAPH)
    now = ox.Literal(
        datetime.now(UTC).isoformat(timespec="seconds"), datatype=ox.NamedNode(XSD + "dateTime")
    )
    return [
        ox.Quad(graph, RDF_TYPE, ox.NamedNode(PROV + "Entity"), graph),
        ox.Quad(
            graph,
            ox.NamedNode(DCTERMS + "title"),
            ox.Literal("ESCO classification", language="en"),
            graph,
        ),
        ox.Quad(graph, ox.NamedNode(DCTERMS + "hasVersion"), ox.Literal(summary.version), graph),
        ox.Quad(
            graph, ox.NamedNode(DCTERMS + "publisher"), ox.Literal("European Commission"), graph
        ),
        ox.Quad(graph, ox.NamedNode(PROV + "wasDerivedFrom"), ox.Literal(summary.source), graph),
        ox.Quad(graph, ox.NamedNode(PROV + "generatedAtTime"), now, graph),
    ]


def guess_version(path: Path) -> str:
    """The ESCO version named in a download's path (``…/v1.2.0/`` → ``1.2.0``)."""
    match = re.search(r"v?(\d+\.\d+(?:\.\d+)?)", str(path))
    return match.group(1) if match else "unknown"


def read_download(
    path: Path, version: str | None = None, progress: bool = False
) -> tuple[list[ox.Quad], LoadSummary]:
    """All quads of a download (folder of CSV files, or one RDF file), with a summary."""
    started = time.monotonic()
    summary = LoadSummary(version or guess_version(path), str(path))
    if path.is_dir():
        quads = list(csv_quads(path, summary, progress))
    elif path.exists():
        quads = list(rdf_quads(path))
        summary.concepts.update(
            q.object.value.rsplit("#", 1)[-1]
            for q in quads
            if q.predicate == RDF_TYPE and q.object.value.startswith(ESCO)
        )
    else:
        raise EscoFileError(path, None, "no such file or folder")
    quads = list(dict.fromkeys(quads)) + provenance(summary)
    summary.triples = len(quads)
    summary.seconds = time.monotonic() - started
    return quads, summary


def load(
    settings: Settings, path: Path, version: str | None = None, progress: bool = False
) -> LoadSummary:
    """Import an ESCO download into a new build of the store, beside the WISE graphs."""
    backend = backend_for(settings)
    try:
        store, info = backend.open()
    except StoreNotBuilt as err:
        raise StoreNotBuilt(f"{err}; build the WISE graph before loading ESCO") from None
    esco_quads, summary = read_download(path, version, progress)
    keep = [g.value for g in store.named_graphs() if g.value != ESCO_GRAPH]  # kept as they are
    del store
    backend.publish(esco_quads, info.fingerprint, keep)
    summary.seconds = max(summary.seconds, 0.0)
    return summary


def loaded_version(store: ox.Store) -> str | None:
    """The version of the ESCO graph in a store, or None when none is loaded."""
    graph = ox.NamedNode(ESCO_GRAPH)
    for q in store.quads_for_pattern(graph, ox.NamedNode(DCTERMS + "hasVersion"), None, graph):
        return q.object.value
    return None
