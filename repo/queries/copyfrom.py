"""``:copyfrom`` query files: a typed bulk load through ``COPY ... FROM STDIN`` (sqlc's marker).

A file marked ``-- :copyfrom`` holds one plain ``INSERT INTO table (a, b) VALUES (:a, :b)``:
one row of placeholders, each used once, in column order, nothing else (no ``RETURNING``, no
``ON CONFLICT``, no expression). PostgreSQL describes it like any INSERT, so ``.sqlx`` and
``verify`` see an ordinary query; the generated method instead takes
``rows: Iterable[tuple[A, B]]`` and streams them with ``COPY table (a, b) FROM STDIN``,
returning the number of rows written. COPY fires the same triggers and checks the same
constraints as INSERT; column defaults fill the columns not listed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from ..errors import QueryFileError

_IDENT = r'(?:"(?:[^"]|"")+"|[A-Za-z_][A-Za-z0-9_$]*)'
_SHAPE = re.compile(
    rf"^\s*INSERT\s+INTO\s+(?P<table>{_IDENT}(?:\s*\.\s*{_IDENT})?)\s*"
    rf"\((?P<columns>[^()]*)\)\s*VALUES\s*\((?P<values>[^()]*)\)\s*;?\s*$",
    re.IGNORECASE | re.DOTALL)
_COMMENT = re.compile(r"^\s*--[^\n]*\n?", re.MULTILINE)


@dataclass(frozen=True)
class CopyTarget:
    """The table (name parts, unquoted) and columns (in row order) a ``:copyfrom`` loads."""

    table: tuple[str, ...]
    columns: tuple[str, ...]


def _name(ident: str) -> str:
    # PostgreSQL folds unquoted names to lower case; quoted ones are kept as written.
    ident = ident.strip()
    if ident.startswith('"'):
        return ident[1:-1].replace('""', '"')
    return ident.lower()


def _idents(text: str) -> list[str]:
    return re.findall(_IDENT, text)


def copy_target(sql: str, path: Path) -> CopyTarget:
    """The table and columns of a ``:copyfrom`` query's compiled SQL (``$n`` placeholders).

    Raises:
        QueryFileError: the statement is not a plain one-row ``INSERT ... VALUES ($1, ...)``.

    >>> copy_target("-- doc\\nINSERT INTO logs (script_uri, message) VALUES ($1, $2)",
    ...             Path("q.sql"))
    CopyTarget(table=('logs',), columns=('script_uri', 'message'))
    """
    body = _COMMENT.sub("", sql)
    found = _SHAPE.match(body)
    if found is None:
        raise _error(path, "a `:copyfrom` query must be `INSERT INTO table (a, b, ...) "
                     "VALUES (:a, :b, ...)`: one row of placeholders, nothing else")
    columns = [c.strip() for c in found["columns"].split(",")]
    values = [v.strip() for v in found["values"].split(",")]
    expected = [f"${i}" for i in range(1, len(columns) + 1)]
    if any(not re.fullmatch(_IDENT, c) for c in columns) or values != expected:
        raise _error(path, "each value of a `:copyfrom` INSERT must be one placeholder, each "
                     "used once, in column order (COPY sends the row as given)")
    return CopyTarget(tuple(_name(t) for t in _idents(found["table"])),
                      tuple(_name(c) for c in columns))


def _error(path: Path, message: str) -> QueryFileError:
    return QueryFileError(message, path=path, line=None,
                          hint="write the INSERT in that form, or use `:exec` / `:execrows` "
                          "for anything else")
