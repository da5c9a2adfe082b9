"""PostgreSQL servers the tools start themselves: throwaway (scratch) and development.

Names that need psycopg (the database helpers) are imported on first use, so that offline
commands never load the driver.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .embedded import EmbeddedServer, find_binaries, scratch_server

if TYPE_CHECKING:
    from .databases import create_database, drop_database, temporary_database, with_dbname

_DATABASES = ("create_database", "drop_database", "temporary_database", "with_dbname")

__all__ = [
    "EmbeddedServer",
    "create_database",
    "drop_database",
    "find_binaries",
    "scratch_server",
    "temporary_database",
    "with_dbname",
]


def __getattr__(name: str) -> Any:
    if name in _DATABASES:
        from . import databases

        return getattr(databases, name)
    raise AttributeError(f"module 'repo.server' has no attribute {name!r}")
