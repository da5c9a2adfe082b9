"""Schema drift: the live database compared with what its applied migrations produce.

The expected schema comes from a scratch database migrated with the same files (the versions
the live database has applied, so a pending migration is not drift): a temporary database on
the live server, or, when the role may not create databases, a throwaway embedded server.
Both sides are read with the same catalog queries, so every difference is a fact:
tables and views, columns (type, nullability, default), indexes (definition, validity),
constraints, and enum labels in order. Defaults are compared only when both servers run the
same major version (PostgreSQL prints expressions differently across versions).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from typing import Any

import psycopg

from .runner import Migrator, connect
from .source import Kind, Migration

_COLUMNS = """
SELECT c.relname, c.relkind::text, a.attname, format_type(a.atttypid, a.atttypmod),
       a.attnotnull, pg_get_expr(d.adbin, d.adrelid)
FROM pg_class c
JOIN pg_namespace n ON n.oid = c.relnamespace
JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
LEFT JOIN pg_attrdef d ON d.adrelid = c.oid AND d.adnum = a.attnum
WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p', 'v', 'm', 'f')
  AND c.relname <> '_sqlx_migrations'
ORDER BY c.relname, a.attnum
"""
_INDEXES = """
SELECT i.relname, t.relname, pg_get_indexdef(i.oid), x.indisvalid
FROM pg_index x
JOIN pg_class i ON i.oid = x.indexrelid
JOIN pg_class t ON t.oid = x.indrelid
JOIN pg_namespace n ON n.oid = t.relnamespace
WHERE n.nspname = 'public' AND t.relname <> '_sqlx_migrations'
"""
# NOT NULL constraints (contype 'n', PostgreSQL 18+) are compared as column nullability.
_CONSTRAINTS = """
SELECT t.relname, c.conname, pg_get_constraintdef(c.oid), c.convalidated
FROM pg_constraint c
JOIN pg_class t ON t.oid = c.conrelid
JOIN pg_namespace n ON n.oid = t.relnamespace
WHERE n.nspname = 'public' AND c.contype <> 'n' AND t.relname <> '_sqlx_migrations'
"""
_ENUMS = """
SELECT t.typname, array_agg(e.enumlabel::text ORDER BY e.enumsortorder)
FROM pg_type t
JOIN pg_namespace n ON n.oid = t.typnamespace
JOIN pg_enum e ON e.enumtypid = t.oid
WHERE n.nspname = 'public'
GROUP BY t.typname
"""
_KINDS = {"r": "table", "p": "table", "v": "view", "m": "materialized view",
          "f": "foreign table"}


@dataclass(frozen=True)
class Column:
    type: str
    not_null: bool
    default: str | None


@dataclass
class Snapshot:
    """One database's schema ``public`` as the catalog reports it."""

    version: int
    relations: dict[str, str] = field(default_factory=dict)  # name -> kind
    columns: dict[tuple[str, str], Column] = field(default_factory=dict)
    indexes: dict[str, tuple[str, bool]] = field(default_factory=dict)  # name -> (def, valid)
    constraints: dict[tuple[str, str], tuple[str, bool]] = field(default_factory=dict)
    enums: dict[str, list[str]] = field(default_factory=dict)


def snapshot(conn: psycopg.Connection[Any]) -> Snapshot:
    """Read the schema of ``conn``'s database."""
    snap = Snapshot(conn.info.server_version // 10000)
    for rel, kind, col, typ, not_null, default in conn.execute(_COLUMNS).fetchall():
        snap.relations[str(rel)] = _KINDS.get(str(kind), str(kind))
        snap.columns[(str(rel), str(col))] = Column(str(typ), bool(not_null),
                                                    None if default is None else str(default))
    for name, _table, definition, valid in conn.execute(_INDEXES).fetchall():
        snap.indexes[str(name)] = (str(definition), bool(valid))
    for table, name, definition, validated in conn.execute(_CONSTRAINTS).fetchall():
        snap.constraints[(str(table), str(name))] = (str(definition), bool(validated))
    for name, labels in conn.execute(_ENUMS).fetchall():
        snap.enums[str(name)] = [str(x) for x in labels]
    return snap


@dataclass(frozen=True)
class Difference:
    """One way the live schema differs from the migrations'."""

    what: str  # e.g. "column users.nickname"
    detail: str

    def __str__(self) -> str:
        return f"{self.what}: {self.detail}"


LIVE_ONLY = "only in the live database (created by hand?)"
MIGRATIONS_ONLY = "only in the migrations (dropped by hand?)"


def compare(expected: Snapshot, live: Snapshot) -> list[Difference]:
    """Every difference, sorted; empty when the live schema is what the migrations make."""
    out: list[Difference] = []
    out += _keyed(expected.relations, live.relations, lambda k, v: f"{v} {k}",
                  lambda a, b: "" if a == b else
                  f"a {b} in the live database, a {a} in the migrations")
    shared = expected.relations.keys() & live.relations.keys()
    exp_cols = {k: v for k, v in expected.columns.items() if k[0] in shared}
    live_cols = {k: v for k, v in live.columns.items() if k[0] in shared}
    out += _keyed(exp_cols, live_cols, lambda k, _v: f"column {k[0]}.{k[1]}",
                  lambda a, b: _column_detail(a, b, expected.version == live.version))
    out += _keyed(expected.indexes, live.indexes, lambda k, _v: f"index {k}",
                  _index_detail)
    out += _keyed(expected.constraints, live.constraints,
                  lambda k, _v: f"constraint {k[1]} on {k[0]}", _constraint_detail)
    out += _keyed(expected.enums, live.enums, lambda k, _v: f"enum {k}", _enum_detail)
    return sorted(out, key=lambda d: d.what)


def _keyed(expected: dict[Any, Any], live: dict[Any, Any], label: Callable[[Any, Any], str],
           detail: Callable[[Any, Any], str]) -> list[Difference]:
    out = [Difference(label(k, expected[k]), MIGRATIONS_ONLY)
           for k in expected.keys() - live.keys()]
    out += [Difference(label(k, live[k]), LIVE_ONLY) for k in live.keys() - expected.keys()]
    for k in expected.keys() & live.keys():
        text = detail(expected[k], live[k])
        if text:
            out.append(Difference(label(k, live[k]), text))
    return out


def _column_detail(exp: Column, live: Column, same_version: bool) -> str:
    parts = []
    if exp.type != live.type:
        parts.append(f"type {live.type} in the live database, {exp.type} in the migrations")
    if exp.not_null != live.not_null:
        parts.append(f"{'NOT NULL' if live.not_null else 'nullable'} in the live database, "
                     f"{'NOT NULL' if exp.not_null else 'nullable'} in the migrations")
    if same_version and exp.default != live.default:
        parts.append(f"default {live.default or 'none'} in the live database, "
                     f"{exp.default or 'none'} in the migrations")
    return "; ".join(parts)


def _index_detail(exp: tuple[str, bool], live: tuple[str, bool]) -> str:
    if exp[0] != live[0]:
        return f"defined as `{live[0]}` in the live database, `{exp[0]}` in the migrations"
    if exp[1] and not live[1]:
        return "INVALID in the live database (a failed CREATE INDEX CONCURRENTLY?)"
    return ""


def _constraint_detail(exp: tuple[str, bool], live: tuple[str, bool]) -> str:
    if exp[0] != live[0]:
        return f"`{live[0]}` in the live database, `{exp[0]}` in the migrations"
    if exp[1] != live[1]:
        state = "validated" if live[1] else "NOT VALID"
        return f"{state} in the live database, {'validated' if exp[1] else 'NOT VALID'} " \
            "in the migrations"
    return ""


def _enum_detail(exp: list[str], live: list[str]) -> str:
    missing = [x for x in exp if x not in live]
    extra = [x for x in live if x not in exp]
    parts = []
    if missing:
        parts.append("label " + ", ".join(repr(x) for x in missing) + " missing in the live "
                     "database")
    if extra:
        parts.append("label " + ", ".join(repr(x) for x in extra) + " only in the live "
                     "database")
    if not parts and exp != live:
        parts.append(f"labels in order {live} in the live database, {exp} in the migrations")
    return "; ".join(parts)


@dataclass
class DriftReport:
    """The differences, and how the expected schema was obtained."""

    differences: list[Difference]
    applied: list[int]  # the versions the scratch database was migrated to
    scratch: str  # "temporary database on the live server" or "embedded server"


def check_drift(live_url: str, migrations: list[Migration]) -> DriftReport:
    """Compare the live database with a scratch one migrated with its applied migrations."""
    with connect(live_url) as conn:
        applied = Migrator(conn, migrations).applied()
        live = snapshot(conn)
    wanted = [m for m in migrations if m.version in applied]
    with _scratch(live_url) as (url, where), connect(url) as conn:
        Migrator(conn, wanted).run()
        expected = snapshot(conn)
    versions = sorted({m.version for m in wanted if m.kind is not Kind.DOWN})
    return DriftReport(compare(expected, live), versions, where)


@contextmanager
def _scratch(live_url: str) -> Iterator[tuple[str, str]]:
    from ..server import scratch_server, temporary_database

    with ExitStack() as stack:
        try:
            url = stack.enter_context(temporary_database(live_url, prefix="repo_drift"))
            where = "a temporary database on the live server"
        except psycopg.errors.InsufficientPrivilege:
            # No CREATEDB on production: an embedded server is the next best reference.
            url = stack.enter_context(scratch_server())
            where = "a throwaway embedded server"
        yield url, where
