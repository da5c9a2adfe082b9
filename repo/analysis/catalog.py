"""The schema as the migrations leave it: tables, ordered columns, enums and domains.

Built offline by :mod:`repo.analysis.replay`; compared with a live database by
:mod:`repo.analysis.live`. Names are stored the way PostgreSQL folds them (unquoted names
lower-cased, the ``public.`` schema dropped).
"""

from __future__ import annotations

import copy
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cache
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
    owns_sequence: bool = False  # SERIAL or identity: a `<table>_<column>_seq` exists


@dataclass
class Table:
    """A table; ``exact`` is False once a statement we cannot model has touched it."""

    name: str
    columns: dict[str, Column] = field(default_factory=dict)
    exact: bool = True
    kind: str = "table"  # or "view" (columns unknown), "sequence"
    # Relations a view reads, or the table owning a serial's sequence (dropped with it).
    depends: set[str] = field(default_factory=set)


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
    composites: dict[str, list[tuple[str, str]]] = field(default_factory=dict)
    # Sequences are relations too (`SELECT last_value FROM t_id_seq`).
    sequences: dict[str, Table] = field(default_factory=dict)
    # Types whose definition the replay could not be sure of (renamed or changed by an
    # unmodelled statement, or found different from the database by `prepare`): their
    # `type_info` is unknown, so nothing is claimed about values of these types.
    uncertain_types: set[str] = field(default_factory=set)
    # Relation names found different by `prepare`, including ones the replay never saw.
    uncertain_relations: set[str] = field(default_factory=set)

    def table(self, name: str) -> Table | None:
        """A relation by unqualified name, searched as PostgreSQL does: ``pg_catalog`` first,
        then the replayed schema (tables, views, sequences), then ``_sqlx_migrations``."""
        system = _system_relation("pg_catalog." + name) if name.startswith("pg_") else None
        if system is not None:
            return system
        found = self.tables.get(name) or self.sequences.get(name)
        if found is None and name == "_sqlx_migrations":
            return _system_relation("public." + name)
        return found

    def relation(self, schema: str, name: str) -> Table | None:
        """A schema-qualified relation: the replayed ``public`` schema or a system schema."""
        if schema in ("", "public"):
            return self.table(name)
        return _system_relation(f"{schema}.{name}")

    def is_uncertain(self, table: str) -> bool:
        """True when ``table`` exists but a statement the replay could not model touched it."""
        t = self.tables.get(table) or self.sequences.get(table)
        return t is not None and not t.exact

    def uncertain_names(self) -> set[str]:
        """Every relation or type name whose replayed shape cannot be trusted."""
        names = {n for n, t in self.tables.items() if not t.exact}
        return names | self.uncertain_types | self.uncertain_relations

    def mark_uncertain(self, tables: Iterable[str] = (), types: Iterable[str] = ()) -> None:
        """Stop claiming anything about ``tables`` and ``types``, and about every relation that
        depends on them (columns of those types, views reading those tables)."""
        self.uncertain_types.update(types)
        doubtful = set(tables)
        self.uncertain_relations.update(doubtful)
        if doubtful - set(self.tables) - set(self.sequences):
            self.complete = False  # the database has relations the replay never saw
        for name in doubtful:
            if name in self.tables:
                self.tables[name].exact = False
        changed = True
        while changed:  # propagate through column types and view dependencies
            changed = False
            for t in self.tables.values():
                if not t.exact:
                    continue
                if t.depends & doubtful or any(
                        self._type_uncertain(c.type) for c in t.columns.values()):
                    t.exact = False
                    doubtful.add(t.name)
                    changed = True

    def marked(self, tables: Iterable[str], types: Iterable[str]) -> Catalog:
        """A copy with `mark_uncertain` applied (the replayed catalog itself is shared)."""
        tables, types = list(tables), list(types)
        if not tables and not types:
            return self
        other = copy.deepcopy(self)
        other.mark_uncertain(tables, types)
        return other

    def _type_uncertain(self, pg: str) -> bool:
        seen = 0
        base = pgtypes.element(pg)
        while seen < 16:
            if base in self.uncertain_types:
                return True
            if base not in self.domains:
                return False
            base = pgtypes.element(self.domains[base].base)
            seen += 1
        return False

    def is_enum(self, pg: str) -> bool:
        return pgtypes.element(pg) in self.enums

    def base_type(self, pg: str) -> str:
        """The type with domains unwrapped (operators see the base type)."""
        seen = 0
        while seen < 16:
            if pg in self.domains:
                pg = self.domains[pg].base
            elif pg in _SYSTEM_DOMAINS:
                pg = _SYSTEM_DOMAINS[pg]
            else:
                break
            seen += 1
        return pg

    def knows(self, pg: str) -> bool:
        """True when ``pg`` is a type whose SQLx type_info we can state with certainty."""
        return self.type_info(pg) is not None

    def type_info(self, pg: str) -> Any:
        """SQLx's ``type_info`` JSON value for a type (sqlx-compat.md §2), None if unknown."""
        if self.uncertain_types and self._type_uncertain(pg):
            return None
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
        if pg in pgtypes.OTHER_BUILTINS:
            return {"Custom": {"name": pg, "kind": pgtypes.OTHER_BUILTINS[pg]}}
        table = self.tables.get(pg)
        if table is not None and table.kind == "table" and table.exact:
            # A table's row type (a whole-row reference `SELECT t FROM t`).
            fields = [[c.name, self.type_info(c.type)] for c in table.columns.values()]
            return None if any(i is None for _, i in fields) else \
                {"Custom": {"name": pg, "kind": {"Composite": fields}}}
        if pg in self.composites:
            fields = [[n, self.type_info(t)] for n, t in self.composites[pg]]
            if any(info is None for _, info in fields):
                return None
            return {"Custom": {"name": pg, "kind": {"Composite": fields}}}
        domain = self.domains.get(pg)
        if domain is None and pg in _SYSTEM_DOMAINS:
            domain = Domain(pg, _SYSTEM_DOMAINS[pg])
        if domain is not None:
            base = self.type_info(domain.base)
            if base is None:
                return None
            return {"Custom": {"name": pg, "kind": {"Domain": base}}}
        return None


_IDENT = re.compile(r'"(?:[^"]|"")+"|[A-Za-z_][A-Za-z0-9_$]*')


def identifiers(sql: str) -> set[str]:
    """Every identifier-looking word of ``sql``, folded as PostgreSQL folds names (a cheap,
    conservative answer to "which relations or types could this text depend on")."""
    return {w[1:-1].replace('""', '"') if w.startswith('"') else w.lower()
            for w in _IDENT.findall(sql)}


# information_schema's domains (their regtype text is schema-qualified); kept here, small and
# needed for every type lookup, while the relations load on first use.
_SYSTEM_DOMAINS: dict[str, str] = {
    "information_schema.cardinal_number": "int4",
    "information_schema.character_data": "varchar",
    "information_schema.sql_identifier": "name",
    "information_schema.time_stamp": "timestamptz",
    "information_schema.yes_or_no": "varchar",
}


@cache
def _system_relation(qualified: str) -> Table | None:
    """A system relation as a read-only `Table` of kind ``system``: like a view, its column
    types are claimed but not their nullability, and, since only the columns PostgreSQL 15 and
    18 agree on are listed, a column missing here is not proof of an error (it is not in
    `Catalog.tables`, which is what makes a missing column certain)."""
    from .syscatalog import SYSTEM_RELATIONS  # a large table: loaded on first use

    columns = SYSTEM_RELATIONS.get(qualified)
    if columns is None:
        return None
    name = qualified.split(".", 1)[1]
    table = Table(name, kind="system")
    table.columns = {c: Column(c, typ, not_null) for c, typ, not_null in columns}
    return table


SEQUENCE_COLUMNS = (("last_value", "int8"), ("log_cnt", "int8"), ("is_called", "bool"))


def sequence(name: str, owner: str = "") -> Table:
    """A sequence as a relation: ``SELECT last_value, is_called FROM s`` (all NOT NULL)."""
    table = Table(name, kind="sequence", depends={owner} if owner else set())
    table.columns = {c: Column(c, typ, True) for c, typ in SEQUENCE_COLUMNS}
    return table
