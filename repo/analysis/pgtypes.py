"""PostgreSQL type names: sqlglot DataType -> canonical PG name -> SQLx ``type_info``.

Types are carried through the analysis as canonical ``pg_type.typname`` strings (``int4``,
``timestamptz``, ``mood``) with ``[]`` appended for arrays (``text[]``), because that is what
PostgreSQL reports and what SQLx's ``type_info`` is derived from (sqlx-compat.md §2).
"""

from __future__ import annotations

from typing import Any

from sqlglot import exp

from ..typetable import TYPES

# sqlglot DType name -> typname. Serial pseudo-types map to their storage type; the replay adds
# NOT NULL and a default for them.
_DTYPE_NAMES = {
    "BOOLEAN": "bool", "SMALLINT": "int2", "INT": "int4", "BIGINT": "int8", "FLOAT": "float4",
    "DOUBLE": "float8", "DECIMAL": "numeric", "TEXT": "text", "VARCHAR": "varchar",
    "CHAR": "bpchar", "BPCHAR": "bpchar", "NCHAR": "bpchar", "NVARCHAR": "varchar",
    "UUID": "uuid", "JSON": "json", "JSONB": "jsonb", "VARBINARY": "bytea", "BINARY": "bytea",
    "DATE": "date", "TIME": "time", "TIMETZ": "timetz", "TIMESTAMP": "timestamp",
    "TIMESTAMPTZ": "timestamptz", "INTERVAL": "interval", "INET": "inet", "MONEY": "money",
    "OID": "oid", "NAME": "name", "XML": "xml", "BIT": "bit", "POINT": "point",
    "INT4RANGE": "int4range", "INT8RANGE": "int8range", "NUMRANGE": "numrange",
    "TSRANGE": "tsrange", "TSTZRANGE": "tstzrange", "DATERANGE": "daterange",
    "SERIAL": "int4", "BIGSERIAL": "int8", "SMALLSERIAL": "int2", "REGCLASS": "regclass",
}
SERIALS = {"SERIAL", "BIGSERIAL", "SMALLSERIAL"}

# typname -> SQLx PgType variant (sqlx-compat.md §2.1); array types are spelled "_elem".
_SQLX_NAMES = {t.typname: t.sqlx for t in TYPES}
# Spellings sqlglot leaves as USERDEFINED that are really built-ins.
_ALIASES = {"varbit": "varbit", "bit varying": "varbit", "jsonpath": "jsonpath",
            "cidr": "cidr", "macaddr": "macaddr", "macaddr8": "macaddr8", "record": "record",
            "int": "int4", "integer": "int4", "smallint": "int2", "bigint": "int8",
            "real": "float4", "double precision": "float8", "boolean": "bool",
            "decimal": "numeric", "character varying": "varchar", "character": "bpchar"}

BUILTINS = frozenset(k for k in _SQLX_NAMES if not k.startswith("_"))
# Built-in types that are not among SQLx's variants: SQLx reports them as
# {"Custom": {"name": <regtype>, "kind": <kind>}} (its dispatch on typtype/typcategory).
OTHER_BUILTINS: dict[str, str] = {
    **dict.fromkeys(("xid", "xid8", "cid", "tid", "regclass", "regtype", "regproc",
                     "regprocedure", "regoper", "regoperator", "regnamespace", "regrole",
                     "regconfig", "regdictionary", "regcollation", "tsvector", "tsquery",
                     "pg_lsn", "txid_snapshot", "pg_snapshot", "aclitem", "int2vector",
                     "oidvector", "pg_node_tree", "refcursor", "xml", "int4multirange",
                     "int8multirange", "nummultirange", "datemultirange", "tsmultirange",
                     "tstzmultirange"), "Simple"),
    **dict.fromkeys(("anyarray", "anyelement", "anyenum", "anynonarray", "trigger",
                     "event_trigger", "cstring", "internal"), "Pseudo"),
}
NUMERIC_RANK = {"int2": 1, "int4": 2, "int8": 3, "numeric": 4, "float4": 5, "float8": 6}
TEXTUAL = frozenset({"text", "varchar", "bpchar", "name"})


def from_datatype(dt: exp.DataType) -> str:
    """Canonical PG name of a parsed type (``VARCHAR(3)[]`` -> ``varchar[]``)."""
    if dt.this == exp.DType.ARRAY:
        inner = dt.expressions[0] if dt.expressions else None
        if not isinstance(inner, exp.DataType):
            return "unknown"
        base = from_datatype(inner)
        return base if base.endswith("[]") else base + "[]"
    if dt.this == exp.DType.USERDEFINED:
        name = str(dt.args.get("kind") or dt.sql("postgres")).strip('"')
        name = name.lower() if name == name.lower() or '"' not in name else name
        if name.startswith("public."):
            name = name[len("public."):]
        return _ALIASES.get(name, name)
    name = dt.this.name if isinstance(dt.this, exp.DType) else str(dt.this)
    return _DTYPE_NAMES.get(name.upper(), name.lower())


def is_array(pg: str) -> bool:
    return pg.endswith("[]")


def element(pg: str) -> str:
    return pg[:-2] if pg.endswith("[]") else pg


def array_of(pg: str) -> str:
    return pg if pg.endswith("[]") else pg + "[]"


def builtin_type_info(pg: str) -> str | None:
    """SQLx's JSON variant for a built-in type, None for anything else."""
    key = "_" + pg[:-2] if pg.endswith("[]") else pg
    return _SQLX_NAMES.get(key)


def type_info_name(info: Any) -> str:
    """Short display form of a SQLx type_info value (``Int4``, ``mood``, ``mood[]``)."""
    if isinstance(info, str):
        return info
    if isinstance(info, dict) and "Custom" in info:
        return str(info["Custom"].get("name"))
    return repr(info)
