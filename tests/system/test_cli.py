"""The command line: exit codes, report formats, error positions (run as a real process)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
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


def test_every_setting_is_a_flag_of_every_command() -> None:
    """The flags are generated from ``Settings``: none is missing, on any command."""
    from wise_kg.config import Settings, flag

    for command in ("validate", "build", "serve", "query", "release", "diff"):
        shown = wise_kg(command, "--help").stdout
        missing = [flag(name) for name in Settings.model_fields if flag(name) + " " not in shown]
        assert not missing, f"{command} lacks {missing}"


def test_a_flag_wins_over_its_environment_variable(monkeypatch: Any) -> None:
    from wise_kg.cli import _settings, parser

    monkeypatch.setenv("WISE_KG_QUERY_TIMEOUT", "7")
    monkeypatch.setenv("WISE_KG_PORT", "9001")
    settings = _settings(parser().parse_args(["build", "--query-timeout", "3"]))
    assert (settings.query_timeout, settings.port) == (3.0, 9001)


def test_store_takes_an_engine_or_the_embedded_stores_folder() -> None:
    from wise_kg.cli import _settings, parser

    folder = _settings(parser().parse_args(["build", "--store", "/tmp/somewhere"]))
    assert (folder.store, str(folder.store_path)) == ("", "/tmp/somewhere")
    engine = _settings(parser().parse_args(["build", "--store", "sparql+http://h/query"]))
    assert engine.store == "sparql+http://h/query" and engine.remote


def test_a_bad_flag_value_is_a_usage_error() -> None:
    done = wise_kg("build", "--query-timeout", "soon")
    assert done.returncode == 2 and "--query-timeout" in done.stderr
