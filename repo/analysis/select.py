"""Name resolution and typing of queries: SELECT, set operations, VALUES, FROM items, joins.

sqlglot parses; this module resolves names scope by scope (CTEs, FROM items, joins,
correlated subqueries, LATERAL), expands ``*`` in PostgreSQL's column order, marks the
nullable sides of outer joins and narrows columns a WHERE conjunct proves non-NULL.
INSERT/UPDATE/DELETE are handled by :mod:`repo.analysis.dml` on top of this.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlglot import exp

from . import functions as fn
from .catalog import Catalog
from .constructs import Typer
from .exprs import common_type, node_offset
from .model import OutColumn, Val
from .names import figure_colname, ident_name
from .scope import Rel, Scope

_SETOPS = (exp.Union, exp.Intersect, exp.Except)
_STRICT_TESTS = (exp.EQ, exp.NEQ, exp.GT, exp.GTE, exp.LT, exp.LTE, exp.Like, exp.ILike,
                 exp.In, exp.Between)


class QueryAnalyzer(Typer):
    """Resolves and types queries; :class:`repo.analysis.dml.Analyzer` adds DML."""

    def __init__(self, catalog: Catalog, sql: str,
                 locate: Callable[[int], tuple[int, int]]) -> None:
        super().__init__(catalog, sql)
        self.locate = locate
        self.columns_uncertain = False

    def where(self, offset: int | None) -> str:
        return f"line {self.locate(offset)[0]}" if offset is not None else "?"

    # statements ---------------------------------------------------------------------------
    def subquery(self, node: exp.Expr, scope: Scope) -> list[OutColumn]:
        if isinstance(node, exp.Subquery):
            node = node.this
        if isinstance(node, exp.Select):
            return self.select(node, scope)
        if isinstance(node, _SETOPS):
            return self.setop(node, scope)
        if isinstance(node, exp.Values):
            return self.values(node, scope)
        if isinstance(node, (exp.Insert, exp.Update, exp.Delete)):
            return self.dml(node, scope)
        self.notes.append(f"{type(node).__name__} statements are not analysed")
        self.columns_uncertain = True
        return []

    def dml(self, node: exp.Expr, scope: Scope) -> list[OutColumn]:
        """INSERT/UPDATE/DELETE; overridden in :mod:`repo.analysis.dml`."""
        self.columns_uncertain = True
        return []

    def with_(self, node: exp.Expr, scope: Scope) -> None:
        with_ = node.args.get("with_") or node.args.get("with")
        if not isinstance(with_, exp.With):
            return
        for cte in with_.expressions:
            name = ident_name(cte.args["alias"].this)
            if with_.args.get("recursive"):
                # PostgreSQL types a recursive CTE from its non-recursive term.
                scope.ctes[name] = None
                body = cte.this
                if isinstance(body, exp.Union):
                    anchor = self.subquery(body.this, scope)
                    scope.ctes[name] = _rename(anchor, cte.args["alias"])
                    # A second pass lets NULLs made by the recursive term reach its reads.
                    scope.ctes[name] = _rename(self.subquery(body, scope), cte.args["alias"])
            cols = self.subquery(cte.this, scope)
            scope.ctes[name] = _rename(cols, cte.args["alias"])

    def setop(self, node: exp.Expr, parent: Scope) -> list[OutColumn]:
        scope = parent.child()
        self.with_(node, scope)
        left = self.subquery(node.this, scope)
        right = self.subquery(node.expression, scope)
        out = []
        for i, col in enumerate(left):
            other = right[i].val if i < len(right) else Val(None, None, "")
            pg = common_type([col.val.type, other.type])
            nulls = [col.val.nullable, other.nullable]
            nullable = True if True in nulls else (False if nulls == [False, False] else None)
            reason = "nullable in a branch of the set operation" if nullable else (
                "non-null in every branch" if nullable is False else "set operation")
            out.append(OutColumn(col.name, Val(pg, nullable, reason), col.name_certain))
        self.order_limit(node, scope, out)
        return out

    def values(self, node: exp.Values, scope: Scope) -> list[OutColumn]:
        rows = [[self.typeof(e, scope) for e in t.expressions] for t in node.expressions
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

    def from_and_joins(self, node: exp.Expr, scope: Scope) -> None:
        """Add the relations of a FROM clause and its JOINs (SELECT, UPDATE ... FROM)."""
        from_ = node.args.get("from_") or node.args.get("from")
        if isinstance(from_, exp.From):
            scope.rels.append(self.source(from_.this, scope))
        for join in node.args.get("joins") or []:
            self.join(join, scope)

    def select(self, node: exp.Select, parent: Scope) -> list[OutColumn]:
        scope = parent.child()
        self.with_(node, scope)
        self.from_and_joins(node, scope)
        where = node.args.get("where")
        if where is not None:
            self.typeof(where.this, scope, "bool")
            self.narrow(where.this, scope)
        outer_grouped = self.grouped
        group = node.args.get("group")
        self.grouped = bool(group)
        out = self.projections(node.expressions, scope)
        self.grouped = outer_grouped
        if group is not None and any(group.find_all(exp.Rollup, exp.Cube, exp.GroupingSets)):
            # Grouping sets put NULL in the columns a set leaves out.
            out = [OutColumn(c.name, c.val.with_null(None, "ROLLUP/CUBE/GROUPING SETS may "
                                                     "produce NULL"), c.name_certain)
                   for c in out]
        names = {c.name for c in out}
        if group is not None:
            for g in group.expressions:
                self.type_clause_item(g, scope, names)
        having = node.args.get("having")
        if having is not None:
            self.typeof(having.this, scope, "bool")
        self.order_limit(node, scope, out)
        return out

    def order_limit(self, node: exp.Expr, scope: Scope, out: list[OutColumn]) -> None:
        names = {c.name for c in out}
        order = node.args.get("order")
        if order is not None:
            for o in order.expressions:
                self.type_clause_item(o.this if isinstance(o, exp.Ordered) else o, scope, names)
        for key in ("limit", "offset"):
            clause = node.args.get(key)
            if clause is not None:
                value = clause.args.get("expression") or clause.this
                if value is not None:
                    self.typeof(value, scope, "int8", f"{key.upper()} takes int8")

    def type_clause_item(self, node: exp.Expr, scope: Scope, names: set[str]) -> None:
        # ORDER BY / GROUP BY may name an output column or give its position.
        if isinstance(node, exp.Column) and not node.table and ident_name(node.this) in names:
            return
        if isinstance(node, exp.Literal) and not node.is_string:
            return
        self.typeof(node, scope)

    def projections(self, items: list[exp.Expr], scope: Scope) -> list[OutColumn]:
        out: list[OutColumn] = []
        for item in items:
            if isinstance(item, exp.Star):
                for rel in scope.rels:
                    out.extend(self.expand(rel))
            elif isinstance(item, exp.Column) and isinstance(item.this, exp.Star):
                star_rel = scope.find_rel(ident_name(item.args["table"]))
                if star_rel is None:
                    self.problem(f'missing FROM-clause entry for table '
                                 f'"{ident_name(item.args["table"])}"', item, certain=True)
                    self.columns_uncertain = True
                else:
                    out.extend(self.expand(star_rel))
            else:
                val = self.typeof(item, scope)
                name, certain = figure_colname(item, self)
                if val.type == "unknown":
                    val = Val("text", val.nullable, val.reason, val.origin)
                elif val.type in self.catalog.domains:
                    # RowDescription reports a domain column with its base type's OID.
                    val = Val(self.catalog.base_type(val.type), val.nullable, val.reason,
                              val.origin)
                out.append(OutColumn(name, val, certain))
        return out

    def expand(self, rel: Rel) -> list[OutColumn]:
        if rel.cols is None:
            self.columns_uncertain = True
            self.notes.append(f"* over {rel.alias}: its columns are not known offline")
            return []
        return [OutColumn(n, self.output(rel.cols[n])) for n in rel.order if n in rel.cols
                and n not in rel.hidden]

    def output(self, val: Val) -> Val:
        if val.type in self.catalog.domains:
            return Val(self.catalog.base_type(val.type), val.nullable, val.reason, val.origin)
        return val

    # FROM items ---------------------------------------------------------------------------
    def source(self, node: exp.Expr, scope: Scope, lateral: bool = False) -> Rel:
        alias_node = node.args.get("alias")
        alias = ident_name(alias_node.this) if isinstance(alias_node, exp.TableAlias) \
            and alias_node.this else ""
        if isinstance(node, exp.Table) and isinstance(node.this, exp.Identifier):
            return self.table_source(node, alias, scope)
        if isinstance(node, exp.Lateral):
            inner = self.source(node.this, scope, lateral=True)
            if alias:
                inner.alias = alias
            return _apply_alias(inner, alias_node)
        if isinstance(node, exp.Subquery):
            lateral_scope = scope if lateral or node.args.get("lateral") else (
                scope.parent or Scope())
            cols = self.subquery(node.this, lateral_scope)
            return _apply_alias(Rel.of(alias, cols), alias_node)
        if isinstance(node, exp.Values):
            return _apply_alias(Rel.of(alias, self.values(node, scope)), alias_node)
        func = node.this if isinstance(node, exp.Table) else node
        ordinality = bool(node.args.get("ordinality"))
        return _apply_alias(self.function_source(func, alias, scope, ordinality), alias_node)

    def table_source(self, node: exp.Table, alias: str, scope: Scope) -> Rel:
        name = ident_name(node.this)
        schema = ident_name(node.args["db"]) if node.args.get("db") else ""
        alias = alias or name
        found, cte = scope.cte(name) if not schema else (False, None)
        if found:
            if cte is None:
                return Rel(alias, None)
            return Rel.of(alias, cte)
        table = self.catalog.relation(schema, name)
        if table is None and schema not in ("", "public"):
            self.notes.append(f"{schema}.{name} is outside the replayed schema")
            return Rel(alias, None)
        if table is None:
            self.problem(f'relation "{name}" does not exist', node,
                         certain=self.catalog.complete)
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

    def function_source(self, func: exp.Expr, alias: str, scope: Scope,
                        ordinality: bool = False) -> Rel:
        args = [self.typeof(a, scope) for a in func.iter_expressions()
                if not isinstance(a, exp.TableAlias)]
        name = self.func_name(func)
        if isinstance(func, exp.Unnest):
            name = "unnest"
            ordinality = ordinality or bool(func.args.get("offset"))
        elif type(func).__name__ == "ExplodingGenerateSeries":
            name = "generate_series"
        if name == "unnest" and len(args) > 1:  # unnest(a, b, ...) zips its arrays
            cols = [c for a in args for c in (fn.srf_columns(name, a.type) or [(name, None)])]
        else:
            cols = fn.srf_columns(name, args[0].type if args else None) or []
        if not cols or any(t is None for _, t in cols):
            return Rel(alias or name, None)
        scalar = len(cols) == 1
        out = [OutColumn(alias or cname if scalar else cname,
                         Val(t, None, f"value produced by {name}()")) for cname, t in cols]
        if ordinality:
            out.append(OutColumn("ordinality", Val("int8", False, "WITH ORDINALITY")))
        return Rel.of(alias or name, out)

    def join(self, join: exp.Join, scope: Scope) -> None:
        rel = self.source(join.this, scope)
        side = (join.side or "").upper()
        line = self.where(node_offset(join))
        if side in ("LEFT", "FULL"):
            _mark_nullable([rel], f"nullable: right side of {side} JOIN at {line}")
        if side in ("RIGHT", "FULL"):
            _mark_nullable(scope.rels, f"nullable: left side of {side} JOIN at {line}")
        using = join.args.get("using") or []
        for u in using:
            col = ident_name(u.this if isinstance(u, exp.Column) else u)
            if rel.cols is not None and col not in rel.cols:
                self.problem(f'column "{col}" specified in USING clause does not exist in '
                             'right table', u, certain=True)
            rel.hidden.add(col)
        scope.rels.append(rel)
        on = join.args.get("on")
        if on is not None:
            self.typeof(on, scope, "bool")
        if join.args.get("method") and str(join.args["method"]).upper() == "NATURAL":
            self.columns_uncertain = True

    def narrow(self, cond: exp.Expr, scope: Scope) -> None:
        """WHERE conjuncts that only pass non-NULL values of a column make it non-null."""
        for test in _conjuncts(cond):
            col = _tested_column(test)
            if col is None:
                continue
            rel = scope.find_rel(ident_name(col.args["table"])) if col.table else next(
                (r for r in scope.rels if r.cols and ident_name(col.this) in r.cols), None)
            name = ident_name(col.this)
            if rel is None or rel.cols is None or name not in rel.cols:
                continue
            if rel.cols[name].nullable is not False:
                line = self.where(node_offset(test))
                rel.cols[name] = rel.cols[name].with_null(
                    False, f"not null: WHERE at {line} rejects NULL")

    # DML ----------------------------------------------------------------------------------
def _rename(cols: list[OutColumn], alias: exp.Expr) -> list[OutColumn]:
    names = [ident_name(c) for c in alias.args.get("columns") or []]
    return [OutColumn(names[i] if i < len(names) else c.name, c.val)
            for i, c in enumerate(cols)]


def _apply_alias(rel: Rel, alias: exp.Expr | None) -> Rel:
    if not isinstance(alias, exp.TableAlias) or not alias.args.get("columns") \
            or rel.cols is None:
        return rel
    if len(alias.args["columns"]) > len(rel.order):
        return Rel(rel.alias, None, rel.table)  # more names than we know columns: opaque
    values = rel.values or [rel.cols[n] for n in rel.order]
    cols = _rename([OutColumn(n, v) for n, v in zip(rel.order, values, strict=False)], alias)
    return Rel.of(rel.alias, cols, rel.table)


def _mark_nullable(rels: list[Rel], reason: str) -> None:
    for rel in rels:
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
    if isinstance(test, exp.Is) and test.args.get("negate") and isinstance(test.this,
                                                                          exp.Column) \
            and isinstance(test.expression, exp.Null):
        return test.this
    if isinstance(test, exp.Not) and isinstance(test.this, exp.Is) \
            and isinstance(test.this.this, exp.Column) \
            and isinstance(test.this.expression, exp.Null):  # not `IS NOT TRUE`
        return test.this.this
    if isinstance(test, _STRICT_TESTS) and isinstance(test.this, exp.Column) \
            and not isinstance(test.this.this, exp.Star):
        return test.this
    return None
