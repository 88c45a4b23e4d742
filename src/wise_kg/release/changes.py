"""What changed between two versions of the graph, concept by concept (``wise-kg diff``).

A version is a release folder (``dist/1.0.0/``, read from its N-Quads), a built
store (the ``.wise-kg/store`` link or one build directory) or one RDF file. Its
concepts are the resources under ``{base}id/`` typed ``skos:Concept`` or a
subclass of it (as the version's own ontology says). For each concept the diff
compares its facts, sorted into kinds:

* **label** — ``skos:prefLabel``, ``altLabel``, ``hiddenLabel``, ``rdfs:label``;
* **ESCO link** — an ESCO concept it points at directly (SKOS mapping) or through
  one of its alignments (``wise:hasEscoAlignment/wise:escoConcept``);
* **relation** — any other IRI it points at;
* **property** — any other literal (definition, notation, notes …).

The result reads as text (:meth:`Changes.as_text`) or as RDF in the Changeset
vocabulary (:meth:`Changes.triples`): one ``cs:ChangeSet`` per concept, the facts
added and removed (for a changed concept) as ``rdf:Statement``\\ s.

>>> old = ox.Store()
>>> new = ox.Store()
>>> a = ox.NamedNode(PUBLISHED_BASE + "id/x/a")
>>> new.add(ox.Quad(a, RDF_TYPE, ox.NamedNode(SKOS + "Concept")))
>>> changes = compare(Version("old", old), Version("new", new))
>>> changes.added, changes.removed, changes.changed
(['https://w3id.org/wise-kg/id/x/a'], [], [])
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import pyoxigraph as ox

from wise_kg.errors import NotAVersion, StoreNotBuilt
from wise_kg.esco.load import ESCO_DATA
from wise_kg.formats import GRAPH_FORMATS
from wise_kg.graphs import PUBLISHED_GRAPHS
from wise_kg.namespaces import CS, DCTERMS, PROV, PUBLISHED_BASE, RDF, RDFS, SKOS, WISE
from wise_kg.publish.nodes import blank_node
from wise_kg.store.embedded import MANIFEST, open_read_only
from wise_kg.validation.render import short

RDF_TYPE = ox.NamedNode(RDF + "type")
#: The file of a release folder that holds its graph with its named graphs.
RELEASE_QUADS = "wise-kg.nq"
LABELS = frozenset({SKOS + "prefLabel", SKOS + "altLabel", SKOS + "hiddenLabel", RDFS + "label"})
#: Kinds of fact, in the order they are reported.
KINDS = ("label", "ESCO link", "relation", "property")

CONCEPTS = f"""
PREFIX rdfs: <{RDFS}>
SELECT DISTINCT ?c WHERE {{
  ?c a/rdfs:subClassOf* <{SKOS}Concept> .
  FILTER (isIRI(?c) && STRSTARTS(STR(?c), "{{base}}"))
}}
"""
ESCO_VIA_ALIGNMENT = f"""
SELECT ?c ?esco WHERE {{
  ?c <{WISE}hasEscoAlignment>/<{WISE}escoConcept> ?esco .
}}
"""


@dataclass(frozen=True)
class Fact:
    """One fact about a concept: its kind, predicate and object (the object as N-Triples)."""

    kind: str
    predicate: str
    value: str

    def text(self) -> str:
        """``label skos:prefLabel "Placement"@en``."""
        shown = short(self.value[1:-1]) if self.value.startswith("<") else self.value
        return f"{self.kind}: {short(self.predicate)} {shown}"


@dataclass(frozen=True)
class Version:
    """One side of a diff: a name (release IRI, build id or path) and its graph."""

    name: str
    store: ox.Store


@dataclass
class ConceptChange:
    """A concept present on both sides whose facts differ."""

    iri: str
    added: list[Fact] = field(default_factory=list)
    removed: list[Fact] = field(default_factory=list)

    def kinds(self) -> list[str]:
        """The kinds of fact that changed, in report order."""
        found = {f.kind for f in self.added + self.removed}
        return [k for k in KINDS if k in found]


@dataclass
class Changes:
    """Concepts added, removed and changed from ``old`` to ``new``."""

    old: str
    new: str
    added: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    changed: list[ConceptChange] = field(default_factory=list)
    facts: dict[str, frozenset[Fact]] = field(default_factory=dict)

    def summary(self) -> str:
        """``1 concept(s) added, 0 removed, 2 changed``."""
        return (
            f"{len(self.added)} concept(s) added, {len(self.removed)} removed, "
            f"{len(self.changed)} changed"
        )

    def as_text(self) -> str:
        """One line per added or removed concept, an indented block per changed one."""
        out = [f"Changes from {self.old} to {self.new}: {self.summary()}."]
        out += [f"+ {short(iri)}{self._label(iri)}" for iri in self.added]
        out += [f"- {short(iri)}{self._label(iri)}" for iri in self.removed]
        for change in self.changed:
            out.append(
                f"~ {short(change.iri)}{self._label(change.iri)} ({', '.join(change.kinds())})"
            )
            out += [f"    - {f.text()}" for f in change.removed]
            out += [f"    + {f.text()}" for f in change.added]
        return "\n".join(out) + "\n"

    def _label(self, iri: str) -> str:
        labels = sorted(
            f.value
            for f in self.facts.get(iri, ())
            if f.predicate == SKOS + "prefLabel" and f.value.endswith("@en")
        )
        return f"  {labels[0]}" if labels else ""

    def triples(self, iri: str) -> list[ox.Triple]:
        """The changes as RDF: the changelog ``iri``, one ``cs:ChangeSet`` per concept."""
        log = ox.NamedNode(iri)
        out = [
            ox.Triple(log, RDF_TYPE, ox.NamedNode(PROV + "Entity")),
            ox.Triple(
                log,
                ox.NamedNode(DCTERMS + "title"),
                ox.Literal(f"Changes from {self.old} to {self.new}", language="en"),
            ),
            ox.Triple(log, ox.NamedNode(DCTERMS + "description"), ox.Literal(self.summary())),
        ]
        entries = [(c, "added", (), ()) for c in self.added]
        entries += [(c, "removed", (), ()) for c in self.removed]
        entries += [(c.iri, "changed", c.added, c.removed) for c in self.changed]
        for concept, reason, added, removed in entries:
            node = ox.NamedNode(f"{iri}#{concept.removeprefix(PUBLISHED_BASE)}")
            out += [
                ox.Triple(log, ox.NamedNode(DCTERMS + "hasPart"), node),
                ox.Triple(node, RDF_TYPE, ox.NamedNode(CS + "ChangeSet")),
                ox.Triple(node, ox.NamedNode(CS + "subjectOfChange"), ox.NamedNode(concept)),
                ox.Triple(node, ox.NamedNode(CS + "changeReason"), ox.Literal(reason)),
            ]
            for link, facts in (("addition", added), ("removal", removed)):
                for fact in sorted(facts, key=_order):
                    out += _statement(node, CS + link, concept, fact)
        return out


def _order(fact: Fact) -> tuple[int, str, str]:
    return KINDS.index(fact.kind), fact.predicate, fact.value


def _statement(node: ox.NamedNode, link: str, concept: str, fact: Fact) -> list[ox.Triple]:
    """A fact as a reified ``rdf:Statement`` hanging from a change set."""
    statement = blank_node("statement", node.value, link, fact.predicate, fact.value)
    value = _term(fact.value)
    if value is None:  # a blank node has no name outside its graph: say what it held
        value = ox.Literal(fact.value)
    return [
        ox.Triple(node, ox.NamedNode(link), statement),
        ox.Triple(statement, RDF_TYPE, ox.NamedNode(RDF + "Statement")),
        ox.Triple(statement, ox.NamedNode(RDF + "subject"), ox.NamedNode(concept)),
        ox.Triple(statement, ox.NamedNode(RDF + "predicate"), ox.NamedNode(fact.predicate)),
        ox.Triple(statement, ox.NamedNode(RDF + "object"), value),
    ]


def _term(text: str) -> ox.NamedNode | ox.Literal | None:
    """An N-Triples term back to a term (None for a described blank node)."""
    if text.startswith("["):
        return None
    triple = next(iter(ox.parse(f"<x:s> <x:p> {text} .", format=ox.RdfFormat.N_TRIPLES)))
    return triple.object


def _key(store: ox.Store, term: ox.NamedNode | ox.BlankNode | ox.Literal, depth: int = 0) -> str:
    """A term as text that is equal across versions (a blank node by what it holds)."""
    if not isinstance(term, ox.BlankNode):
        return str(term)
    if depth > 3:
        return "[…]"
    inner = sorted(
        f"{q.predicate} {_key(store, q.object, depth + 1)}"
        for q in store.quads_for_pattern(term, None, None)
    )
    return "[" + " ; ".join(inner) + "]"


def _kind(predicate: str, value: ox.NamedNode | ox.BlankNode | ox.Literal) -> str:
    if predicate in LABELS:
        return "label"
    if isinstance(value, ox.NamedNode) and value.value.startswith(ESCO_DATA):
        return "ESCO link"
    return "property" if isinstance(value, ox.Literal) else "relation"


def concept_facts(store: ox.Store, base_iri: str = PUBLISHED_BASE) -> dict[str, frozenset[Fact]]:
    """Every concept under ``{base_iri}id/`` with its facts."""
    query = CONCEPTS.replace("{base}", base_iri + "id/")
    concepts = [s["c"].value for s in store.query(query, use_default_graph_as_union=True)]
    facts: dict[str, set[Fact]] = defaultdict(set)
    for iri in concepts:
        for q in store.quads_for_pattern(ox.NamedNode(iri), None, None):
            value = _key(store, q.object)
            facts[iri].add(Fact(_kind(q.predicate.value, q.object), q.predicate.value, value))
    for s in store.query(ESCO_VIA_ALIGNMENT, use_default_graph_as_union=True):
        if s["c"].value in facts and s["esco"].value.startswith(ESCO_DATA):
            facts[s["c"].value].add(Fact("ESCO link", WISE + "escoConcept", str(s["esco"])))
    return {iri: frozenset(facts[iri]) for iri in concepts}


def compare(old: Version, new: Version, base_iri: str = PUBLISHED_BASE) -> Changes:
    """The concepts added, removed and changed from ``old`` to ``new``."""
    before, after = concept_facts(old.store, base_iri), concept_facts(new.store, base_iri)
    changes = Changes(old.name, new.name, facts={**before, **after})
    changes.added = sorted(set(after) - set(before))
    changes.removed = sorted(set(before) - set(after))
    for iri in sorted(set(before) & set(after)):
        if before[iri] != after[iri]:
            changes.changed.append(
                ConceptChange(
                    iri,
                    sorted(after[iri] - before[iri], key=_order),
                    sorted(before[iri] - after[iri], key=_order),
                )
            )
    return changes


def published_store(quads: list[ox.Quad] | ox.Store) -> ox.Store:
    """An in-memory store with the published graphs (ontology and data) of some quads."""
    graphs = {ox.NamedNode(g) for g in PUBLISHED_GRAPHS}
    source = quads.quads_for_pattern(None, None, None) if isinstance(quads, ox.Store) else quads
    store = ox.Store()
    store.extend(q for q in source if q.graph_name in graphs)
    return store


def load_version(path: Path) -> Version:
    """A release folder, a built store or an RDF file, as one side of a diff."""
    if path.is_dir() and (path / RELEASE_QUADS).is_file():
        return Version(path.name, _parsed(path / RELEASE_QUADS))
    if path.is_dir() and (path.resolve() / MANIFEST).is_file():
        try:
            store, info = open_read_only(path)
        except StoreNotBuilt as err:
            raise NotAVersion(str(err)) from None
        return Version(f"build {info.build_id}", published_store(store))
    if path.is_file():
        return Version(path.name, _parsed(path))
    raise NotAVersion(
        f"{path} is neither a release folder (with {RELEASE_QUADS}), a built store, nor an RDF file"
    )


def _parsed(path: Path) -> ox.Store:
    """An RDF file (by its extension) in memory; triples files go to the data graph."""
    extension = path.name.rsplit(".", 1)[-1]
    fmt = next((f for f in GRAPH_FORMATS if f.extension == extension), None)
    if fmt is None:
        raise NotAVersion(f"{path}: not an RDF file this tool reads (.ttl, .nt, .nq, .trig …)")
    store = ox.Store()
    try:
        store.bulk_load(path=str(path), format=fmt.engine)
    except SyntaxError as err:
        raise NotAVersion(f"{path}: {err}") from None
    return store
