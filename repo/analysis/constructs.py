"""Typing the richer constructs: CASE, COALESCE, arrays, JSON operators, windows, FILTER.

Split from :mod:`repo.analysis.exprs` (the core typer) to keep each module small; the rules
are PostgreSQL's and each returns an unknown type rather than a guess.
"""

from __future__ import annotations

from sqlglot import exp

from . import functions as fn
from . import pgtypes
from .exprs import ExprTyper, _any_nullable, _concrete, _unfilter, _unparen, common_type
from .model import Val
from .scope import Scope


class Typer(ExprTyper):
    """The complete expression typer."""

    def t_Case(self, node: exp.Case, scope: Scope, expect: str | None) -> Val:
        if node.this is not None:
            self.typeof(node.this, scope)
        vals = []
        for when in node.args.get("ifs") or []:
            self.typeof(when.this, scope, "bool")
            vals.append(self.typeof(when.args["true"], scope, expect))
        default = node.args.get("default")
        if default is not None:
            vals.append(self.typeof(default, scope, expect))
        pg = common_type([v.type for v in vals])
        if default is None:
            return Val(pg, True, "CASE without ELSE is NULL when no branch matches")
        nullable, reason = _any_nullable(vals, "CASE branch")
        return Val(pg, nullable, reason)

    def t_Coalesce(self, node: exp.Expr, scope: Scope, expect: str | None) -> Val:
        args = [node.this, *node.expressions]
        vals = [self.typeof(a, scope, expect) for a in args if not isinstance(
            _unparen(a), exp.Parameter)]
        pg = common_type([v.type for v in vals]) if vals else expect
        for a in args:
            if isinstance(_unparen(a), exp.Parameter):
                vals.append(self.typeof(a, scope, _concrete(pg)))
        if any(v.nullable is False for v in vals):
            return Val(pg, False, "COALESCE has a non-null argument")
        if all(v.nullable is True for v in vals):
            return Val(pg, True, "every COALESCE argument is nullable")
        return Val(pg, None, "COALESCE of values of unknown nullability")

    def t_Nullif(self, node: exp.Expr, scope: Scope, expect: str | None) -> Val:
        va, _ = self.pair(node.this, node.expression, scope)
        return Val(va.type, True, "NULLIF returns NULL when its arguments are equal")

    def t_Greatest(self, node: exp.Expr, scope: Scope, expect: str | None) -> Val:
        vals = [self.typeof(a, scope, expect) for a in [node.this, *node.expressions]]
        nullable = False if any(v.nullable is False for v in vals) else None
        if all(v.nullable is True for v in vals):
            nullable = True
        return Val(common_type([v.type for v in vals]), nullable,
                   "GREATEST/LEAST ignore NULL arguments")

    t_Least = t_Greatest

    def t_Array(self, node: exp.Array, scope: Scope, expect: str | None) -> Val:
        if len(node.expressions) == 1 and isinstance(node.expressions[0], exp.Select):
            cols = self.subquery(node.expressions[0], scope)
            t = cols[0].val.type if len(cols) == 1 else None
            return Val(pgtypes.array_of(t) if t else None, False, "ARRAY(...) is never NULL")
        elem = pgtypes.element(expect) if expect else None
        vals = [self.typeof(e, scope, elem) for e in node.expressions]
        t = common_type([v.type for v in vals])
        t = "text" if t == "unknown" else t
        return Val(pgtypes.array_of(t) if t else None, False, "ARRAY[...] is never NULL")

    def t_Bracket(self, node: exp.Bracket, scope: Scope, expect: str | None) -> Val:
        v = self.typeof(node.this, scope)
        is_slice = any(isinstance(e, exp.Slice) for e in node.expressions)
        for e in node.expressions:
            for part in (e.args.get("this"), e.args.get("expression")) if isinstance(
                    e, exp.Slice) else (e,):
                if part is not None:
                    self.typeof(part, scope, "int4")
        if v.type is None or not pgtypes.is_array(v.type):
            return Val(None, True, "subscript")
        t = v.type if is_slice else pgtypes.element(v.type)
        return Val(t, True, "an array subscript out of range is NULL")

    def t_Interval(self, node: exp.Expr, scope: Scope, expect: str | None) -> Val:
        return Val("interval", False, "a literal is never NULL")

    def t_CurrentTimestamp(self, node: exp.Expr, scope: Scope, expect: str | None) -> Val:
        return Val("timestamptz", False, "the current time is never NULL")

    def t_CurrentDate(self, node: exp.Expr, scope: Scope, expect: str | None) -> Val:
        return Val("date", False, "the current date is never NULL")

    def t_Extract(self, node: exp.Expr, scope: Scope, expect: str | None) -> Val:
        v = self.typeof(node.expression, scope, "timestamptz")
        name = self.func_name(node)
        return Val("float8" if name == "date_part" else "numeric", v.nullable, v.reason)

    def t_Collate(self, node: exp.Expr, scope: Scope, expect: str | None) -> Val:
        return self.typeof(node.this, scope, expect)

    def t_Distinct(self, node: exp.Expr, scope: Scope, expect: str | None) -> Val:
        vals = [self.typeof(e, scope, expect) for e in node.expressions]
        return vals[0] if len(vals) == 1 else Val(None, None, "DISTINCT")

    def t_DPipe(self, node: exp.Expr, scope: Scope, expect: str | None) -> Val:
        a, b = _unparen(node.this), _unparen(node.expression)
        if isinstance(a, exp.Parameter) or isinstance(b, exp.Parameter):
            other = self.typeof(b if isinstance(a, exp.Parameter) else a, scope)
            t = self.operand(other.type)
            if t is None or not (pgtypes.is_array(t) or t == "jsonb"):
                t = "text"  # text || text is preferred for an unknown operand
            pv = self.typeof(a if isinstance(a, exp.Parameter) else b, scope, t,
                             f"`||` with `{(b if isinstance(a, exp.Parameter) else a).sql()}`")
            va, vb = (pv, other) if isinstance(a, exp.Parameter) else (other, pv)
        else:
            va, vb = self.pair(node.this, node.expression, scope)
        ta, tb = va.type, vb.type
        nullable, reason = self.children_null([va, vb], "||")
        if ta and pgtypes.is_array(ta) or tb and pgtypes.is_array(tb):
            t = ta if ta and pgtypes.is_array(ta) else tb
            return Val(t, None, "array concatenation")
        if ta == "jsonb" and tb in ("jsonb", "unknown"):
            return Val("jsonb", nullable, reason)
        if ta in pgtypes.TEXTUAL | {"unknown"} or tb in pgtypes.TEXTUAL | {"unknown"}:
            return Val("text", nullable, reason)
        return Val(None, nullable, reason)

    def t_Window(self, node: exp.Window, scope: Scope, expect: str | None) -> Val:
        for part in node.args.get("partition_by") or []:
            self.typeof(part, scope)
        order = node.args.get("order")
        if order is not None:
            for o in order.expressions:
                self.typeof(o.this if isinstance(o, exp.Ordered) else o, scope)
        v = self.typeof(node.this, scope, expect)
        name = self.func_name(_unfilter(node.this))
        if name in fn.NEVER_NULL:
            return v
        if name in ("lag", "lead", "first_value", "last_value", "nth_value"):
            return Val(v.type, True, f"{name}() is NULL outside the window frame")
        return Val(v.type, None, "window aggregate")

    def t_Filter(self, node: exp.Expr, scope: Scope, expect: str | None) -> Val:
        v = self.typeof(node.this, scope, expect)
        self.typeof(node.expression.this if isinstance(node.expression, exp.Where)
                    else node.expression, scope, "bool")
        if self.func_name(node.this) == "count":
            return v
        return Val(v.type, True, "an aggregate with FILTER is NULL when no row passes")

    def t_JSONExtract(self, node: exp.Expr, scope: Scope, expect: str | None) -> Val:
        """``->`` and ``#>``: same JSON type as the left side."""
        v = self.typeof(node.this, scope)
        self._json_key(node.expression, scope, node)
        t = self.catalog.base_type(v.type) if v.type else None
        return Val(t if t in ("json", "jsonb") else None, True,
                   "a missing JSON key yields NULL")

    t_JSONBExtract = t_JSONExtract

    def t_JSONExtractScalar(self, node: exp.Expr, scope: Scope,
                            expect: str | None) -> Val:
        """``->>`` and ``#>>``: always text."""
        self.typeof(node.this, scope)
        self._json_key(node.expression, scope, node)
        return Val("text", True, "a missing JSON key yields NULL")

    t_JSONBExtractScalar = t_JSONExtractScalar

    def _json_key(self, key: exp.Expr, scope: Scope, node: exp.Expr) -> None:
        if isinstance(key, exp.JSONPath):
            return
        path = isinstance(node, (exp.JSONBExtract, exp.JSONBExtractScalar))
        self.typeof(key, scope, "text[]" if path else "text")

    def t_JSONBContainsTopKey(self, node: exp.Expr, scope: Scope,
                              expect: str | None) -> Val:
        va = self.typeof(node.this, scope)
        vb = self.typeof(node.expression, scope, "text")
        nullable, reason = self.children_null([va, vb], "?")
        return Val("bool", nullable, reason)

    def t_ArrayContainsAll(self, node: exp.Expr, scope: Scope,
                           expect: str | None) -> Val:
        va, vb = self.pair(node.this, node.expression, scope)
        nullable, reason = self.children_null([va, vb], "containment")
        return Val("bool", nullable, reason)

    t_ArrayContains = t_ArrayContainsAll
    t_ArrayOverlaps = t_ArrayContainsAll
    t_JSONBContains = t_ArrayContainsAll

    def t_MatchAgainst(self, node: exp.Expr, scope: Scope, expect: str | None) -> Val:
        """``tsvector @@ tsquery``."""
        vals = [self.typeof(node.this, scope)]
        vals += [self.typeof(e, scope) for e in node.expressions]
        nullable, reason = self.children_null(vals, "@@")
        return Val("bool", nullable, reason)

    def t_WithinGroup(self, node: exp.Expr, scope: Scope, expect: str | None) -> Val:
        """Ordered-set aggregates: percentile_cont/disc(...) WITHIN GROUP (ORDER BY x)."""
        self.typeof(node.this, scope)
        order = node.expression
        keys = [self.typeof(o.this if isinstance(o, exp.Ordered) else o, scope)
                for o in (order.expressions if isinstance(order, exp.Order) else [])]
        name = self.func_name(node.this)
        key = self.operand(keys[0].type) if len(keys) == 1 else None
        if name == "percentile_cont":
            pg = "interval" if key == "interval" else ("float8" if key else None)
        elif name in ("percentile_disc", "mode"):
            pg = key
        else:
            pg = None
        return Val(pg, True, f"{name}() over no rows is NULL")

