"""Migration safety lint (offline): locks, rewrites, deploy-time failures, and the queries a
rename or drop breaks.

Public entry points: :func:`lint` (what ``python -m repo lint`` and ``verify`` run),
:data:`RULES` (code, severity, title, check), :class:`LintFinding`, :class:`LintReport`.

Rules (stable codes; README "Safe migrations")::

    L000 the migration does not parse (PostgreSQL's grammar, via pglast)
    L001 ADD COLUMN NOT NULL without a default on an existing table
    L002 SET NOT NULL on an existing table (no validated CHECK (col IS NOT NULL))
    L003 CREATE INDEX without CONCURRENTLY on an existing table
    L004 DROP INDEX without CONCURRENTLY
    L005 CONCURRENTLY in a migration that runs in a transaction
    L006 ALTER COLUMN TYPE that rewrites the table
    L007 FOREIGN KEY without NOT VALID on an existing table (or validated in the same tx)
    L008 CHECK without NOT VALID on an existing table (or validated in the same tx)
    L009 UNIQUE / PRIMARY KEY without USING INDEX on an existing table
    L010 ADD COLUMN with a volatile default, serial, identity or stored generated column
    L011 RENAME TABLE / COLUMN (names the query files that use it)
    L012 DROP TABLE / COLUMN (names the query files that use it)
    L013 an exclusive lock on an existing table with no lock_timeout set before it
    L014 a `-- lint: allow` comment without a reason, with an unknown code, or unused

"Existing table" means one this migration did not create: a table created by an earlier
migration may hold rows in production.
"""

from __future__ import annotations

import tomllib
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from ..config import CONFIG_FILE, Settings
from ..errors import ConfigError, RepoError
from ..migrate.source import Migration, load_migration, resolve
from .model import LintFinding, LintReport, QueryUse, Severity
from .rules import RULES
from .usage import QueryIndex

if TYPE_CHECKING:
    from ..queries.model import QueryDef


def baseline(settings: Settings) -> int | None:
    """``[lint] since`` from config.toml: lint only migrations with a larger version."""
    path = settings.root / CONFIG_FILE
    try:
        with path.open("rb") as fh:
            doc = tomllib.load(fh)
    except FileNotFoundError:
        doc = {}
    except tomllib.TOMLDecodeError:
        return None  # a broken config.toml is reported by load_settings itself
    section = doc.get("lint", {})
    since = section.get("since") if isinstance(section, dict) else None
    if since is None:
        return _sqlc_baseline(settings, doc)
    if isinstance(since, bool) or not isinstance(since, int | str) \
            or not str(since).lstrip("-").isdigit():
        raise ConfigError(f"[lint] since = {since!r} is not a migration version", path=path,
                          hint="write the version of the last migration already deployed, "
                          "e.g. since = 20241024000005, or remove the key to lint all")
    return int(since)


def _sqlc_baseline(settings: Settings, doc: dict[str, object]) -> int | None:
    # A schema taken from sqlc.yaml is the schema as deployed, not a plan of deploy steps:
    # its files are all taken as deployed (set [lint] since = 0 to lint them all).
    from ..sqlc_config import find

    paths = doc.get("paths")
    if (isinstance(paths, dict) and "migrations" in paths) or find(settings.root) is None:
        return None
    return max((m.version for m in resolve(settings.migrations_dir)), default=None)


def _query_index(settings: Settings) -> QueryIndex | None:
    from ..queries.loader import load_queries

    try:
        return QueryIndex(list(load_queries(settings.queries_dir)), settings.root)
    except RepoError:
        return None  # `verify` reports malformed query files; usage is then unknown


def lint(settings: Settings, files: Sequence[str | Path] = (),
         loaded: Sequence[QueryDef] | None = None) -> LintReport:
    """Lint the project's migrations newer than ``[lint] since`` (or exactly ``files``).

    A file outside the migrations directory is linted as the next migration after all of
    them. ``loaded``: the project's queries when the caller (``verify``) already loaded them.
    Raises `MigrationSourceError` for a file that is not a migration.
    """
    from .engine import lint_migrations

    migrations = resolve(settings.migrations_dir) if settings.migrations_dir.is_dir() else []
    wanted = {Path(f).resolve() for f in files}
    known = {m.path.resolve() for m in migrations}
    extra = [_load(Path(f)) for f in files if Path(f).resolve() not in known]
    top = max((m.version for m in migrations), default=0)
    extra = [_as_next(m, top + i + 1) for i, m in enumerate(extra)]
    since = None if files else baseline(settings)

    def selected(m: Migration) -> bool:
        if files:
            return m.path.resolve() in wanted
        return since is None or m.version > since

    cache: list[QueryIndex | None] = []

    def queries() -> QueryIndex | None:
        if not cache:
            cache.append(QueryIndex(list(loaded), settings.root) if loaded is not None
                         else _query_index(settings))
        return cache[0]

    report = lint_migrations(migrations + extra, selected, queries, settings.root)
    report.since = since
    return report


def _load(path: Path) -> Migration:
    from ..errors import MigrationSourceError

    if not path.is_file():
        raise MigrationSourceError("no such migration file", path=path,
                                   hint="pass existing migration files, or no FILE to lint "
                                   "the migrations directory")
    m = load_migration(path)
    if m is None:
        raise MigrationSourceError("not a migration file (expected <version>_<name>.sql)",
                                   path=path, hint="pass migration files, e.g. "
                                   "migrations/20240101000000_add_index.up.sql")
    return m


def _as_next(m: Migration, version: int) -> Migration:
    from dataclasses import replace

    return m if m.version > version else replace(m, version=version)


__all__ = ["RULES", "LintFinding", "LintReport", "QueryUse", "Severity", "baseline", "lint"]
