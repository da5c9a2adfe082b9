"""Column type overrides written for SQLx (``AS "id: UserId"``) -> the Python type to generate.

SQLx users override a column's Rust type with their application's types: ``"id: UserId"``,
``"headers: Vec<HeaderPairRecord>"``, ``"raw: Json<BTreeMap<String, String>>"``, or the
wildcard ``"state: _"`` (the type of the ``query_as!`` struct's field). The ``.sqlx`` metadata
keeps the label verbatim (SQLx parses it when the macro expands), so a project moving over keeps
its query files unchanged. Codegen resolves the override in this order:

1. ``_``: the described type (what PostgreSQL says the column is), silently;
2. ``config.toml`` ``[types]``: the Rust type as written (whitespace ignored), then the last
   segment of a plain path (``crate::ids::UserId`` -> ``UserId``), mapped to a Python type:
   a SQLx type name (``Int8``), a built-in annotation (``int``, ``uuid.UUID``, ...), or an
   importable type ``"module.path:Name"``, which annotates the field and is called on each
   non-NULL value read (``UserId(value)``: free for a ``NewType``, builds an enum or a class);
3. ``Json<T>`` on a json/jsonb column, ``T`` mapped in ``[types]`` to ``"module:Model"``: typed
   JSON, the document validated into the model on read (as ``[json]`` in config.toml does);
4. a SQLx type name (``"id: Int8"``): that type;
5. Rust's own and its database crates' types (``i64``, ``DateTime<Utc>``, ``Vec<String>``,
   ``Json<BTreeMap<String, String>>``): the described type, silently;
6. anything else (an application type): the described type, with a warning saying how to
   map it.

Never an error: a Rust type name is not a mistake in a project that was written for SQLx.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import replace

from ..config import CONFIG_FILE
from ..errors import ConfigError
from . import typemap
from .typemap import PyType

WILDCARD = "_"
# Annotations a [types] value may name directly: psycopg returns these for the matching types.
BUILTIN_ANNOTATIONS = frozenset({
    "int", "str", "float", "bool", "bytes", "object", "Decimal", "JsonValue", "uuid.UUID",
    "datetime.datetime", "datetime.date", "datetime.time", "datetime.timedelta",
    "IPAddress", "IPNetwork",
})
_IMPORTABLE = re.compile(r"(?P<module>[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*):(?P<name>[A-Za-z_]\w*)")
_JSON = re.compile(r"(?:(?:sqlx::)?types::)?Json<(?P<inner>.+)>")
_PLAIN_PATH = re.compile(r"(?:[A-Za-z_]\w*::)*(?P<last>[A-Za-z_]\w*)")


def override_type(rust: str, described: PyType, types: Mapping[str, str],
                  enum_names: dict[str, str]) -> tuple[PyType, str | None]:
    """The `PyType` for a column overridden with ``rust``, and a warning or None.

    Args:
        rust: the override after the colon (``Vec<HeaderPairRecord>``).
        described: the type resolved from the column's ``type_info``.
        types: the ``[types]`` table of ``config.toml``.
        enum_names: PostgreSQL enum name -> generated class name.

    >>> t, _ = override_type("crate::ids::UserId", typemap.resolve("Int8", {}),
    ...                      {"UserId": "myapp.ids:UserId"}, {})
    >>> t.annotation, t.converter
    ('myapp.ids.UserId', 'myapp.ids.UserId')
    """
    key = _squash(rust)
    if key == WILDCARD:
        return described, None
    table = {_squash(k): v for k, v in types.items()}
    mapped = _mapped(table, key)
    if mapped is None and (json := _JSON.fullmatch(key)) is not None:
        # `Json<SessionData>` with SessionData mapped to an importable type: typed JSON, the
        # document validated into it on read (the same as config.toml [json]).
        target = _mapped(table, json["inner"])
        if target is not None and _IMPORTABLE.fullmatch(target):
            typed = typemap.json_model(described, target)
            if typed is not None:
                return typed, None
    if mapped is not None:
        return python_type(mapped, described, enum_names), None
    sqlx = typemap.resolve(key, enum_names)
    if sqlx.warning is None:
        return sqlx, None
    if _only_rust_library_types(key):
        return described, None  # `i64`, `DateTime<Utc>`, `Vec<String>`: what psycopg returns
    return described, (
        f"overridden with the Rust type `{rust}`, which has no Python mapping: typed as the "
        f"described type `{described.annotation}`; to choose the type, map it in config.toml "
        f'[types], e.g. "{key}" = "int" or "myapp.types:{_last_word(key)}"')


def _mapped(table: Mapping[str, str], key: str) -> str | None:
    """The ``[types]`` value for ``key``, else for the last segment of its path (``UserId``
    for ``crate::ids::UserId``)."""
    plain = _PLAIN_PATH.fullmatch(key)
    return table.get(key) or (table.get(plain.group("last")) if plain else None)


def python_type(value: str, described: PyType, enum_names: dict[str, str]) -> PyType:
    """The `PyType` a ``[types]`` value names.

    Raises:
        ConfigError: the value is neither ``module:Name``, a built-in annotation nor a SQLx
            type name.
    """
    found = _IMPORTABLE.fullmatch(value)
    if found:
        dotted = f"{found['module']}.{found['name']}"
        return replace(described, annotation=dotted, param=dotted, converter=dotted,
                       warning=None, labels=None, imports=(found["module"],))
    if value in BUILTIN_ANNOTATIONS:
        return replace(described, annotation=value, param=value, converter=None,
                       warning=None, labels=None)
    sqlx = typemap.resolve(value, enum_names)
    if sqlx.warning is not None:
        raise ConfigError(
            f"[types] value {value!r} is not a Python type this tool knows", path=CONFIG_FILE,
            hint=f"use an importable type (\"myapp.types:Name\"), one of "
            f"{', '.join(sorted(BUILTIN_ANNOTATIONS))}, or a SQLx type name such as Int8")
    return sqlx


# Rust's own and its common database crates' types (std, chrono, time, uuid, serde_json,
# rust_decimal, ipnetwork, sqlx): an override naming only these asks for the type PostgreSQL
# describes, so the described Python type is right and no warning is due.
_RUST_LIBRARY = frozenset({
    "i8", "i16", "i32", "i64", "u8", "u16", "u32", "u64", "f32", "f64", "bool", "char", "str",
    "String", "Vec", "Option", "Box", "Json", "BTreeMap", "HashMap", "Value", "JsonValue",
    "RawValue", "Uuid", "DateTime", "Utc", "Local", "FixedOffset", "NaiveDateTime", "NaiveDate",
    "NaiveTime", "OffsetDateTime", "PrimitiveDateTime", "Date", "Time", "Duration", "Decimal",
    "BigDecimal", "IpNetwork", "IpAddr", "IpNet", "PgInterval", "PgRange", "PgMoney",
    "BitVec", "std", "collections", "sqlx", "types", "postgres", "chrono", "time", "uuid",
    "serde_json", "value", "rust_decimal", "bigdecimal", "ipnetwork", "net", "bit_vec",
})
_PATH_ROOTS = frozenset({"crate", "super", "self"})


def _only_rust_library_types(key: str) -> bool:
    words = re.findall(r"[A-Za-z_]\w*", key)
    return bool(words) and all(w in _RUST_LIBRARY for w in words)


def _squash(rust: str) -> str:
    return re.sub(r"\s+", "", rust)


def _last_word(key: str) -> str:
    # The application's own type name inside Rust's wrappers, for the hint.
    words = [w for w in re.findall(r"[A-Za-z_]\w*", key)
             if w not in _RUST_LIBRARY and w not in _PATH_ROOTS]
    return words[-1] if words else "Type"
