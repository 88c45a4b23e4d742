"""Admission: what a query text is and may do, read once by one lexer that fails closed.

The engine (pyoxigraph, or a remote engine) parses the text again and performs
``SERVICE`` calls itself, so our reading must never see less than the engine's.
The rules that make that so:

* The keyword ``SERVICE`` can only be read by an engine where the letters
  ``service`` stand in the text (any case), either as written or after the
  ``\\u``/``\\U`` escapes that SPARQL engines may expand before parsing. A text
  without them, in both readings, is certain to hold no SERVICE.
* Where they stand, each occurrence must lie inside a token no engine can read
  as a keyword: a string, an IRI in a place where ``<`` cannot be an operator, a
  comment, a variable, or the local part of a prefixed name. Anything else, and
  any text the lexer cannot read with certainty, is refused.

The lexer also gives the query form, so the answer format can be chosen, and the
FROM / FROM NAMED graphs. It never guesses: no regex fallback, no second parser.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from dataclasses import dataclass
from urllib.parse import urljoin

import pyoxigraph as ox

from wise_kg.errors import NotAcceptable, QueryRefused, QuerySyntaxError
from wise_kg.formats import GRAPH_FORMATS, RESULT_FORMATS, Format, by_name, negotiate
from wise_kg.graphs import default_graphs
from wise_kg.sparql.evaluate import Dataset

FORMS = frozenset({"SELECT", "ASK", "CONSTRUCT", "DESCRIBE"})
UPDATES = frozenset(
    {"INSERT", "DELETE", "LOAD", "CLEAR", "CREATE", "DROP", "COPY", "MOVE", "ADD", "WITH"}
)

_FIRST_WORDS = FORMS | UPDATES
#: Deepest nesting of brackets admitted (the engine's parser recurses, and its stack ends).
MAX_NESTING = 256

READ_ONLY = (
    "This endpoint is read-only: SPARQL Update (INSERT, DELETE, LOAD, CLEAR, CREATE, DROP …) "
    "is not accepted. The graph changes only by editing its Turtle sources and rebuilding."
)
NO_SERVICE = (
    "SERVICE (federated query) is disabled on this endpoint: it would make the server "
    "fetch from other hosts."
)

# --- the terminals of the SPARQL 1.1 grammar (§19.8), plus SPARQL 1.2's << >> {| |} ------
_PN_CHARS_BASE = (
    "A-Za-z\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u02ff\u0370-\u037d\u037f-\u1fff\u200c-\u200d"
    "\u2070-\u218f\u2c00-\u2fef\u3001-\ud7ff\uf900-\ufdcf\ufdf0-\ufffd\U00010000-\U000effff"
)
_PN_CHARS_U = _PN_CHARS_BASE + "_"
_PN_CHARS = _PN_CHARS_U + r"\-0-9\u00b7\u0300-\u036f\u203f-\u2040"
_PN_PREFIX = f"[{_PN_CHARS_BASE}](?:[{_PN_CHARS}.]*[{_PN_CHARS}])?"
_PLX = r"%[0-9A-Fa-f]{2}|\\[_~.\-!$&'()*+,;=/?#@%]"
_PN_LOCAL = (
    f"(?:[{_PN_CHARS_U}:0-9]|{_PLX})(?:(?:[{_PN_CHARS}.:]|{_PLX})*(?:[{_PN_CHARS}:]|{_PLX}))?"
)
_TOKENS = re.compile(
    "|".join(
        (
            r"(?P<space>\s+)",
            r"(?P<comment>#[^\r\n]*)",
            r'(?P<string>"""(?:[^"\\]|\\.|"(?!""))*"""'
            r"|'''(?:[^'\\]|\\.|'(?!''))*'''"
            r'|"(?:[^"\\\r\n]|\\.)*"'
            r"|'(?:[^'\\\r\n]|\\.)*')",
            r'(?P<iri><[^<>"{}|^`\\\x00-\x20]*>)',
            rf"(?P<var>[?$][{_PN_CHARS_U}0-9][{_PN_CHARS_U}0-9\u00b7\u0300-\u036f\u203f-\u2040]*)",
            rf"(?P<bnode>_:[{_PN_CHARS_U}0-9](?:[{_PN_CHARS}.]*[{_PN_CHARS}])?)",
            rf"(?P<pname>(?:{_PN_PREFIX})?:(?:{_PN_LOCAL})?)",
            r"(?P<langtag>@[a-zA-Z]+(?:-[a-zA-Z0-9]+)*(?:--[a-zA-Z]+)?)",
            r"(?P<number>(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)",
            r"(?P<word>[A-Za-z_][A-Za-z0-9_]*)",
            r"(?P<punct>\^\^|<<\(|\)>>|<<|>>|\{\||\|\}|&&|\|\||!=|<=|>=|[{}()\[\];,.*=<>!+\-/|^?~])",
        )
    )
)
#: Tokens after which, inside parentheses, ``<`` may be the less-than operator.
_OPERANDS = frozenset({"var", "string", "iri", "pname", "number", "bnode", "langtag"})
_OPENING = {"(": "(", "[": "[", "{": "{", "<<(": "(", "<<": "<", "{|": "{"}
_CLOSING = frozenset({")", "]", "}", ")>>", ">>", "|}"})
_SERVICE = re.compile("service", re.IGNORECASE | re.ASCII)
_FROM = re.compile("from", re.IGNORECASE | re.ASCII)
_GRAPH = re.compile("graph", re.IGNORECASE | re.ASCII)
_ESCAPE = re.compile(r"\\u([0-9A-Fa-f]{4})|\\U([0-9A-Fa-f]{8})")


@dataclass(frozen=True)
class Token:
    """One token: its kind (a group name of the lexer), text and offset."""

    kind: str
    text: str
    start: int
    #: An IRI that could also be read as ``<`` … ``>`` operators with a string or comment.
    ambiguous: bool = False


@dataclass(frozen=True)
class QueryInfo:
    """What admission says of a query: its form and the graphs of its FROM clauses."""

    form: str
    from_graphs: tuple[str, ...] = ()
    from_named: tuple[str, ...] = ()
    #: The word GRAPH is in the text (anywhere: a GRAPH pattern is certain not to be
    #: there only when it is False), so the query may read named graphs.
    reads_named: bool = True

    @property
    def returns_graph(self) -> bool:
        """CONSTRUCT and DESCRIBE answer with RDF; SELECT and ASK with result sets."""
        return self.form in ("CONSTRUCT", "DESCRIBE")

    def formats(self) -> tuple[Format, ...]:
        """The formats this query form can be answered in."""
        return GRAPH_FORMATS if self.returns_graph else RESULT_FORMATS


def tokens(text: str, *, comments: bool = False, until_form: bool = False) -> list[Token]:
    """The tokens of a SPARQL text, spaces (and, unless asked for, comments) left out.

    ``until_form``: stop after the first query or update keyword (the prologue is all
    that is needed to know the form).

    >>> [t.text for t in tokens("ASK{?s a <x>}")]
    ['ASK', '{', '?s', 'a', '<x>', '}']
    """
    found: list[Token] = []
    brackets: list[str] = []
    negations = 0  # '!' in a row: each is a level of the engine's recursion too
    previous: Token | None = None
    position, end = 0, len(text)
    while position < end:
        match = _TOKENS.match(text, position)
        if match is None:
            line, column = where(text, position)
            raise QuerySyntaxError(
                f"SPARQL syntax error at line {line}, column {column}: "
                f"unexpected {text[position]!r}"
            )
        kind, value = match.lastgroup or "", match.group()
        position = match.end()
        if kind == "space" or (kind == "comment" and not comments):
            continue
        ambiguous = (
            kind == "iri"
            and brackets[-1:] == ["("]
            and previous is not None
            and (previous.kind in _OPERANDS or previous.text in (")", "]"))
            and any(c in value for c in "'#")
        )
        if kind == "punct" and value in _OPENING:
            brackets.append(_OPENING[value])
        elif kind == "punct" and value in _CLOSING and brackets:
            brackets.pop()
        negations = negations + 1 if value == "!" else 0
        if len(brackets) > MAX_NESTING or negations > MAX_NESTING:
            raise QuerySyntaxError(
                f"The query nests more than {MAX_NESTING} deep (braces, parentheses, "
                "subqueries or '!' in a row); flatten it."
            )
        token = Token(kind, value, match.start(), ambiguous)
        found.append(token)
        if kind != "comment":
            previous = token
        if until_form and kind == "word" and value.upper() in _FIRST_WORDS:
            break
    return found


def where(text: str, offset: int) -> tuple[int, int]:
    """The line and column (from 1) of ``offset`` in ``text``."""
    line = text.count("\n", 0, offset) + 1
    return line, offset - (text.rfind("\n", 0, offset) + 1) + 1


def unescape(text: str) -> str:
    r"""The text with its ``\u``/``\U`` codepoint escapes expanded (SPARQL 1.1 §19.2).

    >>> unescape(r"\u0053ERVICE")
    'SERVICE'
    """

    def expand(match: re.Match[str]) -> str:
        code = int(match.group(1) or match.group(2), 16)
        return chr(code) if code <= 0x10FFFF and not 0xD800 <= code <= 0xDFFF else match.group()

    return _ESCAPE.sub(expand, text)


def _refuse_service(text: str) -> None:
    """Refuse ``text`` unless every ``service`` in it is certainly no keyword."""
    places = [m.start() for m in _SERVICE.finditer(text)]
    if not places:
        return
    try:
        found = tokens(text, comments=True)
    except QuerySyntaxError:
        raise QueryRefused(
            NO_SERVICE + " This text names 'service' where it cannot be read with certainty."
        ) from None
    if any(t.ambiguous for t in found):
        raise QueryRefused(
            NO_SERVICE + " This text names 'service' beside an IRI that could also be read as "
            "'<' and '>' operators; put spaces around comparison operators."
        )
    starts = [t.start for t in found]
    for place in places:
        at = bisect_right(starts, place) - 1  # the token the letters begin in, if any
        token = found[at] if at >= 0 else None
        inside = token is not None and place + 7 <= token.start + len(token.text)
        if token is None or not inside or not _opaque(token, place, text):
            raise QueryRefused(
                NO_SERVICE
                + " (A prefixed name beginning with 'service' reads as SERVICE to engines: "
                "write that IRI in full, <…>.)"
                if token is not None and token.kind == "pname"
                else NO_SERVICE
            )


def _opaque(token: Token, place: int, text: str) -> bool:
    """Whether the letters at ``place`` in ``token`` can never be read as a keyword."""
    if token.kind in ("string", "comment", "bnode", "langtag"):
        return True
    if token.kind == "var":  # unless its '?' could be a path's modifier (``:p?service``)
        before = text[token.start - 1] if token.start else " "
        return before.isspace() or before in "({,;.=!&|+-*/"
    if token.kind == "iri":
        return not token.ambiguous
    if token.kind == "pname":  # only inside the local part, after the colon
        return place > token.start + token.text.index(":")
    return False


def inspect(query: str) -> QueryInfo:
    """Read a query and refuse what the read-only endpoint will not run.

    >>> inspect("PREFIX : <http://e/> ASK { ?s :service ?o }").form
    'ASK'
    >>> inspect("SELECT * { SERVICE <http://e/> { ?s ?p ?o } }")
    Traceback (most recent call last):
    ...
    wise_kg.errors.QueryRefused: SERVICE (federated query) is disabled on this endpoint: ...
    """
    expanded = unescape(query)
    for text in {query, expanded}:
        _refuse_service(text)
    # The whole text is read when it names FROM, or has brackets enough to nest too deep.
    deep = sum(map(expanded.count, "{(!")) > MAX_NESTING
    whole = deep or _FROM.search(expanded)
    found = tokens(expanded, until_form=not whole)
    form, prefixes, base = _prologue(found)
    graphs: dict[str, list[str]] = {"default": [], "named": []}
    for i, token in enumerate(found):
        if token.kind != "word" or token.text.upper() != "FROM":
            continue
        named = i + 1 < len(found) and found[i + 1].text.upper() == "NAMED"
        target = found[i + 1 + named] if i + 1 + named < len(found) else None
        graphs["named" if named else "default"].append(_iri(target, prefixes, base))
    reads_named = _GRAPH.search(expanded) is not None
    return QueryInfo(form, tuple(graphs["default"]), tuple(graphs["named"]), reads_named)


def _prologue(found: list[Token]) -> tuple[str, dict[str, str], str]:
    """The query form after BASE / PREFIX / VERSION declarations, and the prefixes declared."""
    prefixes: dict[str, str] = {}
    base, i = "", 0
    while i < len(found):
        word = found[i].text.upper() if found[i].kind == "word" else ""
        if word == "BASE" and i + 1 < len(found) and found[i + 1].kind == "iri":
            base = urljoin(base, found[i + 1].text[1:-1])
            i += 2
        elif word == "PREFIX" and i + 2 < len(found) and found[i + 1].kind == "pname":
            prefixes[found[i + 1].text[:-1]] = urljoin(base, found[i + 2].text[1:-1])
            i += 3
        elif word == "VERSION" and i + 1 < len(found):
            i += 2
        elif word in FORMS:
            return word, prefixes, base
        elif word in UPDATES:
            raise QueryRefused(READ_ONLY)
        else:
            break
    raise QuerySyntaxError(
        "SPARQL syntax error: a query is SELECT, ASK, CONSTRUCT or DESCRIBE "
        "(after its BASE and PREFIX declarations)."
    )


def _iri(token: Token | None, prefixes: dict[str, str], base: str) -> str:
    """The absolute IRI a FROM clause names."""
    if token is not None and token.kind == "iri":
        return urljoin(base, token.text[1:-1])
    if token is not None and token.kind == "pname":
        prefix, _, local = token.text.partition(":")
        if prefix in prefixes:
            return prefixes[prefix] + re.sub(r"\\(.)", r"\1", local)
    raise QuerySyntaxError("SPARQL syntax error: FROM names a graph by an IRI it cannot resolve.")


def dataset_for(
    info: QueryInfo,
    stored: frozenset[str],
    default_graph_uris: list[str],
    named_graph_uris: list[str],
    *,
    union_default_graph: bool,
) -> Dataset:
    """The RDF dataset a request queries, from the protocol parameters or the query.

    Protocol parameters win over FROM / FROM NAMED (SPARQL 1.1 Protocol §2.1.4);
    they name stored graphs only, and an unknown one is simply empty. With neither,
    the default graph is the union of the published graphs (not the shapes, which
    ``GRAPH`` still reaches by name), or the store's own when ``union_default_graph``
    is off. FROM of a
    graph the store does not hold is refused: it could only be answered by
    fetching it, which this endpoint never does.
    """
    if default_graph_uris or named_graph_uris:
        for iri in (*default_graph_uris, *named_graph_uris):
            try:
                ox.NamedNode(iri)
                absolute = ":" in iri
            except ValueError:
                absolute = False
            if not absolute:
                raise QuerySyntaxError(
                    f"default-graph-uri / named-graph-uri must be absolute IRIs: {iri!r}"
                )
        return Dataset(tuple(default_graph_uris), tuple(named_graph_uris), explicit=True)
    missing = sorted(set(info.from_graphs + info.from_named) - stored)
    if missing:
        raise QueryRefused(
            "FROM / FROM NAMED name graphs this endpoint does not store and never fetches: "
            + ", ".join(missing)
            + ". Query the stored graphs (listed in the service description at GET /sparql)."
        )
    if info.from_graphs or info.from_named:
        return Dataset(tuple(info.from_graphs), tuple(info.from_named), explicit=True)
    if union_default_graph:  # "the graph": the published graphs; every graph by name
        published = default_graphs(stored)
        return Dataset(published, tuple(sorted(stored)), explicit=True, merge=not info.reads_named)
    return Dataset(explicit=False)


def choose_format(info: QueryInfo, accept: str | None, format_values: list[str]) -> Format:
    """The format to answer in: the first ``format`` value we know, else the Accept header.

    Clients repeat the format under several spellings (SPARQLWrapper sends
    ``format=tsv&format=text/tab-separated-values``); unknown ones are skipped. A
    format that is known but does not fit the query form (Turtle for a SELECT) is a
    406 listing the formats that fit.
    """
    misfit = False
    for value in format_values:
        try:
            return by_name(value, info.formats())
        except NotAcceptable:
            other = GRAPH_FORMATS if info.formats() is RESULT_FORMATS else RESULT_FORMATS
            try:
                by_name(value, other)
                misfit = True
            except NotAcceptable:
                continue
    if misfit:
        raise NotAcceptable([f.media_type for f in info.formats()], form=info.form)
    return negotiate(accept, info.formats())
