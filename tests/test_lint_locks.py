"""Every lint rule backed by a fact measured on PostgreSQL, for the dangerous migration and
for the rewrite the rule suggests.

Tables hold rows. Three measurements, none of them timing-based:

* ``debug1``: PostgreSQL's own DEBUG1 messages say when a statement rewrites a table
  ("rewriting table"), scans it to check a constraint ("verifying table", "validating foreign
  key constraint"), or proves NOT NULL from a validated CHECK ("sufficient to prove");
* ``queue``: a session holds an open write transaction on the table; the migration's
  statement runs in another session; while it is queued (or working) a third session with a
  short lock_timeout tries a read and a write. What waits is what the migration's lock mode
  blocks in production, read from pg_locks as well;
* plain errors: a migration that fails on a table with rows, or in a transaction block.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pytest
from psycopg import errors

from repo.server import create_database, drop_database

BASE = Path(__file__).resolve().parent / "fixtures" / "lint" / "base" / "1_base.sql"
ROWS = 2000


@pytest.fixture(scope="module")
def lock_db(pg_url: str) -> Iterator[str]:
    """One database for the module; each test starts from a fresh schema in it (cheaper
    than a database per test)."""
    name = f"repo_locks_{os.getpid()}"
    yield create_database(pg_url, name)
    drop_database(pg_url, name)


@pytest.fixture
def url(lock_db: str) -> str:
    with psycopg.connect(lock_db, autocommit=True) as conn:
        conn.execute("DROP SCHEMA public CASCADE")
        conn.execute("CREATE SCHEMA public")
        conn.execute(BASE.read_text())
        conn.execute("INSERT INTO accounts SELECT g, 'a' || g || '@x', 'n' || g, NULL, g "
                     "FROM generate_series(1, %s) g", [ROWS])
        conn.execute("INSERT INTO orders SELECT g, g, 'note', g FROM generate_series(1, %s) g",
                     [ROWS])
    return lock_db


def debug1(url: str, *statements: str) -> list[str]:
    """Run ``statements`` in one transaction; return PostgreSQL's DEBUG1 messages."""
    notes: list[str] = []
    with psycopg.connect(url) as conn:
        conn.add_notice_handler(lambda d: notes.append(d.message_primary or ""))
        conn.execute("SET client_min_messages = debug1")
        for s in statements:
            conn.execute(s)
    return notes


def run(url: str, *statements: str) -> None:
    with psycopg.connect(url, autocommit=True) as conn:
        for s in statements:
            conn.execute(s)


@dataclass
class Queue:
    """What the third session could not do while the migration statement was pending."""

    mode: str  # the migration's lock on the table (pg_locks), e.g. AccessExclusiveLock
    read_blocked: bool
    write_blocked: bool


Measure = Callable[..., Queue]


def _try(url: str, sql: str) -> bool:
    """True when ``sql`` could not get its lock within 200 ms."""
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("SET lock_timeout = '200ms'")
        try:
            conn.execute(sql)
        except errors.LockNotAvailable:
            return True
    return False


@pytest.fixture
def queue(url: str) -> Iterator[Measure]:
    def measure(table: str, *statements: str, autocommit: bool = False) -> Queue:
        with psycopg.connect(url) as blocker, psycopg.connect(url, autocommit=True) as mon:
            blocker.execute(f"UPDATE {table} SET id = id WHERE id = 2")  # an open write
            failure: list[BaseException] = []
            executed, release = threading.Event(), threading.Event()
            migration = psycopg.connect(url, autocommit=autocommit)
            pid = migration.info.backend_pid

            def migrate() -> None:
                try:
                    with migration:
                        for s in statements:
                            migration.execute(s)
                        executed.set()  # done, but its transaction (and locks) still open
                        release.wait(30)
                except BaseException as exc:  # reported by the test
                    failure.append(exc)
                    executed.set()

            thread = threading.Thread(target=migrate)
            thread.start()
            mode = _wait_for_lock(mon, pid, table, executed)
            read = _try(url, f"SELECT count(*) FROM {table}")
            write = _try(url, f"UPDATE {table} SET id = id WHERE id = 1")
            release.set()
            blocker.commit()
            thread.join(30)
            assert not thread.is_alive() and not failure, failure
        return Queue(mode, read, write)

    yield measure


_STRENGTH = ["AccessShareLock", "RowShareLock", "RowExclusiveLock", "ShareUpdateExclusiveLock",
             "ShareLock", "ShareRowExclusiveLock", "ExclusiveLock", "AccessExclusiveLock"]


def _wait_for_lock(mon: psycopg.Connection[tuple[object, ...]], pid: int, table: str,
                   executed: threading.Event) -> str:
    """The migration's lock on ``table`` once it waits for a lock, or has executed with its
    transaction still open (waits up to 10 s): the lock it queues for, else its strongest."""
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        rows = mon.execute("SELECT mode, granted FROM pg_locks WHERE pid = %s "
                           "AND relation = %s::regclass", [pid, table]).fetchall()
        waiting = mon.execute("SELECT wait_event_type = 'Lock' FROM pg_stat_activity "
                              "WHERE pid = %s", [pid]).fetchone()
        queued = [str(m) for m, granted in rows if not granted]
        if queued:
            return queued[0]
        if rows and (executed.is_set() or (waiting and waiting[0])):
            return max((str(m) for m, _ in rows), key=_STRENGTH.index)
        time.sleep(0.02)
    raise AssertionError("the migration neither waited for a lock nor finished")


# L001 -------------------------------------------------------------------------------------
def test_L001_not_null_without_default_fails_on_rows_and_the_constant_default_does_not_rewrite(
        url: str) -> None:
    with pytest.raises(errors.NotNullViolation):
        run(url, "ALTER TABLE accounts ADD COLUMN plan text NOT NULL")
    notes = debug1(url, "ALTER TABLE accounts ADD COLUMN plan text NOT NULL DEFAULT 'free'")
    assert not [n for n in notes if n.startswith("rewriting table")]


# L002 -------------------------------------------------------------------------------------
def test_L002_set_not_null_scans_under_access_exclusive(url: str, queue: Measure) -> None:
    assert 'verifying table "accounts"' in debug1(
        url, "ALTER TABLE accounts ALTER COLUMN name SET NOT NULL")
    q = queue("accounts", "ALTER TABLE accounts ALTER COLUMN email SET NOT NULL")
    assert (q.mode, q.read_blocked, q.write_blocked) == ("AccessExclusiveLock", True, True)


def test_L002_fix_validates_without_blocking_and_set_not_null_skips_the_scan(
        url: str, queue: Measure) -> None:
    run(url, "ALTER TABLE accounts ADD CONSTRAINT nn CHECK (name IS NOT NULL) NOT VALID")
    q = queue("accounts", "ALTER TABLE accounts VALIDATE CONSTRAINT nn")
    assert (q.read_blocked, q.write_blocked) == (False, False)
    notes = debug1(url, "ALTER TABLE accounts ALTER COLUMN name SET NOT NULL")
    assert any("sufficient to prove" in n for n in notes), notes
    assert 'verifying table "accounts"' not in notes


# L003 / L005 ------------------------------------------------------------------------------
def test_L003_create_index_blocks_writes(queue: Measure) -> None:
    q = queue("accounts", "CREATE INDEX i ON accounts (email)")
    assert (q.mode, q.read_blocked, q.write_blocked) == ("ShareLock", False, True)


def test_L003_fix_concurrently_blocks_nothing(queue: Measure) -> None:
    q = queue("accounts", "CREATE INDEX CONCURRENTLY i ON accounts (email)",
              autocommit=True)
    assert (q.mode, q.read_blocked, q.write_blocked) == ("ShareUpdateExclusiveLock", False,
                                                          False)


def test_L005_concurrently_in_a_transaction_fails_at_deploy(url: str) -> None:
    with pytest.raises(errors.ActiveSqlTransaction), psycopg.connect(url) as conn:
        conn.execute("CREATE INDEX CONCURRENTLY i ON accounts (email)")
    run(url, "CREATE INDEX CONCURRENTLY i ON accounts (email)")  # -- no-transaction: works
    # sqlx-cli sends a file as one simple query: several statements are one implicit
    # transaction, so CONCURRENTLY fails there (the L005 note).
    with psycopg.connect(url, autocommit=True) as conn:
        result = conn.pgconn.exec_(b"SET lock_timeout = '1s'; "
                                   b"CREATE INDEX CONCURRENTLY j ON accounts (name)")
        assert b"cannot run inside a transaction block" in (result.error_message or b"")


# L004 -------------------------------------------------------------------------------------
def test_L004_drop_index_blocks_reads_and_writes(queue: Measure) -> None:
    q = queue("orders", "DROP INDEX orders_account_id_idx")
    assert (q.mode, q.read_blocked, q.write_blocked) == ("AccessExclusiveLock", True, True)


def test_L004_fix_drop_concurrently_blocks_nothing(queue: Measure) -> None:
    q = queue("orders", "DROP INDEX CONCURRENTLY orders_account_id_idx",
              autocommit=True)
    assert (q.read_blocked, q.write_blocked) == (False, False)


# L006 -------------------------------------------------------------------------------------
def test_L006_int_to_bigint_rewrites_and_widening_does_not(url: str, queue: Measure) -> None:
    assert 'rewriting table "orders"' in debug1(
        url, "ALTER TABLE orders ALTER COLUMN total TYPE bigint")
    notes = debug1(url, "ALTER TABLE accounts ALTER COLUMN name TYPE text",
                   "ALTER TABLE accounts ALTER COLUMN email TYPE varchar(200)",
                   "ALTER TABLE accounts ALTER COLUMN score TYPE numeric(12, 2)")
    assert not [n for n in notes if n.startswith("rewriting table")], notes
    q = queue("orders", "ALTER TABLE orders ALTER COLUMN total TYPE int8")
    assert (q.mode, q.read_blocked, q.write_blocked) == ("AccessExclusiveLock", True, True)


# L007 -------------------------------------------------------------------------------------
def test_L007_foreign_key_validates_under_share_row_exclusive(url: str, queue: Measure) -> None:
    fk = "ALTER TABLE orders ADD CONSTRAINT fk FOREIGN KEY (account_id) REFERENCES accounts (id)"
    assert 'validating foreign key constraint "fk"' in debug1(url, fk)
    run(url, "ALTER TABLE orders DROP CONSTRAINT fk")
    q = queue("orders", fk)
    assert (q.mode, q.read_blocked, q.write_blocked) == ("ShareRowExclusiveLock", False, True)


def test_L007_fix_not_valid_skips_the_scan_and_validate_blocks_nothing(
        url: str, queue: Measure) -> None:
    notes = debug1(url, "ALTER TABLE orders ADD CONSTRAINT fk FOREIGN KEY (account_id) "
                   "REFERENCES accounts (id) NOT VALID")
    assert not [n for n in notes if n.startswith("validating")]
    q = queue("orders", "ALTER TABLE orders VALIDATE CONSTRAINT fk")
    assert (q.read_blocked, q.write_blocked) == (False, False)


def test_L007_validate_in_the_same_transaction_keeps_the_add_lock(url: str) -> None:
    with psycopg.connect(url) as conn, psycopg.connect(url, autocommit=True) as mon:
        conn.execute("ALTER TABLE orders ADD CONSTRAINT fk FOREIGN KEY (account_id) "
                     "REFERENCES accounts (id) NOT VALID")
        conn.execute("ALTER TABLE orders VALIDATE CONSTRAINT fk")
        modes = {r[0] for r in mon.execute(
            "SELECT mode FROM pg_locks WHERE pid = %s AND relation = 'orders'::regclass",
            [conn.info.backend_pid])}
        assert "ShareRowExclusiveLock" in modes
        assert _try(url, "UPDATE orders SET id = id WHERE id = 1")


# L008 -------------------------------------------------------------------------------------
def test_L008_check_scans_under_access_exclusive(url: str, queue: Measure) -> None:
    check = "ALTER TABLE accounts ADD CONSTRAINT pos CHECK (score >= 0)"
    assert 'verifying table "accounts"' in debug1(url, check)
    run(url, "ALTER TABLE accounts DROP CONSTRAINT pos")
    q = queue("accounts", check)
    assert (q.mode, q.read_blocked, q.write_blocked) == ("AccessExclusiveLock", True, True)


def test_L008_fix_not_valid_skips_the_scan_and_validate_blocks_nothing(
        url: str, queue: Measure) -> None:
    notes = debug1(url, "ALTER TABLE accounts ADD CONSTRAINT pos CHECK (score >= 0) NOT VALID")
    assert 'verifying table "accounts"' not in notes
    q = queue("accounts", "ALTER TABLE accounts VALIDATE CONSTRAINT pos")
    assert (q.read_blocked, q.write_blocked) == (False, False)


# L009 -------------------------------------------------------------------------------------
def _constraint_index(url: str, name: str) -> int:
    with psycopg.connect(url) as conn:
        row = conn.execute("SELECT conindid::int FROM pg_constraint WHERE conname = %s",
                           [name]).fetchone()
    assert row is not None
    return int(row[0])


def test_L009_unique_builds_its_index_under_access_exclusive(url: str, queue: Measure) -> None:
    notes = debug1(url, "ALTER TABLE accounts ADD CONSTRAINT u UNIQUE (email)")
    assert any(n.startswith('building index "u"') for n in notes), notes
    run(url, "ALTER TABLE accounts DROP CONSTRAINT u")
    q = queue("accounts", "ALTER TABLE accounts ADD CONSTRAINT u UNIQUE (email)")
    assert (q.mode, q.read_blocked, q.write_blocked) == ("AccessExclusiveLock", True, True)


def test_L009_fix_using_index_builds_nothing_under_the_lock(url: str) -> None:
    run(url, "CREATE UNIQUE INDEX CONCURRENTLY u_idx ON accounts (email)")
    with psycopg.connect(url) as conn:
        row = conn.execute("SELECT 'u_idx'::regclass::oid::int").fetchone()
    assert row is not None
    notes = debug1(url, "ALTER TABLE accounts ADD CONSTRAINT u UNIQUE USING INDEX u_idx")
    assert not [n for n in notes if n.startswith("building index")], notes
    assert _constraint_index(url, "u") == row[0]


# L010 -------------------------------------------------------------------------------------
def test_L010_volatile_default_rewrites_and_set_default_later_does_not(url: str) -> None:
    assert 'rewriting table "accounts"' in debug1(
        url, "ALTER TABLE accounts ADD COLUMN token uuid DEFAULT gen_random_uuid()")
    notes = debug1(url, "ALTER TABLE accounts ADD COLUMN token2 uuid",
                   "ALTER TABLE accounts ALTER COLUMN token2 SET DEFAULT gen_random_uuid()",
                   "ALTER TABLE accounts ADD COLUMN seen_at timestamptz DEFAULT now()")
    assert not [n for n in notes if n.startswith("rewriting table")], notes


# L011 / L012 ------------------------------------------------------------------------------
QUERY = "SELECT id, email, name FROM accounts WHERE id = 1"  # queries/accounts/get.sql


def test_L011_rename_breaks_the_running_query(url: str) -> None:
    run(url, QUERY, "ALTER TABLE accounts RENAME COLUMN score TO rating")  # unused: fine
    run(url, QUERY)
    run(url, "ALTER TABLE accounts RENAME COLUMN name TO full_name")
    with pytest.raises(errors.UndefinedColumn):
        run(url, QUERY)


def test_L012_drop_breaks_the_running_query(url: str) -> None:
    run(url, "ALTER TABLE accounts DROP COLUMN nickname")  # unused by QUERY: fine
    run(url, QUERY)
    run(url, "ALTER TABLE accounts DROP COLUMN name")
    with pytest.raises(errors.UndefinedColumn):
        run(url, QUERY)


# L013 -------------------------------------------------------------------------------------
def test_L013_a_brief_lock_queues_every_reader_behind_it(queue: Measure) -> None:
    q = queue("accounts", "ALTER TABLE accounts ADD COLUMN bio text")
    assert (q.mode, q.read_blocked, q.write_blocked) == ("AccessExclusiveLock", True, True)


def test_L013_fix_lock_timeout_gives_up_instead_of_queueing_readers(url: str) -> None:
    with psycopg.connect(url) as blocker:
        blocker.execute("SELECT count(*) FROM accounts")  # a long read holds ACCESS SHARE
        with pytest.raises(errors.LockNotAvailable), psycopg.connect(url) as conn:
            conn.execute("SET LOCAL lock_timeout = '100ms'")
            conn.execute("ALTER TABLE accounts ADD COLUMN bio text")
        assert not _try(url, "SELECT count(*) FROM accounts")


# Type changes as `rewrites()` (L006) sees them, each checked against PostgreSQL's own answer.
TYPE_CHANGES = [
    ("text", "varchar(40)"), ("text", "varchar"), ("varchar(10)", "varchar"),
    ("varchar(10)", "varchar(5)"), ("varchar(10)", "text"), ("varchar(10)", "varchar(20)"),
    ("numeric(10,2)", "numeric"), ("numeric", "numeric(10,2)"), ("numeric(10,2)", "numeric(12,2)"),
    ("numeric(10,2)", "numeric(12,3)"), ("timestamp(3)", "timestamp"), ("char(5)", "char(10)"),
    ("char(5)", "text"), ("cidr", "inet"), ("int4", "int8"), ("int8", "int4"), ("float4", "float8"),
    ("text[]", "varchar[]"), ("varchar(5)[]", "varchar(10)[]"), ("xml", "text"),
    ("interval(2)", "interval(4)"), ("bit(3)", "bit(4)"), ("varbit(3)", "varbit(5)"),
    ("time(2)", "time(4)"), ("timestamp", "timestamptz"), ("timestamptz", "timestamp"),
    ("json", "jsonb"),
]


def test_L006_rewrite_decisions_match_postgresql(url: str) -> None:
    from pglast import parse_sql

    from repo.lint.schema import type_ref
    from repo.lint.types import rewrites, timezone_dependent

    def ref(text: str) -> object:
        return type_ref(parse_sql(f"CREATE TABLE x (c {text})")[0].stmt.tableElts[0].typeName)

    checked = 0
    with psycopg.connect(url, autocommit=True) as conn:
        notes: list[str] = []
        conn.add_notice_handler(lambda d: notes.append(d.message_primary or ""))
        # Not UTC: the time zone-dependent pair must then rewrite, as lint assumes.
        conn.execute("SET TimeZone = 'America/New_York'")
        for i, (old, new) in enumerate(TYPE_CHANGES):
            conn.execute(f"CREATE TABLE tc{i} (c {old})")
            conn.execute(f"INSERT INTO tc{i} VALUES (NULL)")
            conn.execute("SET client_min_messages = debug1")
            notes.clear()
            conn.execute(f"ALTER TABLE tc{i} ALTER COLUMN c TYPE {new}")
            conn.execute("RESET client_min_messages")
            actual = any(n.startswith("rewriting table") for n in notes)
            predicted = rewrites(ref(old), ref(new))  # type: ignore[arg-type]
            assert predicted == actual, (old, new, actual)
            if timezone_dependent(ref(old), ref(new)):  # type: ignore[arg-type]
                conn.execute("SET TimeZone = 'UTC'")
                conn.execute(f"ALTER TABLE tc{i} ALTER COLUMN c TYPE {old}")
                conn.execute("SET client_min_messages = debug1")
                notes.clear()
                conn.execute(f"ALTER TABLE tc{i} ALTER COLUMN c TYPE {new}")
                conn.execute("RESET client_min_messages")
                assert not any(n.startswith("rewriting table") for n in notes), (old, new)
                conn.execute("SET TimeZone = 'America/New_York'")
            checked += 1
    assert checked == len(TYPE_CHANGES)


def test_L010_volatile_function_list_is_what_postgresql_says(url: str) -> None:
    from repo.lint.rules import VOLATILE

    with psycopg.connect(url) as conn:
        rows = conn.execute("SELECT proname, array_agg(DISTINCT provolatile::text) FROM pg_proc "
                            "WHERE proname = ANY(%s) GROUP BY proname", [sorted(VOLATILE)])
        found = {str(name): set(kinds) for name, kinds in rows}  # type: ignore[arg-type]
        stable = conn.execute("SELECT provolatile::text FROM pg_proc WHERE proname = 'now'")
        assert [r[0] for r in stable] == ["s"]  # now(): a constant default, no rewrite
    # Extensions' functions (uuid-ossp, pgcrypto) and PostgreSQL 18's uuidv4/uuidv7 may be
    # absent; every one that exists is volatile.
    assert {"gen_random_uuid", "clock_timestamp", "random", "nextval"} <= found.keys()
    assert all(kinds == {"v"} for kinds in found.values()), found
