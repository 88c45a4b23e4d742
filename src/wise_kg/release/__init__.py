"""Releases: every check, then versioned, described files in ``dist/``.

Also the w3id.org redirect rules and the changes between two releases.
"""
