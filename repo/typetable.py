"""PostgreSQL's built-in types, one table: OID, ``pg_type.typname``, SQLx's name, and how each
appears in generated Python.

Every other list derives from it: the describer's OID -> SQLx name (`repo.describe.typeinfo`),
the offline analysis' typname -> SQLx name (`repo.analysis.pgtypes`), codegen's SQLx name ->
annotation (`repo.codegen.typemap`). The 92 rows are SQLx's ``PgType`` variants
(sqlx-postgres/src/type_info.rs ``try_from_oid``; sqlx-compat.md §2.1); an array row is spelled
``_elem`` and its variant ends in ``Array``; its Python form derives from its element's.

The annotation is what psycopg 3 returns with its default adapters (text result format); the
``param`` annotation differs only for datetimes (no pydantic marker); ``kind`` names the runtime
parameter check (`repo.runtime._params.KINDS`); ``binary`` types read the same in psycopg's binary
result format (faster: benchmarks/bench_repos.py).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class PgType:
    """One built-in type (``annotation`` None: an array, typed from its element)."""

    oid: int
    typname: str
    sqlx: str
    annotation: str | None = None
    param: str | None = None  # None: the same as ``annotation``
    kind: str | None = None
    binary: bool = False


TYPES: tuple[PgType, ...] = (
    PgType(16, "bool", "Bool", "bool", None, "bool", True),
    PgType(17, "bytea", "Bytea", "bytes", None, "bytea", True),
    PgType(18, "char", "Char", "str", None, "text", False),
    PgType(19, "name", "Name", "str", None, "text", True),
    PgType(20, "int8", "Int8", "int", None, "int8", True),
    PgType(21, "int2", "Int2", "int", None, "int2", True),
    PgType(23, "int4", "Int4", "int", None, "int4", True),
    PgType(25, "text", "Text", "str", None, "text", True),
    PgType(26, "oid", "Oid", "int", None, "int8", False),
    PgType(114, "json", "Json", "JsonValue", None, "json", True),
    PgType(199, "_json", "JsonArray"),
    PgType(600, "point", "Point", "str", None, "text", False),
    PgType(601, "lseg", "Lseg", "str", None, "text", False),
    PgType(602, "path", "Path", "str", None, "text", False),
    PgType(603, "box", "Box", "str", None, "text", False),
    PgType(604, "polygon", "Polygon", "str", None, "text", False),
    PgType(628, "line", "Line", "str", None, "text", False),
    PgType(629, "_line", "LineArray"),
    PgType(650, "cidr", "Cidr", "IPNetwork", None, "inet", False),
    PgType(651, "_cidr", "CidrArray"),
    PgType(700, "float4", "Float4", "float", None, "float", True),
    PgType(701, "float8", "Float8", "float", None, "float", True),
    PgType(705, "unknown", "Unknown", "str", None, "text", False),
    PgType(718, "circle", "Circle", "str", None, "text", False),
    PgType(719, "_circle", "CircleArray"),
    PgType(774, "macaddr8", "Macaddr8", "str", None, "text", False),
    PgType(775, "_macaddr8", "Macaddr8Array"),
    PgType(790, "money", "Money", "str", None, "text", False),
    PgType(791, "_money", "MoneyArray"),
    PgType(829, "macaddr", "Macaddr", "str", None, "text", False),
    PgType(869, "inet", "Inet", "IPAddress", None, "inet", False),
    PgType(1000, "_bool", "BoolArray"),
    PgType(1001, "_bytea", "ByteaArray"),
    PgType(1002, "_char", "CharArray"),
    PgType(1003, "_name", "NameArray"),
    PgType(1005, "_int2", "Int2Array"),
    PgType(1007, "_int4", "Int4Array"),
    PgType(1009, "_text", "TextArray"),
    PgType(1014, "_bpchar", "BpcharArray"),
    PgType(1015, "_varchar", "VarcharArray"),
    PgType(1016, "_int8", "Int8Array"),
    PgType(1017, "_point", "PointArray"),
    PgType(1018, "_lseg", "LsegArray"),
    PgType(1019, "_path", "PathArray"),
    PgType(1020, "_box", "BoxArray"),
    PgType(1021, "_float4", "Float4Array"),
    PgType(1022, "_float8", "Float8Array"),
    PgType(1027, "_polygon", "PolygonArray"),
    PgType(1028, "_oid", "OidArray"),
    PgType(1040, "_macaddr", "MacaddrArray"),
    PgType(1041, "_inet", "InetArray"),
    PgType(1042, "bpchar", "Bpchar", "str", None, "text", True),
    PgType(1043, "varchar", "Varchar", "str", None, "text", True),
    PgType(1082, "date", "Date", "datetime.date", None, "date", True),
    PgType(1083, "time", "Time", "datetime.time", None, "time", True),
    PgType(1114, "timestamp", "Timestamp", "NaiveDatetime", "datetime.datetime", "timestamp", True),
    PgType(1115, "_timestamp", "TimestampArray"),
    PgType(1182, "_date", "DateArray"),
    PgType(1183, "_time", "TimeArray"),
    PgType(1184, "timestamptz", "Timestamptz", "AwareDatetime", "datetime.datetime",
           "timestamptz", True),
    PgType(1185, "_timestamptz", "TimestamptzArray"),
    PgType(1186, "interval", "Interval", "datetime.timedelta", None, "interval", True),
    PgType(1187, "_interval", "IntervalArray"),
    PgType(1231, "_numeric", "NumericArray"),
    PgType(1266, "timetz", "Timetz", "datetime.time", None, "time", False),
    PgType(1270, "_timetz", "TimetzArray"),
    PgType(1560, "bit", "Bit", "str", None, "text", False),
    PgType(1561, "_bit", "BitArray"),
    PgType(1562, "varbit", "Varbit", "str", None, "text", False),
    PgType(1563, "_varbit", "VarbitArray"),
    PgType(1700, "numeric", "Numeric", "Decimal", None, "numeric", True),
    PgType(2249, "record", "Record", "tuple[str | None, ...]", None, "any", False),
    PgType(2278, "void", "Void", "None", None, "any", False),
    PgType(2287, "_record", "RecordArray"),
    PgType(2950, "uuid", "Uuid", "uuid.UUID", None, "uuid", True),
    PgType(2951, "_uuid", "UuidArray"),
    PgType(3802, "jsonb", "Jsonb", "JsonValue", None, "jsonb", True),
    PgType(3807, "_jsonb", "JsonbArray"),
    PgType(3904, "int4range", "Int4Range", "Range[int]", None, "range", False),
    PgType(3905, "_int4range", "Int4RangeArray"),
    PgType(3906, "numrange", "NumRange", "Range[Decimal]", None, "range", False),
    PgType(3907, "_numrange", "NumRangeArray"),
    PgType(3908, "tsrange", "TsRange", "Range[datetime.datetime]", None, "range", False),
    PgType(3909, "_tsrange", "TsRangeArray"),
    PgType(3910, "tstzrange", "TstzRange", "Range[datetime.datetime]", None, "range", False),
    PgType(3911, "_tstzrange", "TstzRangeArray"),
    PgType(3912, "daterange", "DateRange", "Range[datetime.date]", None, "range", False),
    PgType(3913, "_daterange", "DateRangeArray"),
    PgType(3926, "int8range", "Int8Range", "Range[int]", None, "range", False),
    PgType(3927, "_int8range", "Int8RangeArray"),
    PgType(4072, "jsonpath", "Jsonpath", "str", None, "text", False),
    PgType(4073, "_jsonpath", "JsonpathArray"),
)

BY_TYPNAME: dict[str, PgType] = {t.typname: t for t in TYPES}
BY_SQLX: dict[str, PgType] = {t.sqlx: t for t in TYPES}
