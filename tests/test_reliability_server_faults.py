"""Server faults: a restart under a pool of repositories, statement timeouts and lost
connections surface as typed errors, and nothing is retried that could apply twice.

The restart needs a server this module owns (the shared test server must stay up), so it starts
an `EmbeddedServer` of its own; the other tests run on the shared server.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import threading
import time
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator

import psycopg
import pytest
from helpers.reliability import ROOT, own_server_dir, wait_for
from psycopg_pool import AsyncConnectionPool, ConnectionPool

from repo.config import load_settings
from repo.errors import ConnectionLost, PoolExhausted, ServerError, StatementTimeout
from repo.generated import AsyncDatabase, AsyncRepos, Database, Repos
from repo.migrate import Migrator, connect, resolve
from repo.server import EmbeddedServer, create_database, find_binaries

Conn = psycopg.Connection[tuple[object, ...]]


@pytest.fixture(scope="module")
def own_server() -> Iterator[tuple[EmbeddedServer, str]]:
    """A server this module may restart, with a migrated database; yields (server, url)."""
    if find_binaries() is None:
        pytest.skip("no PostgreSQL binaries to start a server of our own")
    with own_server_dir("faults") as datadir:
        server = EmbeddedServer(datadir)
        server.start()
        try:
            url = create_database(server.url, "faults")
            with connect(url) as conn:
                Migrator(conn, resolve(ROOT / "migrations")).run()
            yield server, url
        finally:
            server.stop()


def _backend_pid(conn: Conn) -> int:
    return conn.info.backend_pid


def _terminate(admin_url: str, pid: int) -> None:
    with psycopg.connect(admin_url, autocommit=True) as admin:
        admin.execute("SELECT pg_terminate_backend(%s)", [pid])


def _log_count(url: str) -> int:
    with psycopg.connect(url, autocommit=True) as conn:
        row = conn.execute("SELECT count(*) FROM logs").fetchone()
    assert row is not None
    return int(row[0])  # type: ignore[call-overload]


# -- a restart under a pool ------------------------------------------------------------------

class Worker(threading.Thread):
    """Appends uniquely numbered log lines until told to stop; records every outcome."""

    def __init__(self, db: Database, number: int, stop: threading.Event) -> None:
        super().__init__(daemon=True)
        self.db, self.number, self.stop = db, number, stop
        self.ok: list[str] = []
        self.lost: list[str] = []
        self.unexpected: list[BaseException] = []

    def run(self) -> None:
        n = 0
        while not self.stop.is_set():
            message = f"{self.number}:{n}"
            n += 1
            try:
                self.db.repos.logs.append(script_uri="restart", message=message)
                self.ok.append(message)
            except ConnectionLost:
                self.lost.append(message)
            # A failed COMMIT on return to the pool is a ConnectionLost too (see
            # test_a_failure_at_pool_commit_is_typed); a raw psycopg error is a finding.
            except BaseException as exc:  # noqa: BLE001 - anything else is a finding
                self.unexpected.append(exc)


# Held by `_writers_blocked*`: every append queues behind it; the probe counts queued ones.
LOCK_LOGS = "LOCK TABLE logs IN SHARE ROW EXCLUSIVE MODE"
APPENDS_WAITING = ("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
                   "AND query LIKE '%INSERT INTO logs%'")


@contextlib.contextmanager
def _writers_blocked(url: str) -> Iterator[Callable[[], bool]]:
    """Hold a lock that queues every append; yield a probe: is some append waiting on it?

    A restart inside this block provably hits calls in flight (the server is holding them)
    instead of depending on where 8 fast calls happen to be at that instant.
    """
    with psycopg.connect(url) as holder, psycopg.connect(url, autocommit=True) as watcher:
        holder.execute(LOCK_LOGS)

        def probe() -> bool:
            row = watcher.execute(APPENDS_WAITING).fetchone()
            return bool(row and row[0])

        try:
            yield probe
        except psycopg.OperationalError:
            pass
        with contextlib.suppress(psycopg.Error):
            holder.rollback()  # normally gone with the restart


@contextlib.asynccontextmanager
async def _writers_blocked_async(url: str) -> AsyncIterator[Callable[[], Awaitable[bool]]]:
    """`_writers_blocked` for asyncio: the lock waits for appends whose COMMIT needs the loop."""
    async with await psycopg.AsyncConnection.connect(url) as holder, \
            await psycopg.AsyncConnection.connect(url, autocommit=True) as watcher:
        await holder.execute(LOCK_LOGS)

        async def probe() -> bool:
            cur = await watcher.execute(APPENDS_WAITING)
            row = await cur.fetchone()
            return bool(row and row[0])

        try:
            yield probe
        except psycopg.OperationalError:
            pass
        with contextlib.suppress(psycopg.Error):
            await holder.rollback()  # normally gone with the restart


@pytest.mark.slow
def test_restart_under_a_pool_fails_in_flight_calls_then_recovers(
        own_server: tuple[EmbeddedServer, str]) -> None:
    server, url = own_server
    stop = threading.Event()
    with Database(url, max_size=8, timeout=30) as db:
        workers = [Worker(db, i, stop) for i in range(8)]
        for w in workers:
            w.start()
        wait_for(lambda: sum(len(w.ok) for w in workers) > 200, timeout=30,
                 what="traffic before the restart")
        before = {w.number: len(w.ok) for w in workers}
        with _writers_blocked(url) as blocked:
            wait_for(blocked, timeout=30, what="an append waiting on the lock")
            server.restart()  # fast shutdown: every session is terminated mid-traffic
        restarted = time.monotonic()
        # Without reopening anything, every worker gets through again.
        wait_for(lambda: all(len(w.ok) > before[w.number] + 20 for w in workers), timeout=60,
                 what="every worker to succeed after the restart")
        recovered = time.monotonic() - restarted
        stop.set()
        for w in workers:
            w.join(timeout=60)
        stats = db.pool.get_stats()

    _check_restart(url, "restart", workers, recovered, stats)


def _check_restart(url: str, uri: str, workers: list[Worker] | list[AsyncWorker],
                   recovered: float, stats: dict[str, int]) -> None:
    unexpected = [e for w in workers for e in w.unexpected]
    assert unexpected == [], [repr(e) for e in unexpected[:5]]
    ok = [m for w in workers for m in w.ok]
    lost = [m for w in workers for m in w.lost]
    assert lost, "the restart should have caught some calls in flight"
    with psycopg.connect(url, autocommit=True) as conn:
        stored = Counter(str(r[0]) for r in conn.execute(
            "SELECT message FROM logs WHERE script_uri = %s", [uri]))
    # No lost writes: every call that returned is stored ...
    assert set(ok) <= set(stored)
    # ... nothing was applied twice (no retries) ...
    assert max(stored.values()) == 1
    # ... and only a call that reported ConnectionLost may have been applied without a reply.
    assert set(stored) - set(ok) <= set(lost)
    print(f"\n{uri}: {len(ok)} ok, {len(lost)} lost, all workers through again "
          f"{recovered:.2f}s after the restart; pool {stats}")


class AsyncWorker:
    """`Worker` as an asyncio task over an `AsyncDatabase`."""

    def __init__(self, db: AsyncDatabase, number: int) -> None:
        self.db, self.number = db, number
        self.ok: list[str] = []
        self.lost: list[str] = []
        self.unexpected: list[BaseException] = []
        self.stop = False

    async def run(self) -> None:
        n = 0
        while not self.stop:
            message = f"{self.number}:{n}"
            n += 1
            try:
                await self.db.repos.logs.append(script_uri="restart-async", message=message)
                self.ok.append(message)
            except ConnectionLost:
                self.lost.append(message)
            except Exception as exc:  # noqa: BLE001 - anything else (see Worker.run) is a finding
                self.unexpected.append(exc)


@pytest.mark.slow
async def test_restart_under_an_async_pool_fails_in_flight_calls_then_recovers(
        own_server: tuple[EmbeddedServer, str]) -> None:
    server, url = own_server

    async def until(probe: Callable[[], bool], timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while not probe():
            assert time.monotonic() < deadline, "timed out"
            await asyncio.sleep(0.02)

    async with AsyncDatabase(url, max_size=8, timeout=30) as db:
        workers = [AsyncWorker(db, i) for i in range(16)]
        tasks = [asyncio.create_task(w.run()) for w in workers]
        await until(lambda: sum(len(w.ok) for w in workers) > 200, 30)
        before = {w.number: len(w.ok) for w in workers}
        async with _writers_blocked_async(url) as blocked:
            deadline = time.monotonic() + 30
            while not await blocked():
                assert time.monotonic() < deadline, "timed out waiting for a blocked append"
                await asyncio.sleep(0.02)
            # Restarted from this thread: the postmaster's parent-death signal
            # (PR_SET_PDEATHSIG) belongs to the thread that started it, and a to_thread worker
            # exits later.
            server.restart()
        restarted = time.monotonic()
        await until(lambda: all(len(w.ok) > before[w.number] + 10 for w in workers), 60)
        recovered = time.monotonic() - restarted
        for w in workers:
            w.stop = True
        await asyncio.gather(*tasks)
        stats = db.pool.get_stats()
    _check_restart(url, "restart-async", workers, recovered, stats)


# -- a restart while the pool is idle: no call that had not started fails ----------------------

def _calls_after_restart(server: EmbeddedServer, db: Database, uri: str) -> tuple[int, int]:
    """Warm every pooled connection, restart the server, then make 8 calls: (ok, lost)."""
    db.pool.wait()
    with db.pool.connection(), db.pool.connection(), db.pool.connection():
        pass
    server.restart()
    ok = lost = 0
    for i in range(8):
        try:
            db.repos.logs.append(script_uri=uri, message=str(i))
            ok += 1
        except ConnectionLost:
            lost += 1
    return ok, lost


@pytest.mark.slow
def test_a_restart_fails_no_call_that_started_after_it(
        own_server: tuple[EmbeddedServer, str]) -> None:
    server, url = own_server
    # Without a check the pool hands out the dead idle connections: the scenario is real.
    with Database(url, min_size=4, max_size=4, check=None) as db:
        assert _calls_after_restart(server, db, "idle-unchecked")[1] >= 1
    # Database's default check replaces them before they are handed out.
    with Database(url, min_size=4, max_size=4) as db:
        assert _calls_after_restart(server, db, "idle-checked") == (8, 0)


@pytest.mark.slow
async def test_a_restart_fails_no_async_call_that_started_after_it(
        own_server: tuple[EmbeddedServer, str]) -> None:
    server, url = own_server
    async with AsyncDatabase(url, min_size=4, max_size=4) as db:
        await db.pool.wait()
        server.restart()  # from this thread (see the test above)
        lost = 0
        for i in range(8):
            try:
                await db.repos.logs.append(script_uri="idle-async", message=str(i))
            except ConnectionLost:
                lost += 1
    assert lost == 0


def test_a_database_pool_never_hands_out_a_terminated_connection(db_url: str) -> None:
    with Database(db_url, min_size=2, max_size=2) as db:
        db.pool.wait()
        with db.pool.connection() as a, db.pool.connection() as b:
            pids = {a.info.backend_pid, b.info.backend_pid}
        for pid in pids:  # both idle in the pool: the server ends their sessions
            _terminate(db_url, pid)
        wait_for(lambda: not _backends_alive(db_url, pids), timeout=10,
                 what="the terminated backends to exit")
        for i in range(4):  # the check replaces them: no call fails (with check=None: 2 do)
            db.repos.logs.append(script_uri="s", message=str(i))
        with db.pool.connection() as c:
            assert c.info.backend_pid not in pids
    assert _log_count(db_url) == 4


def _backends_alive(url: str, pids: set[int]) -> bool:
    with psycopg.connect(url, autocommit=True) as conn:
        rows = conn.execute("SELECT pid FROM pg_stat_activity WHERE pid = ANY(%s)",
                            [list(pids)]).fetchall()
    return bool(rows)


# -- pool exhaustion and connect_timeout ------------------------------------------------------

def test_an_exhausted_pool_is_a_typed_error_with_the_wait(db_url: str) -> None:
    with Database(db_url, min_size=1, max_size=1, timeout=0.3) as db:
        with db.transaction() as tx:  # holds the only connection
            tx.logs.append(script_uri="s", message="held")
            with pytest.raises(PoolExhausted) as caught:
                db.repos.logs.append(script_uri="s", message="waits")
            with pytest.raises(PoolExhausted, match="Database.transaction"), \
                    db.transaction():
                pass
        assert caught.value.wait == 0.3 and caught.value.max_size == 1
        assert "logs/append: no pooled connection became free within 0.3s" in str(caught.value)
        db.repos.logs.append(script_uri="s", message="after")  # released: works again
    assert _log_count(db_url) == 2


async def test_an_exhausted_async_pool_is_a_typed_error_with_the_wait(db_url: str) -> None:
    async with AsyncDatabase(db_url, min_size=1, max_size=1, timeout=0.3) as db:
        async with db.transaction():
            with pytest.raises(PoolExhausted) as caught:
                await db.repos.logs.append(script_uri="s", message="waits")
    assert caught.value.wait == 0.3


def test_the_urls_connect_timeout_is_honoured() -> None:
    # A listener that never answers: libpq waits for connect_timeout, then gives up.
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        port = silent.getsockname()[1]
        url = f"postgresql://u@127.0.0.1:{port}/d?connect_timeout=2"
        assert Database(url, settings=load_settings(ROOT, env={})).connect_timeout == 2
        started = time.monotonic()
        with pytest.raises(ServerError, match="connect_timeout=2s"):
            Database(url, settings=load_settings(ROOT, env={})).open()
        waited = time.monotonic() - started
    assert waited < 4.5  # the URL's 2 s, not our default of 5 s
    assert Database(url.replace("?connect_timeout=2", ""),
                    settings=load_settings(ROOT, env={})).connect_timeout == 5


# -- statement timeout and lost connection, sync and async -----------------------------------

def test_statement_timeout_is_typed_and_the_connection_survives(conn: Conn, db_url: str) -> None:
    repos = Repos(conn)
    repos.scripts.upsert(uri="/locked", code="v1")
    with psycopg.connect(db_url) as holder:  # holds the row lock in an open transaction
        holder.execute("UPDATE scripts SET code = 'held' WHERE uri = '/locked'")
        conn.execute("SET statement_timeout = '200ms'")
        with pytest.raises(StatementTimeout) as caught:
            repos.scripts.upsert(uri="/locked", code="v2")
        holder.rollback()
    assert "scripts/upsert" in str(caught.value) and "nothing was retried" in str(caught.value)
    conn.execute("SET statement_timeout = 0")
    got = repos.scripts.get_by_uri(uri="/locked")
    assert got is not None and got.code == "v1"  # the timed-out write did not happen


def test_lost_connection_is_typed_and_not_retried(conn: Conn, db_url: str) -> None:
    repos = Repos(conn)
    outcome: list[BaseException] = []
    with psycopg.connect(db_url) as holder:
        holder.execute("LOCK TABLE logs IN ACCESS EXCLUSIVE MODE")
        call = threading.Thread(target=lambda: _capture(
            lambda: repos.logs.append(script_uri="s", message="once"), outcome))
        call.start()
        pid = _backend_pid(conn)
        wait_for(lambda: _waiting(holder, pid), timeout=10, what="the append to block")
        _terminate(db_url, pid)  # the connection dies while the INSERT waits
        call.join(timeout=10)
        holder.rollback()
    assert len(outcome) == 1 and isinstance(outcome[0], ConnectionLost), outcome
    assert "logs/append" in str(outcome[0]) and "not retried" in str(outcome[0])
    assert conn.broken
    time.sleep(0.2)
    assert _log_count(db_url) == 0  # the INSERT was never re-sent


def test_a_pool_replaces_a_lost_connection(db_url: str) -> None:
    with ConnectionPool(db_url, min_size=1, max_size=1, open=True) as pool:
        repos = Repos(pool)
        repos.logs.append(script_uri="s", message="before")
        with pool.connection() as c:
            pid = c.info.backend_pid
        _terminate(db_url, pid)
        with pytest.raises(ConnectionLost):
            repos.logs.append(script_uri="s", message="lost")
        # The pool dropped the broken connection: the next call gets a fresh one.
        repos.logs.append(script_uri="s", message="after")
        with pool.connection() as c:
            assert c.info.backend_pid != pid
    with psycopg.connect(db_url, autocommit=True) as check:
        rows = [r[0] for r in check.execute("SELECT message FROM logs ORDER BY created_at")]
    assert rows == ["before", "after"]


async def test_async_timeout_and_lost_connection_are_typed(db_url: str) -> None:
    async with await psycopg.AsyncConnection.connect(db_url, autocommit=True) as aconn:
        repos = AsyncRepos(aconn)
        await aconn.execute("SET statement_timeout = '100ms'")
        with psycopg.connect(db_url) as holder:
            holder.execute("LOCK TABLE logs IN ACCESS EXCLUSIVE MODE")
            with pytest.raises(StatementTimeout):
                await repos.logs.append(script_uri="s", message="timeout")
            await aconn.execute("SET statement_timeout = 0")
            task = asyncio.create_task(repos.logs.append(script_uri="s", message="lost"))
            pid = aconn.info.backend_pid
            await asyncio.to_thread(wait_for, lambda: _waiting(holder, pid), timeout=10,
                                    what="the append to block")
            await asyncio.to_thread(_terminate, db_url, pid)
            with pytest.raises(ConnectionLost):
                await task
            holder.rollback()
    assert _log_count(db_url) == 0


def test_a_failure_at_pool_commit_is_typed(db_url: str) -> None:
    from repo.errors import UniqueViolation

    with psycopg.connect(db_url, autocommit=True) as admin:  # checked only at COMMIT
        admin.execute("ALTER TABLE logs ADD CONSTRAINT logs_message_key UNIQUE (message) "
                      "DEFERRABLE INITIALLY DEFERRED")
    with ConnectionPool(db_url, min_size=1, max_size=1, open=True) as pool:
        repos = Repos(pool)
        repos.logs.append(script_uri="s", message="dup")
        with pytest.raises(UniqueViolation):
            repos.logs.append(script_uri="s", message="dup")


# A deferred constraint trigger runs inside COMMIT; this one ends its own backend there, the
# way a server shutdown would. The sequence counts the attempts (nextval is not rolled back).
_DIE_AT_COMMIT = """
CREATE SEQUENCE commit_attempts;
CREATE FUNCTION die_at_commit() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM nextval('commit_attempts');
    PERFORM pg_terminate_backend(pg_backend_pid());
    RETURN NULL;
END $$;
CREATE CONSTRAINT TRIGGER die_at_commit AFTER INSERT ON logs DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW WHEN (NEW.message = 'die') EXECUTE FUNCTION die_at_commit();
"""


def _commit_attempts(url: str) -> int:
    with psycopg.connect(url, autocommit=True) as conn:
        row = conn.execute("SELECT last_value FROM commit_attempts WHERE is_called")
        return int(next(iter(row), (0,))[0])  # type: ignore[call-overload]


def test_a_lost_server_at_pool_commit_is_connection_lost_not_retried(db_url: str) -> None:
    with psycopg.connect(db_url, autocommit=True) as admin:
        admin.execute(_DIE_AT_COMMIT)
    with ConnectionPool(db_url, min_size=1, max_size=1, open=True) as pool:
        repos = Repos(pool)
        with pytest.raises(ConnectionLost, match="logs/append: connection lost"):
            repos.logs.append(script_uri="s", message="die")
        repos.logs.append(script_uri="s", message="after")  # the pool replaced it
    assert _commit_attempts(db_url) == 1
    assert _log_count(db_url) == 1


async def test_an_async_pool_commit_failure_is_typed(db_url: str) -> None:
    from repo.errors import UniqueViolation

    with psycopg.connect(db_url, autocommit=True) as admin:
        admin.execute("ALTER TABLE logs ADD CONSTRAINT logs_message_key UNIQUE (message) "
                      "DEFERRABLE INITIALLY DEFERRED")
        admin.execute(_DIE_AT_COMMIT)
    async with AsyncConnectionPool(db_url, min_size=1, max_size=1, open=False) as pool:
        repos = AsyncRepos(pool)
        await repos.logs.append(script_uri="s", message="dup")
        with pytest.raises(UniqueViolation, match="logs_message_key"):
            await repos.logs.append(script_uri="s", message="dup")
        with pytest.raises(ConnectionLost, match="logs/append: connection lost"):
            await repos.logs.append(script_uri="s", message="die")
        await repos.logs.append(script_uri="s", message="after")
    assert _commit_attempts(db_url) == 1
    assert _log_count(db_url) == 2


def _capture(call: object, into: list[BaseException]) -> None:
    try:
        call()  # type: ignore[operator]
    except BaseException as exc:  # noqa: BLE001
        into.append(exc)


def _waiting(observer: Conn, pid: int) -> bool:
    row = observer.execute("SELECT wait_event_type FROM pg_stat_activity WHERE pid = %s",
                           [pid]).fetchone()
    return row is not None and row[0] == "Lock"

