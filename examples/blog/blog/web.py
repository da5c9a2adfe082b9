"""Wiring `AsyncDatabase` into an ASGI application, FastAPI / Starlette style.

Nothing here imports a web framework, so the same functions run in the tests. With FastAPI::

    app = FastAPI(lifespan=lifespan)

    @app.get("/posts")
    async def posts(db: Annotated[AsyncRepos, Depends(repos)]) -> list[ListPublishedRow]:
        return await db.posts.list_published(limit=20)

    @app.post("/posts/{post_id}/publish")
    async def publish(post_id: int, tx: Annotated[AsyncRepos, Depends(transaction)]) -> None:
        await tx.posts.publish(id=post_id)
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any, Protocol

from blog.db import AsyncDatabase, AsyncRepos


class App(Protocol):
    """What the functions need of the application: Starlette's ``app.state``."""

    state: Any


class Request(Protocol):
    """What the dependencies need of a request: ``request.app``."""

    @property
    def app(self) -> App: ...


@asynccontextmanager
async def lifespan(app: App) -> AsyncIterator[None]:
    """Open the pool at startup (migrating first if auto_migrate is on), close it at shutdown.

    The URL comes from DATABASE_URL (environment or .env) or config.toml; a wrong password or
    an unreachable server stops the application at startup with a clear error.
    """
    async with AsyncDatabase() as db:
        app.state.db = db
        yield


def _db(request: Request) -> AsyncDatabase:
    db: AsyncDatabase = request.app.state.db
    return db


async def repos(request: Request) -> AsyncRepos:
    """A request dependency: every repository over the pool (each call autocommits)."""
    return _db(request).repos


async def transaction(request: Request) -> AsyncIterator[AsyncRepos]:
    """A request dependency: every repository in one transaction, committed after the
    handler returns, rolled back if it raises."""
    async with _db(request).transaction() as tx:
        yield tx
