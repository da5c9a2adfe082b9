"""Compare the static analysis of a query with its SQLx ``describe`` metadata.

Only certain claims are compared; everything else is counted as unverified. A mismatch is
reported with a code (V007 names, V008 column types, V009 parameter types, V010 NOT NULL).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from .catalog import Catalog
from .model import Analysis, Val
from .pgtypes import type_info_name

if TYPE_CHECKING:
    from ..metadata.model import Describe


@dataclass
class Mismatch:
    code: str
    message: str


@dataclass
class Comparison:
    mismatches: list[Mismatch] = field(default_factory=list)
    columns_total: int = 0
    columns_verified: int = 0
    params_total: int = 0
    params_verified: int = 0


def compare(result: Analysis, describe: Describe, catalog: Catalog) -> Comparison:
    """Check ``result`` against a query's SQLx ``describe`` (columns, parameters, nullable)."""
    out = Comparison()
    _columns(result, describe, catalog, out)
    _params(result, describe, catalog, out)
    return out


def _columns(result: Analysis, describe: Describe, catalog: Catalog,
             out: Comparison) -> None:
    meta_cols = describe.columns
    nullable = describe.nullable
    out.columns_total = len(meta_cols)
    if not result.columns_known:
        return
    if len(result.columns) != len(meta_cols):
        if all(c.name_certain for c in result.columns):
            out.mismatches.append(Mismatch(
                "V007", f"the query returns {len(result.columns)} columns but the metadata "
                f"has {len(meta_cols)}"))
        return
    for i, (col, meta) in enumerate(zip(result.columns, meta_cols, strict=True)):
        name = meta.name
        if col.name_certain and col.name != name:
            out.mismatches.append(Mismatch(
                "V007", f"column {i + 1} is named {col.name!r} but the metadata says {name!r}"))
            continue
        info = catalog.type_info(col.val.type) if col.val.type else None
        if info is not None and info != meta.type_info:
            out.mismatches.append(Mismatch(
                "V008", f"column {name!r} has type {type_info_name(info)} in the schema but "
                f"{type_info_name(meta.type_info)} in the metadata"))
            continue
        meta_null = nullable[i] if i < len(nullable) else None
        if _authoritative(col.val, result) and meta_null is not None \
                and meta_null != col.val.nullable:
            out.mismatches.append(Mismatch(
                "V010", f"column {name!r} is {'nullable' if col.val.nullable else 'NOT NULL'}"
                f" in the schema ({col.val.reason}) but the metadata says the opposite"))
            continue
        if col.name_certain and info is not None:
            out.columns_verified += 1


def _authoritative(val: Val, result: Analysis) -> bool:
    """PostgreSQL's attnotnull answer is comparable only for a plain table column read
    with no outer join in the statement (SQLx's EXPLAIN pass is unreliable there)."""
    if val.origin is None or val.nullable is None or result.outer_joins:
        return False
    table, column = val.origin
    return val.reason.startswith(f"{table}.{column} is ")


def _params(result: Analysis, describe: Describe, catalog: Catalog,
            out: Comparison) -> None:
    meta = describe.parameters
    out.params_total = len(meta)
    if not result.params_known:
        return
    if len(result.params) != len(meta):
        out.mismatches.append(Mismatch(
            "V009", f"the query has {len(result.params)} parameters but the metadata has "
            f"{len(meta)}"))
        return
    for i, (p, info_meta) in enumerate(zip(result.params, meta, strict=True)):
        info = catalog.type_info(p.type) if p.type else None
        if info is None:
            continue
        if info != info_meta:
            out.mismatches.append(Mismatch(
                "V009", f"parameter ${i + 1} has type {type_info_name(info)} from the schema "
                f"({p.type_reason}) but {type_info_name(info_meta)} in the metadata"))
        else:
            out.params_verified += 1
