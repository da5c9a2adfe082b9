"""Read replicas: proven read-only queries go to a replica, everything else to the primary (#15).

Two real databases stand in for primary and replica: same schema, different rows, so every
answer says where it came from.
"""

from __future__ import annotations

import logging
import os
import socket
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from repo.codegen.readonly import routing
from repo.config import load_settings
from repo.errors import ConfigError
from repo.generated import AsyncDatabase, Database
from repo.generated import _queries as sql
from repo.server import create_database, drop_database


@pytest.fixture
def replica_url(pg_url: str, template_db: str) -> Iterator[str]:
    """A second migrated database: the "replica" (its rows differ from the primary's)."""
    name = f"repo_replica_{os.getpid()}_{id(object())}"
    url = create_database(pg_url, name, template=template_db)
    yield url
    drop_database(pg_url, name)


def _seed(url: str, code: str) -> None:
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("INSERT INTO scripts (uri, code) VALUES ('/p.js', %s)", [code])
        if code == "on the replica":
            conn.execute("INSERT INTO scripts (uri, code) VALUES ('/only-replica.js', 'r')")


def _code(url: str, uri: str) -> str | None:
    with psycopg.connect(url) as conn:
        row = conn.execute("SELECT code FROM scripts WHERE uri = %s", [uri]).fetchone()
    return None if row is None else str(row[0])


def test_reads_go_to_the_replica_writes_and_transactions_to_the_primary(
        db_url: str, replica_url: str) -> None:
    _seed(db_url, "on the primary")
    _seed(replica_url, "on the replica")
    with Database(db_url, auto_migrate=False, replica_urls=[replica_url]) as db:
        got = db.repos.scripts.get_by_uri(uri="/p.js")
        assert got is not None and got.code == "on the replica"
        assert db.repos.scripts.count() == 2  # the replica's rows
        written = db.repos.scripts.upsert(uri="/new.js", code="w")  # a write: the primary
        assert written.code == "w" and _code(db_url, "/new.js") == "w"
        assert _code(replica_url, "/new.js") is None
        assert db.repos.scripts.delete_by_uri(uri="/only-replica.js") == 0  # not on primary
        # Read-your-writes: the primary view, and everything inside a transaction.
        primary = db.primary.scripts.get_by_uri(uri="/new.js")
        assert primary is not None and primary.code == "w"
        with db.transaction() as tx:
            inside = tx.scripts.get_by_uri(uri="/p.js")
            assert inside is not None and inside.code == "on the primary"
            assert tx.scripts.count() == 2  # /p.js and /new.js on the primary


async def test_async_database_routes_the_same_way(db_url: str, replica_url: str) -> None:
    _seed(db_url, "on the primary")
    _seed(replica_url, "on the replica")
    async with AsyncDatabase(db_url, auto_migrate=False, replica_urls=[replica_url]) as db:
        got = await db.repos.scripts.get_by_uri(uri="/p.js")
        assert got is not None and got.code == "on the replica"
        await db.repos.scripts.upsert(uri="/a.js", code="a")
        assert _code(db_url, "/a.js") == "a" and _code(replica_url, "/a.js") is None
        async with db.transaction() as tx:
            inside = await tx.scripts.get_by_uri(uri="/p.js")
        assert inside is not None and inside.code == "on the primary"


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_a_replica_that_is_down_falls_back_to_the_primary_with_a_log_line(
        db_url: str, caplog: pytest.LogCaptureFixture) -> None:
    _seed(db_url, "on the primary")
    down = f"postgresql://postgres:secret@127.0.0.1:{_closed_port()}/postgres"
    with caplog.at_level(logging.WARNING, logger="repo.replicas"), \
            Database(db_url, auto_migrate=False, replica_urls=[down]) as db:
        for _ in range(3):
            got = db.repos.scripts.get_by_uri(uri="/p.js")
            assert got is not None and got.code == "on the primary"
    lines = [r.getMessage() for r in caplog.records if r.name == "repo.replicas"]
    # One line: the replica is then left alone for `retry_after` seconds.
    assert len(lines) == 1 and "using the primary" in lines[0]
    assert "secret" not in lines[0]


def test_generated_queries_carry_their_routing() -> None:
    assert sql.SCRIPTS_GET_BY_URI.read_only and sql.LOGS_COUNT_BY_SCRIPT.read_only
    assert not sql.SCRIPTS_UPSERT.read_only and not sql.SCRIPTS_DELETE_BY_URI.read_only


@pytest.mark.parametrize(("text", "why"), [
    ("WITH d AS (DELETE FROM scripts RETURNING *) SELECT * FROM d", "data-modifying"),
    ("SELECT * FROM scripts WHERE uri = $1 FOR UPDATE", "FOR UPDATE"),
    ("SELECT * FROM scripts FOR SHARE SKIP LOCKED", "FOR UPDATE / FOR SHARE"),
    ("SELECT nextval('scripts_id_seq')", "nextval()"),
    ("SELECT setval('s', 1)", "setval()"),
    ("SELECT pg_advisory_lock(1)", "pg_advisory_lock()"),
    ("SELECT my_function(uri) FROM scripts", "my_function()"),
    ("SELECT public.lower(uri) FROM scripts", "public.lower()"),
    ("SELECT * INTO copy FROM scripts", "SELECT INTO"),
    ("SELECT (SELECT set_config('a.b', 'c', false))", "set_config()"),
    ("UPDATE scripts SET code = '' RETURNING *", "not a SELECT"),
])
def test_not_read_only(text: str, why: str) -> None:
    route = routing(text)
    assert not route.read_only and why in route.reason


@pytest.mark.parametrize("text", [
    "SELECT * FROM scripts WHERE uri = $1",
    "SELECT count(*), max(updated_at) FROM scripts",
    "WITH x AS (SELECT lower(uri) AS u FROM scripts) SELECT u FROM x ORDER BY u LIMIT 3",
    "SELECT coalesce(sum(length(code)), 0) FROM scripts",
])
def test_read_only(text: str) -> None:
    assert routing(text).read_only


def test_replica_urls_in_config(tmp_path: Path) -> None:
    (tmp_path / "config.toml").write_text(
        '[repository]\nreplica_urls = ["postgresql://r1/app", "${R2}", "${UNSET}"]\n')
    settings = load_settings(tmp_path, env={"R2": "postgresql://r2/app"})
    assert settings.replica_urls == ("postgresql://r1/app", "postgresql://r2/app")
    (tmp_path / "config.toml").write_text('[repository]\nreplica_urls = "postgresql://r1"\n')
    with pytest.raises(ConfigError, match="replica_urls must be a list"):
        load_settings(tmp_path, env={})
