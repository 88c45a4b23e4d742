"""The redirect rules that make ``https://w3id.org/wise-kg/…`` resolve to the running server.

w3id.org is an Apache whose project folders each hold an ``.htaccess`` of mod_rewrite
rules; registering the published base is a pull request adding ``wise-kg/.htaccess``.
:func:`htaccess` writes that file for a server's public address (the *target*), and
``wise-kg release`` lays it out as in that repository (``dist/w3id/wise-kg/.htaccess``):

* ``id/…`` and ``ontology`` are negotiated. When the Accept header's first media range
  is one the server offers (its own table, :data:`~wise_kg.formats.GRAPH_FORMATS`, with
  its aliases, and ``text/html``) at full weight, the rule redirects to the URL of that
  representation (``{target}/id/need/placement.ttl``); any other header, a missing one
  and ``*/*`` go to the extension-less URL, where the server negotiates with q-values
  and the client's Accept (clients resend it when they follow a redirect).
* ``id/….ttl`` (any served extension) and ``ontology.ttl`` go to the same name.
* ``context.jsonld``, ``context/{version}.jsonld``, ``graph/…`` and ``shapes`` go to the
  same path, ``dataset`` to the VoID description, ``sparql`` keeps its method and body
  (307), and anything else goes to the target's home page.

Why: w3id folders whose target is static files redirect by media type (``text/turtle``
anywhere in Accept → the ``.ttl`` file), and those whose target negotiates itself pass
every path through. The first gives a URL that names its representation (it does not
depend on the client resending Accept, and can be bookmarked and cached), but mod_rewrite
matches Accept with regular expressions and cannot weigh q-values: with rules tried in
order, ``application/rdf+xml;q=0.1, text/turtle`` would get RDF/XML. So only a first
range without a q-value below 1, always among the client's most preferred, picks the
URL here; whatever mod_rewrite cannot judge is passed through to the server.

Every answer carries ``Vary: Accept`` (mod_rewrite names none on its redirects, and a
cache must not hand a browser the Turtle redirect) and ``Access-Control-Allow-Origin``
(a script's cross-origin request follows a redirect only if it allows it, as the server
does). Captured paths are copied into the target as they are (``NE``), so the rules only
match paths of unreserved characters (every IRI wise-kg mints), and the target must be a
plain ``http(s)://host[:port][/path]`` of the same characters.
"""

from __future__ import annotations

import ipaddress
import os
import re
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from wise_kg.errors import BadTarget
from wise_kg.formats import GRAPH_FORMATS

#: A path of unreserved characters (RFC 3986) and slashes: copied without escaping.
SAFE_PATH = "[A-Za-z0-9._~/-]+"
TARGET = re.compile(
    r"^https?://([A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\])(:[0-9]+)?(/[A-Za-z0-9._~/-]*)?$"
)
#: The negotiated documents: every resource and the ontology.
NEGOTIATED = rf"(id/{SAFE_PATH}|ontology)"
#: The HTML representation, besides the server's RDF formats.
HTML = ("html", ("text/html",))


@dataclass(frozen=True)
class Condition:
    """``RewriteCond %{HTTP_ACCEPT} pattern [flags]``."""

    pattern: str
    flags: tuple[str, ...] = ("NC",)

    def render(self) -> str:
        """The directive's line."""
        return f"RewriteCond %{{HTTP_ACCEPT}} {self.pattern} [{','.join(self.flags)}]"


@dataclass(frozen=True)
class Rule:
    """``RewriteRule ^pattern$ target [R=status,L,NE]``, after its conditions."""

    pattern: str
    target: str
    status: int
    comment: str
    conditions: tuple[Condition, ...] = ()

    def render(self) -> list[str]:
        """The directives' lines: the comment, the conditions, then the rule."""
        rule = f"RewriteRule {self.pattern} {self.target} [R={self.status},L,NE]"
        return [f"# {self.comment}", *(c.render() for c in self.conditions), rule]


def check_target(url: str) -> str:
    """``url`` without its trailing slash, if rules can redirect to it; else :class:`BadTarget`.

    >>> check_target("https://kg.example.org/wise/")
    'https://kg.example.org/wise'
    """
    target = url.rstrip("/")
    if not TARGET.match(target):
        raise BadTarget(
            f"{url!r} cannot be a redirect target: give http(s)://host[:port][/path], "
            "the path of letters, digits and . _ ~ / - only"
        )
    return target


def notes(url: str) -> list[str]:
    """What is wrong, though allowed, with redirecting w3id.org to ``url``."""
    target = check_target(url)
    parts = urlsplit(target)
    found = []
    if _is_local(parts.hostname or ""):
        found.append(
            f"the w3id.org rules redirect to {target}, which w3id.org cannot reach: "
            "give the server's public address (--public-url or WISE_KG_PUBLIC_URL)"
        )
    if parts.scheme != "https":
        found.append(f"the w3id.org rules redirect from https to plain http ({target})")
    return found


def _is_local(host: str) -> bool:
    """Whether ``host`` names this machine or a private network."""
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    return address.is_loopback or address.is_unspecified or address.is_private


def _literal(text: str) -> str:
    """``text`` as a regular expression matching itself (media types: ``+`` and ``.``)."""
    return re.sub(r"([.+*?^$()\[\]{}|\\])", r"\\\1", text)


def _first_range(media_types: tuple[str, ...]) -> tuple[Condition, ...]:
    """Conditions: the first media range is one of ``media_types``, not weighted below 1."""
    alternatives = [Condition(rf"^\s*{_literal(t)}\s*(;|,|$)", ("NC", "OR")) for t in media_types]
    last = alternatives.pop()
    return (*alternatives, Condition(last.pattern), Condition(r"!^[^,]*;\s*q=0"))


def _representations() -> list[tuple[str, tuple[str, ...]]]:
    """(extension, media types) of each representation: HTML, then the server's RDF
    formats with the aliases it accepts for them."""
    rdf = [
        (f.extension, (f.media_type, *(a for a in f.aliases if "/" in a))) for f in GRAPH_FORMATS
    ]
    return [HTML, *rdf]


def negotiated_rules(target: str) -> list[Rule]:
    """``id/…`` and ``ontology``: a named representation, one per first media range, else
    the extension-less URL."""
    extensions = "|".join(extension for extension, _types in _representations())
    named = Rule(
        rf"^{NEGOTIATED}\.({extensions})$",
        f"{target}/$1.$2",
        302,
        "A resource or the ontology in a named format: the same name.",
    )
    chosen = [
        Rule(
            f"^{NEGOTIATED}$",
            f"{target}/$1.{extension}",
            303,
            f"A resource or the ontology, {types[0]} first in Accept: its .{extension}.",
            _first_range(types),
        )
        for extension, types in _representations()
    ]
    negotiated = Rule(
        f"^{NEGOTIATED}$",
        f"{target}/$1",
        303,
        "Any other Accept, or none: the server negotiates (clients resend Accept).",
    )
    return [named, *chosen, negotiated]


def other_rules(target: str) -> list[Rule]:
    """The context, the dataset, the graphs, the shapes, the endpoint, and the home page."""
    return [
        Rule(
            r"^(context\.jsonld|context/[A-Za-z0-9.-]+\.jsonld)$",
            f"{target}/$1",
            302,
            "The JSON-LD context, current or of one version.",
        ),
        Rule("^dataset$", f"{target}/.well-known/void", 303, "The dataset: its VoID description."),
        Rule(
            f"^(graph/{SAFE_PATH}|shapes)$",
            f"{target}/$1",
            303,
            "The named graphs and the shapes (negotiated by the server).",
        ),
        Rule(
            "^sparql$",
            f"{target}/sparql",
            307,
            "The SPARQL endpoint: 307 keeps a POSTed query's method and body.",
        ),
        Rule("^", f"{target}/", 302, "Anything else: the home page."),
    ]


def rules(url: str) -> list[Rule]:
    """Every rule, in the order mod_rewrite tries them, for a server at ``url``."""
    target = check_target(url)
    return [*negotiated_rules(target), *other_rules(target)]


def htaccess(url: str, base_iri: str) -> str:
    """The ``.htaccess`` that redirects ``base_iri``'s folder on w3id.org to ``url``."""
    header = [
        f"# {base_iri} -> {check_target(url)}",
        "# Written by `wise-kg release`; regenerate it rather than editing it.",
        "# id/... and ontology: the Accept header's first media range, at full weight,",
        "# picks the representation's URL; anything else is negotiated by the server.",
        "# Vary: mod_rewrite names none on redirects, and caches must not mix them.",
        "",
        'Header always set Access-Control-Allow-Origin "*"',
        "Header always set Vary Accept",
        "RewriteEngine on",
    ]
    body = [line for rule in rules(url) for line in ["", *rule.render()]]
    return "\n".join([*header, *body]) + "\n"


def location(base_iri: str) -> Path:
    """Where a release writes the rules, relative to ``dist``: ``base_iri``'s folder in the
    w3id.org repository under ``w3id/`` (``w3id/wise-kg/.htaccess``)."""
    return Path("w3id", urlsplit(base_iri).path.strip("/"), ".htaccess")


def write(dist: Path, url: str, base_iri: str) -> None:
    """The rules into ``dist`` at :func:`location`, replaced whole."""
    path = dist / location(base_iri)
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(".htaccess.partial")
    partial.write_text(htaccess(url, base_iri), encoding="utf-8")
    os.replace(partial, path)
