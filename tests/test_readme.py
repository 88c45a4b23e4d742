"""The documentation holds together: a one-page README, links that resolve, current tables."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from wise_kg import doc_tables

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
DOCS = sorted((ROOT / "docs").glob("*.md"))
REGENERATE = "python -m wise_kg.doc_tables --write"

FENCE = re.compile(r"^(```|~~~).*?^\1[^\n]*$", re.S | re.M)
CODE_SPAN = re.compile(r"(`+).+?\1", re.S)
INLINE_LINK = re.compile(r"!?\[[^\]]*\]\(\s*<?([^)\s>]*)>?(?:\s+\"[^\"]*\")?\s*\)")
REFERENCE = re.compile(r"^\s{0,3}\[[^\]]+\]:\s*<?(\S+?)>?(?:\s|$)", re.M)
SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:")
HEADING = re.compile(r"^#{1,6}\s+(.+?)\s*#*\s*$", re.M)


def read(path: Path) -> str:
    """A Markdown file's text."""
    return path.read_text(encoding="utf-8")


def prose(text: str) -> str:
    """Markdown without its fenced code blocks and code spans (links there are not links)."""
    return CODE_SPAN.sub("", FENCE.sub("", text))


def anchors(text: str) -> set[str]:
    """The fragment identifiers GitHub gives the headings of a Markdown text."""
    seen: dict[str, int] = {}
    out = set()
    for heading in HEADING.findall(FENCE.sub("", text)):
        words = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", heading)  # a link's text only
        slug = re.sub(r"[^\w\- ]", "", words.lower()).replace(" ", "-")
        count = seen.get(slug, 0)
        seen[slug] = count + 1
        out.add(slug if count == 0 else f"{slug}-{count}")
    return out


def relative_links(path: Path) -> list[str]:
    """Every link target in a Markdown file that is neither a URL nor an e-mail address."""
    text = prose(path.read_text(encoding="utf-8"))
    targets = INLINE_LINK.findall(text) + REFERENCE.findall(text)
    return [t for t in targets if t and not SCHEME.match(t)]


@pytest.mark.parametrize("name", sorted(doc_tables.BLOCKS))
def test_generated_tables_are_current(name: str) -> None:
    file, make = doc_tables.BLOCKS[name]
    text = (ROOT / file).read_text(encoding="utf-8")
    assert doc_tables.current_block(text, name) is not None, (
        f"{file} has lost its markers {doc_tables.start_marker(name)} … {doc_tables.END}"
    )
    assert doc_tables.current_block(text, name) == doc_tables.block(make(ROOT), name), (
        f"The {name} table in {file} is out of date; regenerate it with `{REGENERATE}`."
    )


def test_readme_fits_on_a_page() -> None:
    lines = len(README.read_text(encoding="utf-8").splitlines())
    assert lines <= 150, f"README.md has {lines} lines; page one holds 150: move detail to docs/"


@pytest.mark.parametrize("path", [README, *DOCS], ids=lambda p: str(p.relative_to(ROOT)))
def test_relative_links_resolve(path: Path) -> None:
    broken = []
    for target in relative_links(path):
        file_part, _, fragment = target.partition("#")
        dest = (path.parent / file_part).resolve() if file_part else path
        if not dest.exists():
            broken.append(f"{target}: no such file")
        elif fragment and dest.suffix == ".md" and fragment not in anchors(read(dest)):
            broken.append(f"{target}: no heading #{fragment} in {dest.name}")
    assert not broken, f"{path.relative_to(ROOT)}: broken links: {broken}"


def test_the_link_checker_sees_links() -> None:
    text = "[a](docs/x.md) `[b](no.md)` [c](https://example.org) [d]: y.md\n```\n[e](z.md)\n```\n"
    sample = prose(text)
    assert INLINE_LINK.findall(sample) == ["docs/x.md", "https://example.org"]
    assert REFERENCE.findall(sample) == []  # not at the start of a line
    assert anchors("## What is refused, and how\n## Federated query (`SERVICE`): off\n") == {
        "what-is-refused-and-how",
        "federated-query-service-off",
    }


def test_readme_names_every_route() -> None:
    from wise_kg.api.app import create_app  # only here: the app is not needed by the rest
    from wise_kg.config import Settings

    app = create_app(Settings(project_dir=ROOT))
    readme = read(README)
    missing = [
        path
        for path in app.openapi()["paths"]
        if not re.search("`" + re.sub(r"\\\{[^}]*\\\}", r"\{[^}]*\}", re.escape(path)), readme)
    ]
    assert not missing, f"README.md's routes table does not name {missing}"
