"""The command line: a thin face over the library (``wise-kg --help``).

Exit codes: 0 success (warnings allowed), 1 the sources break the shapes,
2 the command could not run (syntax error, missing files, bad query …).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any, Literal, get_args, get_origin

import pyoxigraph as ox

from wise_kg import __version__, errors, turtle_style
from wise_kg.config import Settings, flag
from wise_kg.errors import ValidationFailed, WiseKgError
from wise_kg.esco import diff as esco_diff
from wise_kg.esco import export as exports
from wise_kg.esco import load as esco
from wise_kg.formats import GRAPH_FORMATS, RESULT_FORMATS, by_name
from wise_kg.release import assemble as releases
from wise_kg.release import changes, w3id
from wise_kg.release import files as release_files
from wise_kg.sources.reader import discover, load_sources
from wise_kg.sparql import queries
from wise_kg.sparql.admission import inspect
from wise_kg.sparql.local import answer
from wise_kg.store.backends import backend_for
from wise_kg.store.build import build, is_current, validate_project
from wise_kg.validation.render import RENDERERS, as_text
from wise_kg.validation.report import Report


def _settings(args: argparse.Namespace) -> Settings:
    """The settings: the environment's, overridden by the flags given."""
    given = {name: getattr(args, name) for name in Settings.model_fields if hasattr(args, name)}
    store = given.get("store")
    if store and not store.startswith("sparql+"):  # --store PATH: where the embedded store is
        given.setdefault("store_path", Path(given.pop("store")))
    return Settings(**given)


def _setting_type(annotation: Any) -> dict[str, Any]:
    """How argparse reads a setting of this type (None and secrets: as their text)."""
    if get_origin(annotation) is Literal:
        return {"choices": get_args(annotation)}
    kind = next((a for a in get_args(annotation) if a is not type(None)), annotation)
    if kind is bool:
        return {"action": argparse.BooleanOptionalAction}
    return {"type": kind if kind in (int, float, Path) else str}


def _shown(default: object) -> str:
    """A default as the help shows it (paths as text; argparse's ``%`` escaped)."""
    return (str(default) if isinstance(default, Path) else repr(default)).replace("%", "%%")


def _public_url(text: str) -> str:
    try:
        return w3id.check_target(text)
    except errors.BadTarget as bad:
        raise argparse.ArgumentTypeError(str(bad)) from None


#: Settings whose flag checks more than the type (a message in argparse's words).
CHECKED = {"public_url": _public_url}


def _settings_flags(parser: argparse.ArgumentParser) -> None:
    """One flag per field of :class:`Settings`, generated from it (absent: not overridden)."""
    group = parser.add_argument_group(
        "settings", "every setting; each is also the environment variable WISE_KG_<NAME>"
    )
    for name, field in Settings.model_fields.items():
        options = _setting_type(field.annotation)
        if name in CHECKED:
            options["type"] = CHECKED[name]
        described = (field.description or name.replace("_", " ")).rstrip(".")
        if name == "store":
            described += "; or a folder: the embedded store's path (as --store-path)"
        group.add_argument(
            flag(name),
            dest=name,
            default=argparse.SUPPRESS,
            help=f"{described} (WISE_KG_{name.upper()}; default {_shown(field.default)})",
            **options,
        )


def cmd_validate(args: argparse.Namespace) -> int:
    """Validate the sources with SHACL and print the report."""
    report = validate_project(_settings(args))
    sys.stdout.write(RENDERERS[args.format](report))
    return 0 if report.conforms else 1


def cmd_build(args: argparse.Namespace) -> int:
    """Parse, validate and load the sources into a new store, then swap it in."""
    settings = _settings(args)
    try:
        result = build(settings)
    except ValidationFailed as failed:
        sys.stdout.write(as_text(failed.report))
        print(f"build failed: {failed}", file=sys.stderr)
        return 1
    if result.report.warnings:
        sys.stdout.write(as_text(result.report))
    info = result.info
    graphs = ", ".join(f"{g.rsplit('/', 1)[-1]} {n}" for g, n in sorted(info.graphs.items()))
    print(
        f"built {info.build_id}: {info.quads} quads ({graphs}) at {backend_for(settings).location}"
    )
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    """Build if the store is missing or older than the sources, then serve with uvicorn.

    With ``--workers N`` the command's process accepts the connections and hands them
    in turn to N server processes (:mod:`wise_kg.api.processes`); each opens the store
    read-only and follows new builds on its own.
    """
    import uvicorn

    from wise_kg.api import processes
    from wise_kg.api.app import create_app
    from wise_kg.api.middleware.observability import log_requests_to_stdout
    from wise_kg.api.middleware.server import uvicorn_options

    settings = _settings(args)
    if not is_current(settings):
        status = cmd_build(args)
        if status:
            return status
    workers = f" with {args.workers} processes" if args.workers > 1 else ""
    print(
        f"serving on {settings.public_base()}/{workers} (SPARQL at /sparql, API docs at /docs)",
        flush=True,
    )
    if args.workers > 1:
        processes.serve(settings, args.workers)
        return 0
    log_requests_to_stdout()
    uvicorn.run(create_app(settings), **uvicorn_options(settings))
    return 0


def cmd_query(args: argparse.Namespace) -> int:
    """Run a SPARQL query, or a saved query by name with ``--param value``, on the store."""
    settings = _settings(args)
    bindings: tuple[queries.Binding, ...] = ()
    if args.file:
        text = Path(args.file).read_text(encoding="utf-8")
    elif args.query and queries.NAME.match(args.query):
        saved = queries.find(queries.load(settings.source_dir("queries")), args.query)
        text, bindings = saved.text, saved.bind(_param_values(args.params))
    else:
        text = args.query
    if not text:
        print("give a query, a saved query name (see queries/), or --file PATH", file=sys.stderr)
        return 2
    info = inspect(text)
    fmt = by_name(args.format or info.formats()[0].name, info.formats())
    store, _info = backend_for(settings).open()
    body = answer(store, text, fmt, result_limit=settings.result_limit, bindings=bindings)
    sys.stdout.write(body.decode("utf-8"))
    return 0


def _param_values(extra: list[str]) -> dict[str, str]:
    """``--area IRI --level=IRI`` → ``{"area": IRI, "level": IRI}``."""
    values: dict[str, str] = {}
    items = iter(extra)
    for item in items:
        if not item.startswith("--"):
            raise errors.BadParameter(f"unexpected argument {item!r}; give --name value")
        name, _, value = item[2:].partition("=")
        values[name] = value or next(items, "")
    return values


def cmd_esco_load(args: argparse.Namespace) -> int:
    """Import an ESCO download (CSV folder or RDF file) into the store, atomically.

    As ``serve`` does, the WISE graph is built first when the store is missing or older
    than the sources (a fresh checkout), so ESCO lands beside the graph as it is now.
    """
    settings = _settings(args)
    if not is_current(settings):
        status = cmd_build(args)
        if status:
            return status
    summary = esco.load(settings, Path(args.path), args.esco_version, progress=not args.quiet)
    print("\n".join(summary.lines()))
    return 0


def cmd_esco_diff(args: argparse.Namespace) -> int:
    """For the ESCO concepts the graph links to, what changed between two downloads."""
    settings = _settings(args)
    files = load_sources(settings)
    iris = esco_diff.linked_concepts(files)
    old_quads, old = esco.read_download(Path(args.old))
    new_quads, new = esco.read_download(Path(args.new))
    changes = esco_diff.diff(
        esco_diff.describe_concepts(old_quads, iris), esco_diff.describe_concepts(new_quads, iris)
    )
    print(
        f"ESCO {old.version} -> {new.version}: {len(iris)} linked concepts, {len(changes)} changes"
    )
    print("\n".join(changes))
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    """Write the SSSOM mappings, or regenerate the ESCO descriptions of data/."""
    settings = _settings(args)
    store, _info = backend_for(settings).open()
    esco_version = esco.loaded_version(store)
    if args.what == "sssom":
        text = exports.sssom(
            store,
            version=__version__,
            esco_version=esco_version or "1.2.0",
            base_iri=settings.base_iri,
        )
    else:
        if not esco_version:
            print("error: no ESCO loaded; run `wise-kg esco load PATH` first", file=sys.stderr)
            return 2
        text = exports.esco_subset(store, esco_version, settings.base_iri)
    exports.write(text, Path(args.output) if args.output else None)
    return 0


def cmd_release(args: argparse.Namespace) -> int:
    """Run every check, then write the versioned, described files to ``dist/VERSION/``."""
    settings = _settings(args)
    try:
        from wise_kg.api import selfcheck  # the web stack, only for this command

        done = releases.release(
            settings, args.version, args.dist, dereference=selfcheck.check_dereferencing
        )
    except errors.ReleaseFailed as failed:
        sys.stdout.write(RENDERERS[args.format](failed.report))
        print(f"release {args.version} failed: {failed}", file=sys.stderr)
        return 1
    if done.warnings:
        sys.stdout.write(RENDERERS["text"](Report(results=done.warnings)))
    since = f"since {done.previous}" if done.previous else "(first release)"
    print(f"released {done.iri} into {done.folder}: {done.changes.summary()} {since}")
    for item in done.files:
        print(f"  {item.name:22} {item.size:>9} bytes  sha256 {item.sha256[:16]}…")
    return 0


def cmd_diff(args: argparse.Namespace) -> int:
    """What changed, concept by concept, between two releases or builds."""
    settings = _settings(args)
    found = changes.compare(
        changes.load_version(Path(args.old)),
        changes.load_version(Path(args.new)),
        settings.base_iri,
    )
    if args.format == "turtle":
        triples = found.triples(settings.base_iri + "changes")
        text = ox.serialize(triples, format=ox.RdfFormat.TURTLE, prefixes=release_files.PREFIXES)
        sys.stdout.write(text.decode("utf-8"))
    else:
        sys.stdout.write(found.as_text())
    return 0


def cmd_tidy(args: argparse.Namespace) -> int:
    """Write the Turtle sources in the house serialization (``--check``: only name them)."""
    files = args.files or [path for group in discover(_settings(args)).values() for path in group]
    untidy = [path for path in files if turtle_style.tidy(path, write=not args.check)]
    for path in untidy:
        print(f"{'not tidy' if args.check else 'tidied'}: {path}")
    return 1 if args.check and untidy else 0


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("must be 1 or more")
    return value


def parser() -> argparse.ArgumentParser:
    """The argument parser of ``wise-kg``."""
    top = argparse.ArgumentParser(prog="wise-kg", description=__doc__.splitlines()[0])
    top.add_argument("--version", action="version", version=f"wise-kg {__version__}")
    common = argparse.ArgumentParser(add_help=False)
    _settings_flags(common)
    sub = top.add_subparsers(dest="command", required=True)

    p = sub.add_parser("validate", parents=[common], help="validate the sources with SHACL")
    p.add_argument("--format", choices=sorted(RENDERERS), default="text")
    p.set_defaults(func=cmd_validate)

    p = sub.add_parser("build", parents=[common], help="build the store (atomic swap)")
    p.set_defaults(func=cmd_build)

    p = sub.add_parser("serve", parents=[common], help="build if needed, then serve the API")
    p.add_argument(
        "--workers", type=_positive, default=1, help="server processes sharing the store (1)"
    )
    p.set_defaults(func=cmd_serve)

    p = sub.add_parser("query", parents=[common], help="run a SPARQL query on the built store")
    p.add_argument("query", nargs="?", help="SPARQL text, or a saved query name such as cq_04")
    p.add_argument("--file", help="read the query from a file")
    names = sorted({f.name for f in RESULT_FORMATS + GRAPH_FORMATS})
    p.add_argument("--format", choices=names, help="answer format (default JSON / Turtle)")
    p.set_defaults(func=cmd_query)

    p = sub.add_parser("esco", help="ESCO: load a download, compare two downloads")
    esco_sub = p.add_subparsers(dest="esco_command", required=True)
    q = esco_sub.add_parser("load", parents=[common], help="load an ESCO download into the store")
    q.add_argument("path", help="a CSV download folder, or an RDF file (.ttl/.nt/.nq/.rdf, .gz)")
    q.add_argument("--esco-version", help="the ESCO version (default: read from the path)")
    q.add_argument("--quiet", action="store_true", help="no progress bars")
    q.set_defaults(func=cmd_esco_load)
    q = esco_sub.add_parser("diff", parents=[common], help="what changed for our linked concepts")
    q.add_argument("old", help="the older ESCO download (CSV folder or RDF file)")
    q.add_argument("new", help="the newer ESCO download")
    q.set_defaults(func=cmd_esco_diff)

    p = sub.add_parser("export", parents=[common], help="export mappings or the ESCO subset")
    p.add_argument("what", choices=["sssom", "esco-subset"])
    p.add_argument("--output", help="file to write (default: standard output)")
    p.set_defaults(func=cmd_export)

    p = sub.add_parser("release", parents=[common], help="check everything, write dist/VERSION/")
    p.add_argument("version", help="the release's version, X.Y.Z")
    p.add_argument("--dist", type=Path, help="folder of releases (default PROJECT/dist)")
    p.add_argument("--format", choices=["text", "junit"], default="text", help="failure report")
    p.set_defaults(func=cmd_release)

    p = sub.add_parser("diff", parents=[common], help="concepts added, removed, changed")
    p.add_argument("old", help="a release folder (dist/X.Y.Z), a built store or an RDF file")
    p.add_argument("new", help="the newer release, store or file")
    p.add_argument("--format", choices=["text", "turtle"], default="text")
    p.set_defaults(func=cmd_diff)

    p = sub.add_parser("tidy", parents=[common], help="write the Turtle sources in house style")
    p.add_argument("files", nargs="*", type=Path, help="Turtle files (default: the sources)")
    p.add_argument("--check", action="store_true", help="change nothing; name untidy files")
    p.set_defaults(func=cmd_tidy)
    return top


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``wise-kg`` command."""
    args, extra = parser().parse_known_args(argv)
    if extra and args.command != "query":
        parser().error(f"unrecognized arguments: {' '.join(extra)}")
    args.params = extra
    try:
        return args.func(args)
    except WiseKgError as err:
        print(f"error: {err}", file=sys.stderr)
        return err.exit_code


if __name__ == "__main__":
    sys.exit(main())
