"""Read replicas: proven read-only queries go to a replica, everything else to the primary (#15).

Two real databases stand in for primary and replica: same schema, different rows, so every
answer says where it came from.
"""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import socket
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
from helpers.connections import assert_clean, assert_clean_async
from test_query_loader import error_of, write

from repo.cli import main
from repo.codegen.readonly import routing
from repo.config import load_settings
from repo.errors import ConfigError
from repo.generated import AsyncDatabase, Database
from repo.generated import _queries as sql
from repo.queries import load_queries
from repo.runtime import AsyncRepo, AsyncRouter, Param, Query, Repo, Router, Variants
from repo.server import create_database, drop_database

ROOT = Path(__file__).resolve().parent.parent


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
    # The routing searches pglast's JSON text: SQL that spells its keys must not fool it.
    ("""SELECT '"FuncCall": {}', nextval('s')""", "nextval()"),
    ("""SELECT '"stmt":{"SelectStmt":' AS a; SELECT 1""", "not a SELECT"),
    ('SELECT "FuncCall"(uri) FROM scripts', "FuncCall()"),
    ("""SELECT count(*) FILTER (WHERE lower(E'\\\\"x') = nextval('s')::text) FROM scripts""",
     "nextval()"),
])
def test_not_read_only(text: str, why: str) -> None:
    route = routing(text)
    assert not route.read_only and why in route.reason


@pytest.mark.parametrize("text", [
    "SELECT * FROM scripts WHERE uri = $1",
    "SELECT count(*), max(updated_at) FROM scripts",
    "WITH x AS (SELECT lower(uri) AS u FROM scripts) SELECT u FROM x ORDER BY u LIMIT 3",
    "SELECT coalesce(sum(length(code)), 0) FROM scripts",
    """SELECT 'nextval("s"); "InsertStmt": "FuncCall":' AS "FuncCall" FROM scripts""",
    """SELECT uri AS "lockingClause\\" FROM "intoClause" WHERE code = '"stmt":'""",
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


# --- `-- @primary`: a query file that never runs on a replica (read-your-writes) -----------

def test_primary_directive_is_read_and_stays_in_the_hashed_text(tmp_path: Path) -> None:
    text = "-- The script just written.\n-- :optional\n-- @primary\nSELECT * FROM scripts\n"
    write(tmp_path, "scripts/get_fresh.sql", text)
    [q] = load_queries(tmp_path)
    assert q.primary_line == 3 and q.doc == "The script just written."
    # A one-query file is sent (and hashed) whole, comments included, as SQLx's query_file!.
    assert q.sql == text


def test_primary_directive_in_a_sqlc_file(tmp_path: Path) -> None:
    plain = "-- name: GetAuthor :one\n-- Fresh.\nSELECT * FROM authors WHERE id = $1;\n"
    write(tmp_path, "authors/query.sql", plain)
    [before] = load_queries(tmp_path)
    write(tmp_path, "authors/query.sql", plain.replace("-- Fresh.\n",
          "-- Fresh.\n-- @primary\n-- @sqlc-vet-disable\n"))
    [q] = load_queries(tmp_path)
    assert q.primary_line == 3 and before.primary_line is None
    assert q.doc == "Fresh.\n@sqlc-vet-disable"  # sqlc's own annotation is passed over
    assert q.sql == before.sql and q.hash == before.hash  # the statement alone is hashed


@pytest.mark.parametrize(("rel", "text", "message", "line"), [
    ("r/get.sql", "-- @primary now\nSELECT 1", "@primary takes no arguments", 1),
    ("r/get.sql", "-- @primry\nSELECT 1", "unknown directive '@primry' (did you mean "
     "`-- @primary`?)", 1),
    ("r/get.sql", "-- @Primary\nSELECT 1", "did you mean `-- @primary`?", 1),
    ("r/get.sql", "-- :primary\nSELECT 1", "unknown cardinality marker ':primary'", 1),
    ("r/get.sql", "SELECT 1\n-- @primary\n", "leading comment block", 2),
    ("a/query.sql", "-- name: A :one\n-- @primay\nSELECT 1;\n", "did you mean", 2),
    ("a/query.sql", "-- name: A :one\n-- @nullable x\nSELECT 1;\n",
     "`-- @nullable` is not read in a sqlc-style file", 2),
    ("a/query.sql", "-- name: A :one\nSELECT 1;\n-- @primary\n-- name: B :one\nSELECT 2;\n",
     "`-- @primary` below the statement of 'A'", 3),
    ("a/query.sql", "-- @primary\n-- name: A :one\nSELECT 1;\n", "belongs to no query", 1),
])
def test_misplaced_or_misspelt_primary_is_refused(tmp_path: Path, rel: str, text: str,
                                                  message: str, line: int) -> None:
    err = error_of(tmp_path, {rel: text})
    assert message in str(err) and err.line == line


def test_near_miss_primary_is_warned_about(tmp_path: Path) -> None:
    write(tmp_path, "r/get.sql", "-- primary\nSELECT 1\n")
    [q] = load_queries(tmp_path)
    assert q.primary_line is None and "did you mean `-- @primary`?" in q.warnings[0]


def test_explain_names_the_primary_directive(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    shutil.copytree(ROOT / "migrations", tmp_path / "migrations")
    write(tmp_path, "queries/scripts/get_fresh.sql",
          "-- :optional\n-- @primary\nSELECT * FROM scripts WHERE uri = :uri\n")
    write(tmp_path, "queries/scripts/touch.sql",
          "-- @primary\nUPDATE scripts SET code = code WHERE uri = :uri\n")
    monkeypatch.chdir(tmp_path)
    assert main(["explain", "queries/scripts/get_fresh.sql"]) == 0
    assert "routing: primary (-- @primary at queries/scripts/get_fresh.sql:2)\n" in (
        capsys.readouterr().out)
    # Harmless on a write: it says so, no warning.
    assert main(["explain", "queries/scripts/touch.sql"]) == 0
    assert ("routing: primary (-- @primary at queries/scripts/touch.sql:1; it is not "
            "read-only anyway: not a SELECT)") in capsys.readouterr().out


class _Scripts(Repo):
    """Two queries over the generated SQL, with and without `primary` (as codegen writes)."""

    ANY = Query("scripts/get_code", "SELECT code FROM scripts WHERE uri = $1",
                [Param("uri", "text")], read_only=True)
    FRESH = Query("scripts/get_code_fresh", "SELECT code FROM scripts WHERE uri = $1",
                  [Param("uri", "text")], read_only=True, primary=True)

    def code(self, uri: str) -> tuple[Any, ...]:
        return self._one(self.ANY, (uri,))

    def fresh(self, uri: str) -> tuple[Any, ...]:
        return self._one(self.FRESH, (uri,))

    def fresh_rows(self, uri: str) -> Iterator[tuple[Any, ...]]:
        return self._iter(self.FRESH, (uri,))

    # `-- @optional uri`, with and without `-- @primary`: every variant text keeps the flags.
    FILTERED = {primary: Variants(
        Query("scripts/codes", "SELECT code FROM scripts WHERE uri = $1 ORDER BY 1",
              [Param("uri", "text", nullable=True)], read_only=True, primary=primary),
        (0,), {0: ("SELECT code FROM scripts ORDER BY 1", ())}) for primary in (False, True)}

    def filtered(self, uri: str | None, *, primary: bool) -> list[tuple[Any, ...]]:
        return self._many(*self.FILTERED[primary].select((uri,)))


def test_a_primary_query_never_goes_to_the_replica(db_url: str, replica_url: str) -> None:
    _seed(db_url, "on the primary")
    _seed(replica_url, "on the replica")
    with Database(db_url, auto_migrate=False, replica_urls=[replica_url]) as db:
        scripts = _Scripts(Router(db.pool, db.replica_pools))
        assert scripts.code("/p.js") == ("on the replica",)
        assert scripts.fresh("/p.js") == ("on the primary",)
        assert list(scripts.fresh_rows("/p.js")) == [("on the primary",)]
        on_primary = [scripts.filtered(u, primary=True) for u in ("/p.js", None)]
        assert on_primary == [[("on the primary",)], [("on the primary",)]]
        assert scripts.filtered(None, primary=False) == [("on the replica",), ("r",)]


# --- `:iter` streams: on a replica when read-only, with the same fallback -------------------

def _seed_logs(url: str, where: str, count: int) -> None:
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("INSERT INTO scripts (uri, code) VALUES ('/s.js', '')")
        conn.execute("INSERT INTO logs (script_uri, message) SELECT '/s.js', %s || i "
                      "FROM generate_series(1, %s) AS i", [where, count])


def _idle_without_cursor(pool: Any) -> None:
    """The pool's one connection is back, outside any transaction, with no cursor open."""
    with pool.connection() as conn:
        assert_clean(conn)


def test_a_read_only_stream_runs_on_the_replica(db_url: str, replica_url: str) -> None:
    _seed_logs(db_url, "primary ", 2)
    _seed_logs(replica_url, "replica ", 3)
    # One connection per pool, so the one checked afterwards is the one that streamed.
    with Database(db_url, auto_migrate=False, replica_urls=[replica_url],
                  min_size=1, max_size=1) as db:
        assert sql.LOGS_ITER_FOR_SCRIPT.replica
        got = [log.message for log in db.repos.logs.iter_for_script(script_uri="/s.js")]
        assert sorted(got) == ["replica 1", "replica 2", "replica 3"]
        # Stopped early: the replica's connection is left idle, its cursor closed.
        for log in db.repos.logs.iter_for_script(script_uri="/s.js"):
            assert log.message.startswith("replica")
            break
        _idle_without_cursor(db.replica_pools[0])
        rows = db.repos.logs.iter_for_script(script_uri="/s.js")
        next(rows)
        rows.close()
        _idle_without_cursor(db.replica_pools[0])
        # Inside a transaction, and on `db.primary`, it stays on the primary.
        with db.transaction() as tx:
            inside = [log.message for log in tx.logs.iter_for_script(script_uri="/s.js")]
        assert sorted(inside) == ["primary 1", "primary 2"]
        forced = [log.message for log in db.primary.logs.iter_for_script(script_uri="/s.js")]
        assert sorted(forced) == ["primary 1", "primary 2"]
        _idle_without_cursor(db.pool)


async def test_a_read_only_async_stream_runs_on_the_replica(db_url: str,
                                                            replica_url: str) -> None:
    _seed_logs(db_url, "primary ", 2)
    _seed_logs(replica_url, "replica ", 3)
    async with AsyncDatabase(db_url, auto_migrate=False, replica_urls=[replica_url],
                             min_size=1, max_size=1) as db:
        got = [log.message async for log in db.repos.logs.iter_for_script(script_uri="/s.js")]
        assert sorted(got) == ["replica 1", "replica 2", "replica 3"]
        async with contextlib.aclosing(db.repos.logs.iter_for_script(script_uri="/s.js")) as it:
            async for log in it:
                assert log.message.startswith("replica")
                break
        async with db.replica_pools[0].connection() as conn:
            await assert_clean_async(conn)
        async with db.transaction() as tx:
            inside = [log.message async for log in tx.logs.iter_for_script(script_uri="/s.js")]
        assert sorted(inside) == ["primary 1", "primary 2"]
        forced = [log.message
                  async for log in db.primary.logs.iter_for_script(script_uri="/s.js")]
        assert sorted(forced) == ["primary 1", "primary 2"]


def test_replica_transactions_begin_read_only(db_url: str, replica_url: str) -> None:
    # The stand-in replica is a writable database, as a misconfigured replica URL would be:
    # a transaction opened on a replica connection (a streamed cursor's) still refuses writes.
    with Database(db_url, auto_migrate=False, replica_urls=[replica_url],
                  min_size=1, max_size=1) as db:
        with db.replica_pools[0].connection() as conn, conn.transaction():
            assert conn.execute("SHOW transaction_read_only").fetchone() == ("on",)
            with pytest.raises(psycopg.errors.ReadOnlySqlTransaction):
                conn.execute("INSERT INTO scripts (uri, code) VALUES ('/w.js', 'w')")
        with db.pool.connection() as conn, conn.transaction():
            assert conn.execute("SHOW transaction_read_only").fetchone() == ("off",)


async def test_async_replica_transactions_begin_read_only(db_url: str,
                                                         replica_url: str) -> None:
    async with AsyncDatabase(db_url, auto_migrate=False, replica_urls=[replica_url],
                             min_size=1, max_size=1) as db:
        async with db.replica_pools[0].connection() as conn, conn.transaction():
            cur = await conn.execute("SHOW transaction_read_only")
            assert await cur.fetchone() == ("on",)
        async with db.pool.connection() as conn, conn.transaction():
            cur = await conn.execute("SHOW transaction_read_only")
            assert await cur.fetchone() == ("off",)


def test_a_stream_falls_back_when_the_replica_is_down(
        db_url: str, caplog: pytest.LogCaptureFixture) -> None:
    _seed_logs(db_url, "primary ", 2)
    down = f"postgresql://postgres:secret@127.0.0.1:{_closed_port()}/postgres"
    with caplog.at_level(logging.WARNING, logger="repo.replicas"), \
            Database(db_url, auto_migrate=False, replica_urls=[down]) as db:
        for _ in range(2):
            got = [log.message for log in db.repos.logs.iter_for_script(script_uri="/s.js")]
            assert sorted(got) == ["primary 1", "primary 2"]
    lines = [r.getMessage() for r in caplog.records if r.name == "repo.replicas"]
    assert len(lines) == 1 and "using the primary" in lines[0] and "secret" not in lines[0]


class _Dying(Repo):
    """A read-only stream whose first FETCH kills its own server session on one database.

    DECLARE only plans the query; the first FETCH runs it, and on the database named by the
    argument `pg_terminate_backend(pg_backend_pid())` ends the connection right there.
    """

    DIE_ON = Query("logs/die_on", "SELECT message FROM logs WHERE CASE WHEN current_database()"
                   " = $1 THEN pg_terminate_backend(pg_backend_pid()) ELSE true END ORDER BY 1",
                   [Param("dbname", "text")], read_only=True)

    def messages(self, dbname: str) -> Iterator[tuple[Any, ...]]:
        return self._iter(self.DIE_ON, (dbname,))


def test_a_stream_lost_at_its_first_fetch_reruns_on_the_primary(
        db_url: str, replica_url: str, caplog: pytest.LogCaptureFixture) -> None:
    _seed_logs(db_url, "primary ", 2)
    _seed_logs(replica_url, "replica ", 3)
    replica_name = psycopg.conninfo.conninfo_to_dict(replica_url)["dbname"]
    with caplog.at_level(logging.WARNING, logger="repo.replicas"), \
            Database(db_url, auto_migrate=False, replica_urls=[replica_url]) as db:
        logs = _Dying(Router(db.pool, db.replica_pools))
        assert list(logs.messages(str(replica_name))) == [("primary 1",), ("primary 2",)]
        # The same query on a database it does not kill: the replica serves it.
        assert len(list(_Dying(Router(db.pool, db.replica_pools)).messages("nope"))) == 3
    lines = [r.getMessage() for r in caplog.records if r.name == "repo.replicas"]
    assert len(lines) == 1 and "AdminShutdown" in lines[0]


class _AsyncDying(AsyncRepo):
    def messages(self, dbname: str) -> AsyncIterator[tuple[Any, ...]]:
        return self._iter(_Dying.DIE_ON, (dbname,))


async def test_an_async_stream_lost_at_its_first_fetch_reruns_on_the_primary(
        db_url: str, replica_url: str, caplog: pytest.LogCaptureFixture) -> None:
    _seed_logs(db_url, "primary ", 2)
    _seed_logs(replica_url, "replica ", 3)
    replica_name = str(psycopg.conninfo.conninfo_to_dict(replica_url)["dbname"])
    with caplog.at_level(logging.WARNING, logger="repo.replicas"):
        async with AsyncDatabase(db_url, auto_migrate=False, replica_urls=[replica_url],
                                 min_size=1, max_size=1) as db:
            logs = _AsyncDying(AsyncRouter(db.pool, db.replica_pools))
            got = [row async for row in logs.messages(replica_name)]
            assert got == [("primary 1",), ("primary 2",)]
            # The replica pool replaced its dead connection: a fresh router streams there.
            again = _AsyncDying(AsyncRouter(db.pool, db.replica_pools))
            assert len([row async for row in again.messages("nope")]) == 3
    lines = [r.getMessage() for r in caplog.records if r.name == "repo.replicas"]
    assert len(lines) == 1 and "AdminShutdown" in lines[0]
