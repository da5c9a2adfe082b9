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

# OID -> SQLx PgType variant name (sqlx-postgres/src/type_info.rs `try_from_oid`).
BUILTIN: dict[int, str] = {
    16: "Bool", 17: "Bytea", 18: "Char", 19: "Name", 20: "Int8", 21: "Int2", 23: "Int4",
    25: "Text", 26: "Oid", 114: "Json", 199: "JsonArray", 600: "Point", 601: "Lseg",
    602: "Path", 603: "Box", 604: "Polygon", 628: "Line", 629: "LineArray", 650: "Cidr",
    651: "CidrArray", 700: "Float4", 701: "Float8", 705: "Unknown", 718: "Circle",
    719: "CircleArray", 774: "Macaddr8", 775: "Macaddr8Array", 790: "Money",
    791: "MoneyArray", 829: "Macaddr", 869: "Inet", 1000: "BoolArray", 1001: "ByteaArray",
    1002: "CharArray", 1003: "NameArray", 1005: "Int2Array", 1007: "Int4Array",
    1009: "TextArray", 1014: "BpcharArray", 1015: "VarcharArray", 1016: "Int8Array",
    1017: "PointArray", 1018: "LsegArray", 1019: "PathArray", 1020: "BoxArray",
    1021: "Float4Array", 1022: "Float8Array", 1027: "PolygonArray", 1028: "OidArray",
    1040: "MacaddrArray", 1041: "InetArray", 1042: "Bpchar", 1043: "Varchar", 1082: "Date",
    1083: "Time", 1114: "Timestamp", 1115: "TimestampArray", 1182: "DateArray",
    1183: "TimeArray", 1184: "Timestamptz", 1185: "TimestamptzArray", 1186: "Interval",
    1187: "IntervalArray", 1231: "NumericArray", 1266: "Timetz", 1270: "TimetzArray",
    1560: "Bit", 1561: "BitArray", 1562: "Varbit", 1563: "VarbitArray", 1700: "Numeric",
    2249: "Record", 2278: "Void", 2287: "RecordArray", 2950: "Uuid", 2951: "UuidArray",
    3802: "Jsonb", 3807: "JsonbArray", 3904: "Int4Range", 3905: "Int4RangeArray",
    3906: "NumRange", 3907: "NumRangeArray", 3908: "TsRange", 3909: "TsRangeArray",
    3910: "TstzRange", 3911: "TstzRangeArray", 3912: "DateRange", 3913: "DateRangeArray",
    3926: "Int8Range", 3927: "Int8RangeArray", 4072: "Jsonpath", 4073: "JsonpathArray",
}

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
