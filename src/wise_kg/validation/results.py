"""One row of a validation report, whichever check produced it (SHACL or ESCO references)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Result:
    """One SHACL result, with the file of the offending triple when known."""

    severity: str
    focus: str
    path: str | None
    value: str | None
    message: str
    shape: str
    files: tuple[str, ...]
    rule: str = ""
