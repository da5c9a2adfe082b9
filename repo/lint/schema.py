"""The schema as the migrations build it, as far as the lint rules need it.

Tracked from pglast nodes: tables (and the migration that created each), column types with
their modifiers (``varchar(20)``), which index belongs to which table, and ``CHECK (col IS
NOT NULL)`` constraints with whether they are validated. Anything else is ignored: the rules
only ask these questions.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from pglast import ast, enums

AT = enums.AlterTableType
CT = enums.ConstrType
OT = enums.ObjectType


@dataclass(frozen=True)
class TypeRef:
    """A column type as written: canonical name (``varchar``), modifiers and array-ness."""

    name: str
    mods: tuple[int, ...] = ()
    array: bool = False

    def __str__(self) -> str:
        mods = f"({','.join(map(str, self.mods))})" if self.mods else ""
        return f"{self.name}{mods}{'[]' if self.array else ''}"


def type_ref(tn: Any) -> TypeRef:
    """The `TypeRef` of a pglast ``TypeName`` (``pg_catalog.`` dropped)."""
    names = [str(n.sval) for n in tn.names or () if isinstance(n, ast.String)]
    mods = []
    for m in tn.typmods or ():
        val = getattr(m, "val", None)
        if isinstance(val, ast.Integer):
            mods.append(int(val.ival or 0))
    return TypeRef(names[-1] if names else "?", tuple(mods), bool(tn.arrayBounds))


def rel(node: Any) -> str:
    """The table name of a statement's ``relation`` (``""`` when it has none)."""
    relation = getattr(node, "relation", None)
    return str(relation.relname or "") if relation is not None else ""


def name_of(names: Any) -> str:
    """The last element of a qualified name list (``public.t`` -> ``t``)."""
    parts = [str(n.sval) for n in names if isinstance(n, ast.String)]
    return parts[-1] if parts else ""


def not_null_column(expr: Any) -> str | None:
    """``col`` when ``expr`` is exactly ``col IS NOT NULL``."""
    if isinstance(expr, ast.NullTest) and expr.nulltesttype == enums.NullTestType.IS_NOT_NULL \
            and isinstance(expr.arg, ast.ColumnRef):
        return name_of(expr.arg.fields)
    return None


@dataclass
class Table:
    """A table and the version of the migration that created it."""

    name: str
    version: int
    columns: dict[str, TypeRef] = field(default_factory=dict)


@dataclass
class Check:
    """A ``CHECK (column IS NOT NULL)`` constraint; ``validated`` once PostgreSQL trusts it."""

    table: str
    column: str
    validated: bool
    version: int


@dataclass
class Schema:
    """Tables, indexes and not-null checks after the statements applied so far."""

    tables: dict[str, Table] = field(default_factory=dict)
    indexes: dict[str, str] = field(default_factory=dict)  # index name -> table
    checks: dict[tuple[str, str], Check] = field(default_factory=dict)

    def apply(self, node: Any, version: int) -> None:
        """Record the effect of one statement."""
        handler = _HANDLERS.get(type(node))
        if handler is not None:
            handler(self, node, version)

    def column_type(self, table: str, column: str) -> TypeRef | None:
        t = self.tables.get(table)
        return t.columns.get(column) if t else None

    def has_valid_not_null_check(self, table: str, column: str) -> bool:
        return any(c.table == table and c.column == column and c.validated
                   for c in self.checks.values())


def _create(schema: Schema, node: ast.CreateStmt, version: int) -> None:
    name = rel(node)
    if node.if_not_exists and name in schema.tables:
        return
    table = schema.tables[name] = Table(name, version)
    for elt in node.tableElts or ():
        if isinstance(elt, ast.ColumnDef) and elt.typeName is not None:
            table.columns[str(elt.colname)] = type_ref(elt.typeName)
        elif isinstance(elt, ast.Constraint):
            _constraint(schema, name, elt, version)


def _constraint(schema: Schema, table: str, cons: ast.Constraint, version: int) -> None:
    if cons.contype == CT.CONSTR_CHECK and cons.conname:
        column = not_null_column(cons.raw_expr)
        if column:
            schema.checks[(table, cons.conname)] = Check(table, column,
                                                         not cons.skip_validation, version)


def _alter(schema: Schema, node: ast.AlterTableStmt, version: int) -> None:
    name = rel(node)
    table = schema.tables.get(name)
    for cmd in node.cmds or ():
        if cmd.subtype == AT.AT_AddConstraint and isinstance(cmd.def_, ast.Constraint):
            _constraint(schema, name, cmd.def_, version)
        elif cmd.subtype == AT.AT_ValidateConstraint and (name, cmd.name) in schema.checks:
            schema.checks[(name, cmd.name)].validated = True
        elif cmd.subtype == AT.AT_DropConstraint:
            schema.checks.pop((name, cmd.name), None)
        elif table is None:
            continue
        elif cmd.subtype == AT.AT_AddColumn and isinstance(cmd.def_, ast.ColumnDef):
            table.columns[str(cmd.def_.colname)] = type_ref(cmd.def_.typeName)
        elif cmd.subtype == AT.AT_AlterColumnType and isinstance(cmd.def_, ast.ColumnDef):
            table.columns[cmd.name] = type_ref(cmd.def_.typeName)
        elif cmd.subtype == AT.AT_DropColumn:
            table.columns.pop(cmd.name, None)


def _rename(schema: Schema, node: ast.RenameStmt, version: int) -> None:
    old, new = rel(node), str(node.newname or "")
    if node.renameType == OT.OBJECT_TABLE and old in schema.tables:
        table = schema.tables.pop(old)
        table.name = new
        schema.tables[new] = table
        schema.indexes = {i: (new if t == old else t)
                          for i, t in schema.indexes.items()}
    elif node.renameType == OT.OBJECT_COLUMN and old in schema.tables:
        cols = schema.tables[old].columns
        schema.tables[old].columns = {(new if k == node.subname else k): v
                                      for k, v in cols.items()}
    elif node.renameType == OT.OBJECT_INDEX and old in schema.indexes:
        schema.indexes[new] = schema.indexes.pop(old)


def _drop(schema: Schema, node: ast.DropStmt, version: int) -> None:
    for obj in node.objects or ():
        name = name_of(obj) if isinstance(obj, tuple) else ""
        if node.removeType == OT.OBJECT_TABLE:
            schema.tables.pop(name, None)
            schema.indexes = {i: t for i, t in schema.indexes.items() if t != name}
        elif node.removeType == OT.OBJECT_INDEX:
            schema.indexes.pop(name, None)


def _index(schema: Schema, node: ast.IndexStmt, version: int) -> None:
    if node.idxname:
        schema.indexes[node.idxname] = rel(node)


_HANDLERS: dict[type, Any] = {
    ast.CreateStmt: _create,
    ast.AlterTableStmt: _alter,
    ast.RenameStmt: _rename,
    ast.DropStmt: _drop,
    ast.IndexStmt: _index,
}
