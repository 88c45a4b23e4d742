"""Conditional requests (RFC 9110 §13): validators of a build's answers, and when a 304 is due.

Every answer is one build's, so the build names its validators: a strong ETag per
answer and the build's creation time as ``Last-Modified``. ``If-None-Match`` wins
over ``If-Modified-Since`` when both are sent (§13.2.2).
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from email.utils import format_datetime, parsedate_to_datetime

from wise_kg.store.embedded import BuildInfo

#: Every answer of a build is immutable, but a new build may replace it: ask each time.
CACHE_CONTROL = "public, no-cache"


def etag(build_id: str, *parts: object) -> str:
    """A strong ETag for an answer of one build to one request."""
    digest = hashlib.sha256(build_id.encode())
    for part in parts:
        digest.update(b"\x00" + (part if isinstance(part, bytes) else repr(part).encode()))
    return '"' + digest.hexdigest()[:32] + '"'


def matches(if_none_match: str | None, tag: str) -> bool:
    """Whether an If-None-Match header names ``tag`` (or is ``*``)."""
    if not if_none_match:
        return False
    candidates = {c.strip().removeprefix("W/") for c in if_none_match.split(",")}
    return "*" in candidates or tag in candidates


def last_modified(build: BuildInfo) -> str:
    """The build's creation time as an HTTP date (whole seconds, GMT)."""
    return format_datetime(datetime.fromisoformat(build.created).replace(microsecond=0), True)


def validators(tag: str, build: BuildInfo, vary: str) -> dict[str, str]:
    """The headers an answer and its 304 both carry."""
    return {
        "ETag": tag,
        "Last-Modified": last_modified(build),
        "Cache-Control": CACHE_CONTROL,
        "Vary": vary,
    }


def is_fresh(
    if_none_match: str | None, if_modified_since: str | None, tag: str, modified: str | None
) -> bool:
    """Whether the client's copy is current, so a 304 answers it."""
    if if_none_match:
        return matches(if_none_match, tag)
    if not if_modified_since or not modified:
        return False
    try:
        since = parsedate_to_datetime(if_modified_since)
    except (TypeError, ValueError):  # not an HTTP date: ignored, as §13.1.3 says
        return False
    if since.tzinfo is None:
        return False
    return parsedate_to_datetime(modified) <= since
