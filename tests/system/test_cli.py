"""The command line: exit codes, report formats, error positions (run as a real process)."""

from __future__ import annotations

import json
from pathlib import Path
from xml.etree import ElementTree as ET

from rdflib import Graph

from tests.helpers import TEST_DATA, wise_kg

BROKEN_NEED = TEST_DATA / "invalid" / "Need-notation.ttl"


def test_validate_real_data_exits_0() -> None:
    done = wise_kg("validate")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "conforms" in done.stdout.lower()


def test_validate_violation_exits_1_and_names_file(project: Path) -> None:
    (project / "data" / "broken.ttl").write_text(BROKEN_NEED.read_text(encoding="utf-8"))
    done = wise_kg("validate", "--project", str(project))
    assert done.returncode == 1
    assert "data/broken.ttl" in done.stdout
    assert "1.5.4" in done.stdout or "notation" in done.stdout
    assert "DOES NOT CONFORM" in done.stdout


def test_syntax_error_exits_2_with_file_line_column(project: Path) -> None:
    target = project / "data" / "needs.ttl"
    lines = target.read_text(encoding="utf-8").splitlines()
    lines.insert(29, "need:oops skos:prefLabel ;;")
    target.write_text("\n".join(lines) + "\n", encoding="utf-8")
    done = wise_kg("validate", "--project", str(project))
    assert done.returncode == 2
    assert f"{target}:30:" in done.stderr


def test_missing_sources_exit_2(tmp_path: Path) -> None:
    done = wise_kg("validate", "--project", str(tmp_path))
    assert done.returncode == 2
    assert "no Turtle files" in done.stderr


def test_report_formats_parse(project: Path) -> None:
    (project / "data" / "broken.ttl").write_text(BROKEN_NEED.read_text(encoding="utf-8"))
    as_json = json.loads(wise_kg("validate", "--project", str(project), "--format", "json").stdout)
    assert as_json["conforms"] is False and as_json["violations"] >= 1
    assert any(r["files"] == ["data/broken.ttl"] for r in as_json["results"])

    turtle = wise_kg("validate", "--project", str(project), "--format", "turtle").stdout
    graph = Graph().parse(data=turtle, format="turtle")
    assert len(graph) > 0

    junit_out = wise_kg("validate", "--project", str(project), "--format", "junit").stdout
    junit = ET.fromstring(junit_out)
    assert junit.tag == "testsuite" and int(junit.get("failures", "0")) >= 1
    assert junit.find("testcase/failure") is not None


def test_junit_of_conforming_data_has_no_failure() -> None:
    junit = ET.fromstring(wise_kg("validate", "--format", "junit").stdout)
    assert junit.get("failures") == "0"


def test_build_then_query(project: Path) -> None:
    assert wise_kg("build", "--project", str(project)).returncode == 0
    done = wise_kg(
        "query",
        "--project",
        str(project),
        "SELECT (COUNT(?n) AS ?c) WHERE { ?n a <https://w3id.org/wise-kg/ontology#Need> }",
    )
    assert done.returncode == 0, done.stderr
    row = json.loads(done.stdout)["results"]["bindings"][0]
    assert row["c"]["value"] == "21"


def test_query_refuses_update(project: Path) -> None:
    assert wise_kg("build", "--project", str(project)).returncode == 0
    done = wise_kg("query", "--project", str(project), "DROP ALL")
    assert done.returncode == 2 and "read-only" in done.stderr


def test_saved_query_by_name_with_parameters(project: Path) -> None:
    assert wise_kg("build", "--project", str(project)).returncode == 0
    area = "https://w3id.org/wise-kg/id/area-of-expertise/placement"
    done = wise_kg(
        "query", "--project", str(project), "cq_04", "--subject", area, "--format", "csv"
    )
    assert done.returncode == 0, done.stderr
    assert "piecemeal" in done.stdout
    wrong = wise_kg("query", "--project", str(project), "cq_04", "--colour", "red")
    assert wrong.returncode == 2 and "no parameter colour" in wrong.stderr
