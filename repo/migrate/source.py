"""Reading a migration directory exactly as SQLx does (sqlx-compat.md §4.2, §4.3).

* File name ``<version>_<description>.sql`` (or ``.up.sql`` / ``.down.sql``), split at the first
  ``_``; other names are ignored; a version that is not an integer is an error.
* Description: the rest without the suffix, ``_`` replaced by a space.
* Checksum: SHA-384 of the raw file bytes (BOM, CRLF and all), 48 bytes.
* ``-- no-transaction`` only as the very first bytes of the file.
* An empty (or whitespace-only) file is a migration that does nothing, as in SQLx.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from enum import Enum
from pathlib import Path

from ..errors import MigrationSourceError
from ..links import check_inside
from ..reads import read_bytes
from ..sqltext import line_col

NO_TX_MARKER = "-- no-transaction"
BOM = "\ufeff"
# Rust's i64::from_str: an optional sign, then ASCII digits.
_RUST_I64 = re.compile(r"[+-]?[0-9]+")
_I64_MAX = 2**63 - 1


class Kind(Enum):
    """SQLx's MigrationType."""

    SIMPLE = "simple"
    UP = "up"
    DOWN = "down"

    @property
    def label(self) -> str:
        """The word SQLx prints after the version: ``migrate`` or ``revert``."""
        return "revert" if self is Kind.DOWN else "migrate"


@dataclass(frozen=True)
class Migration:
    """One migration file."""

    version: int
    description: str
    kind: Kind
    path: Path
    sql: str
    checksum: bytes

    @property
    def no_tx(self) -> bool:
        """True when the file starts with ``-- no-transaction`` (at byte 0, as SQLx checks)."""
        return self.sql.startswith(NO_TX_MARKER)

    @property
    def empty(self) -> bool:
        """True when the file holds no SQL (only whitespace or a BOM); it still runs and records."""
        return not self.sql.lstrip(BOM).strip()

    @property
    def executable_sql(self) -> str:
        """The text sent to the server: the file without a leading BOM.

        SQLx sends the BOM too, which PostgreSQL rejects as a syntax error; the checksum still
        covers the raw bytes, so both tools agree on what was applied.
        """
        return self.sql[1:] if self.sql.startswith(BOM) else self.sql


def parse_file_name(name: str) -> tuple[int, str, Kind] | None:
    """``(version, description, kind)`` for a migration file name, None if SQLx ignores it.

    >>> parse_file_name("20230101000000_create_users.up.sql")
    (20230101000000, 'create users', <Kind.UP: 'up'>)
    >>> parse_file_name("README.md") is None
    True
    """
    head, sep, rest = name.partition("_")
    if not sep or not rest.endswith(".sql"):
        return None
    if not _RUST_I64.fullmatch(head) or abs(int(head)) > _I64_MAX:
        raise MigrationSourceError(
            f'error parsing migration filename "{name}"; expected integer version prefix '
            "(e.g. `01_foo.sql`)",
            hint="rename the file to <version>_<description>.sql, e.g. with "
            "`python -m repo migrate add <description>`",
        )
    if rest.endswith(".up.sql"):
        kind, suffix = Kind.UP, ".up.sql"
    elif rest.endswith(".down.sql"):
        kind, suffix = Kind.DOWN, ".down.sql"
    else:
        kind, suffix = Kind.SIMPLE, ".sql"
    while rest.endswith(suffix):  # Rust's trim_end_matches strips the suffix repeatedly
        rest = rest[: -len(suffix)]
    return int(head), rest.replace("_", " "), kind


def load_migration(path: Path) -> Migration | None:
    """Read one file; None when its name is not a migration name."""
    parsed = parse_file_name(path.name)
    if parsed is None:
        return None
    version, description, kind = parsed
    raw = read_bytes(path)
    try:
        sql = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise MigrationSourceError(
            f"migration file is not valid UTF-8 (byte {exc.start})",
            path=path,
            hint="re-save the file as UTF-8",
        ) from None
    if "\0" in sql:
        # libpq sends SQL as a C string: everything after a NUL would be silently dropped
        # while the checksum covers the whole file.
        line, col = line_col(sql, sql.index("\0"))
        raise MigrationSourceError(
            "migration file contains a NUL character, which PostgreSQL cannot receive",
            path=path,
            line=line,
            col=col,
            hint="remove the NUL (0x00) bytes; the file may have been saved as UTF-16",
        )
    # An empty file (commonly a `.down.sql` with nothing to undo) is a valid migration, as in
    # SQLx: PostgreSQL answers an empty query string with EmptyQueryResponse, and the checksum
    # covers the zero bytes like any other content.
    return Migration(version, description, kind, path, sql, hashlib.sha384(raw).digest())


def resolve(source: Path) -> list[Migration]:
    """All migrations in ``source`` (not recursive), sorted by version, up before down.

    A sqlc schema (one file, or a folder sqlc reads but SQLx would not) is read by sqlc's
    rules instead: `repo.migrate.sqlc_schema`.
    """
    from .sqlc_schema import is_sqlc_schema, resolve_schema

    if source.exists() and is_sqlc_schema(source):
        return resolve_schema(source)
    if not source.is_dir():
        raise MigrationSourceError(
            f"while resolving migrations: directory {source} does not exist",
            hint="pass --source DIR, or create the first migration with "
            "`python -m repo migrate add <description>`",
        )
    found = [m for p in sorted(source.iterdir())
             if p.is_file() and (m := _load_inside(p, source))]
    order = {Kind.SIMPLE: 0, Kind.UP: 0, Kind.DOWN: 1}
    found.sort(key=lambda m: (m.version, order[m.kind]))
    _check_unique(found)
    return found


def _load_inside(path: Path, source: Path) -> Migration | None:
    if parse_file_name(path.name) is not None:
        check_inside(path, source, "migration file", MigrationSourceError)
    return load_migration(path)


def _check_unique(migrations: list[Migration]) -> None:
    seen: dict[tuple[int, bool], Migration] = {}
    for m in migrations:
        key = (m.version, m.kind is Kind.DOWN)
        if key in seen:
            raise MigrationSourceError(
                f"duplicate migration version {m.version} (also {seen[key].path.name})",
                path=m.path,
                hint="give each migration its own version; "
                "`python -m repo migrate add` picks the next one",
            )
        seen[key] = m


def fingerprint(migrations: list[Migration]) -> str:
    """SHA-256 over every file's version, kind and checksum: changes when any migration does.

    Stored in ``.sqlx/`` so that `verify` can tell metadata made from other migrations.
    """
    digest = hashlib.sha256()
    for m in migrations:
        digest.update(f"{m.version}:{m.kind.value}:{m.checksum.hex()}\n".encode())
    return digest.hexdigest()
