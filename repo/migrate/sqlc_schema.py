"""A sqlc ``schema:`` used as the migrations: one ``schema.sql`` or a folder of files.

sqlc reads a schema the way ``internal/sql/sqlpath/read.go`` and
``internal/migrations/migrations.go`` do, and so does this module:

* a file is one migration; a folder's ``*.sql`` files (not recursive, hidden files and
  ``*.down.sql`` skipped) are applied in lexical order of their names;
* everything after a rollback marker is cut: ``-- +goose Down`` (goose),
  ``-- +migrate Down`` (sql-migrate), ``---- create above / drop below ----`` (tern),
  ``-- migrate:down`` (dbmate), compared case-insensitively at the start of a line;
* psql meta-command lines (``\\restrict KEY`` from pg_dump 17.6+) are dropped.

The files are numbered 1..n in that order (SQLx needs versions); the checksum covers the raw
bytes, so an edit is seen as a changed migration.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

from ..errors import MigrationSourceError
from ..reads import read_bytes
from .source import Kind, Migration, parse_file_name

_ROLLBACK = ("-- +goose down", "-- +migrate down", "---- create above / drop below ----",
             "-- migrate:down")
_META = re.compile(r"^\\[A-Za-z!?;][^\n]*$")


def is_sqlc_schema(source: Path) -> bool:
    """True for a schema sqlc reads but SQLx would not run as it is meant.

    A single file; a folder holding a rollback marker (SQLx would run the down part too);
    or a folder of ``.sql`` files none of which has a SQLx migration name (SQLx would
    ignore them all).
    """
    if source.is_file():
        return True
    files = schema_files(source)
    if not files:
        return False
    # Names first: they need no read. `resolve` asks this of every migrations folder, and
    # inside `verify` the bytes read here are the ones its migration loaders then use.
    if all(_not_sqlx_name(p.name) for p in files):
        return True
    return any(_has_rollback(read_bytes(p).decode("utf-8", errors="replace")) for p in files)


def _not_sqlx_name(name: str) -> bool:
    try:
        return parse_file_name(name) is None
    except MigrationSourceError:
        return True


def schema_files(source: Path) -> list[Path]:
    """sqlc's file list: the file itself, or the folder's ``*.sql`` in lexical order."""
    if source.is_file():
        return [source]
    return sorted(p for p in source.iterdir()
                  if p.is_file() and p.name.endswith(".sql") and not p.name.startswith(".")
                  and not p.name.endswith(".down.sql"))


def _has_rollback(text: str) -> bool:
    return any(line.lower().startswith(_ROLLBACK) for line in text.splitlines())


def up_part(text: str) -> str:
    """The file as sqlc reads it: cut at the rollback marker, psql meta-commands dropped.

    >>> up_part("CREATE TABLE t ();\\n-- +goose Down\\nDROP TABLE t;\\n")
    'CREATE TABLE t ();'
    """
    kept: list[str] = []
    for line in text.splitlines():
        if line.lower().startswith(_ROLLBACK):
            break
        if not _META.match(line):
            kept.append(line)
    return "\n".join(kept)


def resolve_schema(source: Path) -> list[Migration]:
    """The schema's files as migrations 1..n (module docstring)."""
    out: list[Migration] = []
    for version, path in enumerate(schema_files(source), 1):
        raw = read_bytes(path)
        try:
            text = raw.decode("utf-8").removeprefix("\ufeff")
        except UnicodeDecodeError as exc:
            raise MigrationSourceError(f"schema file is not valid UTF-8 (byte {exc.start})",
                                       path=path, hint="re-save the file as UTF-8") from None
        description = path.name[: -len(".sql")].replace("_", " ")
        out.append(Migration(version, description, Kind.SIMPLE, path, up_part(text),
                             hashlib.sha384(raw).digest()))
    return out
