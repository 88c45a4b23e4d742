"""The Turtle files stay tidy: each is its house serialization (``wise-kg tidy``), and the
slips a serializer cannot see (unused prefixes, http for https) are caught here."""

from __future__ import annotations

import difflib
import re
import shutil
from pathlib import Path

import pyoxigraph as ox
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.helpers import PROJECT, TEST_DATA, wise_kg
from wise_kg import turtle_style
from wise_kg.errors import SourceSyntaxError
from wise_kg.namespaces import RDF_TYPE
from wise_kg.sparql.admission import tokens
from wise_kg.turtle_style import canonical

FILES = sorted(
    p for folder in ("ontology", "data", "shapes") for p in (PROJECT / folder).rglob("*.ttl")
)
#: The sources, the release shapes and the test data.
EVERY_FILE = [
    *FILES,
    PROJECT / "src/wise_kg/release/release_shapes.ttl",
    *sorted(TEST_DATA.rglob("*.ttl")),
]
PREFIX = re.compile(r"^@prefix\s+([\w-]*):\s*<([^>]*)>\s*\.", re.M)
#: Namespaces whose scheme is easy to get wrong.
WRONG_SCHEMES = (
    "https://www.w3.org/",
    "http://w3id.org/",
    "https://purl.org/",
    "https://data.europa.eu/esco",
)
HEAD = "@prefix ex: <http://example.org/> .\n\n"


def _name(path: Path) -> str:
    return str(path.relative_to(PROJECT))


def _graph(text: str) -> set[ox.Quad]:
    dataset = ox.Dataset(ox.parse(text, format=ox.RdfFormat.TURTLE))
    dataset.canonicalize(ox.CanonicalizationAlgorithm.UNSTABLE)
    return set(dataset)


def _relaid(text: str) -> str:
    """``text`` with its layout undone: one space between tokens, blank lines kept."""
    parts: list[str] = []
    before = None
    for token in tokens(text, comments=True):
        if before is not None:
            gap = text[before.start + len(before.text) : token.start]
            if "\n\n" in re.sub(r"[ \t]+", "", gap):
                parts.append("\n\n")
            else:
                parts.append("\n" if before.kind == "comment" else " ")
        parts.append(token.text)
        before = token
    return "".join(parts) + "\n"


def _spelled_out(text: str) -> str:
    """``text`` with every prefixed name and ``a`` written as a full IRI."""
    prefixes = dict(PREFIX.findall(text))
    parts: list[str] = []
    position, declaring = 0, False
    for token in tokens(text, comments=True):
        spelled = token.text
        if token.kind == "pname" and not declaring:
            name, _, local = token.text.partition(":")
            spelled = f"<{prefixes[name]}{local}>"
        elif token.kind == "word" and token.text == "a":
            spelled = f"<{RDF_TYPE}>"
        declaring = token.text == "@prefix"
        parts.append(text[position : token.start] + spelled)
        position = token.start + len(token.text)
    return "".join(parts) + text[position:]


# --- each file is its house serialization ---------------------------------------------------


@pytest.mark.parametrize("path", EVERY_FILE, ids=_name)
def test_file_is_its_house_serialization(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    tidied = canonical(text)
    changes = list(difflib.unified_diff(text.splitlines(), tidied.splitlines(), lineterm="", n=0))
    shown = "\n".join(changes[2:22])
    assert tidied == text, f"run `wise-kg tidy {_name(path)}`; it changes:\n{shown}"


@pytest.mark.parametrize("path", FILES, ids=_name)
def test_house_serialization_does_not_depend_on_the_layout(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    assert canonical(_relaid(text)) == text
    assert canonical(_spelled_out(text)) == text


# --- the serializer -------------------------------------------------------------------------


def test_predicates_are_grouped_a_first_and_language_literals_one_a_line() -> None:
    text = HEAD + (
        "ex:s ex:p 'one'@en , \"uno\"@IT ; ex:q ex:o1 ; ex:q ex:o2 ;"
        f" <{RDF_TYPE}> ex:C ; ex:p 'x\"y' ."
    )
    assert canonical(text) == HEAD + (
        "ex:s\n"
        "    a       ex:C ;\n"
        '    ex:p    "one"@en ;\n'
        '    ex:p    "uno"@it ;\n'
        '    ex:p    "x\\"y" ;\n'
        "    ex:q    ex:o1 ,\n"
        "            ex:o2 .\n"
    )


def test_long_blank_nodes_and_collections_take_a_line_per_item() -> None:
    long = "ex:" + "a" * 40
    text = HEAD + f"ex:s ex:p [ ex:q {long} ; ex:r {long} ] ; ex:l ( {long} {long} {long} ) ."
    assert canonical(text) == HEAD + (
        "ex:s\n"
        "    ex:p    [\n"
        f"                ex:q    {long} ;\n"
        f"                ex:r    {long}\n"
        "            ] ;\n"
        f"    ex:l    ( {long}\n"
        f"              {long}\n"
        f"              {long} ) .\n"
    )


def test_multi_line_strings_keep_their_text() -> None:
    text = HEAD + "ex:s ex:p '''SELECT ?x {\n    ?x ex:p \"q\" .\n}\"''' ."
    tidied = canonical(text)
    assert tidied.endswith('ex:p    """SELECT ?x {\n    ?x ex:p "q" .\n}\\"""" .\n')
    assert _graph(tidied) == _graph(text)


def test_a_comment_inside_a_statement_is_refused_with_its_line() -> None:
    with pytest.raises(SourceSyntaxError, match="<text>:4:5: a comment inside a statement"):
        canonical(HEAD + "ex:s\n    # why\n    ex:p ex:o .\n")


def test_an_undeclared_prefix_is_refused() -> None:
    with pytest.raises(SourceSyntaxError, match="prefix 'nope' is not declared"):
        canonical(HEAD + "ex:s ex:p nope:o .\n")


def _quoted(value: str) -> str:
    escaped = value.replace("\\", "\\\\").replace('"', '\\"')
    return '"' + escaped.replace("\n", "\\n").replace("\r", "\\r") + '"'


_NAMES = st.sampled_from(["ex:a", "ex:b", "ex:c-d", "ex:1.2", "<http://other.example/x>"])
_LITERALS = st.one_of(
    st.text(max_size=12).map(_quoted),
    st.sampled_from(['"x"@en', '"y"@it', "42", "-1.5", "true", '"2023"^^ex:year', '"""a\nb"""']),
)


@st.composite
def _objects(draw: st.DrawFn, depth: int = 0) -> str:
    kinds = [_NAMES, _LITERALS]
    if depth < 2:
        inner = _objects(depth + 1)
        kinds.append(st.lists(inner, max_size=3).map(lambda items: f"( {' '.join(items)} )"))
        kinds.append(
            st.lists(st.tuples(_NAMES, inner), min_size=1, max_size=3).map(
                lambda pairs: "[ " + " ; ".join(f"{p} {o}" for p, o in pairs) + " ]"
            )
        )
    return draw(st.one_of(kinds))


_STATEMENTS = st.lists(
    st.tuples(_NAMES, st.lists(st.tuples(_NAMES | st.just("a"), _objects()), min_size=1)),
    min_size=1,
    max_size=4,
)


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_STATEMENTS)
def test_house_serialization_keeps_the_graph_and_is_a_fixed_point(
    statements: list[tuple[str, list[tuple[str, str]]]],
) -> None:
    text = HEAD + "\n".join(
        f"{subject} " + " ; ".join(f"{p} {o}" for p, o in pairs) + " ."
        for subject, pairs in statements
    )
    tidied = canonical(text)
    assert _graph(tidied) == _graph(text)
    assert canonical(tidied) == tidied


# --- the command ----------------------------------------------------------------------------


def test_tidy_names_untidy_files_then_tidies_them(tmp_path: Path) -> None:
    tidy = (PROJECT / "shapes/skos.ttl").read_text(encoding="utf-8")
    untidy = tmp_path / "skos.ttl"
    untidy.write_text(_relaid(tidy), encoding="utf-8")
    checked = wise_kg("tidy", "--check", str(untidy))
    assert checked.returncode == 1, checked.stderr
    assert f"not tidy: {untidy}" in checked.stdout
    assert untidy.read_text(encoding="utf-8") != tidy
    assert wise_kg("tidy", str(untidy)).returncode == 0
    assert untidy.read_text(encoding="utf-8") == tidy


def test_tidy_leaves_a_file_it_cannot_read_as_it_was(tmp_path: Path) -> None:
    broken = tmp_path / "broken.ttl"
    shutil.copy(PROJECT / "shapes/skos.ttl", broken)
    broken.write_text(broken.read_text(encoding="utf-8") + "wsh:s\n", encoding="utf-8")
    before = broken.read_bytes()
    done = wise_kg("tidy", str(broken))
    assert done.returncode == 2 and "ends inside a statement" in done.stderr
    assert broken.read_bytes() == before


def test_a_failed_write_leaves_the_file_and_nothing_beside_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    untidy = tmp_path / "skos.ttl"
    untidy.write_text(
        _relaid((PROJECT / "shapes/skos.ttl").read_text(encoding="utf-8")), encoding="utf-8"
    )
    before = untidy.read_bytes()

    def full_disk(self: Path, target: Path) -> Path:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(Path, "replace", full_disk)
    with pytest.raises(OSError, match="No space left"):
        turtle_style.tidy(untidy)
    assert untidy.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["skos.ttl"]


# --- slips the serializer leaves to the author ----------------------------------------------


@pytest.mark.parametrize("path", FILES, ids=_name)
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


@pytest.mark.parametrize("path", FILES, ids=_name)
def test_no_scheme_slips(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    slips = [scheme for scheme in WRONG_SCHEMES if scheme in text]
    assert not slips, f"{path.name} uses {slips}: check http/https"


@pytest.mark.parametrize("path", FILES, ids=_name)
def test_file_opens_with_a_comment(path: Path) -> None:
    assert path.read_text(encoding="utf-8").startswith("#"), "say what the file holds"
