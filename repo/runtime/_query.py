"""The non-I/O core shared by the sync and async repositories.

A `Query` holds everything about one generated method that can be decided once, when the
generated module is imported: the SQL as bytes, the parameter binders, the row factory. The
sync and async shells (`_sync.py`, `_async.py`) only execute and fetch.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

import psycopg
from psycopg import errors as pg_errors
from psycopg.rows import RowMaker

from ..errors import (
    CheckViolation,
    ConnectionLost,
    ForeignKeyViolation,
    IntegrityError,
    InvalidArgument,
    NotFound,
    NotNullViolation,
    StatementTimeout,
    TooManyRows,
    UniqueViolation,
)
from ._params import Binder, binder

R = TypeVar("R")


@dataclass(frozen=True, slots=True)
class Param:
    """One parameter of a query, in ``$n`` order.

    Args:
        name: the keyword argument (``p1``.. for a positional file).
        kind: a key of `repo.runtime._params.KINDS` chosen by the generator.
        nullable: None is accepted and sent as SQL NULL.
        labels: the allowed labels when the parameter is an enum.
    """

    name: str
    kind: str = "any"
    nullable: bool = False
    labels: frozenset[str] | None = None


class Query(Generic[R]):
    """One query file, ready to run: ``Query[Model]`` yields ``Model`` rows.

    Args:
        name: ``<repo>/<method>``, used in error messages.
        sql: the exact text described in ``.sqlx`` (``$n`` placeholders, sent as is).
        params: the parameters in ``$n`` order.
        row: the row maker (`row_maker` / `scalar_maker`); None for statements whose rows
            are not read.
        binary: ask for binary results (faster to parse); codegen sets it only when every
            column's type reads the same in binary (`repo.codegen.typemap.BINARY_SAFE`).
        read_only: the static analysis proved the query read-only (`repo.codegen.readonly`):
            on an autocommit connection it runs without BEGIN/COMMIT, and a `Router` may run
            it on a replica.
        primary: the query file says ``-- @primary`` (read-your-writes): a `Router` never
            runs it on a replica. Kept apart from `read_only`, which stays the analysis'
            fact, so such a query keeps the one-round-trip path.
    """

    __slots__ = ("name", "sql", "named_sql", "params", "row_factory", "binary", "read_only",
                 "primary", "replica", "_binders")

    def __init__(self, name: str, sql: str, params: Sequence[Param] = (),
                 row: RowMaker[R] | None = None, *, binary: bool = False,
                 read_only: bool = False, primary: bool = False) -> None:
        self.name = name
        self.binary = binary
        self.read_only = read_only
        self.primary = primary
        # What a `Router` asks, decided once here.
        self.replica = read_only and not primary
        self.sql = sql.encode("utf-8")
        self.named_sql = self.sql + query_comment(name)
        self.params = tuple(params)
        maker: RowMaker[Any] = tuple if row is None else row
        # psycopg calls the factory once per execute; the maker is built once, here.
        self.row_factory = lambda _cursor: maker
        self._binders: tuple[Binder, ...] = tuple(
            binder(p.kind, is_nullable=p.nullable, labels=p.labels) for p in self.params)

    def __repr__(self) -> str:
        return f"Query({self.name!r})"

    def bind(self, args: Sequence[object]) -> list[object]:
        """The values to send, checked; raises `InvalidArgument` naming the parameter."""
        try:
            return [bind(arg) for bind, arg in zip(self._binders, args, strict=True)]
        except (TypeError, ValueError):
            raise self._invalid(args) from None

    def _invalid(self, args: Sequence[object]) -> InvalidArgument:
        for param, bind, arg in zip(self.params, self._binders, args, strict=False):
            try:
                bind(arg)
            except (TypeError, ValueError) as exc:
                return InvalidArgument(f"{self.name}: parameter `{param.name}` {exc}",
                                       hint=_hint(param))
        return InvalidArgument(f"{self.name}: expected {len(self.params)} arguments, "
                               f"got {len(args)}")

    def not_found(self, args: Sequence[object]) -> NotFound:
        """The error for a ``:one`` query that returned no row."""
        return NotFound(self.name, {p.name: a for p, a in zip(self.params, args, strict=False)})

    def too_many(self, args: Sequence[object], count: int) -> TooManyRows:
        """The error for a ``:one`` query that returned ``count`` (> 1) rows."""
        return TooManyRows(self.name, count,
                           {p.name: a for p, a in zip(self.params, args, strict=False)})


class Variants(Generic[R]):
    """A query with optional filters: one `Query` per combination of the filters given.

    Args:
        full: the query with every optional predicate (all arguments given).
        optional: the positions in ``full.params`` of the optional parameters; bit i of a
            variant's mask says ``optional[i]`` was given (not None).
        texts: per mask (all but the full one), the variant's SQL and the positions in
            ``full.params`` of its own parameters, in its ``$n`` order.

    Every variant was described by PostgreSQL in ``prepare`` (``.sqlx`` holds one file per
    text) and is built here once, at import; choosing one costs a loop over the optional
    arguments.
    """

    __slots__ = ("full", "optional", "_queries")

    def __init__(self, full: Query[R], optional: Sequence[int],
                 texts: Mapping[int, tuple[str, Sequence[int]]]) -> None:
        self.full = full
        self.optional = tuple(optional)
        every = (1 << len(self.optional)) - 1
        self._queries: dict[int, tuple[Query[R], tuple[int, ...]]] = {
            every: (full, tuple(range(len(full.params))))}
        for mask, (sql, positions) in texts.items():
            variant: Query[R] = Query(full.name, sql, [full.params[i] for i in positions],
                                      read_only=full.read_only, primary=full.primary)
            variant.row_factory, variant.binary = full.row_factory, full.binary
            self._queries[mask] = (variant, tuple(positions))

    def __repr__(self) -> str:
        return f"Variants({self.full.name!r}, {len(self._queries)} texts)"

    def select(self, args: Sequence[object]) -> tuple[Query[R], tuple[object, ...]]:
        """The variant for these arguments (``full``'s order) and the arguments it takes."""
        mask = 0
        for bit, i in enumerate(self.optional):
            if args[i] is not None:
                mask |= 1 << bit
        query, positions = self._queries[mask]
        return query, tuple(args[i] for i in positions)


def columns_of(rows: Iterable[Sequence[object]], width: int) -> list[list[object]]:
    """``width`` lists, column i holding item i of each row: the arrays an ``unnest`` insert
    takes (``-- @rows a, b``). A row that is no tuple/list of ``width`` values is an
    `InvalidArgument` naming it; the items are then checked by each array's binder.

    >>> columns_of([("a", 1), ("b", 2)], 2)
    [['a', 'b'], [1, 2]]
    """
    columns: list[list[object]] = [[] for _ in range(width)]
    for number, row in enumerate(rows):
        if not isinstance(row, (tuple, list)) or len(row) != width:
            got = f"{len(row)} values" if isinstance(row, (tuple, list)) else type(row).__name__
            raise InvalidArgument(f"rows: row {number} must be a tuple of {width} values, "
                                  f"got {got}", hint="pass one tuple per row, in the order "
                                  "of the method's docstring")
        for column, value in zip(columns, row, strict=True):
            column.append(value)
    return columns


def query_comment(name: str) -> bytes:
    """A sqlcommenter-style comment naming the query file, appended to the SQL sent.

    Used when the connection has a cursor factory of its own (an instrumentation such as
    OpenTelemetry's), so the traced statement says which ``.sql`` file it came from. It goes
    on a line of its own at the end: the ``.sqlx`` text (and its hash) is unchanged, error
    positions stay right, and a trailing ``--`` comment cannot swallow it.

    >>> query_comment("scripts/get_by_uri")
    b"\\n/*query='scripts/get_by_uri'*/"
    """
    safe = name.replace("*/", "* /").replace("'", "''")
    return f"\n/*query='{safe}'*/".encode()


def _hint(param: Param) -> str:
    if param.nullable:
        return f"pass a value of the annotated type, or None, for `{param.name}`"
    return f"pass a value of the annotated type for `{param.name}` (it is not nullable)"


class CopyIn:
    """A ``COPY table (columns) FROM STDIN`` bulk load whose rows are checked like parameters.

    Args:
        table: the table to load (its name parts when schema-qualified).
        columns: the columns written, in row order, with their kinds.
        name: ``<repo>/<method>`` of a ``:copyfrom`` query file, for messages.

    Checking each row with the parameter binders costs about 3 µs a row, as much as the
    server's own work on a narrow table; so rows whose values are plainly right (a ``str``
    that is ASCII without NUL, an ``int`` in range, ...) pass one compiled expression
    (`fast_check`), and only the others go through the binders (which also convert, e.g.
    an enum member to its label, a dict to jsonb).
    """

    __slots__ = ("table", "name", "sql", "ok", "_check")

    def __init__(self, table: str | tuple[str, ...], columns: Sequence[Param], *,
                 name: str | None = None) -> None:
        parts = (table,) if isinstance(table, str) else table
        self.table = ".".join(parts)
        self.name = name or f"{self.table} (COPY)"
        quoted = ".".join(map(_quote_ident, parts))
        names = ", ".join(_quote_ident(p.name) for p in columns)
        self.sql = f"COPY {quoted} ({names}) FROM STDIN"
        self._check: Query[Any] = Query(self.name, "", columns)
        self.ok = fast_check(columns)

    def rows(self, rows: Iterable[Sequence[object]]) -> Iterator[Sequence[object]]:
        """Each row checked (an `InvalidArgument` names the row number and the column)."""
        ok = self.ok
        for number, row in enumerate(rows, 1):
            yield row if ok(row) else self.check(number, row)

    def check(self, number: int, row: Sequence[object]) -> list[object]:
        """``row`` through the binders; `InvalidArgument` naming row ``number`` if wrong."""
        try:
            return self._check.bind(row)
        except InvalidArgument as exc:
            raise InvalidArgument(f"row {number}: {exc.message}", hint=exc.hint) from None


# Per kind, an expression over ``$`` (the value) that is True only for a value the binder
# would pass unchanged; anything else takes the binder's slow path. Kinds without one always do.
_FAST: dict[str, str] = {
    "text": '(type($) is str and "\\x00" not in $ and $.isascii())',
    "int2": "(type($) is int and -32768 <= $ < 32768)",
    "int4": "(type($) is int and -2147483648 <= $ < 2147483648)",
    "int8": "(type($) is int and -9223372036854775808 <= $ < 9223372036854775808)",
    "bool": "(type($) is bool)",
    "float": "(type($) is float)",
    "bytea": "(type($) is bytes)",
}


def fast_check(columns: Sequence[Param]) -> Callable[[Sequence[object]], bool]:
    """A function telling, cheaply, that a row needs no conversion and no further check.

    >>> ok = fast_check([Param("a", "text"), Param("b", "int4", nullable=True)])
    >>> ok(("x", None)), ok(("x\\x00", 1)), ok(("x",))
    (True, False, False)
    """
    terms = [f"len(v) == {len(columns)}"]
    for i, p in enumerate(columns):
        fast = _FAST.get(p.kind) if p.labels is None else None
        if fast is None:
            terms.append("False")
            break
        test = fast.replace("$", f"v[{i}]")
        terms.append(f"(v[{i}] is None or {test})" if p.nullable else test)
    env: dict[str, Any] = {}
    # Only fixed text and integers go into the source: no name from outside.
    exec(f"def ok(v):\n    return {' and '.join(terms)}\n", env)
    return env["ok"]  # type: ignore[no-any-return]


def _quote_ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


_INTEGRITY: dict[str, type[IntegrityError]] = {
    "23505": UniqueViolation,
    "23503": ForeignKeyViolation,
    "23502": NotNullViolation,
    "23514": CheckViolation,
}
# The psycopg errors the shells catch; anything else (syntax, serialization failure,
# deadlock, ...) reaches the caller unchanged, as psycopg raised it.
TRANSLATED: tuple[type[psycopg.Error], ...] = (psycopg.errors.IntegrityError,
                                                 psycopg.OperationalError, psycopg.InterfaceError)


def translate(exc: psycopg.Error, name: str, broken: bool) -> Exception:
    """The `repo.errors.DataError` for a psycopg error, or ``exc`` itself when none fits.

    Args:
        exc: what psycopg raised while running the query.
        name: ``<repo>/<method>`` for the message.
        broken: the connection is unusable now (``conn.broken``).
    """
    if isinstance(exc, psycopg.InterfaceError) and not broken:
        return exc  # misuse (a closed connection, a bad query object), not a lost server
    diag = exc.diag
    integrity = _INTEGRITY.get(exc.sqlstate or "")
    if integrity is not None:
        return integrity(f"{name}: {diag.message_primary}",
                         constraint=diag.constraint_name or diag.column_name,
                         table=diag.table_name, detail=diag.message_detail)
    if isinstance(exc, pg_errors.QueryCanceled):
        return StatementTimeout(f"{name}: {diag.message_primary or exc}",
                                hint="the statement was cancelled (statement_timeout or a "
                                "cancel request); nothing was retried")
    if broken or _connection_state(exc.sqlstate):
        return ConnectionLost(f"{name}: connection lost: {str(exc).strip()}",
                              hint="the statement may or may not have run; it was not "
                              "retried; open a new connection (a pool does this itself)")
    return exc


def _connection_state(sqlstate: str | None) -> bool:
    # No SQLSTATE means libpq lost the socket; class 08 and 57P01-03 are server shutdowns.
    return sqlstate is None or sqlstate.startswith("08") or sqlstate in ("57P01", "57P02",
                                                                          "57P03")
