"""The validation report: its results (whichever check made them: SHACL, ESCO references,
release checks), grouped and judged. Rendered by :mod:`wise_kg.validation.render`."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from rdflib import Graph


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


@dataclass
class Report:
    """The outcome of a validation: results, plus the raw SHACL report graph."""

    results: list[Result] = field(default_factory=list)
    graph: Graph = field(default_factory=Graph)

    @property
    def violations(self) -> list[Result]:
        """Results that make the sources invalid."""
        return [r for r in self.results if r.severity == "Violation"]

    @property
    def warnings(self) -> list[Result]:
        """Advice: printed, never fatal."""
        return [r for r in self.results if r.severity != "Violation"]

    @property
    def conforms(self) -> bool:
        """True when there is no violation (warnings allowed)."""
        return not self.violations

    def by_focus(self) -> dict[str, list[Result]]:
        """Results grouped by the resource they are about, in a stable order."""
        groups: dict[str, list[Result]] = defaultdict(list)
        for result in sorted(self.results, key=lambda r: (r.focus, r.severity, r.shape)):
            groups[result.focus].append(result)
        return dict(groups)
