"""INSERT, UPDATE and DELETE, typed like SELECT (offline-analysis.md §4 gap 1).

sqlglot's optimizer never qualifies the top level of DML, so the scopes are built here: the
target table (with its alias), FROM/USING items and ``excluded`` form the scope of SET,
VALUES, ON CONFLICT, WHERE and RETURNING. A value stored in a column gives an untyped
parameter that column's type, and a NOT NULL column makes the parameter certainly non-null.
"""

from __future__ import annotations

from sqlglot import exp

from .model import OutColumn, Val
from .names import ident_name
from .scope import Rel, Scope
from .select import QueryAnalyzer


class Analyzer(QueryAnalyzer):
    """Analyses one statement of any kind; see :func:`repo.analysis.infer.analyze`."""

    def dml(self, node: exp.Expr, scope: Scope) -> list[OutColumn]:
        if isinstance(node, exp.Insert):
            return self.insert(node, scope)
        if isinstance(node, exp.Update):
            return self.update(node, scope)
        if isinstance(node, exp.Delete):
            return self.delete(node, scope)
        return super().dml(node, scope)

    def target(self, node: exp.Expr, scope: Scope) -> Rel | None:
        table = node.this if isinstance(node, exp.Schema) else node
        if not isinstance(table, exp.Table):
            return None
        alias_node = table.args.get("alias")
        alias = ident_name(alias_node.this) if isinstance(alias_node, exp.TableAlias) else ""
        rel = self.table_source(table, alias, Scope())
        return rel

    def insert(self, node: exp.Insert, parent: Scope) -> list[OutColumn]:
        scope = parent.child()
        self.with_(node, scope)
        rel = self.target(node.this, scope)
        if rel is None:
            self.columns_uncertain = True
            return []
        names = [ident_name(i) for i in node.this.expressions] if isinstance(
            node.this, exp.Schema) else list(rel.order)
        for ident, n in zip(node.this.expressions if isinstance(node.this, exp.Schema)
                            else [], names, strict=False):
            if rel.cols is not None and n not in rel.cols:
                self.problem(f'column "{n}" of relation "{rel.table}" does not exist', ident,
                             certain=True)
        targets = [rel.cols.get(n) if rel.cols else None for n in names]
        self.insert_source(node.expression, scope, names, targets, rel)
        self.on_conflict(node.args.get("conflict"), scope, rel)
        return self.returning(node, scope, [rel])

    def insert_source(self, src: exp.Expr | None, scope: Scope, names: list[str],
                      targets: list[Val | None], rel: Rel) -> None:
        if isinstance(src, exp.Values):
            for row in src.expressions:
                for i, e in enumerate(row.expressions if isinstance(row, exp.Tuple) else []):
                    self.assign(e, targets[i] if i < len(targets) else None,
                                f"{rel.table}.{names[i] if i < len(names) else '?'}", scope)
        elif isinstance(src, exp.Select):
            for i, e in enumerate(src.expressions):
                if isinstance(e, exp.Parameter) and i < len(targets) and targets[i]:
                    self.assign(e, targets[i], f"{rel.table}.{names[i]}", scope)
            self.subquery(src, scope)
        elif src is not None:
            self.subquery(src, scope)

    def assign(self, value: exp.Expr, target: Val | None, what: str,
               scope: Scope) -> None:
        if isinstance(value, exp.Var) and value.name.upper() == "DEFAULT":
            return
        self.typeof(value, scope, target.type if target else None, f"stored in column {what}")
        if target is not None and target.nullable is False:
            self.record_param_null(value, False, f"stored in NOT NULL column {what}")
        elif target is not None and target.nullable is True:
            self.record_param_null(value, True, f"stored in nullable column {what}")

    def on_conflict(self, conflict: exp.Expr | None, scope: Scope, rel: Rel) -> None:
        if not isinstance(conflict, exp.OnConflict):
            return
        # Conflict targets name the target table's columns only; `excluded` joins later.
        inner = scope.child()
        inner.rels = [rel]
        for key in conflict.args.get("conflict_keys") or []:
            self.typeof(key.this if isinstance(key, exp.Ordered) else key, inner)
        inner.rels.append(Rel("excluded", rel.cols, rel.table, rel.order))
        self.set_list(conflict.expressions, inner, rel)
        where = conflict.args.get("where")
        if where is not None:
            self.typeof(where.this if isinstance(where, exp.Where) else where, inner, "bool")

    def set_list(self, items: list[exp.Expr], scope: Scope, rel: Rel) -> None:
        for item in items:
            if not isinstance(item, exp.EQ) or not isinstance(item.this, exp.Column):
                self.typeof(item, scope)
                continue
            name = ident_name(item.this.this)
            target = rel.cols.get(name) if rel.cols is not None else None
            if rel.cols is not None and target is None:
                self.problem(f'column "{name}" of relation "{rel.table}" does not exist',
                             item.this, certain=True)
            self.assign(item.expression, target, f"{rel.table}.{name}", scope)

    def update(self, node: exp.Update, parent: Scope) -> list[OutColumn]:
        scope = parent.child()
        self.with_(node, scope)
        rel = self.target(node.this, scope)
        if rel is None:
            self.columns_uncertain = True
            return []
        scope.rels.append(rel)
        self.from_and_joins(node, scope)
        where = node.args.get("where")
        if where is not None:
            self.typeof(where.this, scope, "bool")
        self.set_list(node.expressions, scope, rel)
        return self.returning(node, scope, scope.rels)

    def delete(self, node: exp.Delete, parent: Scope) -> list[OutColumn]:
        scope = parent.child()
        self.with_(node, scope)
        rel = self.target(node.this, scope)
        if rel is None:
            self.columns_uncertain = True
            return []
        scope.rels.append(rel)
        for using in node.args.get("using") or []:
            scope.rels.append(self.source(using, scope))
        where = node.args.get("where")
        if where is not None:
            self.typeof(where.this, scope, "bool")
        return self.returning(node, scope, scope.rels)

    def returning(self, node: exp.Expr, scope: Scope, rels: list[Rel]
                  ) -> list[OutColumn]:
        ret = node.args.get("returning")
        if not isinstance(ret, exp.Returning):
            return []
        inner = scope.child()
        inner.rels = list(rels)
        return self.projections(ret.expressions, inner)


# helpers ----------------------------------------------------------------------------------
