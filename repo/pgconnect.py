"""Opening a connection, with failures explained and the password never shown.

The one place where a psycopg connection failure becomes a `repo` error:

* a malformed URL (libpq quotes its fragments, password included) -> `ConfigError` that says
  so without the URL;
* the server answered and refused the login (``FATAL:``: role, password, database) ->
  `ConfigError`;
* nobody answered (refused, unreachable, timed out) -> `ServerError`.

URLs are shown through `conninfo.safe_url` (libpq's parse, secrets masked) and psycopg's
messages through `conninfo.scrub` (every secret of the URL, as parsed, removed).
"""

from __future__ import annotations

import os
from typing import Any

import psycopg

from .conninfo import remember, safe_url, scrub, unparsable
from .errors import ConfigError, RepoError, ServerError


def connection_error(url: str, exc: psycopg.Error, *, action: str | None = None,
                     retry_hint: str = "") -> RepoError:
    """The `repo` error for a failed connection to ``url``.

    Args:
        action: what failed, e.g. "cannot open the database pool" (default: "cannot connect
            to <safe url>").
        retry_hint: appended to the hint of a server that did not answer.
    """
    params = remember(url)
    if params is None or isinstance(exc, psycopg.ProgrammingError):
        # libpq could not parse the string; its message quotes the fragment it choked on.
        return unparsable(exc)
    reason = scrub(" ".join(str(exc).split()))
    where = safe_url(url)
    action = action or f"cannot connect to {where}"
    if "FATAL:" in reason:
        return ConfigError(f"{action}: {reason}",
                           hint=f"check the user name, password and database name in the "
                           f"database URL ({where})")
    return ServerError(f"{action}: {reason}",
                       hint=f"check the host and port in the database URL ({where}) and that "
                       f"the server is running (`python -m repo db start` starts a local "
                       f"one){retry_hint}")


def connect_timeout(url: str, default: int) -> int:
    """The ``connect_timeout`` the URL sets (else ``PGCONNECT_TIMEOUT``), else ``default``.

    A keyword argument would override the URL's own value, as libpq merges them: ours is
    only the default for a URL that says nothing.
    """
    try:
        value = psycopg.conninfo.conninfo_to_dict(url).get("connect_timeout")
    except psycopg.Error:
        value = None  # a malformed URL fails when connecting, with its own message
    value = value if value is not None else os.environ.get("PGCONNECT_TIMEOUT")
    try:
        return int(str(value)) if value is not None else default
    except ValueError:
        return default


def connect(url: str, **kwargs: Any) -> psycopg.Connection[tuple[Any, ...]]:
    """`psycopg.connect` raising `connection_error`.

    A ``connect_timeout`` in the URL (or ``PGCONNECT_TIMEOUT``) is kept; only without one
    does the attempt get 10 s (not libpq's default of waiting forever).
    """
    remember(url)
    kwargs.setdefault("connect_timeout", connect_timeout(url, 10))
    try:
        return psycopg.connect(url, **kwargs)
    except (psycopg.OperationalError, psycopg.ProgrammingError) as exc:
        raise connection_error(url, exc) from None
