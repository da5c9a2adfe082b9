"""Typed PostgreSQL data access from plain SQL files.

SQLx-compatible migrations and ``.sqlx`` metadata, generated pydantic row models and typed
repositories (sync and async), and an offline verifier for CI.

``import repo`` stays cheap and always works: the repositories, models and `Database` are
imported on first use (they pull in psycopg and pydantic, and the generated package may not
exist yet in a project that has not run ``python -m repo generate``).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from .errors import (
    CheckViolation,
    ConfigError,
    ConnectionLost,
    DataError,
    ForeignKeyViolation,
    IntegrityError,
    InvalidArgument,
    MigrationError,
    NotFound,
    NotNullViolation,
    PoolExhausted,
    RepoError,
    ServerError,
    StatementTimeout,
    TooManyRows,
    UniqueViolation,
)

if TYPE_CHECKING:
    from .generated import (
        Asset,
        AssetRepo,
        AsyncAssetRepo,
        AsyncDatabase,
        AsyncLogRepo,
        AsyncRepos,
        AsyncScriptRepo,
        AsyncSessionRepo,
        AsyncUserRepo,
        Database,
        Log,
        LogRepo,
        Repos,
        Script,
        ScriptRepo,
        Session,
        SessionRepo,
        User,
        UserRepo,
    )
    from .runtime import JsonValue

# AIWebEngine's generated package is one client of the library; these lazy re-exports are
# the only place the library names it (tests/test_public_api.py pins that).
_LAZY = {
    "JsonValue": "repo.runtime",
    **{name: "repo.generated" for name in (
        "Asset", "AssetRepo", "AsyncAssetRepo", "AsyncDatabase", "AsyncLogRepo", "AsyncRepos",
        "AsyncScriptRepo", "AsyncSessionRepo", "AsyncUserRepo", "Database", "Log", "LogRepo",
        "Repos", "Script",
        "ScriptRepo", "Session", "SessionRepo", "User", "UserRepo")},
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'repo' has no attribute {name!r}")
    try:
        value = getattr(importlib.import_module(module), name)
    except (ImportError, AttributeError) as exc:
        raise ImportError(f"repo.{name} is not available ({exc}); run `python -m repo "
                          "generate` (or `python -m repo prepare`) to create repo/generated/"
                          ) from exc
    globals()[name] = value  # later lookups skip __getattr__
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))


__all__ = [
    "Asset",
    "AssetRepo",
    "AsyncAssetRepo",
    "AsyncDatabase",
    "AsyncLogRepo",
    "AsyncRepos",
    "AsyncScriptRepo",
    "AsyncSessionRepo",
    "AsyncUserRepo",
    "CheckViolation",
    "ConfigError",
    "ConnectionLost",
    "DataError",
    "Database",
    "ForeignKeyViolation",
    "IntegrityError",
    "InvalidArgument",
    "JsonValue",
    "Log",
    "LogRepo",
    "MigrationError",
    "NotFound",
    "NotNullViolation",
    "PoolExhausted",
    "RepoError",
    "Repos",
    "Script",
    "ScriptRepo",
    "ServerError",
    "Session",
    "SessionRepo",
    "StatementTimeout",
    "TooManyRows",
    "UniqueViolation",
    "User",
    "UserRepo",
]
