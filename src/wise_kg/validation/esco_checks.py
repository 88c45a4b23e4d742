"""Reference checks: every ESCO IRI the graph links to exists, is of its kind and is current.

Checked against the loaded ESCO graph when there is one, else against the ESCO
descriptions in ``data/``. The results join the SHACL report (same rows, same
exit codes); each check is a named rule like the shapes.
"""

from __future__ import annotations

from collections.abc import Iterable

import pyoxigraph as ox

from wise_kg.graphs import ESCO_GRAPH
from wise_kg.namespaces import ESCO, RDF_TYPE, SKOS, WSH
from wise_kg.validation.report import Result

#: The ESCO class each kind of ESCO IRI must have.
KINDS = {
    "skill": (ESCO + "Skill", ESCO + "SkillGroup"),
    "occupation": (ESCO + "Occupation",),
    "isco": (ESCO + "ISCOGroup",),
    "isced-f": (),
}
LINKS = """
PREFIX wise: <https://w3id.org/wise-kg/ontology#>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
SELECT DISTINCT ?subject ?predicate ?target WHERE {
  GRAPH ?g { ?subject ?predicate ?target . }
  FILTER (?g != <ESCO_GRAPH>)
  FILTER (?predicate IN (wise:escoConcept, skos:exactMatch, skos:closeMatch, skos:broadMatch,
                         skos:narrowMatch, skos:relatedMatch))
  FILTER (isIRI(?target) && STRSTARTS(STR(?target), "http://data.europa.eu/esco/"))
}
ORDER BY ?subject ?target
""".replace("ESCO_GRAPH", ESCO_GRAPH)


def _kind(iri: str) -> str | None:
    rest = iri.removeprefix("http://data.europa.eu/esco/")
    kind = rest.split("/", 1)[0]
    return kind if kind in KINDS else None


def _values(store: ox.Store, subject: str, predicate: str, graph: ox.NamedNode | None) -> set[str]:
    return {
        q.object.value
        for q in store.quads_for_pattern(
            ox.NamedNode(subject), ox.NamedNode(predicate), None, graph
        )
    }


def check(store: ox.Store, files_of=lambda *_: ()) -> list[Result]:
    """Run every ESCO reference check over a store holding the data (and ESCO, if loaded).

    ``files_of(focus, path, value)`` names the source files of a triple for the report.
    """
    esco_graph = ox.NamedNode(ESCO_GRAPH)
    loaded = any(True for _ in store.quads_for_pattern(None, None, None, esco_graph))
    version = next(
        iter(_values(store, ESCO_GRAPH, "http://purl.org/dc/terms/hasVersion", esco_graph)), ""
    )
    where = f"the loaded ESCO {version}".strip() if loaded else "the ESCO descriptions in data/"
    reference = esco_graph if loaded else None
    results: list[Result] = []

    def report(rule: str, subject: str, predicate: str, target: str, message: str) -> None:
        results.append(
            Result(
                "Violation",
                subject,
                predicate,
                target,
                message,
                WSH + rule,
                tuple(files_of(subject, predicate, target)),
                WSH + rule,
            )
        )

    seen: set[str] = set()
    for row in store.query(LINKS):
        subject, predicate, target = (
            row["subject"].value,
            row["predicate"].value,
            row["target"].value,
        )
        types = _values(store, target, RDF_TYPE, reference)
        kind = _kind(target)
        if not types:
            twin = _same_id_elsewhere(store, target, reference)
            hint = f"; the same identifier is {twin} in ESCO" if twin else ""
            report(
                "EscoReference-exists",
                subject,
                predicate,
                target,
                f"{target} is not a concept of {where}{hint}. Look it up in the ESCO files.",
            )
            continue
        expected = KINDS.get(kind or "", ())
        if expected and not types & set(expected):
            names = ", ".join(sorted(t.rsplit("#", 1)[-1] for t in types if t.startswith(ESCO)))
            names = names or "concept with no ESCO type"
            report(
                "EscoReference-kind",
                subject,
                predicate,
                target,
                f"{target} is an ESCO {names}, not the {kind} its IRI and alignment say.",
            )
        for status in _values(store, target, ESCO + "status", reference):
            if status != "released":
                replaced = _values(
                    store, target, "http://purl.org/dc/terms/isReplacedBy", reference
                )
                by = f"; it is replaced by {', '.join(sorted(replaced))}" if replaced else ""
                report(
                    "EscoReference-released",
                    subject,
                    predicate,
                    target,
                    f"{target} is {status} in {where}, not released{by}.",
                )
        if loaded and target not in seen:
            seen.add(target)
            results.extend(_agreement(store, target, esco_graph, files_of))
    return results


def _same_id_elsewhere(store: ox.Store, iri: str, graph: ox.NamedNode | None) -> str | None:
    identifier = iri.rsplit("/", 1)[-1]
    for kind in KINDS:
        twin = f"http://data.europa.eu/esco/{kind}/{identifier}"
        if twin != iri and _values(store, twin, RDF_TYPE, graph):
            return twin
    return None


def _agreement(
    store: ox.Store, target: str, esco_graph: ox.NamedNode, files_of
) -> Iterable[Result]:
    """The description of ``target`` in data/ must say what the loaded ESCO says."""
    for predicate, what in ((SKOS + "prefLabel", "label"), (SKOS + "notation", "code")):
        ours = {
            q.object.value
            for q in store.quads_for_pattern(ox.NamedNode(target), ox.NamedNode(predicate), None)
            if q.graph_name != esco_graph
            and (not isinstance(q.object, ox.Literal) or q.object.language in (None, "en"))
        }
        theirs = {
            q.object.value
            for q in store.quads_for_pattern(
                ox.NamedNode(target), ox.NamedNode(predicate), None, esco_graph
            )
            if not isinstance(q.object, ox.Literal) or q.object.language in (None, "en")
        }
        if ours and theirs and ours != theirs:
            rule = WSH + "EscoReference-agrees"
            yield Result(
                "Violation",
                target,
                predicate,
                next(iter(ours)),
                f"data/ gives {target} the {what} {sorted(ours)}, ESCO says {sorted(theirs)}; "
                "regenerate with `wise-kg export esco-subset`.",
                rule,
                tuple(files_of(target, predicate, next(iter(ours)))),
                rule,
            )
    ours = {
        q.object.value
        for q in store.quads_for_pattern(ox.NamedNode(target), ox.NamedNode(SKOS + "broader"), None)
        if q.graph_name != esco_graph
    }
    theirs = _values(store, target, SKOS + "broader", esco_graph)
    for extra in sorted(ours - theirs):
        rule = WSH + "EscoReference-agrees"
        yield Result(
            "Violation",
            target,
            SKOS + "broader",
            extra,
            f"data/ puts {target} under {extra}, which ESCO does not; "
            "regenerate with `wise-kg export esco-subset`.",
            rule,
            tuple(files_of(target, SKOS + "broader", extra)),
            rule,
        )
