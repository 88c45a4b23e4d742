"""XML entities in the RDF/XML ``wise-kg esco load`` and ``esco diff`` read (run as a real
process): internal ones are expanded, external ones (files, URLs, parameter entities) never
resolved, and the store is left as it was."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers import Listener, copy_project
from wise_kg.config import Settings
from wise_kg.store.build import build

RDFXML = """<?xml version="1.0"?>
<!DOCTYPE rdf:RDF [
{entities}
]>
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"
         xmlns:skos="http://www.w3.org/2004/02/skos/core#">
  <rdf:Description rdf:about="http://data.europa.eu/esco/skill/00000000-0000-0000-0000-0000000000aa">
    <rdf:type rdf:resource="http://data.europa.eu/esco/model#Skill"/>
    <skos:prefLabel xml:lang="en">label {reference} end</skos:prefLabel>
  </rdf:Description>
</rdf:RDF>
"""

SECRET = "wise-kg-xxe-secret-7f3a9c"


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "wise_kg.cli", *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.fixture(scope="module")
def esco_project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A built copy of the project, for ``esco load`` to write to."""
    root = copy_project(tmp_path_factory.mktemp("xxe"))
    build(Settings(project_dir=root, store_path=root / ".wise-kg" / "store"))
    return root


def _store_text(project: Path) -> str:

    from wise_kg.store.embedded import open_read_only

    store, _ = open_read_only(Settings(project_dir=project).resolved_store_path())
    return "\n".join(str(q) for q in store.quads_for_pattern(None, None, None))


def test_rdfxml_internal_entities_load(esco_project: Path, tmp_path: Path) -> None:
    """The control: RDF/XML with a DTD is accepted, and internal entities are expanded."""
    path = tmp_path / "esco-v1.2.0.rdf"
    path.write_text(RDFXML.format(entities='<!ENTITY e "inner-value">', reference="&e;"))
    done = _cli("esco", "load", str(path), "--project", str(esco_project), "--quiet")
    assert done.returncode == 0, done.stderr
    assert "label inner-value end" in _store_text(esco_project)


@pytest.mark.parametrize(
    ("entities", "reference"),
    [
        ('<!ENTITY xxe SYSTEM "file://{secret}">', "&xxe;"),
        ('<!ENTITY xxe PUBLIC "-//x//y" "file://{secret}">', "&xxe;"),
        ('<!ENTITY xxe SYSTEM "{url}/entity">', "&xxe;"),
        ('<!ENTITY % dtd SYSTEM "{url}/evil.dtd"> %dtd;', "&xxe;"),
        ('<!ENTITY % dtd SYSTEM "file://{secret}"> %dtd;', "x"),
    ],
    ids=["file-system", "file-public", "http-entity", "http-parameter-entity", "file-parameter"],
)
@pytest.mark.parametrize("command", ["load", "diff"])
def test_rdfxml_external_entities_are_not_resolved(
    esco_project: Path,
    tmp_path: Path,
    listener: Listener,
    entities: str,
    reference: str,
    command: str,
) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text(SECRET)
    path = tmp_path / "esco-v1.2.0.rdf"
    declared = entities.format(secret=secret, url=listener.url)
    path.write_text(RDFXML.format(entities=declared, reference=reference))
    before = _store_text(esco_project)
    if command == "load":
        done = _cli("esco", "load", str(path), "--project", str(esco_project), "--quiet")
    else:
        done = _cli("esco", "diff", str(path), str(path), "--project", str(esco_project))
    assert "Traceback" not in done.stderr
    assert SECRET not in done.stdout + done.stderr
    assert done.returncode == 2, done.stdout + done.stderr  # refused, cleanly
    assert "error:" in done.stderr and str(path) in done.stderr
    after = _store_text(esco_project)
    assert SECRET not in after and after == before
    listener.assert_untouched()
