"""SQLx's ``query-<sha256>.json``, parsed once into frozen dataclasses.

Every reader (verify, codegen, prepare --check, explain) works on `QueryData`; nothing digs
``["describe"]["parameters"]["Left"]`` out of raw JSON. `QueryData.to_json` gives the object
back in SQLx's field order (sqlx-compat.md §6: ``db_name, query, describe, hash``;
``columns, parameters, nullable``; ``ordinal, name, type_info`` [+ ``origin``, 0.9]), so
`QueryData.render` is byte-identical to what SQLx writes.

``type_info`` stays the JSON value SQLx writes (a ``PgType`` variant name such as ``"Int4"``,
or ``{"Custom": {"name": ..., "kind": ...}}``): it is compared and mapped as a whole, and
keeping SQLx's own shape is what makes the round trip exact.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Union, cast

from ..errors import MetadataError

Json = Union[None, bool, int, float, str, list["Json"], dict[str, "Json"]]  # noqa: UP007
TypeInfo = Union[str, dict[str, Json]]  # noqa: UP007 - SQLx's type_info JSON value
DB_NAME = "PostgreSQL"


@dataclass(frozen=True)
class Column:
    """One result column. ``origin`` is SQLx 0.9's field; None when absent (0.8)."""

    ordinal: int
    name: str
    type_info: TypeInfo
    origin: Json = None

    def to_json(self) -> dict[str, Json]:
        out: dict[str, Json] = {"ordinal": self.ordinal, "name": self.name,
                                "type_info": self.type_info}
        if self.origin is not None:
            out["origin"] = self.origin
        return out


@dataclass(frozen=True)
class Describe:
    """What PostgreSQL reported: result columns, parameter types, column nullability."""

    columns: tuple[Column, ...] = ()
    parameters: tuple[TypeInfo, ...] = ()
    nullable: tuple[bool | None, ...] = ()

    def to_json(self) -> dict[str, Json]:
        return {"columns": [c.to_json() for c in self.columns],
                "parameters": {"Left": list(self.parameters)},
                "nullable": list(self.nullable)}


@dataclass(frozen=True)
class QueryData:
    """One SQLx query file."""

    query: str
    describe: Describe
    hash: str
    db_name: str = DB_NAME

    def to_json(self) -> dict[str, Json]:
        """The JSON object, keys in SQLx's order."""
        return {"db_name": self.db_name, "query": self.query,
                "describe": self.describe.to_json(), "hash": self.hash}

    def render(self) -> str:
        """SQLx's exact bytes (as text): serde_json's pretty format plus a newline."""
        return json.dumps(self.to_json(), indent=2, ensure_ascii=False) + "\n"

    @staticmethod
    def from_json(obj: object, path: Path | None = None) -> QueryData:
        """Parse a query file's JSON value; a wrong shape is a `MetadataError` on ``path``."""
        def bad(what: str) -> MetadataError:
            return MetadataError(f"not a SQLx query file: {what}", path=path,
                                 hint="delete it and run `python -m repo prepare`")

        if not isinstance(obj, dict) or not {"db_name", "query", "describe", "hash"} <= set(obj):
            raise bad("needs db_name, query, describe, hash")
        db_name, query, digest, describe = (obj["db_name"], obj["query"], obj["hash"],
                                            obj["describe"])
        if not (isinstance(db_name, str) and isinstance(query, str) and isinstance(digest, str)):
            raise bad("db_name, query and hash must be strings")
        if not isinstance(describe, dict):
            raise bad("describe must be an object")
        columns = describe.get("columns", [])
        params = describe.get("parameters", {"Left": []})
        nullable = describe.get("nullable", [])
        if not isinstance(columns, list) or not isinstance(nullable, list):
            raise bad("describe.columns and describe.nullable must be arrays")
        if not (isinstance(params, dict) and isinstance(params.get("Left"), list)):
            raise bad('describe.parameters must be {"Left": [...]}')
        if not all(v is None or isinstance(v, bool) for v in nullable):
            raise bad("describe.nullable holds true, false or null")
        return QueryData(query, Describe(tuple(_column(c, bad) for c in columns),
                                         tuple(_type_info(t, bad) for t in params["Left"]),
                                         tuple(nullable)), digest, db_name)


def _column(obj: object, bad: Callable[[str], MetadataError]) -> Column:
    if not isinstance(obj, dict) or not isinstance(obj.get("name"), str) \
            or not isinstance(obj.get("ordinal"), int) or "type_info" not in obj:
        raise bad("a column needs ordinal, name and type_info")
    return Column(obj["ordinal"], obj["name"], _type_info(obj["type_info"], bad),
                  obj.get("origin"))


def _type_info(obj: object, bad: Callable[[str], MetadataError]) -> TypeInfo:
    if isinstance(obj, str):
        return obj
    if isinstance(obj, dict) and isinstance(obj.get("Custom"), dict):
        return cast(TypeInfo, obj)
    raise bad('type_info is a type name or {"Custom": {...}}')
