"""Typed PostgreSQL data access from plain SQL files.

SQLx-compatible migrations and ``.sqlx`` metadata, generated pydantic row models and typed
repositories (sync and async), and an offline verifier for CI.
"""

from .errors import (
    CheckViolation,
    ConnectionLost,
    DataError,
    ForeignKeyViolation,
    InvalidArgument,
    IntegrityError,
    NotFound,
    NotNullViolation,
    RepoError,
    StatementTimeout,
    UniqueViolation,
)

__all__ = [
    "CheckViolation",
    "ConnectionLost",
    "DataError",
    "ForeignKeyViolation",
    "IntegrityError",
    "InvalidArgument",
    "NotFound",
    "NotNullViolation",
    "RepoError",
    "StatementTimeout",
    "UniqueViolation",
]
