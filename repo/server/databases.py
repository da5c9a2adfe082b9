"""Creating and dropping databases on an existing server (never string-formatting user values)."""

from __future__ import annotations

import hashlib
import os
import re
import secrets
import socket
from collections.abc import Iterator
from contextlib import contextmanager

import psycopg
from psycopg import sql

from .. import pgconnect
from .._proc import pid_alive
from ..conninfo import with_params


def with_dbname(url: str, dbname: str) -> str:
    """The same connection target with another database name, in the same form.

    Built from libpq's parse of ``url`` (`conninfo.with_params`): a password holding ``?``,
    ``#`` or ``/``, which libpq accepts, keeps its meaning (a URL library would cut the URL
    there), and every value is percent-encoded or quoted as needed.

    >>> with_dbname("postgresql://u:p@h:5/app?sslmode=disable", "other")
    'postgresql://u:p@h:5/other?sslmode=disable'
    >>> with_dbname("postgresql://h/app", "my db/1")
    'postgresql://h/my%20db%2F1'
    """
    return with_params(url, dbname=dbname)


def dbname_of(url: str) -> str:
    """The database a URL points at (libpq's default: the user name)."""
    params = psycopg.conninfo.conninfo_to_dict(url)
    return str(params.get("dbname") or params.get("user") or "postgres")


def _admin_connect(url: str) -> psycopg.Connection[tuple[object, ...]]:
    return pgconnect.connect(with_dbname(url, "postgres"), autocommit=True)


def create_database(url: str, name: str, *, template: str | None = None) -> str:
    """Create database ``name`` on the server of ``url``; return a URL for it."""
    query = sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name))
    if template:
        query += sql.SQL(" TEMPLATE {}").format(sql.Identifier(template))
    with _admin_connect(url) as conn:
        conn.execute(query)
    return with_dbname(url, name)


def drop_database(url: str, name: str) -> None:
    """Drop database ``name`` if it exists, disconnecting its sessions first."""
    with _admin_connect(url) as conn:
        query = sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        conn.execute(query)


def _host_tag() -> str:
    return hashlib.sha256(socket.gethostname().encode()).hexdigest()[:6]


def sweep_temporary_databases(url: str, prefix: str) -> list[str]:
    """Drop databases this host's killed processes left behind; return their names.

    A temporary database is named ``<prefix>_<host tag>_<pid>_<random>``; one whose host tag
    is ours and whose pid no longer runs here belongs to a process that was killed (SIGKILL
    runs no cleanup). Databases of other hosts sharing the server are never touched.
    """
    pattern = re.compile(rf"{re.escape(prefix)}_{_host_tag()}_(\d+)_[0-9a-f]+")
    with _admin_connect(url) as conn:
        names = [str(r[0]) for r in conn.execute(
            "SELECT datname FROM pg_database WHERE datname LIKE %s", [prefix + "\\_%"])]
    stale = [n for n in names if (m := pattern.fullmatch(n)) and not pid_alive(int(m[1]))]
    for name in stale:
        drop_database(url, name)
    return stale


@contextmanager
def temporary_database(url: str, prefix: str = "repo_scratch") -> Iterator[str]:
    """A fresh empty database on the server of ``url``, dropped on exit."""
    sweep_temporary_databases(url, prefix)
    name = f"{prefix}_{_host_tag()}_{os.getpid()}_{secrets.token_hex(4)}"
    db_url = create_database(url, name)
    try:
        yield db_url
    finally:
        drop_database(url, name)
