"""A read-only pooled call is one statement, one transaction; writes keep their own (#15).

`Database` pools are in autocommit: a query the analysis proved read-only runs alone (no
BEGIN and COMMIT round trips, also behind PgBouncer), every write in a transaction of its own,
and a connection passed in by the caller keeps the caller's transaction. The tests read what
the client sent with libpq's protocol trace (``PQtrace``): each ``Sync``/``Query`` is a round
trip.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Iterator

import psycopg
import pytest
from helpers import pgbouncer as harness
from psycopg import pq

from repo.errors import StatementTimeout, TooManyRows
from repo.generated import AsyncDatabase, Database
from repo.runtime import AsyncRepo, Query, Repo, scalar_maker

READ = Query("probe/read", "SELECT 1 AS one", row=scalar_maker(), read_only=True)
NOT_MARKED = Query("probe/read_unmarked", "SELECT 2 AS two", row=scalar_maker())
TWO_ROWS = Query("probe/insert_two", "INSERT INTO scripts (uri, code) VALUES ('/t1', 'x'), "
                 "('/t2', 'y') RETURNING uri", row=scalar_maker())
SLEEP = Query("probe/sleep", "SELECT pg_sleep(2)::text AS slept", row=scalar_maker(),
              read_only=True)
FAIL = Query("probe/fail", "SELECT 1 / 0 AS boom", row=scalar_maker(), read_only=True)


class Probe(Repo):
    __slots__ = ()

    def read(self, q: Query[int] = READ) -> int:
        return int(self._one(q, ()))

    def insert_two(self) -> str:
        return str(self._one(TWO_ROWS, ()))

    def sleep(self) -> object:
        return self._one(SLEEP, ())

    def fail(self) -> object:
        return self._one(FAIL, ())


class AsyncProbe(AsyncRepo):
    __slots__ = ()

    async def read(self, q: Query[int] = READ) -> int:
        return int(await self._one(q, ()))


def _scripts(db_url: str) -> int:
    with psycopg.connect(db_url) as conn:
        row = conn.execute("SELECT count(*) FROM scripts WHERE uri IN ('/t1', '/t2')").fetchone()
    assert row is not None
    return int(row[0])


def _assert_pool_idle(db: Database) -> None:
    # What the pool hands out next: no transaction left open, autocommit as configured.
    with db.pool.connection() as conn:
        assert conn.autocommit is True
        assert conn.info.transaction_status == pq.TransactionStatus.IDLE


def _sent(db: Database, call: Callable[[], object]) -> list[str]:
    """The messages the client sent during ``call()`` on the pool's only connection."""
    call()  # the first call may prepare the statement (a round trip of its own)
    with tempfile.TemporaryFile("w+") as trace:
        with db.pool.connection() as conn:
            conn.pgconn.trace(trace.fileno())
            conn.pgconn.set_trace_flags(pq.Trace.SUPPRESS_TIMESTAMPS | pq.Trace.REGRESS_MODE)
        try:
            call()
        finally:
            with db.pool.connection() as conn:
                conn.pgconn.untrace()
        trace.seek(0)
        return [" ".join(line.split()[2:]) for line in trace
                if line.startswith("F\t")]


def _round_trips(sent: list[str]) -> int:
    return sum(m == "Sync" or m.startswith("Query") for m in sent)


def _brackets(sent: list[str]) -> bool:
    return [m for m in sent if m in ('Query "BEGIN"', 'Query "COMMIT"')] == [
        'Query "BEGIN"', 'Query "COMMIT"']


def _check(db: Database, db_url: str) -> None:
    probe = Probe(db.pool)
    sent = _sent(db, probe.read)
    assert _round_trips(sent) == 1 and not any("BEGIN" in m for m in sent), sent
    sent = _sent(db, lambda: probe.read(NOT_MARKED))  # not proven read-only: a transaction
    assert _brackets(sent)
    with pytest.raises(TooManyRows):
        probe.insert_two()
    assert _scripts(db_url) == 0, "the write of a failed :one call was committed"
    _assert_pool_idle(db)
    with db.transaction() as repos:
        repos.scripts.upsert(uri="/t1", code="x")
        assert _scripts(db_url) == 0, "db.transaction() on an autocommit pool committed early"
    assert _scripts(db_url) == 1
    _assert_pool_idle(db)


def test_read_only_pooled_call_is_one_statement(db_url: str) -> None:
    with Database(db_url, auto_migrate=False, min_size=1, max_size=1) as db:
        _check(db, db_url)


def test_pool_of_the_callers_own_keeps_its_transactions(db_url: str) -> None:
    with Database(db_url, auto_migrate=False, min_size=1, max_size=1,
                  kwargs={"autocommit": False}) as db:
        probe = Probe(db.pool)
        sent = _sent(db, probe.read)  # psycopg's BEGIN, the pool's COMMIT, as before
        assert _brackets(sent)
        with pytest.raises(TooManyRows):
            probe.insert_two()
        with db.pool.connection() as conn:
            assert conn.autocommit is False
            assert conn.info.transaction_status == pq.TransactionStatus.IDLE
    assert _scripts(db_url) == 0


def test_errors_of_a_read_only_call_leave_the_connection_clean(db_url: str) -> None:
    with Database(db_url, auto_migrate=False, min_size=1, max_size=1,
                  kwargs={"options": "-c statement_timeout=100"}) as db:
        probe = Probe(db.pool)
        with pytest.raises(StatementTimeout):
            probe.sleep()
        _assert_pool_idle(db)
        with pytest.raises(psycopg.errors.DivisionByZero):
            probe.fail()
        _assert_pool_idle(db)
        assert probe.read() == 1


@pytest.fixture
def bouncer(db_url: str) -> Iterator[harness.Bouncer]:
    binary = harness.pick(False)
    if isinstance(binary, str):
        pytest.skip(binary)
    with harness.running(db_url, binary, max_prepared_statements=0) as b:
        yield b


def test_behind_pgbouncer(db_url: str, bouncer: harness.Bouncer) -> None:
    with Database(bouncer.url(db_url), auto_migrate=False, pgbouncer=True, min_size=1,
                  max_size=1) as db:
        _check(db, db_url)


async def test_async_read_only_pooled_call_is_one_statement(db_url: str) -> None:
    async with AsyncDatabase(db_url, auto_migrate=False, min_size=1, max_size=1) as db:
        probe = AsyncProbe(db.pool)
        assert await probe.read() == 1
        assert await probe.read(NOT_MARKED) == 2
        async with db.pool.connection() as conn:
            assert conn.autocommit is True
            assert conn.info.transaction_status == pq.TransactionStatus.IDLE
