"""Running the rules over migrations: schema tracking, acknowledgements and the baseline.

The schema before a statement is only built when a rule asks for it (a column's old type, a
validated not-null check, an index's table). Migrations older than the baseline are then parsed
once; a project whose new migrations never ask pays nothing for its history.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from pglast import ast

from ..migrate.source import Kind, Migration
from ..sqltext import line_col
from .context import Context, Hit
from .locks import is_lock_timeout_set
from .model import LintFinding, LintReport, Severity
from .rules import BAD_ALLOW, CODES, RULES, SYNTAX
from .schema import AT, CT, OT, Schema, rel
from .source import ParsedMigration, Statement, parse_migration
from .usage import QueryIndex


class _Tracker:
    """The schema after everything applied so far, materialised on first request."""

    def __init__(self) -> None:
        self._pending: list[Migration | tuple[Any, int]] = []
        self._schema: Schema | None = None

    def skip(self, m: Migration) -> None:
        """A migration that is not linted: parsed only if the schema is ever needed."""
        self._pending.append(m)

    def apply(self, node: Any, version: int) -> None:
        if self._schema is not None:
            self._schema.apply(node, version)
        else:
            self._pending.append((node, version))

    def schema(self) -> Schema:
        if self._schema is None:
            self._schema = Schema()
            for item in self._pending:
                if isinstance(item, Migration):
                    for stmt in parse_migration(item).statements:
                        self._schema.apply(stmt.node, item.version)
                else:
                    self._schema.apply(*item)
            self._pending.clear()
        return self._schema


def lint_migrations(migrations: list[Migration], selected: Callable[[Migration], bool],
                    queries: Callable[[], QueryIndex | None], root: Path) -> LintReport:
    """Lint the ``selected`` forward migrations, in version order, with the schema the
    earlier ones built."""
    report = LintReport()
    tracker = _Tracker()
    for m in sorted(migrations, key=lambda m: m.version):
        if m.kind is Kind.DOWN:
            continue
        if not selected(m):
            tracker.skip(m)
            continue
        report.migrations += 1
        report.findings += _lint_one(parse_migration(m), tracker, queries, _rel(m.path, root))
    return report


def _rel(path: Path, root: Path) -> str:
    try:
        return str(path.resolve().relative_to(root.resolve()))
    except ValueError:
        return str(path)


def _lint_one(parsed: ParsedMigration, tracker: _Tracker,
              queries: Callable[[], QueryIndex | None], file: str) -> list[LintFinding]:
    m = parsed.migration
    if parsed.error is not None:
        offset, message = parsed.error
        line, col = line_col(parsed.text, offset)
        return [LintFinding(SYNTAX, Severity.ERROR, file, line, col,
                            f"PostgreSQL's parser rejects this migration: {message}",
                            "fix the SQL; the migration would fail at deploy")]
    ctx = Context(m, tracker.schema, queries, statements=len(parsed.statements))
    out: list[LintFinding] = []
    for stmt in parsed.statements:
        hits = [(rule.code, rule.severity, hit) for rule in RULES
                for hit in rule.check(stmt, ctx)]
        out += _acknowledge(stmt, hits, parsed.text, file)
        _advance(ctx, stmt)
        tracker.apply(stmt.node, m.version)
    return out


def _acknowledge(stmt: Statement, hits: list[tuple[str, Severity, Hit]], text: str,
                 file: str) -> list[LintFinding]:
    """Turn hits into findings; an ``allow`` with a reason marks its code acknowledged."""
    out = []
    allowed = {a.code: a for a in stmt.allows if a.reason}
    used: set[str] = set()
    for code, severity, hit in hits:
        sev = hit.severity or severity
        message = hit.message
        if code in allowed:
            used.add(code)
            sev, message = Severity.ACKNOWLEDGED, f"{message} (acknowledged: " \
                f"{allowed[code].reason})"
        line, col = line_col(text, hit.offset)
        out.append(LintFinding(code, sev, file, line, col, message, hit.fix, hit.queries))
    for a in stmt.allows:
        line, col = line_col(text, a.offset)
        problem = None
        if a.code not in CODES:
            problem = f"`lint: allow {a.code}` names no lint rule"
        elif not a.reason:
            problem = f"`lint: allow {a.code}` gives no reason, so it acknowledges nothing"
        elif a.code not in used:
            problem = f"`lint: allow {a.code}` acknowledges nothing: the statement after it " \
                f"has no {a.code} finding"
        if problem:
            out.append(LintFinding(BAD_ALLOW, Severity.WARNING, file, line, col, problem,
                                   "write `-- lint: allow Lxxx <why it is safe here>` on the "
                                   "line before the statement, or remove the comment"))
    return out


def _advance(ctx: Context, stmt: Statement) -> None:
    """Record what this statement means for the ones after it in the same migration."""
    node = stmt.node
    timeout = is_lock_timeout_set(stmt)
    if timeout is not None:
        ctx.lock_timeout = timeout
    if isinstance(node, ast.CreateStmt):
        ctx.new_tables.add(rel(node))
    elif isinstance(node, ast.IndexStmt) and node.idxname:
        ctx.new_indexes.add(str(node.idxname))
    elif isinstance(node, ast.RenameStmt) and node.renameType == OT.OBJECT_TABLE \
            and node.relation is not None and rel(node) in ctx.new_tables:
        ctx.new_tables.add(str(node.newname))
    elif isinstance(node, ast.AlterTableStmt):
        for cmd in node.cmds or ():
            cons = cmd.def_
            if cmd.subtype == AT.AT_AddConstraint and isinstance(cons, ast.Constraint) \
                    and cons.skip_validation and cons.conname:
                kind = "FOREIGN KEY" if cons.contype == CT.CONSTR_FOREIGN else "CHECK"
                ctx.not_valid_here[(rel(node), str(cons.conname))] = kind


__all__ = ["lint_migrations"]
