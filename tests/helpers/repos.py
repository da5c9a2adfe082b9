"""One test body for sync and async repositories: every call is awaited.

The ``api`` fixture (in the test modules) yields an `Api` over either ``Repos(conn)`` or
``AsyncRepos(aconn)``; for the sync flavour each method call is wrapped in a coroutine, so
a test written once with ``await api.scripts.get_by_uri(...)`` runs both ways.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import pytest


class _Proxy:
    def __init__(self, target: Any, is_async: bool) -> None:
        self._target = target
        self._async = is_async

    def __getattr__(self, name: str) -> Callable[..., Awaitable[Any]]:
        method = getattr(self._target, name)
        if self._async:
            return method  # type: ignore[no-any-return]

        async def call(*args: Any, **kwargs: Any) -> Any:
            return method(*args, **kwargs)

        return call


class Api:
    """``api.<folder>.<method>(...)`` awaitable for both flavours; ``api.repo(cls)`` too."""

    def __init__(self, repos: Any, conn: Any, is_async: bool) -> None:
        self.conn = conn
        self.is_async = is_async
        self._repos = repos

    def __getattr__(self, folder: str) -> _Proxy:
        return _Proxy(getattr(self._repos, folder), self.is_async)

    def wrap(self, repo: Any) -> _Proxy:
        """Any repository (or runtime base) object, with awaitable methods."""
        return _Proxy(repo, self.is_async)

    async def sql(self, query: str, *params: object) -> list[tuple[Any, ...]]:
        """Run raw SQL on the same connection (for setting up and checking state)."""
        if self.is_async:
            cur = await self.conn.execute(query, params or None)
            return list(await cur.fetchall()) if cur.description else []
        cur = self.conn.execute(query, params or None)
        return list(cur.fetchall()) if cur.description else []


def make_api(request: pytest.FixtureRequest) -> Api:
    """The `Api` for a fixture parametrized with ``"sync"`` / ``"async"``."""
    from repo import AsyncRepos, Repos

    if request.param == "sync":
        conn = request.getfixturevalue("conn")
        return Api(Repos(conn), conn, is_async=False)
    aconn = request.getfixturevalue("aconn")
    return Api(AsyncRepos(aconn), aconn, is_async=True)
