"""Streaming (`:iter`) queries over a server-side cursor, against a real PostgreSQL.

What a caller checks: every row comes back in order, and the connection is left as it was
(no open transaction, no open cursor) however the iteration ends.
"""

from __future__ import annotations

import contextlib
from typing import Any

import psycopg
import pytest
from helpers.connections import OPEN_CURSORS, assert_clean, assert_clean_async
from psycopg.pq import TransactionStatus
from psycopg_pool import ConnectionPool

from repo import AsyncRepos, InvalidArgument, Repos
from repo.runtime import _sync

URI = "/big.js"


def _fill(conn: psycopg.Connection[Any], n: int, uri: str = URI) -> None:
    Repos(conn).logs.append_many((uri, f"line {i:06d}") for i in range(n))


def test_iterates_every_row_in_order_across_batches(conn: psycopg.Connection[Any]) -> None:
    n = _sync.ITERSIZE * 2 + 7  # three fetches, the last one partial
    _fill(conn, n)
    _fill(conn, 3, "/other.js")
    rows = list(Repos(conn).logs.iter_for_script(script_uri=URI))
    assert len(rows) == n
    assert {r.script_uri for r in rows} == {URI}
    assert [r.created_at for r in rows] == sorted(r.created_at for r in rows)
    assert_clean(conn)


def test_no_rows(conn: psycopg.Connection[Any]) -> None:
    assert list(Repos(conn).logs.iter_for_script(script_uri="/none.js")) == []
    assert_clean(conn)


def test_stopping_early_leaves_the_connection_clean(conn: psycopg.Connection[Any]) -> None:
    _fill(conn, 5000)
    for row in Repos(conn).logs.iter_for_script(script_uri=URI):
        assert row.script_uri == URI
        break
    assert_clean(conn)
    rows = Repos(conn).logs.iter_for_script(script_uri=URI)
    next(rows)
    rows.close()
    assert_clean(conn)


def test_an_error_in_the_loop_leaves_the_connection_clean(
        conn: psycopg.Connection[Any]) -> None:
    _fill(conn, 5000)
    seen = 0
    with pytest.raises(RuntimeError, match="stop"):
        for _ in Repos(conn).logs.iter_for_script(script_uri=URI):
            seen += 1
            if seen == 10:
                raise RuntimeError("stop")
    assert_clean(conn)
    # The connection still works, in autocommit as before.
    Repos(conn).scripts.upsert(uri="/after.js", code="x")
    assert conn.info.transaction_status == TransactionStatus.IDLE


def test_inside_the_callers_transaction(db_url: str) -> None:
    with psycopg.connect(db_url) as conn:  # not autocommit: the caller's transaction
        _fill(conn, 10)  # written in the transaction, not committed yet
        assert conn.info.transaction_status == TransactionStatus.INTRANS
        assert len(list(Repos(conn).logs.iter_for_script(script_uri=URI))) == 10
        # The caller's transaction is still open (a savepoint held the cursor), cursor gone.
        assert conn.info.transaction_status == TransactionStatus.INTRANS
        assert conn.execute(OPEN_CURSORS).fetchone() == (0,)
        conn.rollback()
        assert list(Repos(conn).logs.iter_for_script(script_uri=URI)) == []
        assert conn.info.transaction_status == TransactionStatus.IDLE


def test_from_a_pool_the_connection_goes_back_clean(db_url: str,
                                                    conn: psycopg.Connection[Any]) -> None:
    _fill(conn, 3000)
    with ConnectionPool(db_url, min_size=1, max_size=1, open=True) as pool:
        rows = Repos(pool).logs.iter_for_script(script_uri=URI)
        next(rows)
        rows.close()
        with pool.connection() as pooled:
            assert_clean(pooled)
        assert sum(1 for _ in Repos(pool).logs.iter_for_script(script_uri=URI)) == 3000


def test_arguments_are_checked_at_the_call(conn: psycopg.Connection[Any]) -> None:
    with pytest.raises(InvalidArgument, match="script_uri"):
        Repos(conn).logs.iter_for_script(script_uri=1)  # type: ignore[arg-type]
    assert_clean(conn)


async def test_async_iterates_and_closes(conn: psycopg.Connection[Any],
                                         aconn: psycopg.AsyncConnection[Any]) -> None:
    _fill(conn, _sync.ITERSIZE + 1)
    repos = AsyncRepos(aconn)
    assert len([r async for r in repos.logs.iter_for_script(script_uri=URI)]) == (
        _sync.ITERSIZE + 1)
    await assert_clean_async(aconn)
    async with contextlib.aclosing(repos.logs.iter_for_script(script_uri=URI)) as rows:
        async for _ in rows:
            break
    await assert_clean_async(aconn)
    with pytest.raises(RuntimeError):
        async with contextlib.aclosing(repos.logs.iter_for_script(script_uri=URI)) as rows:
            async for _ in rows:
                raise RuntimeError("stop")
    await assert_clean_async(aconn)


def test_through_pgbouncer_transaction_mode(db_url: str, conn: psycopg.Connection[Any]) -> None:
    # Two streams interleaved on a pool of two behind PgBouncer's transaction pooling: each
    # cursor lives in its own transaction, so it stays on one server connection.
    from helpers import pgbouncer as harness

    from repo.generated import Database

    binary = harness.pick(False)
    if isinstance(binary, str):
        pytest.skip(binary)
    _fill(conn, 3000)
    _fill(conn, 2500, "/other.js")
    with harness.running(db_url, binary) as bouncer, Database(
            bouncer.url(db_url), auto_migrate=False, pgbouncer=True, min_size=2,
            max_size=2) as db:
        first = db.repos.logs.iter_for_script(script_uri=URI)
        second = db.repos.logs.iter_for_script(script_uri="/other.js")
        counts = {URI: 0, "/other.js": 0}
        for b, a in zip(second, first, strict=False):  # the shorter one first: none lost
            counts[a.script_uri] += 1
            counts[b.script_uri] += 1
        counts[URI] += sum(1 for _ in first)
        assert counts == {URI: 3000, "/other.js": 2500}
        assert db.repos.scripts.count() == 0  # the pool is usable afterwards
