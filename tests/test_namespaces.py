"""The one namespace module agrees with rdflib's, and workers never load rdflib through it."""

from __future__ import annotations

import subprocess
import sys

from rdflib.namespace import DCAT, DCTERMS, FOAF, OWL, PROV, RDF, RDFS, SH, SKOS, VOID, XSD

from wise_kg import namespaces


def test_the_constants_are_rdflibs() -> None:
    for ours, theirs in [
        (namespaces.RDF, RDF), (namespaces.RDFS, RDFS), (namespaces.OWL, OWL),
        (namespaces.XSD, XSD), (namespaces.SKOS, SKOS), (namespaces.DCTERMS, DCTERMS),
        (namespaces.PROV, PROV), (namespaces.DCAT, DCAT), (namespaces.VOID, VOID),
        (namespaces.FOAF, FOAF), (namespaces.SH, SH),
    ]:  # fmt: skip
        assert ours == str(theirs)
    assert str(RDF.type) == namespaces.RDF_TYPE


def test_a_query_worker_loads_no_rdflib() -> None:
    """What a worker imports (the pool, evaluation, the namespaces) leaves rdflib out."""
    code = (
        "import sys, wise_kg.sparql.pool, wise_kg.namespaces, wise_kg.graphs;"
        "print('rdflib' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
