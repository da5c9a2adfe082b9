"""A pytest plugin for any project that uses ``repo`` (registered as the ``pytest11`` entry
point ``repo``; disable it with ``-p no:repo``).

Fixtures:

* ``repo_db_url``: the URL of a fresh database for this test, cloned from a template that
  the project's own ``migrations/`` were applied to once per session; dropped afterwards.
* ``repo_conn``: an autocommit ``psycopg.Connection`` to it.
* ``repo_aconn``: an autocommit ``psycopg.AsyncConnection`` to it (needs pytest-asyncio).

The server is ``TEST_DATABASE_URL`` (or ``--repo-test-dsn URL``) when set: any database of it,
since the fixtures create and drop their own databases there. Otherwise a throwaway embedded
PostgreSQL is started for the session (``pip install 'sqlfile-repo[embedded]'``).

Override the session fixtures ``repo_test_dsn`` (the server, or None for the embedded one) and
``repo_migrations`` (the folder to migrate the template with; default: ``[paths] migrations``
of the ``config.toml`` in pytest's rootdir) in a ``conftest.py`` to choose differently.

Nothing is imported or started until a test asks for one of these fixtures.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    import psycopg

TEST_URL_ENV = "TEST_DATABASE_URL"
_counter = itertools.count()


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("repo", "repo: a PostgreSQL database per test")
    group.addoption("--repo-test-dsn", default=None, metavar="URL",
                    help=f"PostgreSQL server for the repo_* fixtures (default: ${TEST_URL_ENV}, "
                    "else a throwaway embedded server)")


def _unique(prefix: str) -> str:
    return f"{prefix}_{os.getpid()}_{next(_counter)}"


@pytest.fixture(scope="session")
def repo_test_dsn(request: pytest.FixtureRequest) -> str | None:
    """The server to test on: ``--repo-test-dsn``, else ``TEST_DATABASE_URL``, else None."""
    dsn: str | None = request.config.getoption("--repo-test-dsn")
    return dsn or os.environ.get(TEST_URL_ENV) or None


@pytest.fixture(scope="session")
def repo_migrations(request: pytest.FixtureRequest) -> Path:
    """The migrations folder of the project under test (``[paths] migrations``)."""
    from .config import load_settings

    root = request.config.rootpath
    return root / load_settings(root).migrations_dir


@pytest.fixture(scope="session")
def repo_server_url(repo_test_dsn: str | None) -> Iterator[str]:
    """The URL of the ``postgres`` database of the server under test."""
    import psycopg

    from .pgconnect import connection_error
    from .server import scratch_server, with_dbname

    if repo_test_dsn:
        url = with_dbname(repo_test_dsn, "postgres")
        try:
            psycopg.connect(url, connect_timeout=5).close()
        except psycopg.Error as exc:
            error = connection_error(url, exc, action="cannot reach the test server")
            pytest.exit(f"{error} (from --repo-test-dsn / {TEST_URL_ENV})", 2)
        yield url
        return
    with scratch_server() as url:
        yield url


@pytest.fixture(scope="session")
def repo_template_db(repo_server_url: str, repo_migrations: Path) -> Iterator[str]:
    """The name of a database with every migration applied (tests never connect to it)."""
    from .migrate import Migrator, connect, resolve
    from .server import create_database, drop_database

    name = _unique("repo_tmpl")
    url = create_database(repo_server_url, name)
    try:
        with connect(url) as conn:
            Migrator(conn, resolve(repo_migrations)).run()
        yield name
    finally:
        drop_database(repo_server_url, name)


@pytest.fixture
def repo_db_url(repo_server_url: str, repo_template_db: str) -> Iterator[str]:
    """The URL of a fresh, fully migrated database of this test's own."""
    from .server import create_database, drop_database

    name = _unique("repo_t")
    url = create_database(repo_server_url, name, template=repo_template_db)
    yield url
    drop_database(repo_server_url, name)


@pytest.fixture
def repo_conn(repo_db_url: str) -> Iterator[psycopg.Connection[tuple[Any, ...]]]:
    """An autocommit connection to this test's migrated database."""
    import psycopg

    with psycopg.connect(repo_db_url, autocommit=True) as connection:
        yield connection


async def _aconn(repo_db_url: str) -> AsyncIterator[psycopg.AsyncConnection[tuple[Any, ...]]]:
    """An async autocommit connection to this test's migrated database."""
    import psycopg

    async with await psycopg.AsyncConnection.connect(repo_db_url, autocommit=True) as conn:
        yield conn


def _no_asyncio() -> None:
    pytest.fail("the repo_aconn fixture needs pytest-asyncio: pip install pytest-asyncio")


repo_aconn: Any
try:  # an async fixture needs pytest-asyncio's decorator in its "strict" mode
    import pytest_asyncio
except ImportError:  # pragma: no cover - exercised only without pytest-asyncio
    repo_aconn = pytest.fixture(_no_asyncio, name="repo_aconn")
else:
    repo_aconn = pytest_asyncio.fixture(_aconn, name="repo_aconn")
