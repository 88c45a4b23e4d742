"""``wise-kg esco diff``: what changed between two ESCO downloads, for the concepts we link to."""

from __future__ import annotations

from collections.abc import Iterable

import pyoxigraph as ox

from wise_kg.namespaces import DCTERMS, ESCO, ESCO_DATA, RDF_TYPE, SKOS
from wise_kg.sources.reader import SourceFile


def linked_concepts(files: Iterable[SourceFile]) -> set[str]:
    """The ESCO concepts the sources link to (concept schemes left out)."""
    return {
        t.object.value
        for f in files
        for t in f.triples
        if isinstance(t.object, ox.NamedNode)
        and t.object.value.startswith(ESCO_DATA)
        and "/concept-scheme/" not in t.object.value
    }


#: What ``esco diff`` compares for each concept: (property, name in the report).
DIFFED = (
    (SKOS + "prefLabel", "label"),
    (SKOS + "notation", "code"),
    (SKOS + "broader", "broader"),
    (ESCO + "status", "status"),
    (DCTERMS + "isReplacedBy", "replaced by"),
)


def describe_concepts(quads: Iterable[ox.Quad], iris: set[str]) -> dict[str, dict[str, set[str]]]:
    """For each IRI: property name → values (English or plain), from one download's quads."""
    wanted = {p: name for p, name in DIFFED}
    found: dict[str, dict[str, set[str]]] = {iri: {} for iri in iris}
    for q in quads:
        name = wanted.get(q.predicate.value)
        if q.subject.value in found and name is not None:
            if isinstance(q.object, ox.Literal) and q.object.language not in (None, "en"):
                continue
            found[q.subject.value].setdefault(name, set()).add(q.object.value)
        elif q.subject.value in found and q.predicate.value == RDF_TYPE:
            found[q.subject.value].setdefault("type", set()).add(q.object.value)
    return found


def diff(old: dict[str, dict[str, set[str]]], new: dict[str, dict[str, set[str]]]) -> list[str]:
    """What changed, concept by concept, between two descriptions (empty when nothing did)."""
    lines = []
    for iri in sorted(old):
        before, after = old[iri], new.get(iri, {})
        if before and not after:
            lines.append(f"{iri}: removed")
            continue
        if after and not before:
            lines.append(f"{iri}: added")
            continue
        for _predicate, name in DIFFED:
            a, b = before.get(name, set()), after.get(name, set())
            if a != b:
                lines.append(f"{iri}: {name} {sorted(a) or '-'} -> {sorted(b) or '-'}")
    return lines
