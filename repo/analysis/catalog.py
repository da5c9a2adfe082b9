"""The schema as the migrations leave it: tables, ordered columns, enums and domains.

Built offline by :mod:`repo.analysis.replay`; compared with a live database by
:mod:`repo.analysis.live`. Names are stored the way PostgreSQL folds them (unquoted names
lower-cased, the ``public.`` schema dropped).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import pgtypes


@dataclass
class Column:
    """One table column."""

    name: str
    type: str  # canonical PG name, e.g. "int4", "text[]", "mood"
    not_null: bool = False
    has_default: bool = False
    generated: bool = False


@dataclass
class Table:
    """A table; ``exact`` is False once a statement we cannot model has touched it."""

    name: str
    columns: dict[str, Column] = field(default_factory=dict)
    exact: bool = True
    kind: str = "table"  # or "view" (columns unknown)


@dataclass
class Domain:
    """``CREATE DOMAIN name AS base [NOT NULL]``."""

    name: str
    base: str
    not_null: bool = False


@dataclass(frozen=True)
class ReplayFinding:
    """A migration statement the replay could not model (it is listed, never ignored)."""

    path: Path
    line: int
    col: int
    message: str


@dataclass
class Catalog:
    """Replayed schema plus what the replay could not model."""

    tables: dict[str, Table] = field(default_factory=dict)
    enums: dict[str, list[str]] = field(default_factory=dict)
    domains: dict[str, Domain] = field(default_factory=dict)
    findings: list[ReplayFinding] = field(default_factory=list)
    # False after an opaque statement that could have created relations (DO blocks, ...):
    # then a missing table is a warning, not an error.
    complete: bool = True

    def table(self, name: str) -> Table | None:
        return self.tables.get(name)

    def is_enum(self, pg: str) -> bool:
        return pgtypes.element(pg) in self.enums

    def base_type(self, pg: str) -> str:
        """The type with domains unwrapped (operators see the base type)."""
        seen = 0
        while pg in self.domains and seen < 16:
            pg = self.domains[pg].base
            seen += 1
        return pg

    def knows(self, pg: str) -> bool:
        """True when ``pg`` is a type whose SQLx type_info we can state with certainty."""
        return self.type_info(pg) is not None

    def type_info(self, pg: str) -> Any:
        """SQLx's ``type_info`` JSON value for a type (sqlx-compat.md §2), None if unknown."""
        builtin = pgtypes.builtin_type_info(pg)
        if builtin is not None:
            return builtin
        if pgtypes.is_array(pg):
            elem = self.type_info(pgtypes.element(pg))
            if elem is None or isinstance(elem, str):
                return None
            return {"Custom": {"name": pg, "kind": {"Array": elem}}}
        if pg in self.enums:
            return {"Custom": {"name": pg, "kind": {"Enum": list(self.enums[pg])}}}
        if pg in self.domains:
            base = self.type_info(self.domains[pg].base)
            if base is None:
                return None
            return {"Custom": {"name": pg, "kind": {"Domain": base}}}
        return None
