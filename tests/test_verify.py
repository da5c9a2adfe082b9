"""`python -m repo verify` on a copy of the project, clean and after real mutations.

Each test copies the project's migrations, queries, .sqlx and generated code to tmp_path,
changes real files the way a developer would, and checks that verify exits 1 naming the
right file (and, for static findings, the right line and column). No database is used.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import pytest
from helpers.fixture_project import copy_project

from repo.cli import main


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of the project's data files; the current directory is the copy."""
    monkeypatch.chdir(copy_project(tmp_path))
    for var in ("DATABASE_URL", "APP_REPOSITORY__DATABASE_URL"):
        monkeypatch.delenv(var, raising=False)
    return tmp_path


def run_verify(capsys: pytest.CaptureFixture[str]) -> tuple[int, dict[str, Any]]:
    code = main(["verify", "--json"])
    out = capsys.readouterr().out
    return code, json.loads(out)


def codes_for(report: dict[str, Any], file: str) -> set[str]:
    return {e["code"] for e in report["errors"] if e["file"] == file}


def test_clean_project_passes_with_full_coverage(project: Path,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    code, report = run_verify(capsys)
    assert report["errors"] == []
    assert code == 0
    cov = report["coverage"]
    assert cov["queries"] >= 30
    assert cov["columns_verified"] == cov["columns_total"] > 0
    assert cov["params_verified"] == cov["params_total"] > 0


def test_plain_output_ends_with_coverage(project: Path,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["verify"]) == 0
    last = capsys.readouterr().out.strip().splitlines()[-1]
    assert last.startswith("verify: 0 error(s)") and "coverage:" in last


def test_query_edited_without_prepare(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = project / "queries/scripts/list_all.sql"
    path.write_text(path.read_text().replace("ORDER BY uri", "ORDER BY uri DESC"))
    code, report = run_verify(capsys)
    assert code == 1
    assert "V001" in codes_for(report, "queries/scripts/list_all.sql")
    assert any(e["code"] == "V003" for e in report["errors"])  # the old metadata is orphaned


def test_deleted_metadata(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    meta = _metadata_of(project, "SELECT * FROM scripts WHERE uri = $1")
    meta.unlink()
    code, report = run_verify(capsys)
    assert code == 1
    assert "V001" in codes_for(report, "queries/scripts/get_by_uri.sql")


def test_tampered_metadata_text(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    meta = _metadata_of(project, "SELECT * FROM users WHERE email = $1")
    data = json.loads(meta.read_text())
    data["query"] += " "
    meta.write_text(json.dumps(data, indent=2) + "\n")
    code, report = run_verify(capsys)
    assert code == 1
    assert "V002" in codes_for(report, f".sqlx/{meta.name}")


def test_tampered_metadata_types(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    meta = _metadata_of(project, "SELECT * FROM users WHERE email = $1")
    data = json.loads(meta.read_text())
    data["describe"]["columns"][2]["type_info"] = "Int4"   # email
    data["describe"]["parameters"]["Left"][0] = "Uuid"
    data["describe"]["nullable"][3] = False                 # name is nullable
    meta.write_text(json.dumps(data, indent=2) + "\n")
    code, report = run_verify(capsys)
    assert code == 1
    assert {"V008", "V009", "V010"} <= codes_for(report, "queries/users/get_by_email.sql")


def test_hand_edited_generated_code(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = project / "repo/generated/models.py"
    path.write_text(path.read_text() + "\n# tweak\n")
    code, report = run_verify(capsys)
    assert code == 1
    assert codes_for(report, "repo/generated/models.py") == {"V005"}


def test_migration_drops_used_column(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (project / "migrations/20990101000000_drop_init_error.up.sql").write_text(
        "ALTER TABLE scripts DROP COLUMN init_error;\n")
    (project / "migrations/20990101000000_drop_init_error.down.sql").write_text(
        "ALTER TABLE scripts ADD COLUMN init_error TEXT;\n")
    code, report = run_verify(capsys)
    assert code == 1
    assert "V004" in codes_for(report, ".sqlx/repo-meta.json")
    static = [e for e in report["errors"] if e["code"] == "V006"]
    files = {e["file"] for e in static}
    assert {"queries/scripts/list_all.sql", "queries/scripts/mark_init_result.sql",
            "queries/scripts/upsert.sql"} <= files
    list_all = next(e for e in static if e["file"] == "queries/scripts/list_all.sql")
    assert (list_all["line"], list_all["col"]) == (3, 54)
    assert "init_error" in list_all["message"]
    # SELECT * queries now return one column less than their metadata says.
    assert "V007" in codes_for(report, "queries/scripts/get_by_uri.sql")


def test_migration_renames_used_column(project: Path,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    (project / "migrations/20990101000000_rename_email.sql").write_text(
        "ALTER TABLE users RENAME COLUMN email TO email_address;\n")
    code, report = run_verify(capsys)
    assert code == 1
    errors = [e for e in report["errors"] if e["file"] == "queries/users/get_by_email.sql"]
    v006 = [e for e in errors if e["code"] == "V006"]
    assert v006 and (v006[0]["line"], v006[0]["col"]) == (3, 27)
    assert "V006" in codes_for(report, "queries/users/upsert_login.sql")


@pytest.mark.parametrize(("sql", "message"), [
    ("SELECT id, colour FROM scripts WHERE uri = :uri", 'column "colour" does not exist'),
    ("SELECT id FROM script WHERE uri = :uri", 'relation "script" does not exist'),
    ("UPDATE scripts SET colour = :c WHERE uri = :uri", 'column "colour" of relation'),
])
def test_new_query_with_unknown_name(project: Path, capsys: pytest.CaptureFixture[str],
                                     sql: str, message: str) -> None:
    path = project / "queries/scripts/broken.sql"
    path.write_text(f"-- A new query.\n-- :many\n{sql}\n")
    code, report = run_verify(capsys)
    assert code == 1
    v006 = [e for e in report["errors"] if e["file"] == "queries/scripts/broken.sql"
            and e["code"] == "V006"]
    assert v006 and message in v006[0]["message"]
    assert v006[0]["line"] == 3


def test_verify_never_connects(project: Path) -> None:
    """Run verify in a fresh interpreter with every libpq variable aimed at a socket this test
    listens on; PostgreSQL clients would connect there, verify must not."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    listener.settimeout(0.2)
    port = listener.getsockname()[1]
    accepted: list[object] = []
    stop = threading.Event()

    def accept() -> None:
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except TimeoutError:
                continue
            accepted.append(conn)
            conn.close()

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    url = f"postgresql://postgres@127.0.0.1:{port}/postgres"
    env = {**os.environ, "DATABASE_URL": url, "APP_REPOSITORY__DATABASE_URL": url,
           "PGHOST": "127.0.0.1", "PGPORT": str(port), "TEST_DATABASE_URL": url}
    try:
        proc = subprocess.run([sys.executable, "-m", "repo", "verify"], cwd=project, env=env,
                              capture_output=True, text=True, timeout=120)
    finally:
        stop.set()
        thread.join()
        listener.close()
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "coverage:" in proc.stdout
    assert accepted == []


def _metadata_of(project: Path, sql: str) -> Path:
    for path in (project / ".sqlx").glob("query-*.json"):
        if json.loads(path.read_text())["query"].strip().endswith(sql):
            return path
    raise AssertionError(f"no metadata for {sql!r}")


def test_incomplete_replay_downgrades_unknown_table_to_warning(
        project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # A DO block may create tables the replay cannot see: an unknown table is then only a
    # warning, and the opaque statement itself is listed (W001).
    (project / "migrations/20990101000000_dynamic.sql").write_text(
        "DO $$ BEGIN EXECUTE 'CREATE TABLE audit (id int)'; END $$;\n")
    (project / "queries/scripts/audit.sql").write_text("-- :many\nSELECT id FROM audit\n")
    code, report = run_verify(capsys)
    assert not [e for e in report["errors"] if e["code"] == "V006"]
    warnings = {(w["code"], w["file"]) for w in report["warnings"]}
    assert ("W001", "migrations/20990101000000_dynamic.sql") in warnings
    assert ("W003", "queries/scripts/audit.sql") in warnings
    assert code == 1  # still failing: the new query has no metadata (V001)


def test_every_code_verify_reports_is_in_the_registry(project: Path,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    """One table of finding codes: each code found has a meaning, and its standard fix."""
    from repo.findings import CODES

    (project / "queries/scripts/broken.sql").write_text("-- :many\nSELECT colour FROM scripts\n")
    (project / "migrations/20990101000000_x.sql").write_text("DO $$ BEGIN IF true THEN "
                                                              "ALTER TABLE users ADD x INT; "
                                                              "END IF; END $$;\n")
    code, report = run_verify(capsys)
    found = report["errors"] + report["warnings"]
    assert code == 1 and {"V001", "V004", "V006", "W001"} <= {f["code"] for f in found}
    for f in found:
        if f["code"][0] in "VW":
            assert f["code"] in CODES, f
            # V011 carries the loader's own hint; V005 "cannot render" asks for prepare.
            assert f["fix"] == CODES[f["code"]].fix or f["code"] in ("V011", "V005"), f


def test_new_constructs_are_verified_offline(project: Path,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    # :iter, = ANY(:ids), the @rows unnest insert and the typed-JSON queries are checked like
    # any other query: a migration renaming what they use fails verify for each of them.
    (project / "migrations/20990101000000_rename_logs.sql").write_text(
        "ALTER TABLE logs RENAME COLUMN script_uri TO script;\n"
        "ALTER TABLE sessions RENAME COLUMN data TO payload;\n")
    code, report = run_verify(capsys)
    assert code == 1
    for name in ("logs/iter_for_script", "logs/list_by_ids", "logs/append_batch",
                 "sessions/get_data", "sessions/set_data"):
        assert codes_for(report, f"queries/{name}.sql"), name
