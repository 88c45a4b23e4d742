"""The w3id.org redirect rules: interpreted as mod_rewrite would, then followed to a live server.

:class:`Htaccess` interprets the subset of mod_rewrite the rules use (per-directory
``RewriteRule`` with ``R=…``, ``L``, ``NE``, ``NC``; ``RewriteCond %{HTTP_ACCEPT}`` with
``!``, ``NC`` and ``OR`` chained as Apache chains them) and refuses anything else, so a
rule outside that subset fails the tests instead of being misread.
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from rdflib import Graph

from tests.helpers import LiveServer
from wise_kg import cli, errors
from wise_kg.api.selfcheck import check_dereferencing
from wise_kg.config import Settings
from wise_kg.namespaces import PUBLISHED_BASE
from wise_kg.publish.jsonld import CONTEXT_VERSION
from wise_kg.release import assemble as releases
from wise_kg.release import w3id

TARGET = "https://kg.example.org/wise"
TURTLE = "text/turtle"
JSONLD = "application/ld+json"
NTRIPLES = "application/n-triples"
RDFXML = "application/rdf+xml"
NQUADS = "application/n-quads"
TRIG = "application/trig"
FIREFOX = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
CHROME = (
    "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,"
    "image/apng,*/*;q=0.8,application/signed-exchange;v=b3;q=0.7"
)
EXPANDED = 'application/ld+json;profile="http://www.w3.org/ns/json-ld#expanded"'
#: Turtle preferred, though RDF/XML is listed first: only the server can weigh that.
WEIGHED = "application/rdf+xml;q=0.5, text/turtle"
#: Accept → (extension the rules choose, or "" for the server's negotiation; media type served).
NEGOTIATION = {
    TURTLE: (".ttl", TURTLE),
    JSONLD: (".jsonld", JSONLD),
    NTRIPLES: (".nt", NTRIPLES),
    RDFXML: (".rdf", RDFXML),
    NQUADS: (".nq", NQUADS),
    TRIG: (".trig", TRIG),
    FIREFOX: (".html", "text/html"),
    CHROME: (".html", "text/html"),
    EXPANDED: (".jsonld", JSONLD),
    "text/turtle; charset=utf-8": (".ttl", TURTLE),
    WEIGHED: ("", TURTLE),
    "text/html;q=0.9, application/ld+json": ("", JSONLD),
    "*/*": ("", TURTLE),
    None: ("", TURTLE),
}


# --- the interpreter ------------------------------------------------------------------------


@dataclass(frozen=True)
class Cond:
    """``RewriteCond %{HTTP_ACCEPT} [!]regex [NC,OR]``."""

    regex: re.Pattern[str]
    negated: bool
    chained: bool  # [OR]: this condition or the next

    def holds(self, accept: str) -> bool:
        return (self.regex.search(accept) is not None) != self.negated


@dataclass(frozen=True)
class Redirect:
    """What Apache answers: a status and a Location, with the headers set."""

    status: int
    location: str
    headers: dict[str, str]


@dataclass(frozen=True)
class Rewrite:
    """``RewriteRule regex target [R=status,L,NE,NC]`` and its conditions."""

    regex: re.Pattern[str]
    target: str
    status: int
    conds: tuple[Cond, ...]

    def applies(self, accept: str) -> bool:
        """Apache's loop: a false condition fails the rule unless it is chained by [OR] to a
        next one; a true one skips the rest of its [OR] chain."""
        i = 0
        while i < len(self.conds):
            cond = self.conds[i]
            if cond.holds(accept):
                while self.conds[i].chained:
                    i += 1
            elif not cond.chained:
                return False
            i += 1
        return True


def _flags(words: list[str], known: set[str]) -> list[str]:
    """The flags of a directive (its optional last argument), all of them ``known``."""
    if len(words) == 3:
        return []
    token = words[3]
    assert len(words) == 4 and token.startswith("[") and token.endswith("]"), words
    flags = token[1:-1].split(",")
    unknown = {f.split("=")[0] for f in flags} - known
    assert not unknown, f"flags outside the interpreted subset: {unknown}"
    return flags


class Htaccess:
    """The rules of one w3id.org folder, as mod_rewrite applies them in that folder."""

    def __init__(self, text: str):
        self.rules: list[Rewrite] = []
        self.headers: dict[str, str] = {}
        engine, pending = False, []
        for line in text.splitlines():
            words = line.split()
            if not words or words[0].startswith("#"):
                continue
            directive = words[0]
            if directive == "RewriteEngine":
                engine = words[1:] == ["on"]
            elif directive == "Header":
                always, action, name, value = shlex.split(line)[1:]
                assert (always, action) == ("always", "set"), line
                self.headers[name] = value
            elif directive == "RewriteCond":
                pending.append(self._cond(words))
            elif directive == "RewriteRule":
                assert engine, "a rule before RewriteEngine on"
                self.rules.append(self._rule(words, tuple(pending)))
                pending = []
            else:
                raise AssertionError(f"directive outside the interpreted subset: {line}")
        assert not pending, "conditions without a rule"

    @staticmethod
    def _cond(words: list[str]) -> Cond:
        assert words[1] == "%{HTTP_ACCEPT}", words
        flags = _flags(words, {"NC", "OR"})
        negated, pattern = words[2].startswith("!"), words[2].removeprefix("!")
        ignore = re.IGNORECASE if "NC" in flags else 0
        return Cond(re.compile(pattern, ignore), negated, "OR" in flags)

    @staticmethod
    def _rule(words: list[str], conds: tuple[Cond, ...]) -> Rewrite:
        flags = _flags(words, {"R", "L", "NE", "NC"})
        assert "L" in flags and "NE" in flags, "every redirect ends processing, unescaped"
        status = int(next(f for f in flags if f.startswith("R="))[2:])
        assert "%" not in words[2] and "?" not in words[2], "no %N, %{…} or query in targets"
        ignore = re.IGNORECASE if "NC" in flags else 0
        return Rewrite(re.compile(words[1], ignore), words[2], status, conds)

    def resolve(self, path: str, accept: str | None = None, query: str = "") -> Redirect | None:
        """The redirect for ``path`` (relative to the folder, decoded, no leading slash)."""
        header = accept or ""  # %{HTTP_ACCEPT} of a request without the header: empty
        for rule in self.rules:
            match = rule.regex.search(path)
            if match and rule.applies(header):
                location = _substitute(rule.target, match)
                if query:  # passed on unchanged: the target has no query of its own
                    location += "?" + query
                return Redirect(rule.status, location, self.headers)
        return None


def _substitute(target: str, match: re.Match[str]) -> str:
    """``target`` with ``$N`` replaced by the rule's groups (an unmatched one: empty)."""
    return re.sub(r"\$(\d)", lambda ref: match.group(int(ref[1])) or "", target)


@pytest.fixture(scope="module")
def rules() -> Htaccess:
    return Htaccess(w3id.htaccess(TARGET, PUBLISHED_BASE))


def test_the_interpreter_chains_or_as_apache_does() -> None:
    text = "\n".join(
        [
            "RewriteEngine on",
            "RewriteCond %{HTTP_ACCEPT} ^a [OR]",
            "RewriteCond %{HTTP_ACCEPT} ^b",
            "RewriteCond %{HTTP_ACCEPT} !c [NC]",
            "RewriteRule ^x$ https://t/ab [R=303,L,NE]",
            "RewriteRule ^(x)$ https://t/$1 [R=302,L,NE]",
        ]
    )
    rules = Htaccess(text)
    assert rules.resolve("x", "a").location == "https://t/ab"
    assert rules.resolve("x", "b").location == "https://t/ab"
    assert rules.resolve("x", "bC").location == "https://t/x"  # (a or b) and not c
    assert rules.resolve("x", "d").status == 302
    assert rules.resolve("y", "a") is None
    with pytest.raises(AssertionError, match="outside"):
        Htaccess("RewriteEngine on\nRewriteRule ^ https://t/ [R=302,L,NE,QSA]")


# --- the rules, path by path ----------------------------------------------------------------


@pytest.mark.parametrize("accept", list(NEGOTIATION), ids=str)
@pytest.mark.parametrize("path", ["id/need/placement", "ontology", "id/source/bwise-d3-1/1.5"])
def test_resources_and_the_ontology_go_to_the_representation_accept_asks_first(
    rules: Htaccess, path: str, accept: str | None
) -> None:
    extension, _served = NEGOTIATION[accept]
    found = rules.resolve(path, accept)
    assert found is not None and found.status == 303
    assert found.location == f"{TARGET}/{path}{extension}"


@pytest.mark.parametrize("accept", [TURTLE, FIREFOX, None])
@pytest.mark.parametrize(
    ("path", "status", "location"),
    [
        ("id/need/placement.ttl", 302, "/id/need/placement.ttl"),
        ("ontology.html", 302, "/ontology.html"),
        ("ontology.jsonld", 302, "/ontology.jsonld"),
        ("context.jsonld", 302, "/context.jsonld"),
        (f"context/{CONTEXT_VERSION}.jsonld", 302, f"/context/{CONTEXT_VERSION}.jsonld"),
        ("dataset", 303, "/.well-known/void"),
        ("graph/data", 303, "/graph/data"),
        ("graph/ontology", 303, "/graph/ontology"),
        ("shapes", 303, "/shapes"),
        ("sparql", 307, "/sparql"),
        ("", 302, "/"),
        ("release/1.0.0", 302, "/"),
        ("ontology/1.0.0", 302, "/"),
        ("id/", 302, "/"),
        ("id/need/a b", 302, "/"),  # decoded %20: never copied into a Location unescaped
    ],
)
def test_every_other_path_goes_to_its_page_whatever_the_accept(
    rules: Htaccess, path: str, status: int, location: str, accept: str | None
) -> None:
    assert rules.resolve(path, accept) == Redirect(
        status, TARGET + location, {"Access-Control-Allow-Origin": "*", "Vary": "Accept"}
    )


def test_queries_pass_through_and_the_endpoint_keeps_its_method(rules: Htaccess) -> None:
    sparql = rules.resolve("sparql", "application/sparql-results+json", "query=ASK%7B%7D")
    assert sparql == Redirect(307, f"{TARGET}/sparql?query=ASK%7B%7D", rules.headers)
    page = rules.resolve("id/need/placement", FIREFOX, "lang=fi")
    assert page.location == f"{TARGET}/id/need/placement.html?lang=fi"


def test_every_resource_of_the_data_is_negotiated(rules: Htaccess, graph: Graph) -> None:
    prefix = PUBLISHED_BASE + "id/"
    paths = {str(s)[len(PUBLISHED_BASE) :] for s in graph.subjects() if str(s).startswith(prefix)}
    assert len(paths) > 200
    for path in sorted(paths):
        assert rules.resolve(path, TURTLE).location == f"{TARGET}/{path}.ttl"


def test_the_file_is_the_rules_with_a_header() -> None:
    text = w3id.htaccess(TARGET + "/", PUBLISHED_BASE)
    assert text.startswith(f"# {PUBLISHED_BASE} -> {TARGET}\n")
    assert text.count("RewriteRule ") == len(w3id.rules(TARGET))
    assert w3id.location(PUBLISHED_BASE) == Path("w3id/wise-kg/.htaccess")


@pytest.mark.parametrize(
    "url",
    ["ftp://kg.example.org", "https://kg.example.org/a%20b", "https://kg.example.org/$1", "x"],
)
def test_a_target_the_rules_cannot_hold_is_refused(url: str) -> None:
    with pytest.raises(errors.BadTarget):
        w3id.rules(url)


def test_notes_name_an_unreachable_or_plain_http_target() -> None:
    assert w3id.notes("https://kg.example.org/wise/") == []
    assert len(w3id.notes("http://127.0.0.1:8000")) == 2
    assert len(w3id.notes("https://localhost:8443")) == 1
    assert len(w3id.notes("http://kg.example.org")) == 1


# --- followed to a live server --------------------------------------------------------------


def _get(client: httpx.Client, url: str, accept: str | None) -> httpx.Response:
    """GET ``url`` with exactly that Accept header (none at all for None)."""
    request = client.build_request("GET", url)
    del request.headers["accept"]
    if accept is not None:
        request.headers["accept"] = accept
    return client.send(request)


def _media_type(response: httpx.Response) -> str:
    return response.headers["content-type"].split(";")[0]


#: One resource of every kind the data publishes today.
KINDS = [
    "id/need/placement",
    "id/need-area/people-area",
    "id/role/supporter",
    "id/persona/founder",
    "id/profile/network-operator",
    "id/scheme/needs",
    "id/source/bwise-d3-1/section/1.5.4",
    "ontology",
]


@pytest.mark.parametrize("accept", list(NEGOTIATION), ids=str)
def test_followed_rules_end_where_the_server_answers_as_it_would_directly(
    server: LiveServer, client: httpx.Client, accept: str | None
) -> None:
    rules = Htaccess(w3id.htaccess(server.url, PUBLISHED_BASE))
    _extension, media_type = NEGOTIATION[accept]
    for path in KINDS:
        found = rules.resolve(path, accept)
        answer = _get(client, found.location, accept)
        direct = _get(client, f"{server.url}/{path}", accept)
        assert answer.status_code == direct.status_code == 200, (path, found.location)
        assert _media_type(answer) == _media_type(direct) == media_type, (path, found.location)


@pytest.mark.parametrize(
    ("path", "accept", "media_type"),
    [
        ("context.jsonld", JSONLD, JSONLD),
        (f"context/{CONTEXT_VERSION}.jsonld", None, JSONLD),
        ("dataset", TURTLE, TURTLE),
        ("dataset", JSONLD, JSONLD),
        ("dataset", FIREFOX, TURTLE),
        ("", FIREFOX, "text/html"),
        ("id/need/placement.nq", None, NQUADS),
        ("ontology.html", TURTLE, "text/html"),
    ],
)
def test_followed_documents_are_served(
    server: LiveServer, client: httpx.Client, path: str, accept: str | None, media_type: str
) -> None:
    found = Htaccess(w3id.htaccess(server.url, PUBLISHED_BASE)).resolve(path, accept)
    answer = _get(client, found.location, accept)
    assert answer.status_code == 200 and _media_type(answer) == media_type, found.location


@pytest.mark.parametrize("path", ["graph/data", "shapes"])
def test_graphs_and_shapes_reach_the_same_url_on_the_server(server: LiveServer, path: str) -> None:
    """Whether or not the server dereferences them yet, the rules hand them over unchanged."""
    found = Htaccess(w3id.htaccess(server.url, PUBLISHED_BASE)).resolve(path, TURTLE)
    assert found.location == f"{server.url}/{path}"


# --- written by the release -----------------------------------------------------------------


def test_release_option_sets_the_target() -> None:
    args = cli.parser().parse_args(["release", "1.0.0", "--public-url", TARGET + "/"])
    assert cli._settings(args).public_base() == TARGET
    with pytest.raises(SystemExit):
        cli.parser().parse_args(["release", "1.0.0", "--public-url", "https://x.org/a b"])


def test_a_target_the_rules_cannot_hold_stops_the_release_before_its_checks(
    settings: Settings, tmp_path: Path
) -> None:
    bad = settings.model_copy(update={"public_url": "https://kg.example.org/%7Ewise"})
    with pytest.raises(errors.BadTarget):
        releases.release(bad, "1.0.0", tmp_path / "dist", dereference=check_dereferencing)
    assert not (tmp_path / "dist").exists()


def test_release_writes_the_rules_for_the_w3id_repository(
    settings: Settings, tmp_path: Path
) -> None:
    dist = tmp_path / "dist"
    done = releases.release(settings, "1.0.0", dist, dereference=check_dereferencing)
    rules = dist / "w3id" / "wise-kg" / ".htaccess"
    assert rules.read_text(encoding="utf-8") == w3id.htaccess(
        settings.public_base(), settings.base_iri
    )
    assert sorted(p.name for p in dist.iterdir()) == ["1.0.0", "w3id"]
    assert [w.rule for w in done.warnings if w.rule == "w3id"] == ["w3id", "w3id"]
    assert all(w.files == ("w3id/wise-kg/.htaccess",) for w in done.warnings if w.rule == "w3id")
