"""Describe query files with PostgreSQL the way SQLx does (sqlx-compat.md §3).

Each query is prepared as ``sqlx_s_<n>`` with no parameter types (PostgreSQL infers them),
described (parameter OIDs, column labels, types, source table and attribute), and, when it
has columns, explained for the outer-join nullability pass. All statements use one
connection; nullability and column origins are looked up for all queries at once at the end,
which gives SQLx's per-query answers with far fewer round trips.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import psycopg
from psycopg import pq

from ..errors import DescribeError
from ..metadata.model import Column, Describe, Json, QueryData, TypeInfo
from ..queries.model import QueryDef
from .nullability import Nullable, explain, explain_patch, fetch_attnullable, merge, pass1
from .typeinfo import TypeResolver

STATEMENT_PREFIX = "sqlx_s_"
_ORIGINS = (
    "SELECT a.attrelid, a.attnum, a.attrelid::regclass::text, a.attname "
    "FROM pg_catalog.pg_attribute AS a "
    "JOIN unnest(%s::oid[], %s::int2[]) AS c(relid, attnum) "
    "ON a.attrelid = c.relid AND a.attnum = c.attnum"
)
_PARAM_REF = re.compile(r"\$([0-9]+)\b")
_INDETERMINATE_DATATYPE = "42P18"
# Servers where SQLx skips the EXPLAIN pass (their plans are not PostgreSQL's).
_NO_EXPLAIN = (b"crdb_version", b"mz_version", b"questdb_version")


@dataclass(frozen=True)
class RawColumn:
    """One RowDescription field: label, type OID, source table OID and attnum (0 = none)."""

    name: str
    type_oid: int
    table_oid: int
    attnum: int


@dataclass
class Described:
    """What PostgreSQL said about one query, and the SQLx JSON built from it."""

    query: QueryDef
    param_oids: list[int]
    columns: list[RawColumn]
    patch: list[Nullable] = field(default_factory=list)
    data: QueryData | None = None  # set once described
    origins: list[tuple[str, str] | None] = field(default_factory=list)


Progress = Callable[[int, int, QueryDef], None]


class Describer:
    """Describes many queries over one autocommit connection.

    Args:
        conn: an autocommit connection to a migrated database.
        sqlx_version: ``"0.8"`` (default) or ``"0.9"`` (adds ``origin``, uses generic plans).
    """

    def __init__(self, conn: psycopg.Connection[Any], sqlx_version: str = "0.8") -> None:
        self.conn = conn
        self.version = sqlx_version
        self.types = TypeResolver(conn)
        self._counter = 0
        self._prepared: list[str] = []
        self._explain = not any(conn.pgconn.parameter_status(k) for k in _NO_EXPLAIN)
        conn.execute("SET client_encoding TO 'UTF8'")
        if sqlx_version == "0.9":
            # SQLx 0.9 forces generic plans before describing (PR #3541), so EXPLAIN differs.
            conn.execute("SET plan_cache_mode = force_generic_plan")

    def describe_all(self, queries: Sequence[QueryDef], on_progress: Progress | None = None
                     ) -> tuple[list[Described], list[DescribeError]]:
        """Describe every query; return the results and one error per rejected query."""
        done: list[Described] = []
        errors: list[DescribeError] = []
        try:
            for i, q in enumerate(queries, 1):
                try:
                    done.append(self.describe_one(q))
                except DescribeError as exc:
                    errors.append(exc)
                if on_progress is not None:
                    on_progress(i, len(queries), q)
            if done:
                self._finish(done)
        finally:
            self._deallocate()
        return done, errors

    def _deallocate(self) -> None:
        # By name, not DEALLOCATE ALL: the connection may hold psycopg's own statements.
        # One simple-protocol message for all of them keeps it to a single round trip.
        if self._prepared:
            names = "; ".join(f"DEALLOCATE {n}" for n in self._prepared)
            self.conn.pgconn.exec_(names.encode())
            self._prepared.clear()

    def describe_one(self, q: QueryDef) -> Described:
        """Prepare, describe and (with columns) explain one query."""
        self._counter += 1
        name = f"{STATEMENT_PREFIX}{self._counter}"
        pgconn = self.conn.pgconn
        res = pgconn.prepare(name.encode(), q.sql.encode("utf-8"))
        if res.status != pq.ExecStatus.COMMAND_OK:
            raise _query_error(q, res)
        self._prepared.append(name)
        desc = pgconn.describe_prepared(name.encode())
        if desc.status != pq.ExecStatus.COMMAND_OK:
            raise _query_error(q, desc)
        params = [desc.param_type(i) for i in range(desc.nparams)]
        columns = [RawColumn((desc.fname(i) or b"").decode("utf-8"), desc.ftype(i),
                             desc.ftable(i), desc.ftablecol(i)) for i in range(desc.nfields)]
        d = Described(q, params, columns)
        if columns and self._explain:
            try:
                d.patch = explain_patch(explain(self.conn, name, len(params)))
            except psycopg.Error as exc:
                raise _explain_error(q, exc) from None
        return d

    def _finish(self, done: list[Described]) -> None:
        pairs = [(c.table_oid, c.attnum) for d in done for c in d.columns]
        attnullable = fetch_attnullable(self.conn, pairs)
        names = self._origin_names(pairs)
        for d in done:
            nullable = merge(pass1([(c.table_oid, c.attnum) for c in d.columns], attnullable),
                             d.patch)
            d.origins = [names.get((c.table_oid, c.attnum)) for c in d.columns]
            d.data = self._render(d, nullable)

    def _origin_names(self, pairs: list[tuple[int, int]]) -> dict[tuple[int, int],
                                                                    tuple[str, str]]:
        wanted = sorted({(r, a) for r, a in pairs if r and a})
        if not wanted:
            return {}
        with self.conn.cursor() as cur:
            cur.execute(_ORIGINS, ([r for r, _ in wanted], [a for _, a in wanted]))
            return {(int(r), int(a)): (str(t), str(n)) for r, a, t, n in cur.fetchall()}

    def _render(self, d: Described, nullable: list[Nullable]) -> QueryData:
        columns = tuple(
            Column(i, c.name, self.type_info(c.type_oid, d.query),
                   _origin_json(c, origin) if self.version == "0.9" else None)
            for i, (c, origin) in enumerate(zip(d.columns, d.origins, strict=True)))
        params = tuple(self.type_info(o, d.query) for o in d.param_oids)
        return QueryData(d.query.sql, Describe(columns, params, tuple(nullable)), d.query.hash)

    def type_info(self, oid: int, q: QueryDef) -> TypeInfo:
        try:
            return self.types.resolve(oid)
        except LookupError as exc:
            raise DescribeError(str(exc), path=q.path, hint="run prepare again") from None


def _origin_json(c: RawColumn, origin: tuple[str, str] | None) -> Json:
    """SQLx 0.9's ``origin``: Table when the catalog knows the column, else Expression/Unknown."""
    if not (c.table_oid and c.attnum):
        return "Expression"
    if origin is None:
        return "Unknown"
    return {"Table": {"table": origin[0], "name": origin[1]}}


def _field(res: pq.abc.PGresult, code: pq.DiagnosticField) -> str | None:
    value = res.error_field(code)
    return value.decode("utf-8", "replace") if value is not None else None


def first_sql_offset(q: QueryDef) -> int:
    """Offset in `q.sql` of the first character that is not whitespace or a comment line."""
    offset = 0
    for line in q.sql.splitlines(keepends=True):
        stripped = line.strip()
        if stripped and not stripped.startswith("--"):
            return offset + len(line) - len(line.lstrip())
        offset += len(line)
    return 0


def _query_error(q: QueryDef, res: pq.abc.PGresult) -> DescribeError:
    message = _field(res, pq.DiagnosticField.MESSAGE_PRIMARY) or (
        (res.error_message or b"").decode("utf-8", "replace").strip())
    position = _field(res, pq.DiagnosticField.STATEMENT_POSITION)
    # PostgreSQL counts characters from 1 in the text it received (the compiled SQL).
    offset = int(position) - 1 if position and position.isdigit() else _param_offset(q, message)
    line, col = q.line_col_of(offset)
    hint = _field(res, pq.DiagnosticField.MESSAGE_HINT)
    detail = _field(res, pq.DiagnosticField.MESSAGE_DETAIL)
    if _field(res, pq.DiagnosticField.SQLSTATE) == _INDETERMINATE_DATATYPE:
        ref = _PARAM_REF.search(message)
        n = int(ref.group(1)) if ref else 1
        name = f"${n}" if q.positional or not 0 < n <= len(q.params) else f":{q.params[n - 1]}"
        hint = hint or f"PostgreSQL cannot infer this parameter's type; cast it, e.g. {name}::text"
    return DescribeError(_name_params(q, message), path=q.path, line=line, col=col,
                         hint=hint or detail)


def _param_offset(q: QueryDef, message: str) -> int:
    """Where a message about ``$n`` points when PostgreSQL gives no position: its first use."""
    ref = _PARAM_REF.search(message)
    if ref is not None:
        use = re.search(rf"\${ref.group(1)}(?![0-9])", q.sql)
        if use is not None:
            return use.start()
    return first_sql_offset(q)


def _name_params(q: QueryDef, message: str) -> str:
    """Add the placeholder's name to ``$n`` in a message: the file says ``:name``, not ``$n``."""
    if q.positional:
        return message
    return _PARAM_REF.sub(lambda m: f"{m.group(0)} (:{q.params[int(m.group(1)) - 1]})"
                          if 0 < int(m.group(1)) <= len(q.params) else m.group(0), message)


def _explain_error(q: QueryDef, exc: psycopg.Error) -> DescribeError:
    diag = exc.diag
    line, col = q.line_col_of(first_sql_offset(q))
    return DescribeError(
        f"EXPLAIN of the query failed: {diag.message_primary or str(exc).strip()}",
        path=q.path, line=line, col=col,
        hint=diag.message_hint or "SQLx explains every query with NULL arguments; make the "
        "query valid for NULL parameters (e.g. cast them) so it can be described")
