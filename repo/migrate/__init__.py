"""SQLx-compatible migrations: resolve files, run, revert, report."""

from .add import add_migration
from .runner import Migrator, Status, Step, connect, format_duration, lock_id
from .source import Kind, Migration, fingerprint, resolve

__all__ = [
    "Kind",
    "Migration",
    "Migrator",
    "Status",
    "Step",
    "add_migration",
    "connect",
    "fingerprint",
    "format_duration",
    "lock_id",
    "resolve",
]
