"""Which table locks a statement takes, in PostgreSQL's terms ("Table-Level Locks"), and what
they block; shared by the rules that describe a lock and by L013 (lock_timeout).

Only modes that conflict with the ROW EXCLUSIVE lock every INSERT/UPDATE/DELETE holds matter
here: waiting for one of them queues every later writer (and, for ACCESS EXCLUSIVE, every
reader) behind the migration.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from pglast import ast, enums

from .context import Context
from .schema import AT, CT, OT, name_of, rel
from .source import Statement, action_offsets, location

ACCESS_EXCLUSIVE = "ACCESS EXCLUSIVE"
SHARE = "SHARE"
SHARE_ROW_EXCLUSIVE = "SHARE ROW EXCLUSIVE"
SHARE_UPDATE_EXCLUSIVE = "SHARE UPDATE EXCLUSIVE"
BLOCKS = {ACCESS_EXCLUSIVE: "every read and write", SHARE: "every INSERT, UPDATE and DELETE",
          SHARE_ROW_EXCLUSIVE: "every INSERT, UPDATE and DELETE"}
_SET_CONFIG = re.compile(r"set_config\s*\(\s*'lock_timeout'", re.I)


def blocks(mode: str, table: str) -> str:
    return f"an {mode} lock on {table}: {BLOCKS.get(mode, 'conflicting statements')} on " \
        f"{table} waits"


def alter_cmds(stmt: Statement, ctx: Context) -> Iterator[tuple[Any, int, str]]:
    """``(cmd, offset, table)`` for each action of an ALTER TABLE on an existing table."""
    node = stmt.node
    if not isinstance(node, ast.AlterTableStmt) or node.objtype != OT.OBJECT_TABLE:
        return
    table = rel(node)
    if not ctx.existing(table):
        return
    cmds = node.cmds or ()
    offsets = action_offsets(stmt, len(cmds))
    for cmd, offset in zip(cmds, offsets, strict=True):
        yield cmd, offset, table


def constraints(col: Any) -> list[Any]:
    return [c for c in col.constraints or () if isinstance(c, ast.Constraint)]


def def_offset(cmd: Any, offset: int) -> int:
    return location(cmd.def_) or offset


_SHARE_UPDATE_CMDS = {AT.AT_ValidateConstraint, AT.AT_SetStatistics, AT.AT_ClusterOn,
                      AT.AT_SetRelOptions, AT.AT_ResetRelOptions, AT.AT_AttachPartition}


def exclusive_locks(stmt: Statement, ctx: Context) -> list[tuple[str, str]]:
    """``(table, mode)`` for each lock conflicting with writers that ``stmt`` takes on an
    existing table (PostgreSQL docs, "Table-Level Locks")."""
    node = stmt.node
    if isinstance(node, ast.AlterTableStmt):
        modes = []
        for cmd, _offset, table in alter_cmds(stmt, ctx):
            if cmd.subtype in _SHARE_UPDATE_CMDS:
                continue
            fk = isinstance(cmd.def_, ast.Constraint) and cmd.def_.contype == CT.CONSTR_FOREIGN
            modes.append((table, SHARE_ROW_EXCLUSIVE if fk else ACCESS_EXCLUSIVE))
        strongest = [m for m in modes if m[1] == ACCESS_EXCLUSIVE] or modes
        return strongest[:1]
    if isinstance(node, ast.IndexStmt) and not node.concurrent \
            and ctx.existing(rel(node)):
        return [(rel(node), SHARE)]
    if isinstance(node, ast.RenameStmt) and node.relation is not None \
            and node.renameType in (OT.OBJECT_TABLE, OT.OBJECT_COLUMN) \
            and ctx.existing(rel(node)):
        return [(rel(node), ACCESS_EXCLUSIVE)]
    if isinstance(node, ast.DropStmt) and not node.concurrent:
        return _drop_locks(node, ctx)
    if isinstance(node, ast.CreateTrigStmt) and ctx.existing(rel(node)):
        return [(rel(node), SHARE_ROW_EXCLUSIVE)]
    if isinstance(node, ast.TruncateStmt):
        return [(str(r.relname), ACCESS_EXCLUSIVE) for r in node.relations or ()
                if ctx.existing(str(r.relname))]
    return []


def _drop_locks(node: Any, ctx: Context) -> list[tuple[str, str]]:
    out = []
    for obj in node.objects or ():
        name = name_of(obj) if isinstance(obj, tuple) else ""
        if node.removeType == OT.OBJECT_TABLE and ctx.existing(name):
            out.append((name, ACCESS_EXCLUSIVE))
        elif node.removeType == OT.OBJECT_INDEX and name not in ctx.new_indexes:
            table = ctx.schema().indexes.get(name)
            if table is None or ctx.existing(table):
                out.append((table or f"the table of {name}", ACCESS_EXCLUSIVE))
    return out


def is_lock_timeout_set(stmt: Statement) -> bool | None:
    """True/False when ``stmt`` sets lock_timeout (to a limit / to 0), None otherwise."""
    node = stmt.node
    if isinstance(node, ast.VariableSetStmt) and node.name == "lock_timeout":
        if node.kind != enums.VariableSetKind.VAR_SET_VALUE:
            return False
        values = [getattr(getattr(a, "val", None), "ival", None) for a in node.args or ()]
        svalues = [getattr(getattr(a, "val", None), "sval", None) for a in node.args or ()]
        return not (values == [0] or svalues == ["0"])
    if isinstance(node, ast.SelectStmt) and _SET_CONFIG.search(stmt.text):
        return True
    return None
