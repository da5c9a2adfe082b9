"""The sync repository shell: execute a `Query`, fetch, hand the rows back.

Generated from ``_async.py`` by ``python repo/runtime/_unasync.py``; do not edit. Everything
that is not I/O lives in `_query.py`, shared by both.
"""

from __future__ import annotations

import itertools
import logging
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import ExitStack
from typing import Any, TypeVar

import psycopg
from psycopg import Connection, Cursor, RawCursor, RawServerCursor
from psycopg_pool import ConnectionPool, PoolTimeout

from ..errors import ConnectionLost, PoolExhausted
from ._query import TRANSLATED, CopyIn, Query, translate

R = TypeVar("R")
T = TypeVar("T")

_log = logging.getLogger("repo.replicas")

# Rows fetched per round trip by a streaming (`:iter`) query: large enough that the round
# trips do not dominate, small enough that a batch of wide rows stays a few MB.
ITERSIZE = 2000
_cursor_numbers = itertools.count(1)


class Router:
    """A primary pool and read-replica pools: queries proven read-only go to a replica.

    Args:
        primary: the pool every other query (and every transaction) uses.
        replicas: pools of read replicas, used in turn.
        timeout: seconds to wait for a replica connection before falling back.
        retry_after: seconds a failed replica is left alone (its calls go to the primary).

    A replica that cannot give a connection or loses it falls back to the primary with one
    log line (logger ``repo.replicas``): the query is read-only, so running it again there is
    safe, and the caller sees no error it did not cause.
    """

    def __init__(self, primary: ConnectionPool[Any],
                 replicas: Sequence[ConnectionPool[Any]], *, timeout: float = 2.0,
                 retry_after: float = 10.0) -> None:
        self.primary, self.replicas = primary, list(replicas)
        self.timeout, self.retry_after = timeout, retry_after
        self._down: dict[int, float] = {}
        self._next = 0

    def pick(self) -> ConnectionPool[Any] | None:
        """The next replica that is not marked down, or None (use the primary)."""
        now = time.monotonic()
        for _ in range(len(self.replicas)):
            i, self._next = self._next, (self._next + 1) % len(self.replicas)
            if self._down.get(i, 0.0) <= now:
                return self.replicas[i]
        return None

    def mark_down(self, pool: ConnectionPool[Any], exc: BaseException) -> None:
        """Send ``pool``'s share to the primary for `retry_after` seconds, and say why."""
        self._down[self.replicas.index(pool)] = time.monotonic() + self.retry_after
        _log.warning("replica %s unavailable (%s: %s); using the primary for %gs",
                     pool.name, type(exc).__name__, str(exc).strip()[:200], self.retry_after)


Source = Connection[Any] | ConnectionPool[Any] | Router


class Repo:
    """Base class of every generated `Repo` subclass.

    Args:
        source: a connection (its transaction, if any, is the caller's: nothing here commits
            or rolls back) or a pool (each call borrows a connection and runs in a
            transaction of its own; on an autocommit connection, as `Database` configures
            them, a read-only query runs alone, without BEGIN and COMMIT).
    """

    __slots__ = ("_conn", "_pool", "_router")

    def __init__(self, source: Source) -> None:
        self._router: Router | None = None
        if isinstance(source, Connection):
            self._conn: Connection[Any] | None = source
            self._pool: ConnectionPool[Any] | None = None
        elif isinstance(source, ConnectionPool):
            self._conn, self._pool = None, source
        elif isinstance(source, Router):
            self._conn, self._pool, self._router = None, source.primary, source
        else:
            raise TypeError(f"{type(self).__name__} needs a connection or a pool (psycopg "
                            f"Connection or ConnectionPool), not {type(source).__name__}")

    def _run(self, q: Query[R], args: Sequence[object],
                   fetch: Callable[[RawCursor[R]], T]) -> T:
        params = q.bind(args)
        if self._conn is not None:
            return _execute(self._conn, q, params, fetch)
        if q.replica and self._router is not None:
            replica = self._router.pick()
            if replica is not None:
                try:
                    with replica.connection(timeout=self._router.timeout) as rconn:
                        return _execute(rconn, q, params, fetch)
                except (PoolTimeout, ConnectionLost) as exc:
                    self._router.mark_down(replica, exc)
        assert self._pool is not None
        conn: Connection[Any] | None = None
        try:
            # A COMMIT can fail too (a deferred constraint, the server gone), so it is inside
            # the translation as well.
            with self._pool.connection() as conn:
                if q.read_only or not conn.autocommit:
                    # Read-only on an autocommit connection (`Database` pools): the statement
                    # is its own transaction, one round trip instead of BEGIN, it, COMMIT
                    # (also behind PgBouncer: one statement, one server transaction). Not
                    # autocommit (a pool of the caller's): psycopg begins, the pool commits.
                    return _execute(conn, q, params, fetch)
                # A write in a transaction of its own, so an error raised after the statement
                # (`TooManyRows` of a `:one`) rolls it back.
                with conn.transaction():
                    return _execute(conn, q, params, fetch)
        except TRANSLATED as exc:
            error = _at_pool(exc, q.name, conn, self._pool)
            if error is exc:
                raise
            raise error from exc

    def _one(self, q: Query[R], args: Sequence[object]) -> R:
        # Exactly one row: the second fetch reads from the result already received. Raised
        # inside `_run`, so a pooled call's transaction is rolled back with the error.
        def exactly_one(cur: RawCursor[R]) -> R:
            row = cur.fetchone()
            if row is None:
                raise q.not_found(args)
            if cur.fetchone() is not None:
                raise q.too_many(args, cur.rowcount)
            return row

        return self._run(q, args, exactly_one)

    def _optional(self, q: Query[R], args: Sequence[object]) -> R | None:
        return self._run(q, args, _fetchone)

    def _many(self, q: Query[R], args: Sequence[object]) -> list[R]:
        return self._run(q, args, _fetchall)

    def _exec(self, q: Query[Any], args: Sequence[object]) -> None:
        self._run(q, args, _nothing)

    def _execrows(self, q: Query[Any], args: Sequence[object]) -> int:
        return self._run(q, args, _rowcount)

    def _iter(self, q: Query[R], args: Sequence[object]) -> Iterator[R]:
        """The rows of ``q`` one by one, fetched `ITERSIZE` at a time from a server-side cursor.

        The arguments are checked now, at the call. The cursor lives in a transaction of its
        own (a savepoint inside the caller's; a pooled connection is held until the end):
        when the iteration ends, stops early or raises, the cursor is closed and that
        transaction ends, so the connection is left as it was. Close the iterator to end it
        early at once (leaving a ``for`` loop does so for a sync one; for an async one use
        ``contextlib.aclosing``, else the event loop closes it a little later).
        """
        return self._stream(q, q.bind(args))

    def _stream(self, q: Query[R], params: list[object]) -> Iterator[R]:
        # One generator, no nested ones: closing it runs every exit below at once.
        # A read-only query from a router streams from a replica. If that fails before the
        # first row reaches the caller (no connection, lost at DECLARE or at the first FETCH),
        # it runs again on the primary, as `_run` does; after a row it cannot without
        # repeating rows, so the error goes to the caller.
        router = self._router if self._conn is None and q.replica else None
        replica = router.pick() if router is not None else None
        while True:
            conn: Connection[Any] | None = self._conn
            pool, timeout = self._pool, None
            if replica is not None and router is not None:
                pool, timeout = replica, router.timeout
            yielded = False
            try:
                with ExitStack() as stack:
                    if conn is None:
                        assert pool is not None
                        pooled: Connection[Any] = stack.enter_context(
                            pool.connection(timeout=timeout))
                        conn = pooled
                    held: Connection[Any] = conn
                    # A server-side cursor needs a transaction (behind PgBouncer's transaction
                    # mode it must not outlive one either; on a hot standby it is read-only).
                    stack.enter_context(held.transaction())
                    cur = RawServerCursor(held, f"repo_iter_{next(_cursor_numbers)}",
                                               row_factory=q.row_factory)
                    stack.callback(cur.close)
                    cur.execute(q.sql, params, binary=q.binary)
                    while True:
                        rows = cur.fetchmany(ITERSIZE)
                        if not rows:
                            break
                        yielded = True
                        for row in rows:  # noqa: UP028 (an async generator has no `yield from`)
                            yield row
                return
            except TRANSLATED as exc:
                if conn is None:
                    assert pool is not None
                    error = _at_pool(exc, q.name, None, pool)
                else:
                    error = translate(exc, q.name, conn.broken)
                if replica is not None and router is not None and not yielded and (
                        isinstance(exc, PoolTimeout) or isinstance(error, ConnectionLost)):
                    router.mark_down(replica, exc)
                    replica = None  # once more, on the primary
                    continue
                if error is exc:
                    raise
                raise error from exc

    def _copy_in(self, spec: CopyIn, rows: Iterable[Sequence[object]]) -> int:
        if self._conn is not None:
            return _copy(self._conn, spec, rows)
        assert self._pool is not None
        conn: Connection[Any] | None = None
        try:
            with self._pool.connection() as conn:
                if not conn.autocommit:
                    return _copy(conn, spec, rows)
                with conn.transaction():
                    return _copy(conn, spec, rows)
        except TRANSLATED as exc:
            error = _at_pool(exc, spec.name, conn, self._pool)
            if error is exc:
                raise
            raise error from exc


def _execute(conn: Connection[Any], q: Query[R], params: list[object],
                   fetch: Callable[[RawCursor[R]], T]) -> T:
    try:
        factory = conn.cursor_factory
        if factory is Cursor:
            cur = RawCursor(conn, row_factory=q.row_factory)
            cur.execute(q.sql, params, prepare=True, binary=q.binary)
        else:
            cur = _raw_cursor(factory)(conn, row_factory=q.row_factory)
            cur.execute(q.named_sql, params, prepare=True, binary=q.binary)
        return fetch(cur)
    except TRANSLATED as exc:
        error = translate(exc, q.name, conn.broken)
        if error is exc:
            raise
        raise error from exc


_RAW_CURSORS: dict[type[Any], type[RawCursor[Any]]] = {}


def _raw_cursor(factory: type[Any]) -> type[RawCursor[Any]]:
    """The connection's own cursor class (e.g. OpenTelemetry's traced one) with ``$n`` binding.

    An instrumentation such as ``opentelemetry-instrumentation-psycopg`` sets the
    connection's ``cursor_factory`` to a subclass that wraps ``execute``; the generated SQL
    needs a raw cursor (``$1`` placeholders), so the two are combined, once per factory.
    """
    cls = _RAW_CURSORS.get(factory)
    if cls is None:
        if issubclass(factory, RawCursor):
            cls = factory
        elif getattr(factory, "_query_cls", None) is Cursor._query_cls:
            cls = type(f"Raw{factory.__name__}", (factory, RawCursor), {"__slots__": ()})
        else:  # a client-binding cursor (ClientCursor) cannot send ``$n`` with parameters
            cls = RawCursor
        _RAW_CURSORS[factory] = cls
    return cls


def _copy(conn: Connection[Any], spec: CopyIn, rows: Iterable[Sequence[object]]) -> int:
    count = 0
    try:
        with RawCursor(conn).copy(spec.sql) as copy:
            for row in spec.rows(rows):
                copy.write_row(row)
                count += 1
    except TRANSLATED as exc:
        error = translate(exc, spec.name, conn.broken)
        if error is exc:
            raise
        raise error from exc
    return count


def _at_pool(exc: psycopg.Error, name: str, conn: Connection[Any] | None,
             pool: ConnectionPool[Any]) -> Exception:
    """`translate` for a psycopg error seen around a pooled call (``exc`` when none fits).

    ``conn`` is None when the pool gave no connection: nothing ran, so that is not a lost
    connection. A ``PoolTimeout`` becomes `PoolExhausted` (with the wait); anything else
    (``PoolClosed``) goes out as psycopg_pool raised it.
    """
    if conn is None:
        return PoolExhausted(name, pool.timeout, pool.max_size) if isinstance(
            exc, PoolTimeout) else exc
    return translate(exc, name, conn.broken)


def _fetchone(cur: RawCursor[R]) -> R | None:
    return cur.fetchone()


def _fetchall(cur: RawCursor[R]) -> list[R]:
    # No garbage-collector pause here: it is process-wide state, and toggling it from a
    # library would undo an application's own setting and affect every other thread or task.
    return cur.fetchall()


def _nothing(cur: RawCursor[Any]) -> None:
    return None


def _rowcount(cur: RawCursor[Any]) -> int:
    return cur.rowcount
