"""Stage 1, sources: the Turtle files read into named graphs.

Parse errors name file, line and column; the few entailments the build adds live here too.
"""
