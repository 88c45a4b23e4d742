"""Stage 3, store: where a build lives, how it is built and swapped atomically.

The embedded pyoxigraph store, or a remote SPARQL 1.1 engine.
"""
