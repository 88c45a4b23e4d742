"""The saved queries in ``queries/``: grlc-style headers, parameters bound as RDF terms.

A file ``cq_04_esco_links.rq`` opens with ``#+ `` lines holding YAML
(``summary``, ``description``, ``tags``, ``defaults``); its parameters are the
variables ``?_name_type`` (required) and ``?__name_type`` (optional), as grlc
names them. Values are bound by the engine's substitution, never pasted into
the query text.

>>> text = "#+ summary: Demo\\nSELECT ?_area_iri WHERE { ?_area_iri ?p ?o }"
>>> q = SavedQuery.parse("cq_00_demo", text)
>>> [(p.name, p.required, p.kind) for p in q.params]
[('area', True, 'iri')]
>>> q.bind({"area": "https://w3id.org/wise-kg/id/need-area/people-area"})
(('_area_iri', 'iri', 'https://w3id.org/wise-kg/id/need-area/people-area'),)
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from wise_kg.errors import BadParameter, QuerySyntaxError, UnknownQuery
from wise_kg.sparql.admission import tokens
from wise_kg.sparql.evaluate import term

#: A grlc parameter variable (after its ``?`` or ``$``): ``_name_kind`` or ``__name_kind``.
PARAM = re.compile(r"(__?)([A-Za-z][A-Za-z0-9_]*?)_(iri|integer|decimal|string|[a-z]{2})")
NAME = re.compile(r"^[a-z0-9_]+$")
IRI = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*:[^\s<>\"{}|\\^`]+$")

#: A bound value as the worker rebuilds it: (variable, kind, lexical value).
Binding = tuple[str, str, str]


@dataclass(frozen=True)
class Param:
    """One parameter of a saved query."""

    name: str
    variable: str
    kind: str  # iri, integer, decimal, string, or a language tag
    required: bool
    default: str | None = None


@dataclass(frozen=True)
class SavedQuery:
    """One ``.rq`` file: its text, header and parameters."""

    name: str
    text: str
    summary: str = ""
    description: str = ""
    tags: tuple[str, ...] = ()
    params: tuple[Param, ...] = field(default_factory=tuple)

    @classmethod
    def parse(cls, name: str, text: str) -> SavedQuery:
        """Read the grlc header and the parameters of a query text."""
        header_lines = [line[3:] for line in text.splitlines() if line.startswith("#+ ")]
        try:
            header = yaml.safe_load("\n".join(header_lines)) or {}
        except yaml.YAMLError as err:
            raise QuerySyntaxError(f"{name}: the #+ header is not YAML: {err}") from None
        defaults: dict[str, str] = {}
        for item in header.get("defaults") or []:
            defaults.update({str(k): str(v) for k, v in dict(item).items()})
        seen: dict[str, Param] = {}
        variables = (t.text[1:] for t in tokens(text) if t.kind == "var")
        for match in filter(None, map(PARAM.fullmatch, variables)):
            underscores, pname, kind = match.groups()
            variable = f"{underscores}{pname}_{kind}"
            seen.setdefault(
                pname, Param(pname, variable, kind, underscores == "_", defaults.get(pname))
            )
        return cls(
            name=name,
            text=text,
            summary=str(header.get("summary", "")),
            description=str(header.get("description", "")).strip(),
            tags=tuple(str(t) for t in header.get("tags") or ()),
            params=tuple(seen.values()),
        )

    def bind(self, values: dict[str, str], *, use_defaults: bool = True) -> tuple[Binding, ...]:
        """Check and type the given values; required ones fall back to their defaults."""
        unknown = sorted(set(values) - {p.name for p in self.params})
        if unknown:
            raise BadParameter(
                f"{self.name} has no parameter {', '.join(unknown)}; "
                f"it takes: {', '.join(p.name for p in self.params) or 'none'}."
            )
        bindings = []
        for param in self.params:
            value = values.get(param.name)
            if value is None and use_defaults and param.required:
                value = param.default
            if value is None:
                if param.required:
                    raise BadParameter(f"{self.name} needs the parameter '{param.name}'.")
                continue
            bindings.append((param.variable, param.kind, _checked(param, value)))
        return tuple(bindings)


def _checked(param: Param, value: str) -> str:
    value = value.strip()
    ok = {
        "iri": lambda v: bool(IRI.match(v)),
        "integer": lambda v: bool(re.fullmatch(r"[+-]?\d+", v)),
        "decimal": lambda v: bool(re.fullmatch(r"[+-]?\d*\.?\d+", v)),
    }.get(param.kind, lambda v: True)
    if not ok(value):
        raise BadParameter(f"'{param.name}' must be an absolute {param.kind}, not {value!r}.")
    try:  # the engine's own check of the term, here rather than in a worker
        term(param.kind, value)
    except ValueError as err:
        raise BadParameter(f"'{param.name}' is not a valid {param.kind}: {err}") from None
    return value


def load(folder: Path) -> dict[str, SavedQuery]:
    """Every ``*.rq`` file of a folder, by name (the file name without ``.rq``)."""
    queries = {}
    for path in sorted(folder.glob("*.rq")):
        if NAME.match(path.stem):
            queries[path.stem] = SavedQuery.parse(path.stem, path.read_text(encoding="utf-8"))
    return queries


def find(queries: dict[str, SavedQuery], name: str) -> SavedQuery:
    """A query by full name or unique prefix (``cq_04`` for ``cq_04_esco_links``)."""
    if name in queries:
        return queries[name]
    matches = [q for key, q in queries.items() if key.startswith(name + "_")]
    if len(matches) == 1:
        return matches[0]
    raise UnknownQuery(
        f"No saved query named '{name}'. Known: {', '.join(sorted(queries)) or 'none'}."
    )
