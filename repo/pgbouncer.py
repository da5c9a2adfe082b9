"""Connections through a transaction-pooling PgBouncer (issue #15).

In ``pool_mode = transaction`` PgBouncer hands each *transaction* to whichever server
connection is free, so nothing that lives in a server session survives from one transaction
to the next: not a named prepared statement, not a ``SET``, not a session advisory lock.
Server-side prepared statements are what broke: psycopg names them ``_pg3_0``, ``_pg3_1``, ...
per client connection, so through PgBouncer < 1.21 two clients' ``_pg3_0`` meet on one server
connection and a ``DELETE`` can run as someone else's statement, reporting a row count for
the wrong statement. The runtime keeps no other session state (no ``SET``, no temporary
tables, no ``LISTEN``, no session locks).

Modes (``[repository] pgbouncer``, the ``?pgbouncer=`` URL option, or ``Database(pgbouncer=)``):

* ``"auto"`` (default): each new pooled connection checks whether its session is its own
  (`behind_pooler`) and turns server-side prepared statements off when it is not;
* ``false`` (``"off"``): a direct connection (or PgBouncer in session mode): prepared statements;
* ``true`` (``"transaction"``): PgBouncer in transaction mode, any version: psycopg's
  ``prepare_threshold=None``, so every statement is an unnamed one;
* ``"prepared"``: PgBouncer >= 1.21 with ``max_prepared_statements > 0``, which tracks
  protocol-level prepared statements itself: psycopg's prepared statements are kept. psycopg
  then deallocates with the protocol's Close message (PgBouncer does not support ``DEALLOCATE``
  by name), which needs libpq >= 17.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Literal
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from .errors import ConfigError, MigrationError

if TYPE_CHECKING:  # config.py imports this module, and offline commands never import psycopg
    import psycopg

Mode = Literal["auto", "off", "transaction", "prepared"]

_VALUES: dict[object, Mode] = {
    True: "transaction", "true": "transaction", "transaction": "transaction",
    False: "off", "false": "off", "off": "off", "auto": "auto", "prepared": "prepared",
}
URL_OPTION = "pgbouncer"


def parse_mode(value: object, where: str) -> Mode:
    """A configured ``pgbouncer`` value as a `Mode`; `ConfigError` naming ``where`` if invalid.

    >>> parse_mode(True, "config.toml"), parse_mode("prepared", "URL")
    ('transaction', 'prepared')
    """
    key = value.lower() if isinstance(value, str) else value
    if isinstance(key, bool | str) and key in _VALUES:
        return _VALUES[key]
    raise ConfigError(f"{where}: pgbouncer = {value!r} is not a known setting",
                      hint='use true (transaction pooling), "prepared" (PgBouncer >= 1.21 with '
                      'max_prepared_statements > 0), false (a direct connection) or "auto"')


def split_url(url: str) -> tuple[str, Mode | None]:
    """Remove the ``pgbouncer`` option (libpq rejects unknown URL options) from ``url``.

    >>> split_url("postgresql://app@pooler:6432/app?pgbouncer=true&sslmode=require")
    ('postgresql://app@pooler:6432/app?sslmode=require', 'transaction')
    >>> split_url("host=db dbname=app")
    ('host=db dbname=app', None)
    """
    if "://" not in url or "?" not in url:
        return url, None
    parts = urlsplit(url)
    query = parse_qsl(parts.query, keep_blank_values=True)
    found = [v for k, v in query if k == URL_OPTION]
    if not found:
        return url, None
    rest = urlencode([(k, v) for k, v in query if k != URL_OPTION])
    return urlunsplit(parts._replace(query=rest)), parse_mode(found[-1], "database URL")


def choose(explicit: Mode | bool | None, from_url: Mode | None, configured: Mode) -> Mode:
    """The mode in force: the argument, else the URL option, else the configuration."""
    if explicit is not None:
        return parse_mode(explicit, "Database(pgbouncer=...)")
    return from_url or configured


def connect_kwargs(mode: Mode) -> dict[str, Any]:
    """Keyword arguments for ``psycopg.connect`` (and a pool's ``kwargs``) in ``mode``."""
    import psycopg

    if mode == "transaction":
        return {"prepare_threshold": None}
    if mode == "prepared" and not psycopg.capabilities.has_send_close_prepared():
        raise ConfigError(
            f'pgbouncer = "prepared" needs libpq >= 17 (this psycopg uses libpq '
            f"{psycopg.pq.version()})",
            hint="psycopg deallocates through PgBouncer with the protocol's Close message, "
            "which older libpq lacks: install psycopg[binary] >= 3.2 or set pgbouncer = true")
    return {}


_PID = b"SELECT pg_backend_pid()"


def behind_pooler(conn: psycopg.Connection[Any]) -> bool:
    """True when ``conn``'s server session is not its own (a pooler sits in between).

    PostgreSQL tells each client its backend's process id at login; a pooler answers the
    login itself, with an id of its own, and then runs statements on server connections it
    chooses. So the login's id differs from ``pg_backend_pid()`` exactly when a pooler
    multiplexes (a plain TCP proxy forwards both unchanged). Leaves ``conn`` idle.
    """
    row = conn.execute(_PID, prepare=False).fetchone()
    if not conn.autocommit:
        conn.rollback()
    return row is None or row[0] != conn.info.backend_pid


async def abehind_pooler(conn: psycopg.AsyncConnection[Any]) -> bool:
    """`behind_pooler` for an async connection."""
    cur = await conn.execute(_PID, prepare=False)
    row = await cur.fetchone()
    if not conn.autocommit:
        await conn.rollback()
    return row is None or row[0] != conn.info.backend_pid


def configure(mode: Mode) -> Callable[[psycopg.Connection[Any]], None] | None:
    """The pool's ``configure`` callback for ``mode`` (``"auto"`` only checks each connection)."""
    if mode != "auto":
        return None

    def check(conn: psycopg.Connection[Any]) -> None:
        if behind_pooler(conn):
            conn.prepare_threshold = None

    return check


def aconfigure(mode: Mode) -> Callable[[psycopg.AsyncConnection[Any]], Any] | None:
    """`configure` for an async pool."""
    if mode != "auto":
        return None

    async def check(conn: psycopg.AsyncConnection[Any]) -> None:
        if await abehind_pooler(conn):
            conn.prepare_threshold = None

    return check


def refuse_pooled(conn: psycopg.Connection[Any], mode: Mode | None, command: str,
                  safe_url: str) -> None:
    """Raise `MigrationError` when ``conn`` goes through a pooler (``command`` needs a session).

    The migrator holds a session advisory lock across transactions, and ``prepare`` describes
    named prepared statements: through transaction pooling both would land on server
    connections that other clients get, so the lock could be left behind and descriptions
    mixed up. Refusing at once is the safe answer; the fix is a direct URL, as Prisma's
    ``directUrl``.
    """
    if mode in ("transaction", "prepared") or (mode != "off" and behind_pooler(conn)):
        raise MigrationError(
            f"{command} needs a direct connection to PostgreSQL, but {safe_url} goes through "
            "a connection pooler (PgBouncer): the migration lock and the statements would run "
            "on server connections that other clients share",
            hint="give the server's own address with --database-url, or set [repository] "
            "direct_url in config.toml (or DIRECT_DATABASE_URL); the application keeps "
            "using the pooled URL")
