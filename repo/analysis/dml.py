"""Statement analysers for INSERT, UPDATE and DELETE, typed like SELECT (offline-analysis.md
§4 gap 1).

sqlglot's optimizer never qualifies the top level of DML, so the scopes are built here: the
target table (with its alias), FROM/USING items and ``excluded`` form the scope of SET,
VALUES, ON CONFLICT, WHERE and RETURNING. A value stored in a column gives an untyped
parameter that column's type, and a NOT NULL column makes the parameter certainly non-null.
"""

from __future__ import annotations

from sqlglot import exp

from .context import Ctx, Stmt, is_param, query, typeof
from .model import OutColumn, Val
from .names import ident_name
from .scope import Rel, Scope
from .select import from_and_joins, from_item, projections, table_source, with_


def insert(node: exp.Expr, parent: Scope, ctx: Ctx) -> list[OutColumn]:
    scope = parent.child()
    with_(node, scope, ctx)
    rel = _target(node.this, ctx)
    if rel is None:
        ctx.columns_uncertain = True
        return []
    listed = node.this.expressions if isinstance(node.this, exp.Schema) else []
    names = [ident_name(i) for i in listed] if listed else list(rel.order)
    for ident, n in zip(listed, names, strict=False):
        if rel.cols is not None and n not in rel.cols:
            ctx.problem(f'column "{n}" of relation "{rel.table}" does not exist', ident,
                        certain=True)
    targets = [rel.cols.get(n) if rel.cols else None for n in names]
    _insert_source(node.expression, scope, ctx, names, targets, rel)
    _on_conflict(node.args.get("conflict"), scope, ctx, rel)
    return _returning(node, scope, ctx, [rel])


def update(node: exp.Expr, parent: Scope, ctx: Ctx) -> list[OutColumn]:
    scope = parent.child()
    with_(node, scope, ctx)
    rel = _target(node.this, ctx)
    if rel is None:
        ctx.columns_uncertain = True
        return []
    scope.rels.append(rel)
    from_and_joins(node, scope, ctx)
    where = node.args.get("where")
    if where is not None:
        typeof(where.this, scope, ctx, "bool")
    _set_list(node.expressions, scope, ctx, rel)
    return _returning(node, scope, ctx, scope.rels)


def delete(node: exp.Expr, parent: Scope, ctx: Ctx) -> list[OutColumn]:
    scope = parent.child()
    with_(node, scope, ctx)
    rel = _target(node.this, ctx)
    if rel is None:
        ctx.columns_uncertain = True
        return []
    scope.rels.append(rel)
    for using in node.args.get("using") or []:
        from_item(using, scope, ctx)
    where = node.args.get("where")
    if where is not None:
        typeof(where.this, scope, ctx, "bool")
    return _returning(node, scope, ctx, scope.rels)


def _target(node: exp.Expr, ctx: Ctx) -> Rel | None:
    table = node.this if isinstance(node, exp.Schema) else node
    if not isinstance(table, exp.Table):
        return None
    alias_node = table.args.get("alias")
    alias = ident_name(alias_node.this) if isinstance(alias_node, exp.TableAlias) else ""
    return table_source(table, alias, Scope(), ctx)


def _insert_source(src: exp.Expr | None, scope: Scope, ctx: Ctx, names: list[str],
                   targets: list[Val | None], rel: Rel) -> None:
    if isinstance(src, exp.Values):
        for row in src.expressions:
            for i, e in enumerate(row.expressions if isinstance(row, exp.Tuple) else []):
                _assign(e, targets[i] if i < len(targets) else None,
                        f"{rel.table}.{names[i] if i < len(names) else '?'}", scope, ctx)
    elif isinstance(src, exp.Select):
        ctx.keep_unknown_outputs = True  # typed from the target columns, below
        query(src, scope, ctx)
        for i, e in enumerate(src.expressions):
            value = e.this if isinstance(e, exp.Alias) else e
            if is_param(value) and i < len(targets) and targets[i]:
                _assign(value, targets[i], f"{rel.table}.{names[i]}", scope, ctx)
    elif src is not None:
        query(src, scope, ctx)


def _assign(value: exp.Expr, target: Val | None, what: str, scope: Scope, ctx: Ctx) -> None:
    """A value stored in a column: an untyped parameter takes the column's type."""
    if _is_default(value):
        return
    typeof(value, scope, ctx, target.type if target else None, f"stored in column {what}")
    if target is not None and target.nullable is False:
        ctx.record_param_null(value, False, f"stored in NOT NULL column {what}")
    elif target is not None and target.nullable is True:
        ctx.record_param_null(value, True, f"stored in nullable column {what}")


def _on_conflict(conflict: exp.Expr | None, scope: Scope, ctx: Ctx, rel: Rel) -> None:
    if not isinstance(conflict, exp.OnConflict):
        return
    # Conflict targets name the target table's columns only; `excluded` joins later.
    inner = scope.child()
    inner.rels = [rel]
    for key in conflict.args.get("conflict_keys") or []:
        typeof(key.this if isinstance(key, exp.Ordered) else key, inner, ctx)
    inner.rels.append(Rel("excluded", rel.cols, rel.table, rel.order))
    _set_list(conflict.expressions, inner, ctx, rel)
    where = conflict.args.get("where")
    if where is not None:
        typeof(where.this if isinstance(where, exp.Where) else where, inner, ctx, "bool")


def _set_list(items: list[exp.Expr], scope: Scope, ctx: Ctx, rel: Rel) -> None:
    for item in items:
        if not isinstance(item, exp.EQ):
            typeof(item, scope, ctx)
        elif isinstance(item.this, exp.Column):
            _set_column(item.this, item.expression, scope, ctx, rel)
        elif isinstance(item.this, exp.Tuple) and isinstance(item.expression, exp.Tuple) \
                and len(item.this.expressions) == len(item.expression.expressions):
            # SET (a, b) = (x, y): one assignment per column.
            for col, value in zip(item.this.expressions, item.expression.expressions,
                                  strict=True):
                _set_column(col, value, scope, ctx, rel)
        else:  # SET (a, b) = (SELECT ...): the subquery is checked, its types not claimed
            typeof(item.expression, scope, ctx)


def _set_column(col: exp.Expr, value: exp.Expr, scope: Scope, ctx: Ctx, rel: Rel) -> None:
    name = ident_name(col.this)
    target = rel.cols.get(name) if rel.cols is not None else None
    if rel.cols is not None and target is None:
        ctx.problem(f'column "{name}" of relation "{rel.table}" does not exist', col,
                    certain=True)
    _assign(value, target, f"{rel.table}.{name}", scope, ctx)


def _returning(node: exp.Expr, scope: Scope, ctx: Ctx, rels: list[Rel]) -> list[OutColumn]:
    ret = node.args.get("returning")
    if not isinstance(ret, exp.Returning):
        return []
    inner = scope.child()
    inner.rels = list(rels)
    return projections(ret.expressions, inner, ctx)


def _is_default(value: exp.Expr) -> bool:
    """The DEFAULT keyword (sqlglot reads it as a Var, or in SET as a column named DEFAULT)."""
    if isinstance(value, exp.Column) and not value.table:
        value = value.this
        return isinstance(value, exp.Identifier) and not value.quoted \
            and value.name.upper() == "DEFAULT"
    return isinstance(value, exp.Var) and value.name.upper() == "DEFAULT"


STATEMENTS: dict[type[exp.Expr], Stmt] = {exp.Insert: insert, exp.Update: update,
                                          exp.Delete: delete}
