"""PostgreSQL type (SQLx ``type_info``) -> Python annotation, as one data table.

The annotation is what psycopg 3 actually returns for the type with its default adapters
(text result format), because rows are not re-validated (see `repo.runtime._rows`). Each
entry also names the parameter *kind* the runtime checks arguments with
(`repo.runtime._params.KINDS`).

Custom types (``{"Custom": {"name", "kind"}}``):

* enums become a generated ``StrEnum`` (rows are converted, parameters checked by label);
* domains are their base type (PostgreSQL sends domain columns as the base type);
* arrays are ``list[element]`` (elements are typed non-null, as SQLx does); arrays psycopg
  does not know (of enums, of domains over text) are parsed from their text form;
* ranges are psycopg's ``Range[subtype]``;
* composites, pseudo types and unknown base types (``ltree``, ``hstore``, PostGIS ...) are
  **typed ``object``** (the documented fallback): what psycopg returns for them depends on
  adapters registered on the connection. Codegen prints a warning and writes a comment next
  to the field. For a precise type, cast in SQL (``x::text``), or override the column type
  (``AS "x: Text"``) when you know what psycopg returns for it.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, replace
from typing import Any

from ..typetable import TYPES

# Import lines used by annotations: key -> (module, name); name None means `import module`.
IMPORTS: dict[str, tuple[str, str | None]] = {
    "datetime": ("datetime", None),
    "uuid": ("uuid", None),
    "IPAddress": ("repo.runtime", "IPAddress"),
    "IPNetwork": ("repo.runtime", "IPNetwork"),
    "Decimal": ("decimal", "Decimal"),
    "Range": ("psycopg.types.range", "Range"),
    "Multirange": ("psycopg.types.multirange", "Multirange"),
    "AwareDatetime": ("pydantic", "AwareDatetime"),
    "NaiveDatetime": ("pydantic", "NaiveDatetime"),
    "JsonValue": ("repo.runtime", "JsonValue"),
}


# SQLx variant -> (row annotation, parameter annotation or None for "same", param kind):
# the scalar rows of the one type table (`repo.typetable`).
SCALARS: dict[str, tuple[str, str | None, str]] = {
    t.sqlx: (t.annotation, t.param, t.kind or "any") for t in TYPES if t.annotation is not None}

# Built-in types SQLx reports as Custom/Simple (not among its 92 variants), by regtype name.
NAMED_SIMPLE: dict[str, tuple[str, str]] = {
    "xml": ("str", "text"),
    "citext": ("str", "text"),
    "tsvector": ("str", "text"),
    "tsquery": ("str", "text"),
    "pg_lsn": ("str", "text"),
    "int4multirange": ("Multirange[int]", "any"),
    "int8multirange": ("Multirange[int]", "any"),
    "nummultirange": ("Multirange[Decimal]", "any"),
    "datemultirange": ("Multirange[datetime.date]", "any"),
    "tsmultirange": ("Multirange[datetime.datetime]", "any"),
    "tstzmultirange": ("Multirange[datetime.datetime]", "any"),
}

# Types psycopg reads in the binary result format into the same Python values as in text
# (binary is faster to parse: see benchmarks/bench_repos.py). A type missing here, or any
# custom type, makes its query use text results: psycopg returns unknown binary data as bytes.
BINARY_SAFE = frozenset(t.sqlx for t in TYPES if t.binary)

# The element variant of each built-in array variant is its name minus "Array".
ARRAY_SUFFIX = "Array"
FALLBACK = "object"


@dataclass(frozen=True)
class PyType:
    """How one PostgreSQL type appears in generated code.

    Args:
        annotation: the row field annotation (``uuid.UUID``, ``list[str]``).
        param: the parameter annotation (differs for datetimes: no pydantic marker).
        kind: the runtime parameter check (`repo.runtime._params.KINDS`).
        converter: code of a row-value converter (enums, text arrays), or None.
        labels: an enum's labels, checked on parameters.
        warning: set when the type fell back to `FALLBACK`.
        binary: rows holding it may use the binary result format (`BINARY_SAFE`).
        imports: modules to ``import`` for the annotation (a ``[types]`` mapping to an
            application type, see `repo.codegen.rusttypes`).
    """

    annotation: str
    param: str
    kind: str
    converter: str | None = None
    labels: tuple[str, ...] | None = None
    warning: str | None = None
    binary: bool = False
    imports: tuple[str, ...] = ()


# Memoised: a project has a few dozen distinct annotations on thousands of fields.
@functools.cache
def imports_for(annotation: str) -> frozenset[str]:
    """The `IMPORTS` keys an annotation needs.

    >>> sorted(imports_for("list[datetime.date] | Decimal"))
    ['Decimal', 'datetime']
    """
    return frozenset(_IMPORT_KEY.findall(annotation))


# Every `IMPORTS` key as a whole word (one search instead of one per key).
_IMPORT_KEY = re.compile(r"\b(" + "|".join(map(re.escape, IMPORTS)) + r")\b")


def resolve(type_info: Any, enum_names: dict[str, str]) -> PyType:
    """The `PyType` of a SQLx ``type_info`` value; never raises on an unknown type.

    Args:
        type_info: ``"Int4"``, ``{"Custom": {...}}``, ...
        enum_names: PostgreSQL enum name -> generated class name (filled in by the caller
            from `enums_in` before resolving).

    >>> resolve("TextArray", {}).annotation
    'list[str]'
    >>> resolve({"Custom": {"name": "ltree", "kind": "Simple"}}, {}).annotation
    'object'
    """
    if isinstance(type_info, str):
        return _builtin(type_info)
    custom = type_info.get("Custom") if isinstance(type_info, dict) else None
    if not isinstance(custom, dict):
        return _fallback(f"unrecognised type_info {type_info!r}")
    return _custom(str(custom.get("name")), custom.get("kind"), enum_names)


@functools.lru_cache(maxsize=512)
def _builtin(variant: str) -> PyType:
    # Memoised: PyType is frozen, and a project names a few dozen variants thousands of times.
    if variant in SCALARS:
        row, param, kind = SCALARS[variant]
        return PyType(row, param or row, kind, binary=variant in BINARY_SAFE)
    if variant.endswith(ARRAY_SUFFIX) and variant[: -len(ARRAY_SUFFIX)] in SCALARS:
        element = _builtin(variant[: -len(ARRAY_SUFFIX)])
        return replace(_array(element, native=True), binary=element.binary)
    return _fallback(f"PostgreSQL type {variant} has no Python mapping")


def _array(element: PyType, *, native: bool) -> PyType:
    if element.annotation == FALLBACK:
        return element
    # Each item of an array parameter is checked as its element (`ids=["1"]` for bigint[] is
    # an InvalidArgument); the parameter takes any sequence, rows hold lists.
    kind = "list" if element.kind in ("any", "list") or element.kind.endswith("[]") else (
        f"{element.kind}[]")
    converter = None
    if not native:
        # psycopg returns arrays of types it does not know as text: parse, then convert.
        converter = f"array_of({element.converter or 'str'})"
    return PyType(f"list[{element.annotation}]", f"Sequence[{element.param}]", kind,
                  converter)


def _custom(name: str, kind: Any, enum_names: dict[str, str]) -> PyType:
    if isinstance(kind, dict) and "Enum" in kind:
        cls = enum_names[name]
        labels = tuple(str(label) for label in kind["Enum"])
        return PyType(cls, cls, "text", cls, labels=labels)
    if isinstance(kind, dict) and "Domain" in kind:
        return resolve(kind["Domain"], enum_names)
    if isinstance(kind, dict) and "Array" in kind:
        element = resolve(kind["Array"], enum_names)
        if element.kind == "text":
            return _array(element, native=False)
        return _fallback_array(name, element)
    if isinstance(kind, dict) and "Range" in kind:
        # psycopg only knows the built-in range types; a custom range comes back as text.
        return _fallback(f"range type {name} has no adapter by default")
    if kind == "Simple" and name in NAMED_SIMPLE:
        row, param_kind = NAMED_SIMPLE[name]
        return PyType(row, row, param_kind)
    what = "composite" if isinstance(kind, dict) and "Composite" in kind else str(kind).lower()
    return _fallback(f"{what} type {name} has no Python mapping")


def _fallback_array(name: str, element: PyType) -> PyType:
    if element.annotation == FALLBACK:
        return element
    return _fallback(f"array type {name} is returned as text by psycopg")


def _fallback(reason: str) -> PyType:
    return PyType(FALLBACK, FALLBACK, "any", warning=f"{reason}; typed `object`")


def enums_in(type_info: Any) -> list[tuple[str, tuple[str, ...]]]:
    """Every enum (name, labels) reachable from a ``type_info`` (through arrays, domains)."""
    if not isinstance(type_info, dict) or not isinstance(type_info.get("Custom"), dict):
        return []
    custom = type_info["Custom"]
    kind = custom.get("kind")
    if not isinstance(kind, dict):
        return []
    if "Enum" in kind:
        return [(str(custom.get("name")), tuple(str(x) for x in kind["Enum"]))]
    inner = kind.get("Domain", kind.get("Array", kind.get("Range")))
    return enums_in(inner) if inner is not None else []


JSON_KINDS = frozenset({"json", "jsonb"})


def json_model(described: PyType, importable: str) -> PyType | None:
    """A json/jsonb column or parameter declared to hold ``"module:Model"`` (typed JSON), or
    None when ``described`` is not JSON (the declaration is then refused by the caller).

    Rows validate the document into the model when read (`repo.runtime.json_as`); parameters
    take the model and are serialised with ``model_dump(mode="json")`` when written.

    >>> t = json_model(resolve("Jsonb", {}), "app.models:SessionData")
    >>> t.annotation, t.converter, t.kind, t.imports
    ('app.models.SessionData', 'json_as(app.models.SessionData)', 'jsonb', ('app.models',))
    """
    if described.kind not in JSON_KINDS:
        return None
    module, name = importable.split(":")
    dotted = f"{module}.{name}"
    return replace(described, annotation=dotted, param=dotted, converter=f"json_as({dotted})",
                   warning=None, labels=None, imports=(module,))

