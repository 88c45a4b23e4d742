"""The W3C SPARQL test suites, run through HTTP against the real wise-kg endpoint.

The suite is read at test time from ``../shared/w3c/`` beside the project (never
copied here). ``suite`` reads the manifests, ``results`` compares answers,
``runner`` loads the store and sends the requests, ``xfail`` lists the known failures.
"""
