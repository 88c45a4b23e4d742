"""wise-kg: the WISE capacity-building knowledge graph.

The library API lives in small modules: :mod:`wise_kg.config` (settings),
:mod:`wise_kg.sources.reader` (reading the Turtle sources), :mod:`wise_kg.validation.validate`
(SHACL), :mod:`wise_kg.store.embedded` (the embedded store), :mod:`wise_kg.store.build`
(sources → validated store), :mod:`wise_kg.sparql` (safe query execution) and
:mod:`wise_kg.api` (the FastAPI app). The CLI in :mod:`wise_kg.cli` is a thin
face over them.
"""

__version__ = "0.1.0"
