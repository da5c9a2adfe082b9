"""Applying and reverting migrations, interchangeable with ``sqlx migrate`` (sqlx-compat.md §4).

The bookkeeping table, the checksum, the advisory lock key and the order of checks are SQLx's.
Where SQLx's CLI is weaker than its library, this follows the library or does better:

* every ``run`` and ``revert`` holds the advisory lock (SQLx's CLI takes none);
* ``--dry-run``, ``info`` and ``check`` write nothing (SQLx creates the table even then);
* a ``-- no-transaction`` file that PostgreSQL refuses to run as one message ("cannot run
  inside a transaction block", e.g. two ``CREATE INDEX CONCURRENTLY``) is run statement by
  statement (SQLx issue #3693);
* ``revert`` refuses to step over an applied migration that has no down file, where SQLx
  silently reverts an older one.
"""

from __future__ import annotations

import time
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import psycopg
from psycopg import sql
from psycopg.types.numeric import Int8

from .. import pgbouncer, pgconnect
from ..config import redact
from ..conninfo import safe_url
from ..errors import (
    ChecksumMismatch,
    DirtyMigration,
    MigrationError,
    MigrationExecuteError,
    MissingMigration,
    VersionNotPresent,
    VersionTooNew,
    VersionTooOld,
)
from ..sqltext import LexError, line_col, split_statements, tokens
from .source import Kind, Migration

TABLE = "_sqlx_migrations"
LOCK_FACTOR = 0x3D32AD9E
_ACTIVE_SQL_TRANSACTION = "25001"

_CREATE_TABLE = """
CREATE TABLE IF NOT EXISTS {table} (
    version BIGINT PRIMARY KEY,
    description TEXT NOT NULL,
    installed_on TIMESTAMPTZ NOT NULL DEFAULT now(),
    success BOOLEAN NOT NULL,
    checksum BYTEA NOT NULL,
    execution_time BIGINT NOT NULL
);
"""


def lock_id(database: str) -> int:
    """SQLx's advisory lock key for a database name.

    >>> lock_id("postgres"), lock_id("sqlx")
    (368907709894077238, 2659960926882687016)
    """
    return LOCK_FACTOR * zlib.crc32(database.encode("utf-8"))


def format_duration(ns: int) -> str:
    """Rust's ``Debug`` format of a ``Duration``, as SQLx prints elapsed times.

    >>> format_duration(32517835), format_duration(1_200_000_000), format_duration(0)
    ('32.517835ms', '1.2s', '0ns')
    """
    for unit, size in (("s", 10**9), ("ms", 10**6), ("µs", 10**3)):
        if ns >= size:
            whole, frac = divmod(ns, size)
            digits = str(frac).rjust(len(str(size)) - 1, "0").rstrip("0")
            return f"{whole}.{digits}{unit}" if digits else f"{whole}{unit}"
    return f"{ns}ns"


def connect(url: str, command: str = "migrate") -> psycopg.Connection[tuple[object, ...]]:
    """An autocommit connection for the migrator (simple protocol for migration bodies).

    Raises:
        MigrationError: ``url`` goes through a connection pooler (`repo.pgbouncer`): the
            session advisory lock must not outlive its session, so ``command`` refuses at once.
    """
    url, mode = pgbouncer.split_url(url)
    conn = pgconnect.connect(url, autocommit=True, prepare_threshold=None)
    try:
        pgbouncer.refuse_pooled(conn, mode, command, safe_url(url))
    except BaseException:
        conn.close()
        raise
    return conn


@dataclass(frozen=True)
class Applied:
    """A row of ``_sqlx_migrations``."""

    version: int
    description: str
    installed_on: datetime
    success: bool
    checksum: bytes
    execution_time: int


@dataclass(frozen=True)
class Step:
    """What happened to one migration during run/revert; `line` is SQLx's output line."""

    action: str  # "Applied", "Can apply" or "Skipped"
    migration: Migration
    elapsed_ns: int = 0

    @property
    def line(self) -> str:
        m = self.migration
        return (f"{self.action} {m.version}/{m.kind.label} {m.description} "
                f"({format_duration(self.elapsed_ns)})")


@dataclass(frozen=True)
class Status:
    """One line of ``migrate info``: state is installed, changed, pending or missing."""

    version: int
    description: str
    state: str
    local: Migration | None = None
    applied: Applied | None = None

    @property
    def problem(self) -> bool:
        return self.state != "installed"


class Migrator:
    """Runs a resolved migration list against one database connection.

    Args:
        conn: an autocommit connection (see `connect`).
        migrations: from `repo.migrate.source.resolve`.
        locking: take SQLx's advisory lock around run and revert.
    """

    def __init__(self, conn: psycopg.Connection[tuple[object, ...]],
                 migrations: list[Migration], *, locking: bool = True) -> None:
        self.conn = conn
        self.migrations = migrations
        self.locking = locking
        self.table = sql.Identifier(TABLE)

    # -- reading -------------------------------------------------------------------------

    def table_exists(self) -> bool:
        row = self.conn.execute("SELECT to_regclass(%s) IS NOT NULL", [TABLE]).fetchone()
        return bool(row and row[0])

    def applied(self) -> dict[int, Applied]:
        """The bookkeeping rows by version (empty when the table does not exist yet)."""
        if not self.table_exists():
            return {}
        query = sql.SQL("SELECT version, description, installed_on, success, checksum, "
                        "execution_time FROM {} ORDER BY version").format(self.table)
        rows = self.conn.execute(query).fetchall()
        return {int(r[0]): Applied(int(r[0]), str(r[1]), r[2], bool(r[3]), bytes(r[4]),  # type: ignore[arg-type, call-overload]
                                   int(r[5])) for r in rows}  # type: ignore[call-overload]

    def status(self) -> list[Status]:
        """Every local migration with its state, then applied versions with no file."""
        applied = self.applied()
        out: list[Status] = []
        local_versions = {m.version for m in self.migrations}
        for m in self._forward():
            row = applied.get(m.version)
            if row is None:
                state = "pending"
            elif row.checksum != m.checksum:
                state = "changed"
            elif not row.success:
                state = "dirty"
            else:
                state = "installed"
            out.append(Status(m.version, m.description, state, m, row))
        for version, row in applied.items():
            if version not in local_versions:
                out.append(Status(version, row.description, "missing", None, row))
        out.sort(key=lambda s: s.version)
        return out

    # -- run / revert --------------------------------------------------------------------

    def run(self, *, target: int | None = None, dry_run: bool = False,
            ignore_missing: bool = False,
            on_step: Callable[[Step], None] | None = None) -> list[Step]:
        """Apply pending migrations in ascending order (up to ``target`` when given)."""
        if target is not None and target not in {m.version for m in self.migrations}:
            raise VersionNotPresent(target)
        steps: list[Step] = []
        with self._locked(create_table=not dry_run):
            applied = self._validated_applied(ignore_missing)
            latest = max(applied, default=None)
            if target is not None and latest is not None and target < latest:
                raise VersionTooOld(target, latest)
            for m in self._forward():
                row = applied.get(m.version)
                if row is not None:
                    if row.checksum != m.checksum:
                        raise ChecksumMismatch(m.version, m.path)
                    continue
                skip = target is not None and m.version > target
                if skip or dry_run:
                    step = Step("Skipped" if skip else "Can apply", m)
                else:
                    step = Step("Applied", m, self._apply(m))
                steps.append(step)
                if on_step:
                    on_step(step)
        return steps

    def revert(self, *, target: int | None = None, dry_run: bool = False,
               ignore_missing: bool = False,
               on_step: Callable[[Step], None] | None = None) -> list[Step]:
        """Revert the newest applied migration, or all above ``target`` (0 = all)."""
        if target not in (None, 0) and target not in {m.version for m in self.migrations}:
            raise VersionNotPresent(target)
        steps: list[Step] = []
        with self._locked(create_table=False):
            applied = self._validated_applied(ignore_missing)
            latest = max(applied, default=None)
            if target is not None and latest is not None and target > latest:
                raise VersionTooNew(target, latest)
            downs = {m.version: m for m in self.migrations if m.kind is Kind.DOWN}
            for version in sorted(applied, reverse=True):
                if target is not None and version <= target:
                    break
                down = downs.get(version)
                if down is None:
                    raise MigrationError(
                        f"migration {version} is applied but has no down file, so it cannot "
                        "be reverted",
                        hint=f"write {version}_<description>.down.sql, or revert with "
                        f"--target-version {version} to stop above it",
                    )
                step = (Step("Can apply", down) if dry_run
                        else Step("Applied", down, self._undo(down)))
                steps.append(step)
                if on_step:
                    on_step(step)
                if target is None:
                    break
        return steps

    # -- internals -----------------------------------------------------------------------

    def _forward(self) -> Iterator[Migration]:
        return (m for m in self.migrations if m.kind is not Kind.DOWN)

    @contextmanager
    def _locked(self, *, create_table: bool) -> Iterator[None]:
        key = Int8(lock_id(self._database()))
        if self.locking:
            self.conn.execute("SELECT pg_advisory_lock(%s)", [key])
        try:
            if create_table:
                self.conn.execute(sql.SQL(_CREATE_TABLE).format(table=self.table))
            yield
        finally:
            if self.locking and not self.conn.closed:
                self._rollback_if_needed()
                self.conn.execute("SELECT pg_advisory_unlock(%s)", [key])

    def _database(self) -> str:
        row = self.conn.execute("SELECT current_database()").fetchone()
        assert row is not None
        return str(row[0])

    def _validated_applied(self, ignore_missing: bool) -> dict[int, Applied]:
        applied = self.applied()
        dirty = [v for v, row in applied.items() if not row.success]
        if dirty:
            raise DirtyMigration(min(dirty))
        if not ignore_missing:
            local = {m.version for m in self.migrations}
            for version in applied:
                if version not in local:
                    raise MissingMigration(version)
        return applied

    def _rollback_if_needed(self) -> None:
        if self.conn.info.transaction_status != psycopg.pq.TransactionStatus.IDLE:
            self.conn.execute("ROLLBACK")

    def _apply(self, m: Migration) -> int:
        """Run one migration and its bookkeeping row; return the elapsed nanoseconds."""
        insert = sql.SQL("INSERT INTO {} ( version, description, success, checksum, "
                         "execution_time ) VALUES ( %s, %s, TRUE, %s, -1 )").format(self.table)
        started = time.perf_counter_ns()
        if m.no_tx:
            self._execute_without_transaction(m)
            self.conn.execute(insert, [Int8(m.version), m.description, m.checksum])
        else:
            self.conn.execute("BEGIN")
            self._execute(m, m.executable_sql, 0)
            self.conn.execute(insert, [Int8(m.version), m.description, m.checksum])
            self.conn.execute("COMMIT")
        elapsed = time.perf_counter_ns() - started
        update = sql.SQL("UPDATE {} SET execution_time = %s WHERE version = %s").format(self.table)
        self.conn.execute(update, [Int8(elapsed), Int8(m.version)])
        return elapsed

    def _undo(self, down: Migration) -> int:
        delete = sql.SQL("DELETE FROM {} WHERE version = %s").format(self.table)
        started = time.perf_counter_ns()
        if down.no_tx:
            self._execute_without_transaction(down)
            self.conn.execute(delete, [Int8(down.version)])
        else:
            self.conn.execute("BEGIN")
            self._execute(down, down.executable_sql, 0)
            self.conn.execute(delete, [Int8(down.version)])
            self.conn.execute("COMMIT")
        return time.perf_counter_ns() - started

    def _execute(self, m: Migration, text: str, offset: int) -> None:
        """Send ``text`` as one simple-protocol message; on error roll back and explain."""
        try:
            self.conn.execute(text.encode("utf-8"))  # bytes: never %-interpolated
        except psycopg.Error as exc:
            if not self.conn.closed:
                self._rollback_if_needed()
            raise self._execute_error(m, exc, offset) from None

    def _execute_without_transaction(self, m: Migration) -> None:
        try:
            self.conn.execute(m.executable_sql.encode("utf-8"))
            return
        except psycopg.Error as exc:
            if exc.sqlstate != _ACTIVE_SQL_TRANSACTION:
                raise self._execute_error(m, exc, 0, no_tx=True) from None
        # Several statements that each refuse a transaction block: one message per statement.
        try:
            statements = split_statements(m.executable_sql)
        except LexError as exc:
            raise MigrationExecuteError(m.version, str(exc), path=m.path,
                                        line=line_col(m.executable_sql, exc.offset)[0]) from None
        for index, (start, statement) in enumerate(statements):
            try:
                self.conn.execute(statement.encode("utf-8"))
            except psycopg.Error as exc:
                raise self._execute_error(m, exc, start, no_tx=True, done=index,
                                          statement=statement) from None

    def _execute_error(self, m: Migration, exc: psycopg.Error, offset: int, *,
                       no_tx: bool = False, done: int = 0,
                       statement: str | None = None) -> MigrationExecuteError:
        diag = exc.diag
        message = diag.message_primary or str(exc).strip()
        line = col = None
        # Positions are counted in the text sent (without a BOM), as an editor counts columns.
        text = m.executable_sql
        if diag.statement_position:
            line, col = line_col(text, offset + int(diag.statement_position) - 1)
        elif statement is not None:
            # Some errors carry no position (an unknown column in CREATE INDEX): when the file
            # ran statement by statement, point at the start of the one that failed.
            first = next((t.start for t in tokens(statement)
                          if t.kind not in ("space", "comment")), 0)
            line, col = line_col(text, offset + first)
        if no_tx:
            hint = (f"this `-- no-transaction` migration was not recorded; {done} earlier "
                    "statement(s) of it completed and were not rolled back. Fix the file, undo "
                    "or keep those statements (IF NOT EXISTS makes re-running safe), then run "
                    "`python -m repo migrate run` again")
        else:
            hint = "the migration was rolled back and nothing was recorded; fix the file and " \
                   "run `python -m repo migrate run` again"
        if diag.message_hint:
            hint = f"{diag.message_hint}; {hint}"
        return MigrationExecuteError(m.version, redact(message), path=m.path, line=line, col=col,
                                     hint=hint)


def default_source(path: str | Path | None) -> Path:
    """The migration directory: ``--source`` or ``./migrations``."""
    return Path(path) if path else Path("migrations")
