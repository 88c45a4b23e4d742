"""ESCO: importing a download, comparing two, exporting our alignments.

Exports: SSSOM mappings and the ESCO subset the data links to.
"""
