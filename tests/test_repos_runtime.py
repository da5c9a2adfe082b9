"""The runtime under the generated repositories: errors, argument checks, pools, transactions,
the `Database` entry point. Sync and async share each test body (tests/helpers/repos.py)."""

from __future__ import annotations

import datetime as dt
import socket
import time
from pathlib import Path

import psycopg
import pytest
from helpers.repos import Api
from psycopg_pool import AsyncConnectionPool, ConnectionPool

from repo import (
    AsyncDatabase,
    AsyncScriptRepo,
    CheckViolation,
    ConnectionLost,
    Database,
    ForeignKeyViolation,
    InvalidArgument,
    NotFound,
    NotNullViolation,
    Repos,
    ScriptRepo,
    StatementTimeout,
    TooManyRows,
    UniqueViolation,
)
from repo.config import load_settings
from repo.errors import ConfigError, RepoError, ServerError
from repo.runtime import AsyncRepo, Param, Query, Repo, scalar_maker

ROOT = Path(__file__).resolve().parent.parent
NOW = dt.datetime.now(dt.UTC)


def _base(api: Api) -> Repo | AsyncRepo:
    return AsyncRepo(api.conn) if api.is_async else Repo(api.conn)


async def test_unique_violation_names_the_constraint(api: Api) -> None:
    await api.users.upsert_login(user_id="a", email="same@x.org", name=None, provider="p")
    with pytest.raises(UniqueViolation) as info:
        await api.users.upsert_login(user_id="b", email="same@x.org", name=None, provider="p")
    assert info.value.constraint == "users_email_key"
    assert info.value.table == "users"
    assert "users/upsert_login" in str(info.value)
    assert isinstance(info.value.__cause__, psycopg.errors.UniqueViolation)


async def test_foreign_key_violation(api: Api) -> None:
    with pytest.raises(ForeignKeyViolation) as info:
        await api.sessions.create(session_id="s", user_id="ghost", data={},
                                  expires_at=NOW)
    assert info.value.constraint == "sessions_user_id_fkey"


async def test_not_null_and_check_violations(api: Api) -> None:
    await api.sql("ALTER TABLE logs ADD CONSTRAINT message_not_empty CHECK (message <> '')")
    insert: Query[None] = Query(
        "t/insert", "INSERT INTO logs (script_uri, message) VALUES ($1, $2)",
        (Param("script_uri", "text", nullable=True), Param("message", "text")))
    base = api.wrap(_base(api))
    with pytest.raises(NotNullViolation) as null:
        await base._exec(insert, (None, "m"))
    assert (null.value.table, null.value.constraint) == ("logs", "script_uri")
    with pytest.raises(CheckViolation) as check:
        await base._exec(insert, ("/a", ""))
    assert check.value.constraint == "message_not_empty"


async def test_one_without_a_row_raises_not_found(api: Api) -> None:
    q: Query[int] = Query("t/first", "SELECT 1 WHERE $1::int > 0", (Param("n", "int4"),),
                          scalar_maker())
    base = api.wrap(_base(api))
    assert await base._one(q, (1,)) == 1
    with pytest.raises(NotFound) as info:
        await base._one(q, (0,))
    assert info.value.params == {"n": 0}
    assert "t/first returned no row for the given n" in str(info.value)


async def test_one_with_several_rows_raises_too_many_rows(api: Api) -> None:
    # `:one` promises exactly one row; it used to hand back the first of six.
    q: Query[int] = Query("t/series", "SELECT g FROM generate_series(1, $1::int) g",
                          (Param("n", "int4"),), scalar_maker())
    base = api.wrap(_base(api))
    assert await base._one(q, (1,)) == 1
    with pytest.raises(TooManyRows) as info:
        await base._one(q, (6,))
    assert (info.value.count, info.value.params) == (6, {"n": 6})
    assert "t/series returned 6 rows, expected exactly one for the given n" in str(info.value)
    assert await base._optional(q, (0,)) is None


def test_one_with_several_rows_rolls_back_a_pooled_write(db_url: str) -> None:
    with psycopg.connect(db_url, autocommit=True) as conn:
        conn.execute("CREATE TABLE twice (x int)")
        insert: Query[int] = Query("t/insert", "INSERT INTO twice SELECT g FROM "
                                   "generate_series(1, 2) g RETURNING x", (), scalar_maker())
        with ConnectionPool(db_url, min_size=1, max_size=1, open=True) as pool:
            with pytest.raises(TooManyRows):
                Repo(pool)._one(insert, ())
        assert conn.execute("SELECT count(*) FROM twice").fetchone() == (0,)


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"uri": "a\x00b"}, "parameter `uri` contains a NUL character"),
    ({"uri": 42}, "parameter `uri` expected str, got int"),
    ({"uri": None}, "parameter `uri` expected str, got NoneType"),
])
async def test_bad_arguments_never_reach_the_server(api: Api, kwargs: dict[str, object],
                                                    message: str) -> None:
    with pytest.raises(InvalidArgument, match=message):
        await api.scripts.get_by_uri(**kwargs)


async def test_argument_checks_by_type(api: Api) -> None:
    with pytest.raises(InvalidArgument, match="naive datetime"):
        await api.logs.prune_before(before=dt.datetime(2020, 1, 1))
    with pytest.raises(InvalidArgument, match="out of range for int8"):
        await api.logs.keep_latest_per_script(keep=2**70)
    with pytest.raises(InvalidArgument, match="expected bool, got int"):
        await api.users.set_roles(user_id="u", is_admin=1, is_editor=False)
    with pytest.raises(InvalidArgument, match="row 2: .*`message` contains a NUL"):
        await api.logs.append_many([("/a", "ok"), ("/a", "bad\x00")])


STORABLE_JSON = [
    {"a": "\\u0000", "\\u0000": "\\\\u0000"},  # backslash-u text, not a NUL: storable
    {"é日😀": ["x", None, 1.5, True], "quote\"": "back\\slash\n"},
    None,
]


@pytest.mark.parametrize("doc", STORABLE_JSON, ids=["backslash-u", "unicode", "null"])
async def test_json_the_server_can_store_round_trips(api: Api, doc: object) -> None:
    jsonb: Query[object] = Query("t/jsonb", "SELECT $1::jsonb", (Param("doc", "jsonb"),),
                                 scalar_maker())
    assert await api.wrap(_base(api))._many(jsonb, (doc,)) == [doc]


async def test_json_keeps_what_only_jsonb_refuses(api: Api) -> None:
    # json stores its text as given: a \u0000 or a lone surrogate escape is storable there.
    json_q: Query[str] = Query("t/json", "SELECT $1::json::text", (Param("doc", "json"),),
                               scalar_maker())
    text = await api.wrap(_base(api))._one(json_q, ({"a": "x\x00\ud800"},))
    assert text == '{"a": "x\\u0000\\ud800"}'
    with pytest.raises(InvalidArgument, match="parameter `doc` contains NaN or Infinity"):
        await api.wrap(_base(api))._one(json_q, ([float("inf")],))


@pytest.mark.parametrize(("doc", "message"), [
    ({"a": "x\x00"}, "NUL character"),
    ({"\\\x00": 1}, "NUL character"),  # an escaped backslash, then a real NUL
    (["\ud800"], "surrogate code point"),
    # A pair as two code points is what JSON's \\ud83d\\ude00 means, but it is a malformed
    # Python str (UTF-8 cannot encode it): rejected here as the text binder rejects it.
    (["\ud83d\ude00"], "surrogate code point"),
    ({"a": float("nan")}, "NaN or Infinity"),
    ({"a": {1, 2}}, "not JSON-serialisable"),
])
async def test_unstorable_jsonb_is_named(api: Api, doc: object, message: str) -> None:
    jsonb: Query[object] = Query("t/jsonb", "SELECT $1::jsonb", (Param("doc", "jsonb"),),
                                 scalar_maker())
    with pytest.raises(InvalidArgument, match=f"parameter `doc` .*{message}"):
        await api.wrap(_base(api))._one(jsonb, (doc,))


async def test_lone_surrogates_in_text_are_named(api: Api) -> None:
    with pytest.raises(InvalidArgument, match="`uri` contains a surrogate code point"):
        await api.scripts.get_by_uri(uri="é\udfff")
    assert await api.scripts.get_by_uri(uri="é😀") is None  # non-ASCII is fine


async def test_statement_timeout_is_typed_and_not_retried(api: Api) -> None:
    await api.sql("SET statement_timeout = '50ms'")
    q: Query[None] = Query("t/sleep", "SELECT pg_sleep(5)")
    with pytest.raises(StatementTimeout, match="t/sleep"):
        await api.wrap(_base(api))._exec(q, ())


async def test_connection_lost(api: Api, db_url: str) -> None:
    pid = (await api.sql("SELECT pg_backend_pid()"))[0][0]
    with psycopg.connect(db_url, autocommit=True) as other:
        other.execute("SELECT pg_terminate_backend(%s)", (pid,))
    with pytest.raises(ConnectionLost, match="scripts/count: connection lost"):
        await api.scripts.count()


async def test_transactions_belong_to_the_caller(api: Api) -> None:
    await api.sql("BEGIN")
    await api.scripts.upsert(uri="/tx.js", code="x")
    await api.sql("ROLLBACK")
    assert await api.scripts.get_by_uri(uri="/tx.js") is None


def test_sync_pool_source(db_url: str) -> None:
    with ConnectionPool(db_url, min_size=1, max_size=2, open=True) as pool:
        scripts = ScriptRepo(pool)
        scripts.upsert(uri="/p.js", code="x")  # the pool commits on return
        assert scripts.get_by_uri(uri="/p.js") is not None
        assert Repos(pool).scripts.count() == 1


async def test_async_pool_source(db_url: str) -> None:
    async with AsyncConnectionPool(db_url, min_size=1, max_size=2, open=False) as pool:
        scripts = AsyncScriptRepo(pool)
        await scripts.upsert(uri="/p.js", code="x")
        assert await scripts.get_by_uri(uri="/p.js") is not None


def test_repo_rejects_other_sources() -> None:
    with pytest.raises(TypeError, match="needs a connection or a pool"):
        ScriptRepo("postgresql://nope")  # type: ignore[arg-type]


def test_database_migrates_then_serves(empty_db_url: str) -> None:
    settings = load_settings(ROOT, env={})
    with Database(empty_db_url, settings=settings, auto_migrate=True, max_size=2) as db:
        assert len(db.applied) == 5
        with db.transaction() as tx:
            tx.scripts.upsert(uri="/d.js", code="x")
            tx.logs.append(script_uri="/d.js", message="deployed")
        with pytest.raises(RuntimeError), db.transaction() as tx:
            tx.scripts.upsert(uri="/rolled-back.js", code="x")
            raise RuntimeError
        assert [s.uri for s in db.repos.scripts.list_all()] == ["/d.js"]
    assert "***" not in repr(db) and "Database(" in repr(db)


async def test_async_database(empty_db_url: str) -> None:
    settings = load_settings(ROOT, env={})
    async with AsyncDatabase(empty_db_url, settings=settings, auto_migrate=True) as db:
        assert db.applied == [20241024000001, 20241024000002, 20241024000003,
                              20241024000004, 20241024000005]
        async with db.transaction() as tx:
            await tx.scripts.upsert(uri="/d.js", code="x")
        assert await db.repos.scripts.count() == 1


def _refused_url(db_url: str) -> str:
    """``db_url`` with a password, on a port nothing listens on (connection refused)."""
    with socket.socket() as probe:  # a port just freed: nothing is listening there now
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"postgresql://app:Pa55-{NEEDLE}@127.0.0.1:{port}/{db_url.rsplit('/', 1)[1]}"


NEEDLE = "N0T-IN-ANY-MESSAGE"


def _check_open_error(caught: pytest.ExceptionInfo[Exception], started: float) -> None:
    # Fails at once (a refused port needs no timeout), not after the pool's 30 s wait.
    assert time.monotonic() - started < 10
    assert isinstance(caught.value, ServerError)
    text = str(caught.value)
    assert "cannot open the database pool" in text and "Connection refused" in text
    assert "hint: check the host and port" in text and "app:***@127.0.0.1" in text
    assert caught.value.__cause__ is None and caught.value.__suppress_context__
    assert NEEDLE not in text + repr(caught.value)


def test_database_open_fails_fast_with_the_reason(tmp_path: Path, db_url: str) -> None:
    settings = load_settings(tmp_path, env={})
    started = time.monotonic()
    with pytest.raises(RepoError) as caught, Database(_refused_url(db_url), settings=settings):
        pass
    _check_open_error(caught, started)


async def test_async_database_open_fails_fast_with_the_reason(tmp_path: Path,
                                                              db_url: str) -> None:
    settings = load_settings(tmp_path, env={})
    started = time.monotonic()
    with pytest.raises(RepoError) as caught:
        async with AsyncDatabase(_refused_url(db_url), settings=settings):
            pass
    _check_open_error(caught, started)


def test_database_open_names_a_refused_login_and_a_bad_url(tmp_path: Path,
                                                           db_url: str) -> None:
    settings = load_settings(tmp_path, env={})
    no_role = db_url.replace("://postgres", f"://no_such_role:{NEEDLE}", 1)
    with pytest.raises(ConfigError, match='role "no_such_role" does not exist') as caught:
        Database(no_role, settings=settings).open()
    assert "hint: check the user name, password and database name" in str(caught.value)
    malformed = f"postgresql://app:{NEEDLE}@[127.0.0.1:5432/x"
    with pytest.raises(ConfigError, match="invalid database URL") as bad:
        Database(malformed, settings=settings).open()
    assert NEEDLE not in str(caught.value) + str(bad.value)


def test_database_open_bounds_the_pool_wait(tmp_path: Path, db_url: str) -> None:
    """The direct check passes but the pool's connections fail: open() gives up in time."""
    def refuse(conn: psycopg.Connection[object]) -> None:
        raise psycopg.OperationalError("configure refused this connection")

    settings = load_settings(tmp_path, env={})
    db = Database(db_url, settings=settings, open_timeout=0.5, configure=refuse)
    with pytest.raises(ServerError, match="the pool opened none within 0.5s"):
        db.open()
    assert db.pool.closed


_DEFER_UNIQUE = ("ALTER TABLE logs ADD CONSTRAINT logs_message_key UNIQUE (message) "
                 "DEFERRABLE INITIALLY DEFERRED")  # checked only at COMMIT


def test_a_failed_commit_of_database_transaction_is_typed(tmp_path: Path, db_url: str) -> None:
    with psycopg.connect(db_url, autocommit=True) as admin:
        admin.execute(_DEFER_UNIQUE)
    with Database(db_url, settings=load_settings(tmp_path, env={}), max_size=1) as db:
        with pytest.raises(UniqueViolation, match="COMMIT") as caught, \
                db.transaction() as tx:
            tx.logs.append(script_uri="/a", message="dup")
            tx.logs.append(script_uri="/a", message="dup")
        assert caught.value.constraint == "logs_message_key"
        # An error raised inside the block is the caller's: it goes out untranslated.
        with pytest.raises(psycopg.OperationalError, match="mine"), db.transaction():
            raise psycopg.OperationalError("mine")
        assert db.repos.logs.list_for_script(script_uri="/a", limit=5) == []


async def test_a_failed_commit_of_async_database_transaction_is_typed(tmp_path: Path,
                                                                      db_url: str) -> None:
    with psycopg.connect(db_url, autocommit=True) as admin:
        admin.execute(_DEFER_UNIQUE)
    async with AsyncDatabase(db_url, settings=load_settings(tmp_path, env={})) as db:
        with pytest.raises(UniqueViolation, match="logs_message_key"):
            async with db.transaction() as tx:
                await tx.logs.append(script_uri="/a", message="dup")
                await tx.logs.append(script_uri="/a", message="dup")
        with pytest.raises(psycopg.OperationalError, match="mine"):
            async with db.transaction():
                raise psycopg.OperationalError("mine")


def test_database_without_url_says_how_to_set_one(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="no database URL"):
        Database(settings=load_settings(tmp_path, env={}))
