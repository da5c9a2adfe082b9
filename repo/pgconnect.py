"""Opening a connection, with failures explained and the password never shown.

The one place where a psycopg connection failure becomes a `repo` error:

* a malformed URL (libpq quotes it whole, password included) -> `ConfigError`;
* the server answered and refused the login (``FATAL:``: role, password, database) ->
  `ConfigError`;
* nobody answered (refused, unreachable, timed out) -> `ServerError`.
"""

from __future__ import annotations

from typing import Any

import psycopg

from .config import redact
from .errors import ConfigError, RepoError, ServerError


def _reason(exc: psycopg.Error, url: str) -> str:
    reason = " ".join(redact(str(exc)).split())
    # redact() finds passwords in URL and key=value text; a malformed URL echoed by libpq may
    # be neither, so the URL's own password is removed wherever it appears.
    try:
        password = psycopg.conninfo.conninfo_to_dict(url).get("password")
    except psycopg.Error:
        password = None
    return reason.replace(str(password), "***") if password else reason


def connection_error(url: str, exc: psycopg.Error, *, action: str | None = None,
                     retry_hint: str = "") -> RepoError:
    """The `repo` error for a failed connection to ``url``.

    Args:
        action: what failed, e.g. "cannot open the database pool" (default: "cannot connect
            to <redacted url>").
        retry_hint: appended to the hint of a server that did not answer.
    """
    reason = _reason(exc, url)
    where = redact(url)
    action = action or f"cannot connect to {where}"
    if isinstance(exc, psycopg.ProgrammingError):
        return ConfigError(f"invalid database URL {where}: {reason}",
                           hint="check the URL's host, port and database name, and "
                           "percent-encode special characters in the user name and password")
    if "FATAL:" in reason:
        return ConfigError(f"{action}: {reason}",
                           hint=f"check the user name, password and database name in the "
                           f"database URL ({where})")
    return ServerError(f"{action}: {reason}",
                       hint=f"check the host and port in the database URL ({where}) and that "
                       f"the server is running (`python -m repo db start` starts a local "
                       f"one){retry_hint}")


def connect(url: str, **kwargs: Any) -> psycopg.Connection[tuple[Any, ...]]:
    """`psycopg.connect` (10 s connect timeout by default) raising `connection_error`."""
    kwargs.setdefault("connect_timeout", 10)
    try:
        return psycopg.connect(url, **kwargs)
    except (psycopg.OperationalError, psycopg.ProgrammingError) as exc:
        raise connection_error(url, exc) from None
