"""The documentation's generated tables: saved queries from their headers, settings from Settings.

Each table stands in a Markdown file between ``<!-- generated: NAME -->`` and
``<!-- end generated -->``. ``python -m wise_kg.doc_tables --write`` rewrites those blocks;
without ``--write`` it only says which are out of date (exit 1), as ``tests/test_readme.py``
does.
"""

from __future__ import annotations

import argparse
import sys
import types
import typing
from collections.abc import Callable, Sequence
from pathlib import Path

from pydantic import SecretStr

from wise_kg.config import Settings, flag
from wise_kg.sparql.queries import load

END = "<!-- end generated -->"


def start_marker(name: str) -> str:
    """The line that opens the generated block ``name``."""
    return f"<!-- generated: {name} -->"


def competency_table(queries_dir: Path) -> str:
    """The saved queries of ``queries_dir`` as a Markdown table, from their ``#+`` headers.

    One row per ``.rq`` file: its number, its name, the header's ``summary``, its parameters
    (``?__name_kind`` ones marked optional) and its ``tags``.
    """
    rows = ["| # | query | question | parameters | tags |", "|---|---|---|---|---|"]
    for name, query in load(queries_dir).items():
        number = name.split("_")[1] if name.startswith("cq_") else ""
        params = ", ".join(
            f"`{p.name}`" if p.required else f"`{p.name}` (optional)" for p in query.params
        )
        rows.append(
            f"| {number.lstrip('0') or number} | `{name}` | {_cell(query.summary)} "
            f"| {params or '—'} | {_cell(', '.join(query.tags)) or '—'} |"
        )
    return "\n".join(rows) + "\n"


def settings_table() -> str:
    """Every field of :class:`~wise_kg.config.Settings` as a Markdown table.

    Columns: the environment variable (``WISE_KG_`` + the field's name in capitals), the
    command-line flag, its type,
    its default and its description.
    """
    prefix = str(Settings.model_config.get("env_prefix", ""))
    rows = ["| variable | flag | type | default | what |", "|---|---|---|---|---|"]
    for name, field in Settings.model_fields.items():
        rows.append(
            f"| `{prefix}{name.upper()}` | `{flag(name)}` | {_type_name(field.annotation)} "
            f"| {_default(name, field.default)} | {_cell(field.description or '') or '—'} |"
        )
    return "\n".join(rows) + "\n"


#: Each generated block: the Markdown file it lives in, and how to make it from the project.
BLOCKS: dict[str, tuple[str, Callable[[Path], str]]] = {
    "competency-questions": ("docs/data.md", lambda root: competency_table(root / "queries")),
    "settings": ("docs/settings.md", lambda root: settings_table()),
}


def block(table: str, name: str) -> str:
    """The whole generated block ``name`` holding ``table``, markers included."""
    return f"{start_marker(name)}\n\n{table}\n{END}"


def current_block(text: str, name: str) -> str | None:
    """The generated block ``name`` as it stands in ``text``, or None without its markers."""
    start = text.find(start_marker(name))
    if start < 0:
        return None
    end = text.find(END, start)
    return None if end < 0 else text[start : end + len(END)]


def stale(root: Path) -> list[str]:
    """The generated blocks under ``root`` that differ from what would be generated now."""
    out = []
    for name, (file, make) in BLOCKS.items():
        text = (root / file).read_text(encoding="utf-8")
        if current_block(text, name) != block(make(root), name):
            out.append(f"{file}: {name}")
    return out


def write(root: Path) -> list[str]:
    """Rewrite every generated block under ``root``; the ones that changed."""
    changed = []
    for name, (file, make) in BLOCKS.items():
        path = root / file
        text = path.read_text(encoding="utf-8")
        old = current_block(text, name)
        if old is None:
            raise SystemExit(f"{file} has no block {start_marker(name)} … {END}")
        new = block(make(root), name)
        if new != old:
            path.write_text(text.replace(old, new, 1), encoding="utf-8")
            changed.append(f"{file}: {name}")
    return changed


def main(argv: Sequence[str] | None = None) -> int:
    """Check the generated tables (exit 1 when out of date), or rewrite them with ``--write``."""
    parser = argparse.ArgumentParser(prog="python -m wise_kg.doc_tables", description=__doc__)
    parser.add_argument("--write", action="store_true", help="rewrite the generated blocks")
    parser.add_argument(
        "--root", type=Path, default=Path.cwd(), help="the project folder (default: here)"
    )
    args = parser.parse_args(argv)
    if args.write:
        for line in write(args.root):
            print(f"rewrote {line}")
        return 0
    out_of_date = stale(args.root)
    for line in out_of_date:
        print(f"out of date: {line} (python -m wise_kg.doc_tables --write)", file=sys.stderr)
    return 1 if out_of_date else 0


def _cell(text: str) -> str:
    """Text fit for one Markdown table cell."""
    return " ".join(text.split()).replace("|", "\\|")


def _type_name(annotation: object) -> str:
    """A field's type as a reader writes its value: ``int``, ``path``, ``auto | basic`` …"""
    args = [a for a in typing.get_args(annotation) if a is not type(None)]
    origin = typing.get_origin(annotation)
    if origin is typing.Literal:
        return " \\| ".join(f"`{a}`" for a in args)
    if origin in (typing.Union, types.UnionType) and len(args) == 1:
        return _type_name(args[0])
    names: dict[object, str] = {
        Path: "path",
        str: "text",
        int: "integer",
        float: "number",
        bool: "bool",
        SecretStr: "secret",
    }
    return names.get(annotation, getattr(annotation, "__name__", str(annotation)))


def _default(name: str, value: object) -> str:
    """A default as it would be written in the environment."""
    if value is None:
        return "unset"
    if isinstance(value, bool):
        return f"`{str(value).lower()}`"
    if value == "":
        return "empty"
    if isinstance(value, int) and name.endswith("_bytes") and value:
        return f"`{value}` ({_size(value)})"
    return f"`{value}`"


def _size(n: int) -> str:
    """A byte count in the unit it is a whole number of (``64 MiB``, ``1 MB``)."""
    for unit, size in (("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)):
        if n % size == 0:
            return f"{n // size:,} {unit}"
    for unit, size in (("GB", 10**9), ("MB", 10**6), ("kB", 10**3)):
        if n % size == 0:
            return f"{n // size:,} {unit}"
    return f"{n:,} bytes"


if __name__ == "__main__":
    sys.exit(main())
