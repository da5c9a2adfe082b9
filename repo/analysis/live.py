"""Compare the offline replay with what PostgreSQL really built (run by ``prepare``).

This is the only module of the package that talks to a database, and only when ``prepare``
passes it a connection; ``verify`` never imports it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .catalog import Catalog
from .replay import replay

if TYPE_CHECKING:
    import psycopg

    from ..migrate.source import Migration

_COLUMNS = """
SELECT c.relname, a.attname,
       CASE WHEN t.typcategory = 'A' AND t.typelem <> 0 THEN e.typname || '[]' ELSE t.typname END,
       a.attnotnull, a.atthasdef OR a.attidentity <> ''
FROM pg_catalog.pg_class c
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
JOIN pg_catalog.pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
JOIN pg_catalog.pg_type t ON t.oid = a.atttypid
LEFT JOIN pg_catalog.pg_type e ON e.oid = t.typelem
WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p')
  AND c.relname <> '_sqlx_migrations'
ORDER BY c.relname, a.attnum
"""
_ENUMS = """
SELECT t.typname, array_agg(e.enumlabel ORDER BY e.enumsortorder)
FROM pg_catalog.pg_type t
JOIN pg_catalog.pg_namespace n ON n.oid = t.typnamespace
JOIN pg_catalog.pg_enum e ON e.enumtypid = t.oid
WHERE n.nspname = current_schema()
GROUP BY t.typname
"""

Row = tuple[str, str, bool, bool]


def live_schema(conn: psycopg.Connection[Any]) -> tuple[dict[str, dict[str, Row]],
                                                           dict[str, list[str]]]:
    """``({table: {column: (type, not_null, has_default)}}, {enum: labels})`` of a database."""
    tables: dict[str, dict[str, Row]] = {}
    with conn.cursor() as cur:
        for rel, att, typ, notnull, hasdef in cur.execute(_COLUMNS).fetchall():
            tables.setdefault(rel, {})[att] = (att, typ, bool(notnull), bool(hasdef))
        enums = {name: list(labels) for name, labels in cur.execute(_ENUMS).fetchall()}
    return tables, enums


def compare(catalog: Catalog, tables: dict[str, dict[str, Row]],
            enums: dict[str, list[str]]) -> list[str]:
    """Human-readable differences between a replayed catalog and a live schema."""
    out: list[str] = []
    replayed = {n: t for n, t in catalog.tables.items() if t.kind == "table"}
    for name in sorted(set(tables) - set(replayed)):
        out.append(f"table {name}: exists in the database but not in the offline replay")
    for name in sorted(set(replayed) - set(tables)):
        out.append(f"table {name}: in the offline replay but not in the database")
    for name in sorted(set(tables) & set(replayed)):
        out.extend(_compare_table(name, catalog, tables[name]))
    for name in sorted(set(enums) | set(catalog.enums)):
        if enums.get(name) != catalog.enums.get(name):
            out.append(f"enum {name}: database {enums.get(name)} vs replay "
                       f"{catalog.enums.get(name)}")
    return out


def _compare_table(name: str, catalog: Catalog, live: dict[str, Row]) -> list[str]:
    out: list[str] = []
    cols = catalog.tables[name].columns
    if list(cols) != list(live) and set(cols) == set(live):
        out.append(f"table {name}: column order differs (database {list(live)})")
    for col in sorted(set(live) | set(cols)):
        where = f"column {name}.{col}"
        if col not in cols:
            out.append(f"{where}: exists in the database but not in the offline replay")
            continue
        if col not in live:
            out.append(f"{where}: in the offline replay but not in the database")
            continue
        _, typ, notnull, hasdef = live[col]
        c = cols[col]
        replay_type = c.type if c.type not in catalog.domains else c.type
        if replay_type != typ:
            out.append(f"{where}: type {typ} in the database, {c.type} in the replay")
        if c.not_null != notnull:
            out.append(f"{where}: NOT NULL is {notnull} in the database, {c.not_null} in the "
                       "replay")
        if (c.has_default or c.generated) != hasdef:
            out.append(f"{where}: has-default is {hasdef} in the database, {c.has_default} in "
                       "the replay")
    return out


def differing_objects(catalog: Catalog, tables: dict[str, dict[str, Row]],
                      enums: dict[str, list[str]]) -> tuple[list[str], list[str]]:
    """``(tables, types)`` whose replayed shape differs from the database's (missing on either
    side included): ``verify`` claims nothing about them (see `Catalog.mark_uncertain`)."""
    replayed = {n: t for n, t in catalog.tables.items() if t.kind == "table"}
    names = (set(tables) ^ set(replayed)) | {
        n for n in set(tables) & set(replayed) if _compare_table(n, catalog, tables[n])}
    types = {n for n in set(enums) | set(catalog.enums)
             if enums.get(n) != catalog.enums.get(n)}
    return sorted(names), sorted(types)


@dataclass
class ReplayCheck:
    """What ``prepare`` learnt by comparing the replay with the migrated database."""

    messages: list[str] = field(default_factory=list)  # differences, then unmodelled notes
    tables: list[str] = field(default_factory=list)  # relations that differ
    types: list[str] = field(default_factory=list)  # enums that differ

    def uncertain(self) -> dict[str, list[str]]:
        """The ``replay_uncertain`` entry of ``repo-meta.json`` (empty when all agree)."""
        return {"tables": self.tables, "types": self.types} if self.tables or self.types \
            else {}


def check_replay(migrations: list[Migration], conn: psycopg.Connection[Any]) -> ReplayCheck:
    """Compare the offline replay of ``migrations`` with the database behind ``conn`` (which
    must have exactly those migrations applied)."""
    catalog = replay(migrations)
    tables, enums = live_schema(conn)
    notes = [f"{f.path}:{f.line}:{f.col}: {f.message}" for f in catalog.findings]
    names, types = differing_objects(catalog, tables, enums)
    return ReplayCheck(compare(catalog, tables, enums) + notes, names, types)


def replay_differences(migrations: list[Migration], conn: psycopg.Connection[Any]) -> list[str]:
    """Differences between the offline replay of ``migrations`` and the database behind
    ``conn``, then the statements the replay could not model. Empty when they agree."""
    return check_replay(migrations, conn).messages
