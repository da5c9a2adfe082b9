"""SQLx-compatible migrations: resolve files, run, revert, report.

The runner (which needs psycopg) is imported on first use, so reading migration files
(`resolve`, `fingerprint`) costs no driver import: `verify` replays migrations offline.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .add import add_migration
from .source import Kind, Migration, fingerprint, resolve

if TYPE_CHECKING:
    from .runner import Migrator, Status, Step, connect, format_duration, lock_id

_RUNNER = ("Migrator", "Status", "Step", "connect", "format_duration", "lock_id")

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


def __getattr__(name: str) -> Any:
    if name in _RUNNER:
        from . import runner

        return getattr(runner, name)
    raise AttributeError(f"module 'repo.migrate' has no attribute {name!r}")
