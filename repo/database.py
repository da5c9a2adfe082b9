"""The application entry point: a connection pool from the configuration, migrations first.

```python
with Database() as db:                      # URL from DATABASE_URL / .env / config.toml
    script = db.repos.scripts.get_by_uri(uri="/index.js")
    with db.transaction() as tx:            # one connection, one transaction
        tx.scripts.upsert(uri="/a.js", code="...")
        tx.logs.append(script_uri="/a.js", message="deployed")
```

`AsyncDatabase` is the same over ``psycopg_pool.AsyncConnectionPool``.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path
from types import TracebackType
from typing import Any, Self

from psycopg import AsyncConnection, Connection
from psycopg_pool import AsyncConnectionPool, ConnectionPool

from .config import Settings, load_settings, redact
from .errors import ConfigError
from .generated import AsyncRepos, Repos


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


class _Base:
    def __init__(self, url: str | None = None, *, settings: Settings | None = None,
                 auto_migrate: bool | None = None, min_size: int = 1, max_size: int = 10,
                 **pool_kwargs: Any) -> None:
        self.settings = settings or load_settings()
        self.url = _settings_url(url, self.settings)
        self.auto_migrate = self.settings.auto_migrate if auto_migrate is None else auto_migrate
        self.migrations_dir = self.settings.root / self.settings.migrations_dir
        self.applied: list[int] = []
        self._pool_args: dict[str, Any] = {"min_size": min_size, "max_size": max_size,
                                           **pool_kwargs}

    def __repr__(self) -> str:
        return f"{type(self).__name__}({redact(self.url)!r})"


class Database(_Base):
    """A ``ConnectionPool`` opened from the configuration, with every repository over it.

    Args:
        url: the database URL; default: the configured one (``Settings.resolve_url``).
        settings: the project settings; default: `load_settings()` in the current directory.
        auto_migrate: run pending migrations before opening the pool; default: the
            ``[repository] auto_migrate`` setting.
        min_size, max_size, pool_kwargs: passed to ``psycopg_pool.ConnectionPool``.
    """

    pool: ConnectionPool[Connection[Any]]
    repos: Repos

    def open(self) -> Self:
        """Migrate if asked, then open the pool (waiting for its first connection)."""
        if self.auto_migrate:
            self.applied = migrate(self.url, self.migrations_dir)
        self.pool = ConnectionPool(self.url, open=False, **self._pool_args)
        self.pool.open(wait=True)
        self.repos = Repos(self.pool)
        return self

    def close(self) -> None:
        self.pool.close()

    def __enter__(self) -> Self:
        return self.open()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()

    @contextmanager
    def transaction(self) -> Iterator[Repos]:
        """Every repository over one pooled connection inside one transaction."""
        with self.pool.connection() as conn, conn.transaction():
            yield Repos(conn)


class AsyncDatabase(_Base):
    """`Database` over an ``AsyncConnectionPool`` (migrations run in a worker thread)."""

    pool: AsyncConnectionPool[AsyncConnection[Any]]
    repos: AsyncRepos

    async def open(self) -> Self:
        if self.auto_migrate:
            self.applied = await asyncio.to_thread(migrate, self.url, self.migrations_dir)
        self.pool = AsyncConnectionPool(self.url, open=False, **self._pool_args)
        await self.pool.open(wait=True)
        self.repos = AsyncRepos(self.pool)
        return self

    async def close(self) -> None:
        await self.pool.close()

    async def __aenter__(self) -> Self:
        return await self.open()

    async def __aexit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                        tb: TracebackType | None) -> None:
        await self.close()

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncRepos]:
        """Every repository over one pooled connection inside one transaction."""
        async with self.pool.connection() as conn, conn.transaction():
            yield AsyncRepos(conn)
