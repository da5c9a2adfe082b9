"""The lint rules: one function per rule, same shape, listed in `RULES` by stable code.

Each message says what the statement locks and for how long; each fix is the safe rewrite.
Every rule is backed by a measurement on a real PostgreSQL (tests/test_lint_locks.py) and has a
safe twin that must stay silent (tests/test_lint.py).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from pglast import ast

from .context import Context, Hit, Rule
from .locks import (
    ACCESS_EXCLUSIVE,
    BLOCKS,
    SHARE,
    SHARE_ROW_EXCLUSIVE,
    alter_cmds,
    blocks,
    constraints,
    def_offset,
    exclusive_locks,
)
from .model import Severity
from .schema import AT, CT, OT, name_of, rel, type_ref
from .source import Statement
from .types import rewrites, timezone_dependent

NO_TX = ("in a migration of its own whose first line is `-- no-transaction` (SQLx then runs "
         "it outside a transaction)")
# Functions PostgreSQL marks volatile (provolatile = 'v') that are common in defaults. A
# volatile default is evaluated per existing row, so ADD COLUMN rewrites the table.
VOLATILE = {"gen_random_uuid", "uuid_generate_v1", "uuid_generate_v1mc", "uuid_generate_v4",
            "uuidv4", "uuidv7", "clock_timestamp", "timeofday", "random", "random_normal",
            "nextval", "gen_random_bytes", "setseed"}
SERIALS = {"serial", "serial2", "serial4", "serial8", "smallserial", "bigserial"}


# L001 -------------------------------------------------------------------------------------
def add_column_not_null(stmt: Statement, ctx: Context) -> Iterable[Hit]:
    for cmd, offset, table in alter_cmds(stmt, ctx):
        if cmd.subtype != AT.AT_AddColumn or not isinstance(cmd.def_, ast.ColumnDef):
            continue
        kinds = {c.contype for c in constraints(cmd.def_)}
        filled = kinds & {CT.CONSTR_DEFAULT, CT.CONSTR_IDENTITY, CT.CONSTR_GENERATED} or \
            type_ref(cmd.def_.typeName).name in SERIALS
        if kinds & {CT.CONSTR_NOTNULL, CT.CONSTR_PRIMARY} and not filled:
            col = cmd.def_.colname
            yield Hit(def_offset(cmd, offset),
                      f"ADD COLUMN {col} NOT NULL without a DEFAULT on existing table {table}: "
                      f"it fails at deploy as soon as {table} has a row (the row would hold "
                      f"NULL), and holds {blocks(ACCESS_EXCLUSIVE, table)}",
                      f"add {col} as a nullable column (or NOT NULL with a constant DEFAULT, "
                      "which PostgreSQL 11+ adds without a rewrite), backfill it in batches, "
                      f"then ADD CONSTRAINT ... CHECK ({col} IS NOT NULL) NOT VALID, VALIDATE "
                      "it in a later migration and SET NOT NULL")


# L002 -------------------------------------------------------------------------------------
def set_not_null(stmt: Statement, ctx: Context) -> Iterable[Hit]:
    for cmd, offset, table in alter_cmds(stmt, ctx):
        if cmd.subtype != AT.AT_SetNotNull:
            continue
        col = cmd.name
        if ctx.schema().has_valid_not_null_check(table, col):
            continue  # PostgreSQL 12+ skips the scan when a validated CHECK proves it
        cons = f"{table}_{col}_not_null"
        yield Hit(offset,
                  f"ALTER COLUMN {col} SET NOT NULL on existing table {table} scans every row "
                  f"while it holds {blocks(ACCESS_EXCLUSIVE, table)} for the whole scan",
                  f"migration 1: ALTER TABLE {table} ADD CONSTRAINT {cons} CHECK ({col} IS NOT "
                  f"NULL) NOT VALID; migration 2: ALTER TABLE {table} VALIDATE CONSTRAINT "
                  f"{cons} (reads and writes continue), then ALTER TABLE {table} ALTER COLUMN "
                  f"{col} SET NOT NULL (no scan: the validated check proves it) and DROP "
                  f"CONSTRAINT {cons}")


# L003 -------------------------------------------------------------------------------------
def create_index(stmt: Statement, ctx: Context) -> Iterable[Hit]:
    node = stmt.node
    if isinstance(node, ast.IndexStmt) and not node.concurrent \
            and ctx.existing(rel(node)):
        table = rel(node)
        name = node.idxname or "the index"
        yield Hit(stmt.start,
                  f"CREATE INDEX {name} on existing table {table} without CONCURRENTLY holds "
                  f"{blocks(SHARE, table)} until the whole index is built (a full scan and "
                  "sort)",
                  f"CREATE {'UNIQUE ' if node.unique else ''}INDEX CONCURRENTLY {name} ON "
                  f"{table} ... {NO_TX}; if it fails, DROP INDEX CONCURRENTLY the invalid index "
                  "and retry")


# L004 -------------------------------------------------------------------------------------
def drop_index(stmt: Statement, ctx: Context) -> Iterable[Hit]:
    node = stmt.node
    if not isinstance(node, ast.DropStmt) or node.removeType != OT.OBJECT_INDEX \
            or node.concurrent:
        return
    for obj in node.objects or ():
        name = name_of(obj)
        table = ctx.schema().indexes.get(name)
        if name in ctx.new_indexes or (table is not None and not ctx.existing(table)):
            continue
        where = table or "its table"
        yield Hit(stmt.start,
                  f"DROP INDEX {name} without CONCURRENTLY holds "
                  f"{blocks(ACCESS_EXCLUSIVE, where)}, and it first queues behind every "
                  f"running query on {where}",
                  f"DROP INDEX CONCURRENTLY {name} {NO_TX}")


# L005 -------------------------------------------------------------------------------------
def concurrently_in_transaction(stmt: Statement, ctx: Context) -> Iterable[Hit]:
    node = stmt.node
    what = None
    if isinstance(node, ast.IndexStmt) and node.concurrent:
        what = "CREATE INDEX CONCURRENTLY"
    elif isinstance(node, ast.DropStmt) and node.concurrent:
        what = "DROP INDEX CONCURRENTLY"
    elif isinstance(node, ast.ReindexStmt) and any(
            getattr(p, "defname", "") == "concurrently" for p in node.params or ()):
        what = "REINDEX CONCURRENTLY"
    if what and not ctx.in_transaction and ctx.statements > 1 and not ctx.split_noted:
        ctx.split_noted = True
        yield Hit(stmt.start,
                  f"{what} in a `-- no-transaction` file with {ctx.statements} statements: "
                  "`python -m repo migrate run` runs them one at a time, but sqlx-cli sends "
                  "the file as one query string, which PostgreSQL runs as one implicit "
                  "transaction, so there it fails at deploy",
                  "if the project is also deployed with sqlx-cli, give each concurrent "
                  "statement a `-- no-transaction` migration of its own",
                  severity=Severity.NOTE)
    if what and ctx.in_transaction:
        yield Hit(stmt.start,
                  f"{what} cannot run inside a transaction block, and this migration runs in "
                  "one (its first line is not `-- no-transaction`): PostgreSQL refuses it at "
                  "deploy time",
                  "make `-- no-transaction` the very first line of the file, and keep the "
                  "concurrent statements in a migration of their own")


# L006 -------------------------------------------------------------------------------------
def alter_type(stmt: Statement, ctx: Context) -> Iterable[Hit]:
    for cmd, offset, table in alter_cmds(stmt, ctx):
        if cmd.subtype != AT.AT_AlterColumnType or not isinstance(cmd.def_, ast.ColumnDef):
            continue
        col, new = cmd.name, type_ref(cmd.def_.typeName)
        old = ctx.schema().column_type(table, col)
        fix = (f"add a new column of type {new}, backfill it in batches, switch the code to it, "
               "then drop the old column in a later migration (widening needs no rewrite: "
               "varchar(n) -> text, or a larger varchar / numeric precision)")
        if _using_changes(cmd.def_.raw_default, col):
            yield Hit(offset, f"ALTER COLUMN {col} TYPE {new} USING ... rewrites every row of "
                      f"{table} and rebuilds its indexes while it holds "
                      f"{blocks(ACCESS_EXCLUSIVE, table)} for the whole rewrite", fix)
        elif old is None:
            yield Hit(offset, f"ALTER COLUMN {col} TYPE {new} on existing table {table}: the "
                      "column's current type is not known from the migrations, so it may "
                      f"rewrite every row while it holds {blocks(ACCESS_EXCLUSIVE, table)}",
                      fix, severity=Severity.WARNING)
        elif timezone_dependent(old, new):
            yield Hit(offset, f"ALTER COLUMN {col} TYPE {new} (was {old}) rewrites every row "
                      f"of {table} under an ACCESS EXCLUSIVE lock unless the migration's "
                      "session TimeZone is UTC", "run SET LOCAL TimeZone = 'UTC'; before it "
                      "(PostgreSQL 12+ then skips the rewrite), or " + fix,
                      severity=Severity.WARNING)
        elif rewrites(old, new):
            yield Hit(offset, f"ALTER COLUMN {col} TYPE {new} (was {old}) rewrites every row "
                      f"of {table} and rebuilds its indexes while it holds "
                      f"{blocks(ACCESS_EXCLUSIVE, table)} for the whole rewrite", fix)


def _using_changes(expr: Any, col: str) -> bool:
    """A USING expression other than the column itself (or a plain cast of it)."""
    if expr is None:
        return False
    if isinstance(expr, ast.TypeCast):
        expr = expr.arg
    return not (isinstance(expr, ast.ColumnRef) and name_of(expr.fields) == col)


# L007 / L008 ------------------------------------------------------------------------------
def _addedconstraints(stmt: Statement, ctx: Context, kind: Any) -> Iterator[tuple[Any, int,
                                                                                   str]]:
    for cmd, offset, table in alter_cmds(stmt, ctx):
        cons = cmd.def_
        if cmd.subtype == AT.AT_AddConstraint and isinstance(cons, ast.Constraint) \
                and cons.contype == kind:
            yield cons, def_offset(cmd, offset), table


def _validated_here(stmt: Statement, ctx: Context, kind: str) -> Iterator[Hit]:
    """VALIDATE of a constraint this same transaction added NOT VALID: the ADD's lock is
    still held during the validating scan, so NOT VALID gained nothing."""
    if not ctx.in_transaction:
        return
    for cmd, offset, table in alter_cmds(stmt, ctx):
        if cmd.subtype == AT.AT_ValidateConstraint \
                and ctx.not_valid_here.get((table, cmd.name)) == kind:
            mode = SHARE_ROW_EXCLUSIVE if kind == "FOREIGN KEY" else ACCESS_EXCLUSIVE
            yield Hit(offset, f"VALIDATE CONSTRAINT {cmd.name} in the same transaction that "
                      f"added it NOT VALID: the {mode} lock of the ADD is held until COMMIT, "
                      f"so {BLOCKS[mode]} on {table} waits for the whole validating scan",
                      f"move ALTER TABLE {table} VALIDATE CONSTRAINT {cmd.name} to a later "
                      "migration")


def foreign_key(stmt: Statement, ctx: Context) -> Iterable[Hit]:
    for cons, offset, table in _addedconstraints(stmt, ctx, CT.CONSTR_FOREIGN):
        if cons.skip_validation:
            continue
        ref = cons.pktable.relname if cons.pktable is not None else "the referenced table"
        name = cons.conname or "the foreign key"
        yield Hit(offset,
                  f"ADD CONSTRAINT {name} FOREIGN KEY on existing table {table} checks every "
                  f"row while it holds SHARE ROW EXCLUSIVE locks on {table} and {ref}: every "
                  "INSERT, UPDATE and DELETE on both waits for the whole scan",
                  f"ADD CONSTRAINT {name} FOREIGN KEY ... NOT VALID (a brief lock; new rows "
                  f"are checked), then ALTER TABLE {table} VALIDATE CONSTRAINT {name} in a "
                  "later migration (SHARE UPDATE EXCLUSIVE: reads and writes continue)")
    yield from _validated_here(stmt, ctx, "FOREIGN KEY")


def check_constraint(stmt: Statement, ctx: Context) -> Iterable[Hit]:
    for cons, offset, table in _addedconstraints(stmt, ctx, CT.CONSTR_CHECK):
        if cons.skip_validation:
            continue
        name = cons.conname or "the check"
        yield Hit(offset,
                  f"ADD CONSTRAINT {name} CHECK on existing table {table} checks every row "
                  f"while it holds {blocks(ACCESS_EXCLUSIVE, table)} for the whole scan",
                  f"ADD CONSTRAINT {name} CHECK (...) NOT VALID (a brief lock; new rows are "
                  f"checked), then ALTER TABLE {table} VALIDATE CONSTRAINT {name} in a later "
                  "migration (SHARE UPDATE EXCLUSIVE: reads and writes continue)")
    yield from _validated_here(stmt, ctx, "CHECK")


# L009 -------------------------------------------------------------------------------------
def unique_without_index(stmt: Statement, ctx: Context) -> Iterable[Hit]:
    for kind, word in ((CT.CONSTR_UNIQUE, "UNIQUE"), (CT.CONSTR_PRIMARY, "PRIMARY KEY")):
        for cons, offset, table in _addedconstraints(stmt, ctx, kind):
            if cons.indexname:
                continue
            name = cons.conname or f"{table}_key"
            cols = ", ".join(str(k.sval) for k in cons.keys or () if isinstance(k, ast.String))
            yield Hit(offset,
                      f"ADD CONSTRAINT {name} {word} on existing table {table} builds its "
                      f"unique index while it holds {blocks(ACCESS_EXCLUSIVE, table)} for "
                      "the whole build",
                      f"CREATE UNIQUE INDEX CONCURRENTLY {name}_idx ON {table} ({cols}) "
                      f"{NO_TX}, then ALTER TABLE {table} ADD CONSTRAINT {name} {word} USING "
                      f"INDEX {name}_idx (a brief lock)")


# L010 -------------------------------------------------------------------------------------
def volatile_default(stmt: Statement, ctx: Context) -> Iterable[Hit]:
    for cmd, offset, table in alter_cmds(stmt, ctx):
        if cmd.subtype != AT.AT_AddColumn or not isinstance(cmd.def_, ast.ColumnDef):
            continue
        why = _per_row_value(cmd.def_)
        if why:
            col = cmd.def_.colname
            yield Hit(def_offset(cmd, offset),
                      f"ADD COLUMN {col} with {why} on existing table {table} computes a value "
                      f"per existing row, so it rewrites {table} while it holds "
                      f"{blocks(ACCESS_EXCLUSIVE, table)} for the whole rewrite (only a "
                      "constant default is stored without a rewrite)",
                      f"add {col} without a default (or with a constant one), then ALTER "
                      f"COLUMN {col} SET DEFAULT ... (new rows only, no rewrite) and backfill "
                      "existing rows in batches")


def _per_row_value(col: Any) -> str | None:
    if type_ref(col.typeName).name in SERIALS:
        return f"type {type_ref(col.typeName).name} (a nextval() default)"
    for c in constraints(col):
        if c.contype == CT.CONSTR_IDENTITY:
            return "GENERATED ... AS IDENTITY"
        if c.contype == CT.CONSTR_GENERATED and c.generated_kind != "v":
            return "GENERATED ALWAYS AS (...) STORED"
        if c.contype == CT.CONSTR_DEFAULT:
            fn = _volatile_call(c.raw_expr)
            if fn:
                return f"the volatile default {fn}()"
    return None


def _volatile_call(expr: Any) -> str | None:
    from pglast.visitors import Visitor

    found: list[str] = []

    class _Calls(Visitor):
        def visit_FuncCall(self, ancestors: Any, node: Any) -> None:  # noqa: N802
            name = name_of(node.funcname)
            if name in VOLATILE:
                found.append(name)

    _Calls()(expr)
    return found[0] if found else None


# L011 / L012 ------------------------------------------------------------------------------
def _breaking(stmt: Statement, ctx: Context, offset: int, what: str, users: list[Any],
              fix: str) -> Hit:
    if not users:
        return Hit(offset, f"{what}: no query file uses it (note: application code outside "
                   "queries/ may still)", fix, severity=Severity.NOTE)
    n = len(users)
    return Hit(offset, f"{what} breaks {n} quer{'y' if n == 1 else 'ies'} the moment it "
               "commits, before the new code is deployed", fix, tuple(users))


def _users(ctx: Context, table: str, column: str | None = None) -> list[Any]:
    index = ctx.queries()
    if index is None:
        return []
    if column is None:
        return index.table_users(table)
    t = ctx.schema().tables.get(table)
    return index.column_users(table, column, set(t.columns) if t else None)


def rename(stmt: Statement, ctx: Context) -> Iterable[Hit]:
    node = stmt.node
    if not isinstance(node, ast.RenameStmt) or node.relation is None:
        return
    table = rel(node)
    if not ctx.existing(table):
        return
    if node.renameType == OT.OBJECT_TABLE:
        yield _breaking(stmt, ctx, stmt.start, f"RENAME TABLE {table} TO {node.newname}",
                        _users(ctx, table),
                        f"expand and contract: deploy code that works with both names first "
                        f"(e.g. CREATE VIEW {table} AS SELECT * FROM {node.newname} in the same "
                        "migration), then drop the old name in a later one")
    elif node.renameType == OT.OBJECT_COLUMN:
        yield _breaking(stmt, ctx, stmt.start,
                        f"RENAME COLUMN {table}.{node.subname} TO {node.newname}",
                        _users(ctx, table, node.subname),
                        f"expand and contract: add {node.newname}, write both columns, deploy "
                        f"code that reads {node.newname}, then drop {node.subname} in a later "
                        "migration")


def drop(stmt: Statement, ctx: Context) -> Iterable[Hit]:
    node = stmt.node
    if isinstance(node, ast.DropStmt) and node.removeType in (
            OT.OBJECT_TABLE, OT.OBJECT_VIEW, OT.OBJECT_MATVIEW):
        for obj in node.objects or ():
            table = name_of(obj)
            if ctx.existing(table):
                yield _breaking(stmt, ctx, stmt.start, f"DROP TABLE {table}",
                                _users(ctx, table),
                                f"deploy code that no longer uses {table} first, then drop it "
                                "in a later migration")
    for cmd, offset, table in alter_cmds(stmt, ctx):
        if cmd.subtype == AT.AT_DropColumn:
            yield _breaking(stmt, ctx, offset, f"DROP COLUMN {table}.{cmd.name}",
                            _users(ctx, table, cmd.name),
                            f"deploy code that no longer uses {cmd.name} first, then drop it "
                            "in a later migration")


# L013 -------------------------------------------------------------------------------------
def lock_timeout(stmt: Statement, ctx: Context) -> Iterable[Hit]:
    if ctx.lock_timeout or ctx.lock_reported:
        return
    locks = exclusive_locks(stmt, ctx)
    if locks:
        table, mode = locks[0]
        ctx.lock_reported = True
        yield Hit(stmt.start,
                  f"this migration takes an {mode} lock on existing table {table} with no "
                  f"lock_timeout: if a long query or transaction holds {table}, the migration "
                  f"waits in the lock queue and {BLOCKS[mode]} on {table} waits behind it, "
                  "for as long as that query runs",
                  "start the migration with SET lock_timeout = '5s'; (scoped to this "
                  "migration's transaction with SET LOCAL) and retry the deploy on timeout")


RULES: tuple[Rule, ...] = (
    Rule("L001", Severity.ERROR, "ADD COLUMN NOT NULL without a default on an existing table",
         add_column_not_null),
    Rule("L002", Severity.ERROR, "SET NOT NULL on an existing table (full scan under ACCESS "
         "EXCLUSIVE)", set_not_null),
    Rule("L003", Severity.ERROR, "CREATE INDEX without CONCURRENTLY on an existing table",
         create_index),
    Rule("L004", Severity.ERROR, "DROP INDEX without CONCURRENTLY", drop_index),
    Rule("L005", Severity.ERROR, "CONCURRENTLY inside a transaction (fails at deploy)",
         concurrently_in_transaction),
    Rule("L006", Severity.ERROR, "ALTER COLUMN TYPE that rewrites the table", alter_type),
    Rule("L007", Severity.ERROR, "FOREIGN KEY validated under lock (no NOT VALID)",
         foreign_key),
    Rule("L008", Severity.ERROR, "CHECK validated under lock (no NOT VALID)",
         check_constraint),
    Rule("L009", Severity.ERROR, "UNIQUE / PRIMARY KEY without USING INDEX on an existing "
         "table", unique_without_index),
    Rule("L010", Severity.ERROR, "ADD COLUMN with a volatile default (table rewrite)",
         volatile_default),
    Rule("L011", Severity.ERROR, "RENAME TABLE / COLUMN breaks running queries", rename),
    Rule("L012", Severity.ERROR, "DROP TABLE / COLUMN breaks running queries", drop),
    Rule("L013", Severity.WARNING, "exclusive lock on an existing table without lock_timeout",
         lock_timeout),
)
# Findings the engine itself reports (not statement rules).
SYNTAX = "L000"
BAD_ALLOW = "L014"
CODES = {r.code for r in RULES} | {SYNTAX, BAD_ALLOW}
