"""The blog's data layer, on a fresh migrated database per test (the `repo` pytest plugin)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from types import SimpleNamespace

import psycopg
import pytest
from psycopg import sql
from psycopg.conninfo import make_conninfo
from repo import UniqueViolation

from blog.db import AsyncDatabase, AsyncRepos, Author, Database, Post, Repos
from blog.web import lifespan, repos, transaction


def test_authors_and_posts(repo_conn: psycopg.Connection[tuple[object, ...]]) -> None:
    db = Repos(repo_conn)
    ada = db.authors.create(name="Ada", email="ada@example.org")
    assert isinstance(ada, Author) and ada.id > 0
    assert db.authors.by_email(email="ada@example.org") == ada
    draft = db.posts.create(author_id=ada.id, title="Engines", body="...")
    assert isinstance(draft, Post) and draft.published_at is None
    assert db.posts.list_published(limit=10) == []
    assert db.posts.publish(id=draft.id) == 1
    assert db.posts.publish(id=draft.id) == 0  # already published
    [row] = db.posts.list_published(limit=10)
    assert (row.id, row.title, row.author_name) == (draft.id, "Engines", "Ada")
    assert db.posts.count_by_author(author_id=ada.id) == 1
    with pytest.raises(UniqueViolation) as caught:
        db.authors.create(name="Ada again", email="ada@example.org")
    assert caught.value.constraint == "authors_email_key"


def test_database_transaction_rolls_back(repo_db_url: str) -> None:
    with Database(repo_db_url, max_size=2) as db:
        author = db.repos.authors.create(name="Grace", email="grace@example.org")
        with pytest.raises(RuntimeError), db.transaction() as tx:
            tx.posts.create(author_id=author.id, title="Compilers", body="...")
            raise RuntimeError("changed my mind")
        assert db.repos.posts.count_by_author(author_id=author.id) == 0
        with db.transaction() as tx:
            tx.posts.create(author_id=author.id, title="Compilers", body="...")
        assert db.repos.posts.count_by_author(author_id=author.id) == 1


async def test_async_repos(repo_aconn: psycopg.AsyncConnection[tuple[object, ...]]) -> None:
    db = AsyncRepos(repo_aconn)
    author = await db.authors.create(name="Edsger", email="ewd@example.org")
    assert await db.authors.get(id=author.id) == author
    assert await db.authors.get(id=author.id + 1) is None


async def test_web_lifespan_and_dependencies(repo_db_url: str,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", repo_db_url)
    app = SimpleNamespace(state=SimpleNamespace())
    request = SimpleNamespace(app=app)
    async with lifespan(app):
        assert isinstance(app.state.db, AsyncDatabase)
        r = await repos(request)
        author = await r.authors.create(name="Barbara", email="bl@example.org")
        # A yield dependency as FastAPI drives it: up to the yield, the handler, then resume.
        gen = transaction(request)
        tx = await anext(gen)
        post = await tx.posts.create(author_id=author.id, title="CLU", body="...")
        await tx.posts.publish(id=post.id)
        assert await r.posts.list_published(limit=5) == []  # not committed yet
        with pytest.raises(StopAsyncIteration):
            await anext(gen)
        [row] = await r.posts.list_published(limit=5)
        assert row.author_name == "Barbara"
    assert app.state.db.pool.closed


@pytest.fixture
def replica_url(repo_server_url: str, repo_template_db: str) -> Iterator[str]:
    """A second migrated database standing in for a read replica (it never sees the writes)."""
    name = f"blog_replica_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(repo_server_url, autocommit=True) as admin:
        admin.execute(sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(
            sql.Identifier(name), sql.Identifier(repo_template_db)))
    yield make_conninfo(repo_server_url, dbname=name)
    with psycopg.connect(repo_server_url, autocommit=True) as admin:
        admin.execute(sql.SQL("DROP DATABASE {} WITH (FORCE)").format(
            sql.Identifier(name)))


def test_posts_get_reads_its_writes_on_the_primary(repo_db_url: str, replica_url: str) -> None:
    with Database(repo_db_url, max_size=2, replica_urls=[replica_url]) as db:
        author = db.repos.authors.create(name="Niklaus", email="nw@example.org")
        post = db.repos.posts.create(author_id=author.id, title="Pascal", body="...")
        # `-- @primary` in queries/posts/get.sql: the post just written is found.
        assert db.repos.posts.get(id=post.id) == post
        # Other reads proven read-only go to the replica, which has none of these rows.
        assert db.repos.authors.get(id=author.id) is None
        assert db.repos.posts.count_by_author(author_id=author.id) == 0
