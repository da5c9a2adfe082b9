"""PostgreSQL servers the tools start themselves: throwaway (scratch) and development."""

from .databases import create_database, drop_database, temporary_database, with_dbname
from .embedded import EmbeddedServer, find_binaries, scratch_server

__all__ = [
    "EmbeddedServer",
    "create_database",
    "drop_database",
    "find_binaries",
    "scratch_server",
    "temporary_database",
    "with_dbname",
]
