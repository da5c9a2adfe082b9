"""`migrate check --schema`: the live schema compared with what the migrations produce."""

from __future__ import annotations

import os
from pathlib import Path

import psycopg
import pytest
from psycopg import sql

from repo.cli import main
from repo.migrate import Migrator, connect, resolve
from repo.migrate.drift import check_drift

ROOT = Path(__file__).resolve().parent.parent
MIGRATIONS = ROOT / "migrations"


def _check(url: str, source: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    code = main(["migrate", "check", "--schema", "--database-url", url, "--source", str(source)])
    return code, capsys.readouterr().out


def test_no_drift_on_a_migrated_database(db_url: str,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    code, out = _check(db_url, MIGRATIONS, capsys)
    assert code == 0, out
    assert "schema matches the migrations (up to version 20241024000005" in out


def test_every_hand_change_is_listed(db_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    with psycopg.connect(db_url, autocommit=True) as conn:
        conn.execute("ALTER TABLE users ADD COLUMN nickname text")
        conn.execute("DROP INDEX idx_logs_created_at")
        conn.execute("CREATE INDEX idx_by_hand ON assets (mimetype)")
        conn.execute("ALTER TABLE scripts ALTER COLUMN init_error SET NOT NULL")
        conn.execute("ALTER TABLE sessions ALTER COLUMN data SET DEFAULT '[]'::jsonb")
        conn.execute("ALTER TABLE assets ALTER COLUMN mimetype TYPE varchar(100)")
        conn.execute("ALTER TABLE logs ADD CONSTRAINT logs_message_short "
                     "CHECK (length(message) < 10000) NOT VALID")
        conn.execute("CREATE TABLE scratch_by_hand (id int)")
    code, out = _check(db_url, MIGRATIONS, capsys)
    assert code == 1
    assert "migrations are up to date" in out  # nothing pending: only the schema drifted
    lines = [line.strip() for line in out.splitlines() if line.startswith("  ")]
    assert lines == sorted(lines) and len(lines) == 8, out
    expected = [
        "column assets.mimetype: type character varying(100) in the live database, text in "
        "the migrations",
        "column scripts.init_error: NOT NULL in the live database, nullable in the migrations",
        "column sessions.data: default '[]'::jsonb in the live database, '{}'::jsonb in the "
        "migrations",
        "column users.nickname: only in the live database (created by hand?)",
        "constraint logs_message_short on logs: only in the live database (created by hand?)",
        "index idx_by_hand: only in the live database (created by hand?)",
        "index idx_logs_created_at: only in the migrations (dropped by hand?)",
        "table scratch_by_hand: only in the live database (created by hand?)",
    ]
    assert lines == expected


def test_missing_enum_label_and_pending_migrations(empty_db_url: str, tmp_path: Path,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    deployed, local = tmp_path / "deployed", tmp_path / "local"
    deployed.mkdir()
    local.mkdir()
    (deployed / "1_mood.sql").write_text("CREATE TYPE mood AS ENUM ('happy', 'ok');\n"
                                         "CREATE TABLE t (id int PRIMARY KEY, m mood);\n")
    # The file was edited after it was deployed: a label the live database never got.
    (local / "1_mood.sql").write_text("CREATE TYPE mood AS ENUM ('happy', 'ok', 'sad');\n"
                                      "CREATE TABLE t (id int PRIMARY KEY, m mood);\n")
    (local / "2_more.sql").write_text("ALTER TABLE t ADD COLUMN note text;\n")
    with connect(empty_db_url) as conn:
        Migrator(conn, resolve(deployed)).run()
    code, out = _check(empty_db_url, local, capsys)
    assert code == 1
    assert "enum mood: label 'sad' missing in the live database" in out
    assert "2/pending more" in out
    # Pending migration 2 is not drift: the reference is migrated to the applied versions.
    assert "note" not in out


def test_without_createdb_the_reference_is_an_embedded_server(db_url: str) -> None:
    role = f"drift_ro_{os.getpid()}"
    with psycopg.connect(db_url, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE ROLE {} LOGIN NOCREATEDB").format(sql.Identifier(role)))
        conn.execute(sql.SQL("GRANT SELECT ON _sqlx_migrations TO {}").format(
            sql.Identifier(role)))
        conn.execute("ALTER TABLE users ADD COLUMN nickname text")
    try:
        info = psycopg.conninfo.conninfo_to_dict(db_url)
        info["user"] = role
        info.pop("password", None)
        report = check_drift(psycopg.conninfo.make_conninfo(**info), resolve(MIGRATIONS))
        assert report.scratch == "a throwaway embedded server"
        assert [str(d) for d in report.differences] == [
            "column users.nickname: only in the live database (created by hand?)"]
    finally:
        with psycopg.connect(db_url, autocommit=True) as conn:
            conn.execute(sql.SQL("REVOKE ALL ON _sqlx_migrations FROM {}").format(
                sql.Identifier(role)))
            conn.execute(sql.SQL("DROP ROLE {}").format(sql.Identifier(role)))
