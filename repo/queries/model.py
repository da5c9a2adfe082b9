"""The in-memory form of one query file (``queries/<repo>/<method>.sql``)."""

from __future__ import annotations

import hashlib
from bisect import bisect_right
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from functools import cached_property
from pathlib import Path
from types import MappingProxyType

from ..sqltext import line_col


class Cardinality(StrEnum):
    """What a query's method returns: the marker a query file may carry (``-- :one`` on a line
    of its own). A `StrEnum`: each member equals its marker text."""

    ONE = "one"  # exactly one row
    OPTIONAL = "optional"  # one row or None
    MANY = "many"  # a list of rows
    EXEC = "exec"  # nothing
    EXECROWS = "execrows"  # the number of rows affected
    COPYFROM = "copyfrom"  # rows sent with COPY FROM STDIN
    ITER = "iter"  # rows streamed through a server-side cursor (an iterator)

    @property
    def returns_rows(self) -> bool:
        return self in ROW_CARDINALITIES


CARDINALITIES = tuple(c.value for c in Cardinality)
ROW_CARDINALITIES = frozenset({Cardinality.ONE, Cardinality.OPTIONAL, Cardinality.MANY,
                               Cardinality.ITER})


@dataclass(frozen=True)
class QueryDef:
    """One query: its file, the exact text sent to PostgreSQL, and its header facts.

    Args:
        repo: the folder name (``scripts``), names the repository class.
        method: the file stem (``get_by_uri``), names the method.
        path: the file (as found under the queries directory).
        text: the raw file text, never trimmed or normalised.
        sql: the text sent to PostgreSQL: ``:name`` compiled to ``$1..$n`` in order of first
            appearance; a ``$n``-style file is sent byte for byte.
        params: parameter names in ``$`` order (``p1..pn`` for a positional file).
        positional: the file was written with ``$n`` placeholders.
        cardinality: one of `CARDINALITIES`.
        doc: the leading ``--`` comment lines (marker and directive lines excluded).
        param_nullable: explicit overrides from ``-- @nullable x`` / ``-- @notnull x``; a
            loader marks a parameter nullable here (``sqlc.narg``): codegen then types it
            ``T | None`` and gives it the default None (as for any nullable parameter).
        marker_line: the 1-based line of the cardinality marker, None when defaulted.
        offsets: ``(sql offset, text offset)`` pairs at each compiled placeholder, so
            positions PostgreSQL reports in `sql` map back to the file.
        warnings: ``file:line: ...`` notes on the file that do not stop it from loading
            (a comment that looks like a marker but is not one).
        sqlc_name: the name in a sqlc header (``GetAuthor``), None for a one-query file;
            several queries then share `path` and `text` (`repo.queries.sqlc`).
        param_defaults: parameters that default to None (``sqlc.narg``, ``-- @optional``);
            informational: the default follows from `param_nullable`.
        param_lists: parameters that take a list (``sqlc.slice``, bound as an array).
        embeds: tables whose ``*`` a ``sqlc.embed(t)`` put in the result, in order.
        optional: ``-- @optional`` parameters, in directive order: their predicates drop out
            of the text when the argument is None (`repo.queries.variants`).
        variant: for one variant of a query with optional parameters, the mask of the
            optional parameters it keeps (bit i: ``optional[i]``); None for the file itself
            (the full text, every predicate kept).
        model_name: ``-- @model Name``: the class name of the query's result model.
        param_values: ``-- @default name literal``: the Python literal a parameter defaults to.
        primary_line: the 1-based line of ``-- @primary`` (the query never runs on a read
            replica: read-your-writes), None without it.
    """

    repo: str
    method: str
    path: Path
    text: str
    sql: str
    params: tuple[str, ...]
    positional: bool
    cardinality: Cardinality
    doc: str = ""
    param_nullable: Mapping[str, bool] = field(default_factory=lambda: MappingProxyType({}))
    marker_line: int | None = None
    offsets: tuple[tuple[int, int], ...] = ()
    warnings: tuple[str, ...] = ()
    sqlc_name: str | None = None
    param_defaults: frozenset[str] = frozenset()
    param_lists: frozenset[str] = frozenset()
    embeds: tuple[str, ...] = ()
    optional: tuple[str, ...] = ()
    # `-- @rows a, b`: array parameters the method takes as one list of row tuples (unnest).
    rows: tuple[str, ...] = ()
    variant: int | None = None
    param_values: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    model_name: str | None = None
    primary_line: int | None = None

    @cached_property  # asked for several times per query by verify, prepare and codegen
    def hash(self) -> str:
        """SHA-256 (lowercase hex) of the UTF-8 bytes of `sql`: the ``.sqlx`` file key."""
        return hashlib.sha256(self.sql.encode("utf-8")).hexdigest()

    def __post_init__(self) -> None:
        # Accept the marker text too (`QueryDef(..., "many")`): always hold the enum member.
        object.__setattr__(self, "cardinality", Cardinality(self.cardinality))

    @property
    def key(self) -> str:
        """``<repo>/<method>``, the name used in messages and in ``repo-meta.json``."""
        return f"{self.repo}/{self.method}"

    @property
    def source(self) -> str:
        """Where the query is written: ``authors/get.sql``, or ``query.sql:12`` in a sqlc file."""
        if self.sqlc_name is not None:
            return f"{self.path.name}:{self.marker_line} ({self.sqlc_name})"
        return f"{self.key}.sql"

    @property
    def defaulted(self) -> bool:
        """True when no marker was written and the cardinality was guessed from the text."""
        return self.marker_line is None

    def text_offset(self, sql_offset: int) -> int:
        """The offset in `text` of the character at ``sql_offset`` in `sql`."""
        if not self.offsets:
            return sql_offset
        i = bisect_right([s for s, _ in self.offsets], sql_offset) - 1
        if i < 0:
            return sql_offset
        s, t = self.offsets[i]
        return t + (sql_offset - s)

    def line_col_of(self, sql_offset: int) -> tuple[int, int]:
        """1-based (line, column) in the original file of an offset into `sql`.

        >>> q = QueryDef("r", "m", Path("m.sql"), "SELECT\\n:abc + 1", "SELECT\\n$1 + 1",
        ...              ("abc",), False, "many", offsets=((7, 7), (9, 11)))
        >>> q.line_col_of(12)
        (2, 8)
        """
        return line_col(self.text, self.text_offset(sql_offset))
