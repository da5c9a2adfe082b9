"""PostgreSQL type OIDs -> SQLx's ``type_info`` JSON values (sqlx-compat.md §2).

The 92 built-in OIDs serialize as the name of SQLx's ``PgType`` variant (a bare string, also
when nested inside a custom type). Every other OID becomes
``{"Custom": {"name": <oid::regtype::text>, "kind": ...}}`` where the kind is read from
``pg_catalog`` with SQLx's queries and dispatch, recursively.
"""

from __future__ import annotations

from typing import Any

import psycopg

from ..metadata.model import TypeInfo  # exactly the JSON value SQLx writes
from ..typetable import TYPES

# OID -> SQLx PgType variant name (sqlx-postgres/src/type_info.rs `try_from_oid`).
BUILTIN: dict[int, str] = {t.oid: t.sqlx for t in TYPES}

_TYPE = (
    "SELECT oid::regtype::text, typtype, typcategory, typrelid, typelem, typbasetype "
    "FROM pg_catalog.pg_type WHERE oid = %s"
)
_RANGE = "SELECT rngsubtype FROM pg_catalog.pg_range WHERE rngtypid = %s"
_ENUM = (
    "SELECT enumlabel FROM pg_catalog.pg_enum WHERE enumtypid = %s ORDER BY enumsortorder"
)
_COMPOSITE = (
    "SELECT attname, atttypid FROM pg_catalog.pg_attribute "
    "WHERE attrelid = %s AND NOT attisdropped AND attnum > 0 ORDER BY attnum"
)


class TypeResolver:
    """Resolves OIDs on one connection, caching every answer (types do not change mid-run)."""

    def __init__(self, conn: psycopg.Connection[Any]) -> None:
        self.conn = conn
        self.cache: dict[int, TypeInfo] = dict(BUILTIN)

    def resolve(self, oid: int) -> TypeInfo:
        """The ``type_info`` JSON value for ``oid`` (a built-in name or a ``Custom`` object)."""
        if oid not in self.cache:
            self.cache[oid] = self._fetch(oid)
        return self.cache[oid]

    def _rows(self, query: str, arg: int) -> list[tuple[Any, ...]]:
        with self.conn.cursor() as cur:
            cur.execute(query, (arg,))
            return cur.fetchall()

    def _fetch(self, oid: int) -> TypeInfo:
        rows = self._rows(_TYPE, oid)
        if not rows:
            # SQLx fails with "type not found"; a vanished OID cannot describe anyway.
            raise LookupError(f"type with OID {oid} not found in pg_catalog.pg_type")
        name, typtype, category, relid, elem, base = rows[0]
        return {"Custom": {"name": name, "kind": self._kind(oid, typtype, category, relid,
                                                             elem, base)}}

    def _kind(self, oid: int, typtype: str, category: str, relid: int, elem: int,
              base: int) -> TypeInfo:
        # Same dispatch as SQLx's fetch_type_by_oid: on (typtype, typcategory).
        if typtype == "d":
            return {"Domain": self.resolve(base)}
        if (typtype, category) == ("b", "A"):
            return {"Array": self.resolve(elem)}
        if (typtype, category) == ("p", "P"):
            return "Pseudo"
        if (typtype, category) == ("r", "R"):
            return {"Range": self.resolve(self._rows(_RANGE, oid)[0][0])}
        if (typtype, category) == ("e", "E"):
            return {"Enum": [label for (label,) in self._rows(_ENUM, oid)]}
        if (typtype, category) == ("c", "C"):
            fields = self._rows(_COMPOSITE, relid)
            return {"Composite": [[attname, self.resolve(typ)] for attname, typ in fields]}
        return "Simple"
