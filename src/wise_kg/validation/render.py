"""Rendering a validation report: text for people, Turtle, JSON, JUnit XML for CI."""

from __future__ import annotations

import json
from collections.abc import Callable
from xml.etree import ElementTree as ET

from wise_kg.namespaces import curie
from wise_kg.validation.report import Report
from wise_kg.validation.validate import Result

#: The prefixes a report uses; any other IRI is shown whole.
SHORT = (
    "wisekg", "wise", "wsh", "skos", "dcterms",
    "escoskill", "escooccupation", "escoisco", "escoiscedf",
)  # fmt: skip


def short(iri: str | None) -> str:
    """A compact form of an IRI for people ('wisekg:need/placement')."""
    return "-" if iri is None else curie(iri, SHORT)


def _line(result: Result) -> str:
    parts = [f"  {result.severity.upper():9} {result.message}"]
    details = []
    if result.path:
        details.append(f"property {short(result.path)}")
    if result.value and result.value != result.focus:
        details.append(f"value {short(result.value)}")
    details.append(f"shape {short(result.shape)}")
    parts.append("            " + "; ".join(details))
    return "\n".join(parts)


def as_text(report: Report) -> str:
    """Grouped by resource, each with its file(s), message, value and shape."""
    if not report.results:
        return "The graph conforms to the shapes: no violation, no warning.\n"
    out = []
    for focus, results in report.by_focus().items():
        files = sorted({f for r in results for f in r.files}) or ["(file unknown)"]
        out.append(f"{short(focus)}  [{', '.join(files)}]")
        out.extend(_line(r) for r in results)
        out.append("")
    out.append(
        f"{len(report.violations)} violation(s), {len(report.warnings)} warning(s) "
        f"on {len(report.by_focus())} resource(s)."
    )
    out.append("CONFORMS (warnings only)." if report.conforms else "DOES NOT CONFORM.")
    return "\n".join(out) + "\n"


def as_json(report: Report) -> str:
    """Machine-readable: conformance, counts and one object per result."""
    return json.dumps(
        {
            "conforms": report.conforms,
            "violations": len(report.violations),
            "warnings": len(report.warnings),
            "results": [
                {
                    "severity": r.severity,
                    "focus": r.focus,
                    "path": r.path,
                    "value": r.value,
                    "message": r.message,
                    "shape": r.shape,
                    "files": list(r.files),
                }
                for r in sorted(report.results, key=lambda r: (r.focus, r.shape))
            ],
        },
        indent=2,
    )


def as_turtle(report: Report) -> str:
    """The standard SHACL validation report graph."""
    return report.graph.serialize(format="turtle")


def as_junit(report: Report) -> str:
    """JUnit XML: one test case per resource with results; violations are failures."""
    groups = report.by_focus()
    suite = ET.Element(
        "testsuite",
        name="wise-kg SHACL validation",
        tests=str(max(len(groups), 1)),
        failures=str(
            sum(1 for rs in groups.values() if any(r.severity == "Violation" for r in rs))
        ),
        errors="0",
    )
    if not groups:
        ET.SubElement(suite, "testcase", classname="shacl", name="graph conforms")
    for focus, results in groups.items():
        case = ET.SubElement(
            suite,
            "testcase",
            classname=", ".join(sorted({f for r in results for f in r.files})) or "shacl",
            name=short(focus),
        )
        violations = [r for r in results if r.severity == "Violation"]
        if violations:
            failure = ET.SubElement(
                case, "failure", message=violations[0].message, type="Violation"
            )
            failure.text = "\n".join(_line(r) for r in violations)
        warnings = [r for r in results if r.severity != "Violation"]
        if warnings:
            ET.SubElement(case, "system-out").text = "\n".join(_line(r) for r in warnings)
    return (
        ET.tostring(ET.ElementTree(suite).getroot(), encoding="unicode", xml_declaration=True)
        + "\n"
    )


RENDERERS: dict[str, Callable[[Report], str]] = {
    "text": as_text,
    "json": as_json,
    "turtle": as_turtle,
    "junit": as_junit,
}
