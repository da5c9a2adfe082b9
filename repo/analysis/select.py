"""Statement analysers for queries: SELECT, set operations, VALUES, CTEs, FROM items and
joins, plus the expression rules that open a subquery (scalar, EXISTS).

sqlglot parses; these functions resolve names scope by scope (CTEs, FROM items, joins,
correlated subqueries, LATERAL), expand ``*`` in PostgreSQL's column order, mark the
nullable sides of outer joins and narrow columns a WHERE conjunct proves non-NULL.
INSERT/UPDATE/DELETE (:mod:`repo.analysis.dml`) reuse the FROM and projection parts.
"""

from __future__ import annotations

from typing import overload

from sqlglot import exp

from . import functions as fn
from . import pgtypes
from .context import Ctx, Rule, Stmt, is_param, query, query_partial, typeof
from .funcs_apply import arguments
from .model import OutColumn, Val
from .names import figure_colname, func_name, ident_name
from .operators import common_type
from .scope import Rel, Scope

_STRICT_TESTS = (exp.EQ, exp.NEQ, exp.GT, exp.GTE, exp.LT, exp.LTE, exp.Like, exp.ILike,
                 exp.In, exp.Between)


# statements -------------------------------------------------------------------------------
def select(node: exp.Expr, parent: Scope, ctx: Ctx) -> list[OutColumn]:
    scope = parent.child()
    keep_unknown, ctx.keep_unknown_outputs = ctx.keep_unknown_outputs, False
    with_(node, scope, ctx)
    from_and_joins(node, scope, ctx)
    where = node.args.get("where")
    if where is not None:
        typeof(where.this, scope, ctx, "bool")
        narrow(where.this, scope, ctx)
    outer_grouped, group = ctx.grouped, node.args.get("group")
    ctx.grouped = bool(group)
    out = projections(node.expressions, scope, ctx, "unknown" if keep_unknown else "text")
    ctx.grouped = outer_grouped
    if group is not None and any(group.find_all(exp.Rollup, exp.Cube, exp.GroupingSets)):
        # Grouping sets put NULL in the columns a set leaves out.
        out = [OutColumn(c.name, c.val.with_null(None, "ROLLUP/CUBE/GROUPING SETS may "
                                                 "produce NULL"), c.name_certain)
               for c in out]
    names = {c.name for c in out}
    for g in group.expressions if group is not None else []:
        _clause_item(g, scope, ctx, names)
    having = node.args.get("having")
    if having is not None:
        typeof(having.this, scope, ctx, "bool")
    order_limit(node, scope, ctx, out)
    return out


def setop(node: exp.Expr, parent: Scope, ctx: Ctx) -> list[OutColumn]:
    """UNION / INTERSECT / EXCEPT: types merged across branches, names from the left."""
    scope = parent.child()
    ctx.keep_unknown_outputs = False
    with_(node, scope, ctx)
    ctx.keep_unknown_outputs = True  # the set operation resolves its branches' outputs
    left, left_complete = query_partial(node.this, scope, ctx)
    ctx.keep_unknown_outputs = True
    right, right_complete = query_partial(node.expression, scope, ctx)
    ctx.columns_uncertain |= not (left_complete and right_complete)
    out = []
    for i, col in enumerate(left):
        other = right[i].val if i < len(right) else Val(None, None, "")
        pg = common_type([col.val.type, other.type])
        nulls = [col.val.nullable, other.nullable]
        nullable = True if True in nulls else (False if nulls == [False, False] else None)
        reason = "nullable in a branch of the set operation" if nullable else (
            "non-null in every branch" if nullable is False else "set operation")
        out.append(OutColumn(col.name, Val(pg, nullable, reason), col.name_certain))
    order_limit(node, scope, ctx, out)
    return out


def values(node: exp.Expr, scope: Scope, ctx: Ctx) -> list[OutColumn]:
    rows = [[typeof(e, scope, ctx) for e in t.expressions] for t in node.expressions
            if isinstance(t, exp.Tuple)]
    if not rows:
        return []
    out = []
    for i in range(len(rows[0])):
        vals = [r[i] for r in rows if i < len(r)]
        pg = common_type([v.type for v in vals])
        nullable = True if any(v.nullable for v in vals) else (
            False if all(v.nullable is False for v in vals) else None)
        out.append(OutColumn(f"column{i + 1}", Val(pg, nullable, "VALUES list")))
    return out


def unsupported(node: exp.Expr, scope: Scope, ctx: Ctx) -> list[OutColumn]:
    ctx.notes.append(f"{type(node).__name__} statements are not analysed")
    ctx.columns_uncertain = True
    return []


def with_(node: exp.Expr, scope: Scope, ctx: Ctx) -> None:
    """Add the CTEs of ``node`` to ``scope``."""
    clause = node.args.get("with_") or node.args.get("with")
    if not isinstance(clause, exp.With):
        return
    for cte in clause.expressions:
        name = ident_name(cte.args["alias"].this)
        if clause.args.get("recursive"):
            # PostgreSQL types a recursive CTE from its non-recursive term.
            scope.ctes[name] = None
            body = cte.this
            if isinstance(body, exp.Union):
                anchor = query(body.this, scope, ctx)
                scope.ctes[name] = _rename(anchor, cte.args["alias"])
                # A second pass lets NULLs made by the recursive term reach its reads.
                scope.ctes[name] = _rename(query(body, scope, ctx), cte.args["alias"])
        scope.ctes[name] = _rename(query(cte.this, scope, ctx), cte.args["alias"])


def order_limit(node: exp.Expr, scope: Scope, ctx: Ctx, out: list[OutColumn]) -> None:
    names = {c.name for c in out}
    order = node.args.get("order")
    for o in order.expressions if order is not None else []:
        _clause_item(o.this if isinstance(o, exp.Ordered) else o, scope, ctx, names)
    for key in ("limit", "offset"):
        clause = node.args.get(key)
        if clause is not None:
            value = clause.args.get("expression") or clause.args.get("count") or clause.this
            if value is not None:
                typeof(value, scope, ctx, "int8", f"{key.upper()} takes int8")


def _clause_item(node: exp.Expr, scope: Scope, ctx: Ctx, names: set[str]) -> None:
    # ORDER BY / GROUP BY may name an output column or give its position.
    if isinstance(node, exp.Column) and not node.table and ident_name(node.this) in names:
        return
    if isinstance(node, exp.Literal) and not node.is_string:
        return
    typeof(node, scope, ctx)


# output columns ---------------------------------------------------------------------------
def projections(items: list[exp.Expr], scope: Scope, ctx: Ctx,
                bare_param: str = "text") -> list[OutColumn]:
    """The SELECT (or RETURNING) list, ``*`` expanded; ``bare_param`` is the type PostgreSQL
    gives an output that is just an untyped ``$n`` ("unknown": left to the caller)."""
    out: list[OutColumn] = []
    for item in items:
        if isinstance(item, exp.Star):
            for rel in scope.rels:
                out.extend(expand(rel, ctx))
        elif isinstance(item, exp.Column) and isinstance(item.this, exp.Star):
            out.extend(_qualified_star(item, scope, ctx))
        else:
            bare = is_param(item.this if isinstance(item, exp.Alias) else item)
            val = _output(typeof(item, scope, ctx, bare_param if bare else None,
                                 "an untyped output column is text"), ctx, bare_param)
            name, certain = figure_colname(item, ctx.sql)
            out.append(OutColumn(name, val, certain))
    return out


def _qualified_star(item: exp.Expr, scope: Scope, ctx: Ctx) -> list[OutColumn]:
    alias = ident_name(item.args["table"])
    rel = scope.find_rel(alias)
    if rel is None:
        ctx.problem(f'missing FROM-clause entry for table "{alias}"', item, certain=True)
        ctx.columns_uncertain = True
        return []
    return expand(rel, ctx)


def expand(rel: Rel, ctx: Ctx) -> list[OutColumn]:
    if rel.cols is None:
        ctx.columns_uncertain = True
        ctx.notes.append(f"* over {rel.alias}: its columns are not known offline")
        return []
    return [OutColumn(n, _output(rel.cols[n], ctx)) for n in rel.order if n in rel.cols
            and n not in rel.hidden]


def _output(val: Val, ctx: Ctx, untyped: str = "text") -> Val:
    """What RowDescription reports: text for an untyped literal (unless the caller resolves
    it: a set operation's branch), a domain's base type."""
    if val.type == "unknown":
        return Val(untyped, val.nullable, val.reason, val.origin)
    base = ctx.catalog.base_type(val.type) if val.type else None
    if base != val.type:
        return Val(base, val.nullable, val.reason, val.origin)
    return val


# FROM items -------------------------------------------------------------------------------
def from_and_joins(node: exp.Expr, scope: Scope, ctx: Ctx) -> None:
    """Add the relations of a FROM clause and its JOINs (SELECT, UPDATE ... FROM)."""
    from_ = node.args.get("from_") or node.args.get("from")
    if isinstance(from_, exp.From):
        from_item(from_.this, scope, ctx)
    for join in node.args.get("joins") or []:
        _join(join, scope, ctx)


def from_item(node: exp.Expr, scope: Scope, ctx: Ctx) -> None:
    """Add one FROM (or DELETE ... USING) item and the joins sqlglot hangs on it: in
    ``UPDATE ... FROM a JOIN b`` and ``DELETE ... USING a JOIN b`` they belong to the item."""
    scope.rels.append(source(node, scope, ctx))
    for join in node.args.get("joins") or []:
        _join(join, scope, ctx)


def source(node: exp.Expr, scope: Scope, ctx: Ctx, lateral: bool = False) -> Rel:
    """One FROM item as a relation."""
    alias_node = node.args.get("alias")
    alias = ident_name(alias_node.this) if isinstance(alias_node, exp.TableAlias) \
        and alias_node.this else ""
    if isinstance(node, exp.Table) and isinstance(node.this, exp.Identifier):
        return table_source(node, alias, scope, ctx)
    if isinstance(node, exp.Lateral):
        inner = source(node.this, scope, ctx, lateral=True)
        if alias:
            inner.alias = alias
        return _apply_alias(inner, alias_node)
    if isinstance(node, exp.Subquery):
        # Without LATERAL a subquery in FROM sees the CTEs and the enclosing queries, not
        # the other items of its own FROM clause.
        seen = scope if lateral or node.args.get("lateral") else scope.siblings_hidden()
        return _apply_alias(Rel.of(alias, query(node.this, seen, ctx)), alias_node)
    if isinstance(node, exp.Values):
        return _apply_alias(Rel.of(alias, values(node, scope, ctx)), alias_node)
    func = node.this if isinstance(node, exp.Table) else node
    ordinality = bool(node.args.get("ordinality"))
    return _apply_alias(function_source(func, alias, scope, ctx, ordinality), alias_node)


def table_source(node: exp.Expr, alias: str, scope: Scope, ctx: Ctx) -> Rel:
    name = ident_name(node.this)
    schema = ident_name(node.args["db"]) if node.args.get("db") else ""
    alias = alias or name
    found, cte = scope.cte(name) if not schema else (False, None)
    if found:
        return Rel(alias, None) if cte is None else Rel.of(alias, cte)
    table = ctx.catalog.relation(schema, name)
    if table is None and schema not in ("", "public"):
        ctx.notes.append(f"{schema}.{name} is outside the replayed schema")
        return Rel(alias, None)
    if table is None:
        # pg_* names belong to PostgreSQL's catalogs; only some are known offline.
        ctx.problem(f'relation "{name}" does not exist', node,
                    certain=ctx.catalog.complete and not name.startswith("pg_"))
        return Rel(alias, None)
    if table.kind != "table":
        if not table.exact:
            return Rel(alias, None, name)
        # View columns: types from the view's query; nullability is not claimed.
        view = {c.name: Val(c.type or None, None, f"column of view {name}")
                for c in table.columns.values()}
        return Rel(alias, view, name, list(view))
    cols = {c.name: Val(c.type, not c.not_null,
                        f"{name}.{c.name} is {'NOT NULL' if c.not_null else 'nullable'}",
                        (name, c.name)) for c in table.columns.values()}
    return Rel(alias, cols if table.exact else None, name, list(cols))


def function_source(func: exp.Expr, alias: str, scope: Scope, ctx: Ctx,
                    ordinality: bool = False) -> Rel:
    """A set-returning function in FROM (implicitly LATERAL in PostgreSQL)."""
    skip = func.args.get("offset")  # WITH ORDINALITY's column name, not an argument
    name = func_name(func, ctx.sql)
    if type(func).__name__ == "ExplodingGenerateSeries":
        name = "generate_series"
    args = arguments(name, [a for a in func.iter_expressions()
                            if not isinstance(a, exp.TableAlias) and a is not skip], scope, ctx)
    ordinality_name = "ordinality"
    if isinstance(func, exp.Unnest):
        name = "unnest"
        offset = func.args.get("offset")
        ordinality = ordinality or bool(offset)
        if isinstance(offset, exp.Identifier):
            # sqlglot keeps the last alias column of WITH ORDINALITY here.
            ordinality_name = ident_name(offset)
    if name == "unnest" and len(args) > 1:  # unnest(a, b, ...) zips its arrays
        cols = [c for a in args for c in (fn.srf_columns(name, a.type) or [(name, None)])]
    else:
        cols = fn.srf_columns(name, args[0].type if args else None) or []
    if not cols or any(t is None for _, t in cols):
        return Rel(alias or name, None)
    scalar = len(cols) == 1
    own_name = name in fn.OUT_NAMED
    out = [OutColumn(alias or cname if scalar and not own_name else cname,
                     Val(t, None, f"value produced by {name}()")) for cname, t in cols]
    if ordinality:
        out.append(OutColumn(ordinality_name, Val("int8", False, "WITH ORDINALITY")))
    rel = Rel.of(alias or name, out)
    rel.scalar = scalar and not ordinality
    return rel


def _join(join: exp.Join, scope: Scope, ctx: Ctx) -> None:
    rel = source(join.this, scope, ctx)
    side = (join.side or "").upper()
    line = ctx.where(join)
    if side in ("LEFT", "FULL"):
        _mark_nullable([rel], f"nullable: right side of {side} JOIN at {line}")
    if side in ("RIGHT", "FULL"):
        _mark_nullable(scope.rels, f"nullable: left side of {side} JOIN at {line}")
    for u in join.args.get("using") or []:
        col = ident_name(u.this if isinstance(u, exp.Column) else u)
        if rel.cols is not None and col not in rel.cols:
            ctx.problem(f'column "{col}" specified in USING clause does not exist in '
                        'right table', u, certain=True)
        rel.hidden.add(col)
    scope.rels.append(rel)
    on = join.args.get("on")
    if on is not None:
        typeof(on, scope, ctx, "bool")
    if join.args.get("method") and str(join.args["method"]).upper() == "NATURAL":
        ctx.columns_uncertain = True


def narrow(cond: exp.Expr, scope: Scope, ctx: Ctx) -> None:
    """WHERE conjuncts that only pass non-NULL values of a column make it non-null."""
    for test in _conjuncts(cond):
        col = _tested_column(test)
        if col is None:
            continue
        name = ident_name(col.this)
        rel = scope.find_rel(ident_name(col.args["table"])) if col.table else next(
            (r for r in scope.rels if r.cols and name in r.cols), None)
        if rel is None or rel.cols is None or name not in rel.cols:
            continue
        if rel.cols[name].nullable is not False:
            rel.cols[name] = rel.cols[name].with_null(
                False, f"not null: WHERE at {ctx.where(test)} rejects NULL")


# expression rules that open a subquery ----------------------------------------------------
def exists(node: exp.Expr, scope: Scope, ctx: Ctx, expect: str | None) -> Val:
    query(node.this, scope, ctx)
    return Val("bool", False, "EXISTS is never NULL")


def scalar_subquery(node: exp.Expr, scope: Scope, ctx: Ctx, expect: str | None) -> Val:
    cols = query(node.this, scope, ctx)
    if cols is None or len(cols) != 1:
        return Val(None, None, "subquery")
    if _single_row_aggregate(node.this) and cols[0].val.nullable is not None:
        return cols[0].val
    return Val(cols[0].val.type, True, "a scalar subquery is NULL when it returns no row")


def _single_row_aggregate(node: exp.Expr) -> bool:
    """A SELECT of aggregates with no GROUP BY/HAVING/LIMIT returns exactly one row."""
    if not isinstance(node, exp.Select) or node.args.get("group") or node.args.get("having"):
        return False
    if node.args.get("limit") or node.args.get("offset"):
        return False
    return all(any(isinstance(n, exp.AggFunc) for n in e.walk()) for e in node.expressions)


# helpers ----------------------------------------------------------------------------------
@overload
def _rename(cols: list[OutColumn], alias: exp.Expr) -> list[OutColumn]: ...
@overload
def _rename(cols: None, alias: exp.Expr) -> None: ...
def _rename(cols: list[OutColumn] | None, alias: exp.Expr) -> list[OutColumn] | None:
    if cols is None:
        return None
    names = [ident_name(c) for c in alias.args.get("columns") or []]
    return [OutColumn(names[i] if i < len(names) else c.name, c.val)
            for i, c in enumerate(cols)]


def _apply_alias(rel: Rel, alias: exp.Expr | None) -> Rel:
    """``AS a(x, y)`` renames columns; ``AS a(x int, y text)`` (a column definition list,
    for functions returning record) also gives their types."""
    if not isinstance(alias, exp.TableAlias) or not alias.args.get("columns"):
        return rel
    names = alias.args["columns"]
    if all(isinstance(c, exp.ColumnDef) and c.args.get("kind") for c in names):
        return Rel.of(rel.alias, [OutColumn(ident_name(c.this), Val(
            pgtypes.from_datatype(c.args["kind"]), None, "column definition list"))
            for c in names], rel.table)
    if rel.cols is None:
        return rel
    if len(names) > len(rel.order):
        return Rel(rel.alias, None, rel.table)  # more names than we know columns: opaque
    vals = rel.values or [rel.cols[n] for n in rel.order]
    cols = _rename([OutColumn(n, v) for n, v in zip(rel.order, vals, strict=False)], alias)
    renamed = Rel.of(rel.alias, cols, rel.table)
    renamed.scalar = rel.scalar
    return renamed


def _mark_nullable(rels: list[Rel], reason: str) -> None:
    for rel in rels:
        rel.outer = reason
        if rel.cols is not None:
            rel.cols = {n: v.with_null(True, reason) for n, v in rel.cols.items()}


def _conjuncts(cond: exp.Expr) -> list[exp.Expr]:
    while isinstance(cond, exp.Paren):
        cond = cond.this
    if isinstance(cond, exp.And):
        return _conjuncts(cond.this) + _conjuncts(cond.expression)
    return [cond]


def _tested_column(test: exp.Expr) -> exp.Column | None:
    """The column a WHERE conjunct proves non-NULL (``c IS NOT NULL``, ``c = ...``)."""
    if isinstance(test, exp.Is) and test.args.get("negate") \
            and isinstance(test.this, exp.Column) and isinstance(test.expression, exp.Null):
        return test.this
    if isinstance(test, exp.Not) and isinstance(test.this, exp.Is) \
            and isinstance(test.this.this, exp.Column) \
            and isinstance(test.this.expression, exp.Null):  # not `IS NOT TRUE`
        return test.this.this
    if isinstance(test, _STRICT_TESTS) and isinstance(test.this, exp.Column) \
            and not isinstance(test.this.this, exp.Star):
        return test.this
    return None


STATEMENTS: dict[type[exp.Expr], Stmt] = {
    exp.Expr: unsupported, exp.Select: select, exp.Values: values,
    exp.Union: setop, exp.Intersect: setop, exp.Except: setop,
}
RULES: dict[type[exp.Expr], Rule] = {exp.Exists: exists, exp.Subquery: scalar_subquery}
