"""What the graph says about one resource: the triples its pages are made of.

A resource's description is every triple about it, the triples of the
resources it owns (its resistances, actions, SWOT findings, ESCO alignments —
the report's and our curated ones —, criticisms of ESCO, profile directions, tasks
and competences, collaboration topics), and the label, notation and type of
everything those triples point at, so that a page can name its links. Every
view of a resource (Turtle, JSON-LD, HTML …) is made from the same triples.
"""

from __future__ import annotations

import pyoxigraph as ox

DESCRIBE = """
PREFIX rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
PREFIX wise: <https://w3id.org/wise-kg/ontology#>
CONSTRUCT { ?s ?p ?o . ?o ?lp ?lo . ?s ?sp ?so . }
WHERE {
  {
    { BIND (%(iri)s AS ?s) }  # not VALUES: Virtuoso 7.2 drops rows of VALUES in a UNION
    UNION
    { %(iri)s wise:hasResistance|wise:hasAction|wise:hasSwotFinding|wise:hasEscoAlignment
              |wise:hasCuratedEscoAlignment|wise:hasEscoCriticism|wise:hasDirection
              |wise:hasTask|wise:requiresCompetence ?s }
    UNION
    { %(iri)s wise:hasAction/wise:hasCollaborationTopic ?s }
    UNION
    { %(iri)s skos:memberList/rdf:rest* ?s }
    ?s ?p ?o .
  }
  UNION
  {  # incoming links, named by their source
    ?s ?p %(iri)s .
    FILTER (?p NOT IN (skos:hasTopConcept, rdf:type))
    BIND (%(iri)s AS ?o)
    ?s ?sp ?so .
    FILTER (?sp IN (skos:prefLabel, skos:notation, rdfs:label, rdf:type))
    FILTER (?sp != rdf:type || STRSTARTS(STR(?so), STR(wise:)))
  }
  OPTIONAL {
    FILTER (isIRI(?o))
    ?o ?lp ?lo .
    FILTER (?lp IN (skos:prefLabel, skos:notation, rdfs:label, rdf:type))
    FILTER (?lp != rdf:type || STRSTARTS(STR(?lo), STR(wise:)))
  }
}
"""


def describe(store: ox.Store, iri: str) -> list[ox.Triple]:
    """The description of ``iri`` (empty when the graph says nothing about it).

    The IRI is checked and written by the engine's own term type, so it cannot
    change the query.
    """
    triples = store.query(DESCRIBE % {"iri": ox.NamedNode(iri)}, use_default_graph_as_union=True)
    return sorted(set(triples), key=lambda t: (str(t.subject), str(t.predicate), str(t.object)))
