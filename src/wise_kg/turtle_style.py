"""The house serialization of a Turtle source: the one text each source file must be.

A source file is a sequence of comment blocks, prefix declarations and statements, and
their order is the author's: it is how a file is grouped for the people who read it.
Everything else has one spelling, which :func:`canonical` writes:

- a prefix block with the IRIs in one column;
- one statement per subject, its predicates four spaces in, ``a`` first, then in the
  order they first appear, each predicate once; the objects in one column, a multiple of
  four characters wide, set by the statement's (or blank node's) longest predicate;
- language-tagged literals each on their own line under their predicate, the other
  objects of a predicate in one comma list with one object per line;
- every IRI as a prefixed name where a declared prefix allows one, strings in double
  quotes (three of them when the value spans lines), numbers and booleans bare;
- a blank node on one line when it fits in :data:`INLINE` characters, else one
  predicate per line, four spaces further in; a collection likewise on one line, or
  one item per line;
- one blank line between blocks; a comment block stays attached to the statement under
  it when it was.

Comments go between statements, never inside one. The author keeps the comments, the
order of blocks and subjects, and the order of objects; nothing else is a choice.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from wise_kg.errors import SourceSyntaxError
from wise_kg.namespaces import RDF_TYPE
from wise_kg.sparql.admission import Token, tokens, unescape, where

#: The longest blank node written on one line, brackets included.
INLINE = 100
_STRING_ESCAPES = {"t": "\t", "b": "\b", "n": "\n", "r": "\r", "f": "\f"}
_ESCAPE = re.compile(r"\\(?:u([0-9A-Fa-f]{4})|U([0-9A-Fa-f]{8})|(.))", re.S)
_LOCAL_ESCAPE = re.compile(r"\\(.)")


@dataclass
class _Blank:
    """A blank node written in brackets: its predicates and objects."""

    pairs: list[tuple[str, list[_Node]]] = field(default_factory=list)


@dataclass
class _Collection:
    """A collection written in parentheses."""

    items: list[_Node]


@dataclass(frozen=True)
class _Literal:
    """A literal, already spelled the house way."""

    text: str
    tagged: bool = False


_Node = str | _Blank | _Collection | _Literal


@dataclass(frozen=True)
class _Comment:
    """Comment lines with no blank line between them; ``attached`` to the next block."""

    lines: list[str]
    attached: bool


@dataclass(frozen=True)
class _Statement:
    """One subject and its predicate-object list."""

    subject: str
    pairs: list[tuple[str, list[_Node]]]


_Block = _Comment | list[tuple[str, str]] | _Statement


def canonical(text: str, path: Path = Path("<text>")) -> str:
    """The house serialization of the Turtle ``text`` (see the module's docstring).

    ``path`` names the file in a :class:`SourceSyntaxError`.

    >>> print(canonical('@prefix ex: <http://e/> . ex:s ex:p "x" ; a ex:C .'), end="")
    @prefix ex: <http://e/> .
    <BLANKLINE>
    ex:s
        a       ex:C ;
        ex:p    "x" .
    """
    written: list[list[str]] = []
    attached = False
    for block in _Reader(text, path).blocks():
        if isinstance(block, _Comment):
            lines = list(block.lines)
        elif isinstance(block, _Statement):
            lines = [block.subject, *_lines(block.pairs, 4)]
            lines[-1] += " ."
        else:
            column = max(len(name) for name, _ in block) + 1
            lines = [f"@prefix {name.ljust(column)}{iri} ." for name, iri in block]
        if attached:
            written[-1].extend(lines)
        else:
            written.append(lines)
        attached = isinstance(block, _Comment) and block.attached
    return "\n\n".join("\n".join(lines) for lines in written) + "\n"


class _Reader:
    """Reads one file's tokens into blocks, every term spelled the house way."""

    def __init__(self, text: str, path: Path) -> None:
        self.text, self.path = text, path
        self.tokens = tokens(text, comments=True)
        self.position = 0
        self.prefixes: dict[str, str] = {}

    def blocks(self) -> list[_Block]:
        """The file's comment blocks, prefix blocks and statements, in order."""
        found: list[_Block] = []
        while (token := self._peek()) is not None:
            if token.kind == "comment":
                found.append(self._comment())
            elif token.kind == "langtag" and token.text == "@prefix":
                found.append(self._prefixes())
            else:
                found.append(self._statement())
        return found

    # -- tokens --------------------------------------------------------------------

    def _peek(self) -> Token | None:
        return self.tokens[self.position] if self.position < len(self.tokens) else None

    def _next(self) -> Token:
        token = self._peek()
        if token is None:
            raise self._error("the file ends inside a statement", len(self.text))
        self.position += 1
        if token.kind == "comment":
            raise self._error("a comment inside a statement; put it above", token.start)
        return token

    def _expect(self, text: str) -> None:
        token = self._next()
        if token.text != text:
            raise self._error(f"expected {text!r}, found {token.text!r}", token.start)

    def _error(self, message: str, offset: int) -> SourceSyntaxError:
        return SourceSyntaxError(self.path, *where(self.text, offset), message)

    def _after_blank_line(self, token: Token) -> bool:
        """Whether a blank line separates ``token`` from the token read before it."""
        start = self.tokens[self.position - 1].start if self.position else 0
        return "\n\n" in re.sub(r"[ \t]+", "", self.text[start : token.start])

    # -- blocks --------------------------------------------------------------------

    def _comment(self) -> _Comment:
        lines = []
        while (token := self._peek()) is not None and token.kind == "comment":
            if lines and self._after_blank_line(token):
                break
            lines.append(token.text.rstrip())
            self.position += 1
        following = self._peek()  # a comment after a blank line starts a block of its own
        return _Comment(lines, following is not None and not self._after_blank_line(following))

    def _prefixes(self) -> list[tuple[str, str]]:
        declared: list[tuple[str, str]] = []
        while (token := self._peek()) is not None and token.text == "@prefix":
            self.position += 1
            name, iri = self._next(), self._next()
            if name.kind != "pname" or not name.text.endswith(":") or iri.kind != "iri":
                raise self._error("@prefix wants a name ending in ':' and an IRI", name.start)
            self._expect(".")
            self.prefixes[name.text[:-1]] = iri.text[1:-1]
            declared.append((name.text, iri.text))
        return declared

    def _statement(self) -> _Statement:
        token = self._next()
        subject = self._term(token)
        if not isinstance(subject, str):
            raise self._error("a statement's subject is an IRI or a blank node label", token.start)
        pairs = self._pairs(".")
        self._expect(".")
        return _Statement(subject, pairs)

    def _pairs(self, closing: str) -> list[tuple[str, list[_Node]]]:
        """A predicate-object list, read up to ``closing``: each predicate once, ``a`` first."""
        grouped: dict[str, list[_Node]] = {}
        while True:
            token = self._next()
            verb = "a" if token.text == "a" else self._term(token)
            if not isinstance(verb, str):
                raise self._error("a predicate is an IRI", token.start)
            if verb == self._abbreviate(RDF_TYPE):
                verb = "a"
            objects = grouped.setdefault(verb, [])
            objects.append(self._object())
            while (token := self._peek()) is not None and token.text == ",":
                self.position += 1
                objects.append(self._object())
            while (token := self._peek()) is not None and token.text == ";":
                self.position += 1
            if token is None or token.text == closing:
                break
        return sorted(grouped.items(), key=lambda pair: pair[0] != "a")

    # -- terms ---------------------------------------------------------------------

    def _object(self) -> _Node:
        token = self._next()
        if token.text == "[":
            if (following := self._peek()) is not None and following.text == "]":
                self.position += 1
                return _Blank()
            node = _Blank(self._pairs("]"))
            self._expect("]")
            return node
        if token.text == "(":
            items = []
            while (following := self._peek()) is not None and following.text != ")":
                items.append(self._object())
            self._expect(")")
            return _Collection(items)
        return self._term(token)

    def _term(self, token: Token) -> str | _Literal:
        """An IRI, blank node label or literal, spelled the house way."""
        if token.kind == "iri":
            return self._abbreviate(unescape(token.text[1:-1]))
        if token.kind == "pname":
            return self._abbreviate(self._expand(token))
        if token.kind == "bnode":
            return token.text
        if token.kind == "string":
            return self._literal(token)
        following = self._peek()
        if token.kind == "number" or (
            token.text in ("+", "-") and following is not None and following.kind == "number"
        ):
            return _Literal(
                token.text if token.kind == "number" else token.text + self._next().text
            )
        if token.kind == "word" and token.text in ("true", "false"):
            return _Literal(token.text)
        raise self._error(f"unexpected {token.text!r}", token.start)

    def _literal(self, token: Token) -> _Literal:
        quotes = 3 if token.text[:3] in ('"""', "'''") else 1
        spelled = _string(_read_string(token.text[quotes:-quotes]))
        following = self._peek()
        if following is not None and following.kind == "langtag":
            self.position += 1
            return _Literal(spelled + following.text.lower(), tagged=True)
        if following is not None and following.text == "^^":
            self.position += 1
            datatype = self._term(self._next())
            if not isinstance(datatype, str):
                raise self._error("a datatype is an IRI", following.start)
            return _Literal(f"{spelled}^^{datatype}")
        return _Literal(spelled)

    def _expand(self, token: Token) -> str:
        prefix, _, local = token.text.partition(":")
        if prefix not in self.prefixes:
            raise self._error(f"prefix {prefix!r} is not declared", token.start)
        return self.prefixes[prefix] + _LOCAL_ESCAPE.sub(r"\1", local)

    def _abbreviate(self, iri: str) -> str:
        """The IRI as a prefixed name, by the longest namespace that allows one."""
        for name, namespace in sorted(self.prefixes.items(), key=lambda p: -len(p[1])):
            if iri.startswith(namespace):
                spelled = f"{name}:{iri[len(namespace) :]}"
                found = tokens(spelled)
                if len(found) == 1 and found[0].kind == "pname" and found[0].text == spelled:
                    return spelled
        return f"<{iri}>"


# -- layout ----------------------------------------------------------------------------


def _width(verbs: list[str]) -> int:
    """The predicate column: the longest predicate and two spaces, up to a multiple of four."""
    return -(-(max(len(verb) for verb in verbs) + 2) // 4) * 4


def _lines(pairs: list[tuple[str, list[_Node]]], indent: int) -> list[str]:
    """The lines of a predicate-object list, ``indent`` spaces in, ``;`` between pairs.

    Language-tagged literals each get a line with their predicate; the other objects of
    a predicate share one, a comma list with an object per line.
    """
    column, width = " " * indent, _width([verb for verb, _ in pairs])
    lines: list[str] = []
    for verb, objects in pairs:
        tagged = [o for o in objects if isinstance(o, _Literal) and o.tagged]
        rest = [o for o in objects if not (isinstance(o, _Literal) and o.tagged)]
        for literal in tagged:
            if lines:
                lines[-1] += " ;"
            lines.append(column + verb.ljust(width) + literal.text)
        for number, node in enumerate(rest):
            if lines:
                lines[-1] += " ," if number else " ;"
            lead = column + (verb.ljust(width) if not number else " " * width)
            lines.extend(_after(lead, node))
    return lines


def _after(lead: str, node: _Node) -> list[str]:
    """``node`` written after ``lead``: on that line, or below it for a long blank node."""
    inline = _inline(node)
    if "\n" not in inline and len(inline) <= INLINE:
        return [lead + inline]
    if isinstance(node, _Blank) and node.pairs:
        return [lead + "[", *_lines(node.pairs, len(lead) + 4), " " * len(lead) + "]"]
    if isinstance(node, _Collection):
        first, *rest = (_inline(item) for item in node.items)
        lines = [f"{lead}( {first}", *(" " * (len(lead) + 2) + item for item in rest)]
        lines[-1] += " )"
        return lines
    return (lead + inline).split("\n")


def _inline(node: _Node) -> str:
    """``node`` on one line (but for the line breaks inside long strings)."""
    if isinstance(node, str):
        return node
    if isinstance(node, _Literal):
        return node.text
    if isinstance(node, _Collection):
        return "( " + " ".join(_inline(item) for item in node.items) + " )" if node.items else "()"
    if not node.pairs:
        return "[]"
    written = " ; ".join(
        f"{verb} {' , '.join(_inline(o) for o in objects)}" for verb, objects in node.pairs
    )
    return f"[ {written} ]"


def _read_string(text: str) -> str:
    r"""A string's value: its ``\u``/``\U`` and one-letter escapes read in one pass (so
    that ``\\u0041`` stays a backslash and ``u0041``)."""

    def read(match: re.Match[str]) -> str:
        code = match.group(1) or match.group(2)
        if code:
            return chr(int(code, 16))
        letter = match.group(3)
        return _STRING_ESCAPES.get(letter, letter)

    return _ESCAPE.sub(read, text)


def _string(value: str) -> str:
    """A string's house spelling: long quotes when it spans lines."""
    escaped = value.replace("\\", "\\\\")
    if "\n" in value:
        escaped = escaped.replace('"""', '""\\"').replace("\r", "\\r")
        if escaped.endswith('"'):
            escaped = escaped[:-1] + '\\"'
        return f'"""{escaped}"""'
    for raw, spelled in (('"', '\\"'), ("\r", "\\r"), ("\t", "\\t")):
        escaped = escaped.replace(raw, spelled)
    return f'"{escaped}"'


def tidy(path: Path, *, write: bool = True) -> bool:
    """Whether the file at ``path`` differs from its house serialization; ``write`` it so.

    The file is replaced whole (written beside it, then renamed), so an interrupted run
    leaves it as it was, and a failed write leaves nothing beside it.
    """
    text = path.read_text(encoding="utf-8")
    tidied = canonical(text, path)
    if tidied == text:
        return False
    if write:
        fresh = path.with_name(f".{path.name}.tidy")
        try:
            fresh.write_text(tidied, encoding="utf-8")
            fresh.replace(path)
        finally:
            fresh.unlink(missing_ok=True)
    return True
