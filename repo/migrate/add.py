"""``migrate add``: new migration files named and versioned as ``sqlx migrate add`` does."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from ..errors import MigrationSourceError
from .source import Kind, Migration, resolve

_TEMPLATES = {
    ".sql": "-- Add migration script here\n",
    ".up.sql": "-- Add up migration script here\n",
    ".down.sql": "-- Add down migration script here\n",
}


def next_version(existing: list[Migration], *, timestamp: bool, sequential: bool,
                 now: datetime | None = None) -> str:
    """The version prefix for a new migration (SQLx 0.8.6's inference).

    ``-t`` gives a UTC timestamp, ``-s`` the last version + 1; otherwise sequential when the
    last two up/simple versions differ by one (or the only one is 0 or 1), else a timestamp.
    """
    stamp = (now or datetime.now(UTC)).strftime("%Y%m%d%H%M%S")
    forward = [m.version for m in existing if m.kind is not Kind.DOWN]
    if timestamp or not (sequential or _looks_sequential(forward)):
        # Two migrations added within one second must not share a version.
        return str(max(int(stamp), forward[-1] + 1)) if forward else stamp
    return f"{forward[-1] + 1 if forward else 1:04}"


def _looks_sequential(forward: list[int]) -> bool:
    if len(forward) >= 2:
        return forward[-1] - forward[-2] == 1
    return len(forward) == 1 and forward[0] in (0, 1)


def add_migration(source: Path, description: str, *, reversible: bool | None = None,
                  timestamp: bool = False, sequential: bool = False) -> list[Path]:
    """Create the file(s) for a new migration; return their paths.

    ``reversible`` None means "like the last migration" (SQLx's inference). Existing files are
    never overwritten.
    """
    if timestamp and sequential:
        raise MigrationSourceError("-t and -s exclude each other", hint="pass only one of them")
    if not description.strip():
        raise MigrationSourceError("the migration needs a description",
                                   hint="e.g. `python -m repo migrate add create_users`")
    source.mkdir(parents=True, exist_ok=True)
    existing = resolve(source)
    if reversible is None:
        reversible = bool(existing) and existing[-1].kind is not Kind.SIMPLE
    prefix = next_version(existing, timestamp=timestamp, sequential=sequential)
    stem = f"{prefix}_{description.strip().replace(' ', '_')}"
    suffixes = [".up.sql", ".down.sql"] if reversible else [".sql"]
    paths = [source / (stem + suffix) for suffix in suffixes]
    for path in paths:
        if path.exists():
            raise MigrationSourceError("migration file already exists", path=path,
                                       hint="choose another description")
    for path, suffix in zip(paths, suffixes, strict=True):
        path.write_text(_TEMPLATES[suffix], encoding="utf-8")
    return paths
