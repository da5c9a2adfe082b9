"""The application entry point: a connection pool from the configuration, migrations first.

This module is generic: it never imports a generated package. Each generated package defines
its own ``Database`` / ``AsyncDatabase`` as a subclass bound to its ``Repos`` /
``AsyncRepos`` (``make_repos``), so ``db.repos.posts`` is typed for mypy:

```python
from blog.db import Database                # the generated package of your project

with Database() as db:                      # URL from DATABASE_URL / .env / config.toml
    post = db.repos.posts.get(id=1)
    with db.transaction() as tx:            # one connection, one transaction
        tx.posts.publish(id=1)
        tx.authors.touch(id=post.author_id)
```

`AsyncDatabase` is the same over ``psycopg_pool.AsyncConnectionPool``.
"""

from __future__ import annotations

import asyncio
import select
from abc import ABC, abstractmethod
from collections.abc import AsyncIterator, Iterator, Sequence
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path
from types import TracebackType
from typing import Any, Generic, Self, TypeVar

import psycopg
from psycopg import AsyncConnection, Connection
from psycopg_pool import AsyncConnectionPool, ConnectionPool, PoolTimeout

from . import pgbouncer as pooler
from .config import Settings, load_settings
from .conninfo import safe_url
from .errors import ConfigError, PoolExhausted, RepoError, ServerError
from .pgconnect import connect_timeout as url_connect_timeout
from .pgconnect import connection_error
from .runtime import AsyncRouter, AsyncSource, Router, Source, translate
from .runtime._query import TRANSLATED

ReposT = TypeVar("ReposT")
AsyncReposT = TypeVar("AsyncReposT")


def _settings_url(url: str | None, settings: Settings) -> str:
    if url:
        return url
    resolved = settings.require_url()
    return resolved.url


def migrate(url: str, migrations_dir: Path) -> list[int]:
    """Apply the pending migrations of ``migrations_dir`` to ``url``; return their versions."""
    from .migrate import Migrator, connect, resolve

    if not migrations_dir.is_dir():
        raise ConfigError(f"auto_migrate is on but {migrations_dir} does not exist",
                          path=migrations_dir,
                          hint="ship the migrations with the application, or set "
                          "[repository] auto_migrate = false")
    with connect(url) as conn:
        steps = Migrator(conn, resolve(migrations_dir)).run()
    return [s.migration.version for s in steps if s.action == "Applied"]


def _open_error(url: str, exc: psycopg.Error, timeout: int) -> RepoError:
    """The error for a failed first connection: psycopg's reason, never the password."""
    return connection_error(url, exc, action="cannot open the database pool",
                            retry_hint=f"; the attempt waits at most connect_timeout={timeout}s")


def _pool_timeout(url: str, timeout: float) -> ServerError:
    return ServerError(f"cannot open the database pool: a direct connection to {safe_url(url)} "
                       f"worked, but the pool opened none within {timeout:g}s",
                       hint="the reason is in the psycopg.pool log (too many clients, a "
                       "failing `configure` callback, pool kwargs, ...)")


def _at_commit(exc: psycopg.Error, conn: Connection[Any] | AsyncConnection[Any] | None,
               committing: bool, pool: ConnectionPool[Any] | AsyncConnectionPool[Any]
               ) -> Exception:
    if conn is None and isinstance(exc, PoolTimeout):
        return PoolExhausted("Database.transaction", pool.timeout, pool.max_size)
    # Only the COMMIT is ours to translate: an error from the caller's block is theirs.
    if conn is None or not committing:
        return exc
    return translate(exc, "Database.transaction: COMMIT", conn.broken)


def _has_input(conn: Connection[Any] | AsyncConnection[Any]) -> bool:
    # An idle connection in the pool has nothing to read. A server that ended the session
    # (restart, pg_terminate_backend, idle_session_timeout) has sent its FATAL message and
    # closed the socket, so there is: one select() instead of a round trip on every borrow.
    if conn.closed or conn.broken:
        return True
    ready, _, _ = select.select([conn.fileno()], [], [], 0)
    return bool(ready)


def check_connection(conn: Connection[Any]) -> None:
    """The pool's ``check``: ping (and so discard) only a connection with unread input."""
    if _has_input(conn):
        ConnectionPool.check_connection(conn)


async def acheck_connection(conn: AsyncConnection[Any]) -> None:
    """`check_connection` for an ``AsyncConnectionPool``."""
    if _has_input(conn):
        await AsyncConnectionPool.check_connection(conn)


def _with_check(args: dict[str, Any], check: Any) -> dict[str, Any]:
    """Pool arguments with ``check`` (the PgBouncer check, a replica's read-only setting) run
    before the caller's own ``configure``."""
    if check is None:
        return args
    own = args.get("configure")
    if own is None:
        return {**args, "configure": check}
    if asyncio.iscoroutinefunction(check):
        async def both_async(conn: Any) -> None:
            await check(conn)
            await own(conn)
        return {**args, "configure": both_async}

    def both(conn: Any) -> None:
        check(conn)
        own(conn)
    return {**args, "configure": both}


def _read_only(conn: Connection[Any]) -> None:
    conn.read_only = True


async def _aread_only(conn: AsyncConnection[Any]) -> None:
    await conn.set_read_only(True)


class _Base:
    def __init__(self, url: str | None = None, *, settings: Settings | None = None,
                 auto_migrate: bool | None = None, min_size: int = 1, max_size: int = 10,
                 connect_timeout: int | None = None, open_timeout: float = 30.0,
                 pgbouncer: bool | pooler.Mode | None = None,
                 replica_urls: Sequence[str] | None = None, **pool_kwargs: Any) -> None:
        self.settings = settings or load_settings()
        self.replica_urls = [pooler.split_url(u)[0] for u in (
            self.settings.replica_urls if replica_urls is None else replica_urls)]
        self.url, url_mode = pooler.split_url(_settings_url(url, self.settings))
        self.pgbouncer = pooler.choose(pgbouncer, url_mode,
                                       pooler.parse_mode(self.settings.pgbouncer, "settings"))
        # Migrations need a session of their own: through a pooler, the direct URL.
        self.migrate_url = self.settings.direct_url or self.url
        self.connect_timeout = (url_connect_timeout(self.url, 5) if connect_timeout is None
                                else connect_timeout)
        self.open_timeout = open_timeout
        self.auto_migrate = self.settings.auto_migrate if auto_migrate is None else auto_migrate
        self.migrations_dir = self.settings.root / self.settings.migrations_dir
        self.applied: list[int] = []
        self._pool_args: dict[str, Any] = {"min_size": min_size, "max_size": max_size,
                                           **pool_kwargs}
        # Autocommit: a read-only repository call is then one round trip (no BEGIN/COMMIT),
        # writes and `transaction()` open their transaction explicitly (`repo.runtime`).
        self._pool_args["kwargs"] = {"autocommit": True, **pooler.connect_kwargs(self.pgbouncer),
                                     **self._pool_args.get("kwargs", {})}

    def __repr__(self) -> str:
        return f"{type(self).__name__}({safe_url(self.url)!r})"

    def _replica_args(self) -> dict[str, Any]:
        # The primary's pool settings; a replica may sit behind PgBouncer too. Its
        # transactions (a streamed `:iter` cursor) begin READ ONLY: a hot standby refuses
        # writes anyway, and a replica that is not one (a misconfigured URL) then refuses
        # them too. Autocommit reads are single statements proven read-only by the analysis.
        is_async = isinstance(self, AsyncDatabase)
        check = acheck_connection if is_async else check_connection
        args = _with_check({"check": check, **self._pool_args},
                           _aread_only if is_async else _read_only)
        return _with_check(args, (pooler.aconfigure if is_async else pooler.configure)(
            self.pgbouncer))


class Database(_Base, ABC, Generic[ReposT]):
    """A ``ConnectionPool`` opened from the configuration, with every repository over it.

    Use the subclass your generated package defines (``from blog.db import Database``); it
    implements `make_repos` with its own ``Repos``.

    Args:
        url: the database URL; default: the configured one (``Settings.resolve_url``).
        settings: the project settings; default: `load_settings()` in the current directory.
        auto_migrate: run pending migrations before opening the pool; default: the
            ``[repository] auto_migrate`` setting.
        connect_timeout: seconds (libpq's, at least 2) that `open` waits for its first,
            direct connection; default: the URL's ``connect_timeout``, else 5. It is made
            when ``min_size > 0`` so that a wrong password or
            an unreachable server fails at once, with psycopg's reason, instead of the pool
            retrying in the background; ``min_size=0`` opens lazily and checks nothing.
        open_timeout: seconds `open` then waits for the pool's ``min_size`` connections.
        min_size, max_size, pool_kwargs: passed to ``psycopg_pool.ConnectionPool``. Its
            ``check`` defaults to `check_connection` (a connection the server has closed is
            replaced before it is handed out; costs one ``select()`` per borrow);
            ``timeout`` is how long a call waits for a free connection before
            `PoolExhausted`. Pool connections are in autocommit (``kwargs={"autocommit":
            False}`` restores psycopg's default): a query proven read-only runs as one
            statement, every write in a transaction of its own; so does ``pool.connection()``
            of your own code unless it opens ``conn.transaction()``.

    Raises:
        ConfigError: the server refused the login (user, password, database) or the URL is
            malformed. ServerError: no server answered. Neither message holds the password.
    """

    pool: ConnectionPool[Connection[Any]]
    replica_pools: list[ConnectionPool[Connection[Any]]]
    repos: ReposT
    primary: ReposT  # every repository on the primary only (read-your-writes)

    @abstractmethod
    def make_repos(self, source: Source) -> ReposT:
        """Every repository over ``source`` (the pool, or one connection)."""

    def open(self) -> Self:
        """Check the server, migrate if asked, then open the pool (waiting for ``min_size``)."""
        if self._pool_args["min_size"] > 0:
            try:
                psycopg.connect(self.url, connect_timeout=self.connect_timeout).close()
            except (psycopg.OperationalError, psycopg.ProgrammingError) as exc:
                raise _open_error(self.url, exc, self.connect_timeout) from None
        if self.auto_migrate:
            self.applied = migrate(self.migrate_url, self.migrations_dir)
        # `check`: a pooled connection is pinged before it is handed out, so the idle ones a
        # server restart killed are replaced instead of failing the next calls.
        self.pool = ConnectionPool(self.url, open=False, **_with_check(
            {"check": check_connection, **self._pool_args},
            pooler.configure(self.pgbouncer)))
        try:
            self.pool.open(wait=True, timeout=self.open_timeout)
        except PoolTimeout:
            self.pool.close()
            raise _pool_timeout(self.url, self.open_timeout) from None
        self.replica_pools = [ConnectionPool(u, open=False, name=safe_url(u),
                                             **self._replica_args()) for u in self.replica_urls]
        for replica in self.replica_pools:
            replica.open(wait=False)  # a replica that is down must not stop the application
        self.primary = self.make_repos(self.pool)
        self.repos = self.make_repos(Router(self.pool, self.replica_pools)
                                     if self.replica_pools else self.pool)
        return self

    def close(self) -> None:
        for replica in getattr(self, "replica_pools", ()):
            replica.close()
        self.pool.close()

    def __enter__(self) -> Self:
        return self.open()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()

    @contextmanager
    def transaction(self) -> Iterator[ReposT]:
        """Every repository over one pooled connection inside one transaction.

        A failure of the COMMIT at the end (a deferred constraint, the server gone) is
        translated like a repository call's; an error raised in the block goes out as is.
        """
        conn: Connection[Any] | None = None
        committing = False
        try:
            with self.pool.connection() as conn, conn.transaction():
                yield self.make_repos(conn)
                committing = True
        except TRANSLATED as exc:
            error = _at_commit(exc, conn, committing, self.pool)
            if error is exc:
                raise
            raise error from exc


class AsyncDatabase(_Base, ABC, Generic[AsyncReposT]):
    """`Database` over an ``AsyncConnectionPool`` (migrations run in a worker thread)."""

    pool: AsyncConnectionPool[AsyncConnection[Any]]
    replica_pools: list[AsyncConnectionPool[AsyncConnection[Any]]]
    primary: AsyncReposT
    repos: AsyncReposT

    @abstractmethod
    def make_repos(self, source: AsyncSource) -> AsyncReposT:
        """Every async repository over ``source`` (the pool, or one connection)."""

    async def open(self) -> Self:
        """`Database.open`, awaited."""
        if self._pool_args["min_size"] > 0:
            try:
                conn = await AsyncConnection.connect(self.url,
                                                     connect_timeout=self.connect_timeout)
                await conn.close()
            except (psycopg.OperationalError, psycopg.ProgrammingError) as exc:
                raise _open_error(self.url, exc, self.connect_timeout) from None
        if self.auto_migrate:
            self.applied = await asyncio.to_thread(migrate, self.migrate_url, self.migrations_dir)
        self.pool = AsyncConnectionPool(self.url, open=False, **_with_check(
            {"check": acheck_connection, **self._pool_args},
            pooler.aconfigure(self.pgbouncer)))
        try:
            await self.pool.open(wait=True, timeout=self.open_timeout)
        except PoolTimeout:
            await self.pool.close()
            raise _pool_timeout(self.url, self.open_timeout) from None
        self.replica_pools = [AsyncConnectionPool(u, open=False, name=safe_url(u),
                                                  **self._replica_args())
                              for u in self.replica_urls]
        for replica in self.replica_pools:
            await replica.open(wait=False)
        self.primary = self.make_repos(self.pool)
        self.repos = self.make_repos(AsyncRouter(self.pool, self.replica_pools)
                                     if self.replica_pools else self.pool)
        return self

    async def close(self) -> None:
        for replica in getattr(self, "replica_pools", ()):
            await replica.close()
        await self.pool.close()

    async def __aenter__(self) -> Self:
        return await self.open()

    async def __aexit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                        tb: TracebackType | None) -> None:
        await self.close()

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncReposT]:
        """`Database.transaction`, async."""
        conn: AsyncConnection[Any] | None = None
        committing = False
        try:
            async with self.pool.connection() as conn, conn.transaction():
                yield self.make_repos(conn)
                committing = True
        except TRANSLATED as exc:
            error = _at_commit(exc, conn, committing, self.pool)
            if error is exc:
                raise
            raise error from exc
