"""wise-kg: the WISE capacity-building knowledge graph.

The package is the pipeline, one subpackage per stage, each importing only the stages
before it (``lint-imports`` checks it):

``sources`` → ``validation`` → ``store`` → ``sparql`` (beside validation: admission,
evaluation, the query workers) → ``publish`` → ``api`` (the FastAPI app); ``esco`` and
``release`` build on the store and publishing. Below them all: ``config`` (settings),
``errors``, ``formats``, ``namespaces`` and ``graphs``; above them all, :mod:`wise_kg.cli`,
a thin face over the library.
"""

__version__ = "0.1.0"
