"""The Turtle sources stay tidy: the slips that hand-edited RDF drifts into are caught here."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.helpers import PROJECT

FILES = sorted(
    p for folder in ("ontology", "data", "shapes") for p in (PROJECT / folder).rglob("*.ttl")
)
PREFIX = re.compile(r"^@prefix\s+([\w-]*):\s*<([^>]*)>\s*\.", re.M)
#: Namespaces whose scheme is easy to get wrong.
WRONG_SCHEMES = (
    "https://www.w3.org/",
    "http://w3id.org/",
    "https://purl.org/",
    "https://data.europa.eu/esco",
)


@pytest.mark.parametrize("path", FILES, ids=lambda p: str(p.relative_to(PROJECT)))
def test_prefixes_are_declared_once_and_used(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    declared = PREFIX.findall(text)
    names = [name for name, _ in declared]
    assert len(names) == len(set(names)), f"duplicate prefixes in {path.name}"
    iris = [iri for _, iri in declared]
    assert len(iris) == len(set(iris)), f"two prefixes for one namespace in {path.name}"
    body = PREFIX.sub("", text)
    body = re.sub(r"#[^\n\"]*$", "", body, flags=re.M)  # drop comments
    unused = [name for name in names if not re.search(rf"(?<![\w-]){re.escape(name)}:", body)]
    assert not unused, f"unused prefixes in {path.name}: {unused}"


@pytest.mark.parametrize("path", FILES, ids=lambda p: str(p.relative_to(PROJECT)))
def test_no_scheme_slips(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    slips = [scheme for scheme in WRONG_SCHEMES if scheme in text]
    assert not slips, f"{path.name} uses {slips}: check http/https"


@pytest.mark.parametrize("path", FILES, ids=lambda p: str(p.relative_to(PROJECT)))
def test_file_opens_with_a_comment(path: Path) -> None:
    assert path.read_text(encoding="utf-8").startswith("#"), "say what the file holds"
