"""scripts/db.sh as the guide uses it, against a real database."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest

ROOT = Path(__file__).resolve().parent.parent
DB_SH = ROOT / "scripts" / "db.sh"


def run(url: str, *args: str, answer: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DATABASE_URL": url, "PYTHON": sys.executable}
    if answer is None:
        return subprocess.run(["bash", str(DB_SH), *args], capture_output=True, text=True,
                              env=env, cwd=ROOT, timeout=120, stdin=subprocess.DEVNULL)
    # A real pseudo-terminal, so the confirmation prompt is asked and answered.
    controller, terminal = os.openpty()
    os.write(controller, answer.encode())
    try:
        return subprocess.run(["bash", str(DB_SH), *args], capture_output=True, text=True,
                              env=env, cwd=ROOT, timeout=120, stdin=terminal)
    finally:
        os.close(terminal)
        os.close(controller)


def count(url: str, table: str) -> int:
    with psycopg.connect(url) as conn:
        row = conn.execute(f"SELECT count(*) FROM {table}").fetchone()  # constant test table
        assert row is not None
        return int(row[0])


def test_help_lists_every_command(db_url: str) -> None:
    out = run(db_url, "--help").stdout
    for cmd in ("psql", "migrate-run", "migrate-info", "migrate-revert", "backup", "restore",
                "reset", "--prod"):
        assert cmd in out


def test_migrate_info_and_psql(db_url: str) -> None:
    assert run(db_url, "migrate-info").stdout.count("/installed ") == 5
    proc = run(db_url, "psql", "-At", "-c", "SELECT count(*) FROM _sqlx_migrations")
    assert proc.stdout.strip() == "5", proc.stderr


@pytest.mark.parametrize("name", ["backup.sql", "backup.dump"])
def test_backup_restore_round_trip(db_url: str, tmp_path: Path, name: str) -> None:
    with psycopg.connect(db_url, autocommit=True) as conn:
        conn.execute("INSERT INTO scripts (uri, code) VALUES ('/a.js', 'x')")
    dump = tmp_path / name
    assert run(db_url, "backup", str(dump)).returncode == 0
    assert dump.stat().st_size > 0
    assert run(db_url, "reset", answer="y\n").returncode == 0
    assert count(db_url, "scripts") == 0
    proc = run(db_url, "restore", str(dump), answer="y\n")
    assert proc.returncode == 0, proc.stderr
    assert count(db_url, "scripts") == 1


def test_reset_asks_and_prod_refuses(db_url: str) -> None:
    with psycopg.connect(db_url, autocommit=True) as conn:
        conn.execute("INSERT INTO scripts (uri, code) VALUES ('/keep.js', 'x')")
    assert run(db_url, "reset", answer="n\n").returncode == 1
    assert run(db_url, "reset").returncode == 1  # no terminal: refuses instead of assuming yes
    refused = run(db_url, "--prod", "reset", answer="y\n")
    assert refused.returncode == 1 and "refused with --prod" in refused.stderr
    assert count(db_url, "scripts") == 1
