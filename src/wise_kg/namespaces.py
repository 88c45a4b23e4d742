"""Every namespace wise-kg names, and the one prefix table (plain strings: workers load no rdflib).

The constants equal rdflib's ``rdflib.namespace`` ones (a test checks it); they are kept
as strings here because importing ``rdflib.namespace`` runs all of rdflib, which the
query workers never load.

>>> curie(SKOS + "prefLabel")
'skos:prefLabel'
>>> curie("http://data.europa.eu/esco/skill/abc")
'escoskill:abc'
>>> print(sparql_prologue("skos", "wise"))
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
PREFIX wise: <https://w3id.org/wise-kg/ontology#>
"""

from __future__ import annotations

# ------------------------------------------------------------------ ours
#: The IRI every published resource starts with (``…/id/{kind}/{slug}``).
PUBLISHED_BASE = "https://w3id.org/wise-kg/"
ONTOLOGY_IRI = PUBLISHED_BASE + "ontology"
WISE = ONTOLOGY_IRI + "#"
WISEKG = PUBLISHED_BASE + "id/"
SHAPES_DOCUMENT = PUBLISHED_BASE + "shapes"
WSH = SHAPES_DOCUMENT + "#"
GRAPH_BASE = PUBLISHED_BASE + "graph/"

# ------------------------------------------------------------------ W3C and others
RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
RDFS = "http://www.w3.org/2000/01/rdf-schema#"
OWL = "http://www.w3.org/2002/07/owl#"
XSD = "http://www.w3.org/2001/XMLSchema#"
SKOS = "http://www.w3.org/2004/02/skos/core#"
DCTERMS = "http://purl.org/dc/terms/"
PROV = "http://www.w3.org/ns/prov#"
DCAT = "http://www.w3.org/ns/dcat#"
VOID = "http://rdfs.org/ns/void#"
FOAF = "http://xmlns.com/foaf/0.1/"
SH = "http://www.w3.org/ns/shacl#"
SD = "http://www.w3.org/ns/sparql-service-description#"
HYDRA = "http://www.w3.org/ns/hydra/core#"
CS = "http://purl.org/vocab/changeset/schema#"
SPDX = "http://spdx.org/rdf/terms#"
JSONLD = "http://www.w3.org/ns/json-ld#"
FORMATS = "http://www.w3.org/ns/formats/"
SEMAPV = "https://w3id.org/semapv/vocab/"

# ------------------------------------------------------------------ ESCO
ESCO = "http://data.europa.eu/esco/model#"
ESCO_DATA = "http://data.europa.eu/esco/"

# ------------------------------------------------------------------ terms used everywhere
RDF_TYPE = RDF + "type"
XSD_INTEGER = XSD + "integer"
XSD_STRING = XSD + "string"

#: The one prefix table: prefix → namespace. ESCO concepts compact by their kind.
PREFIXES: dict[str, str] = {
    "wise": WISE,
    "wisekg": WISEKG,
    "wsh": WSH,
    "rdf": RDF,
    "rdfs": RDFS,
    "owl": OWL,
    "xsd": XSD,
    "skos": SKOS,
    "dcterms": DCTERMS,
    "prov": PROV,
    "dcat": DCAT,
    "void": VOID,
    "foaf": FOAF,
    "sh": SH,
    "sd": SD,
    "hydra": HYDRA,
    "cs": CS,
    "spdx": SPDX,
    "semapv": SEMAPV,
    "esco": ESCO,
    "escoskill": ESCO_DATA + "skill/",
    "escooccupation": ESCO_DATA + "occupation/",
    "escoisco": ESCO_DATA + "isco/",
    "escoiscedf": ESCO_DATA + "isced-f/",
}


def prefixes(*names: str) -> dict[str, str]:
    """The subset of :data:`PREFIXES` a document declares, in the order asked.

    >>> prefixes("skos", "wise")
    {'skos': 'http://www.w3.org/2004/02/skos/core#', 'wise': 'https://w3id.org/wise-kg/ontology#'}
    """
    return {name: PREFIXES[name] for name in names}


def curie(iri: str, names: tuple[str, ...] | None = None) -> str:
    """``iri`` as ``prefix:local`` with the longest matching namespace, else unchanged."""
    table = PREFIXES if names is None else prefixes(*names)
    best = max(
        ((p, ns) for p, ns in table.items() if iri.startswith(ns)),
        key=lambda item: len(item[1]),
        default=None,
    )
    return iri if best is None else best[0] + ":" + iri[len(best[1]) :]


def sparql_prologue(*names: str) -> str:
    """``PREFIX`` lines for a query text, one per name."""
    return "\n".join(f"PREFIX {p}: <{ns}>" for p, ns in prefixes(*names).items())
