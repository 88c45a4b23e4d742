"""Stage 5, publishing: what is made from a build for people and programs.

Resource descriptions, JSON-LD, VoID, DCAT, dumps, the ontology's documentation, search.
"""
