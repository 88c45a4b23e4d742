"""Stage 2, validation: SHACL and the ESCO reference checks over the sources.

One report model, rendered as text, JSON, Turtle or JUnit.
"""
