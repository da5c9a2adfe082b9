"""Expression rules for the richer constructs: CASE, COALESCE, arrays, JSON operators,
windows, FILTER, ordered-set aggregates.

Same shape as the core rules in :mod:`repo.analysis.exprs`; each follows PostgreSQL and
returns an unknown type rather than a guess.
"""

from __future__ import annotations

from sqlglot import exp

from . import functions as fn
from . import pgtypes
from .context import Ctx, Rule, any_null, concrete, is_param, query, strict_null, typeof, unparen
from .exprs import pair
from .model import Val
from .names import func_name
from .operators import common_type
from .scope import Scope


def case(node: exp.Expr, scope: Scope, ctx: Ctx, expect: str | None) -> Val:
    if node.this is not None:
        typeof(node.this, scope, ctx)
    vals = []
    for when in node.args.get("ifs") or []:
        typeof(when.this, scope, ctx, "bool")
        vals.append(typeof(when.args["true"], scope, ctx, expect))
    default = node.args.get("default")
    if default is not None:
        vals.insert(0, typeof(default, scope, ctx, expect))
    # PostgreSQL puts the ELSE result first when resolving the CASE's type (varchar in a
    # THEN and text in the ELSE give text).
    pg = common_type([v.type for v in vals])
    if default is None:
        return Val(pg, True, "CASE without ELSE is NULL when no branch matches")
    return Val(pg, *any_null(vals, "CASE branch"))


def coalesce(node: exp.Expr, scope: Scope, ctx: Ctx, expect: str | None) -> Val:
    args = [node.this, *node.expressions]
    vals = [typeof(a, scope, ctx, expect) for a in args if not is_param(a)]
    pg = common_type([v.type for v in vals]) if vals else expect
    vals += [typeof(a, scope, ctx, concrete(pg)) for a in args if is_param(a)]
    if any(v.nullable is False for v in vals):
        return Val(pg, False, "COALESCE has a non-null argument")
    if all(v.nullable is True for v in vals):
        return Val(pg, True, "every COALESCE argument is nullable")
    return Val(pg, None, "COALESCE of values of unknown nullability")


def nullif(node: exp.Expr, scope: Scope, ctx: Ctx, expect: str | None) -> Val:
    va, _ = pair(node.this, node.expression, scope, ctx)
    # NULLIF returns its first argument as the `=` operator saw it (varchar as text).
    return Val(ctx.operand(va.type) or (va.type and "text"), True,
               "NULLIF returns NULL when its arguments are equal")


def greatest(node: exp.Expr, scope: Scope, ctx: Ctx, expect: str | None) -> Val:
    args = [node.this, *node.expressions]
    vals = [typeof(a, scope, ctx, expect) for a in args if not is_param(a)]
    pg = common_type([v.type for v in vals]) if vals else expect
    vals += [typeof(a, scope, ctx, concrete(pg)) for a in args if is_param(a)]
    nullable = False if any(v.nullable is False for v in vals) else None
    if all(v.nullable is True for v in vals):
        nullable = True
    return Val(common_type([v.type for v in vals]), nullable,
               "GREATEST/LEAST ignore NULL arguments")


def array(node: exp.Expr, scope: Scope, ctx: Ctx, expect: str | None) -> Val:
    if len(node.expressions) == 1 and isinstance(node.expressions[0], exp.Select):
        cols = query(node.expressions[0], scope, ctx)
        t = cols[0].val.type if cols and len(cols) == 1 else None
        return Val(pgtypes.array_of(t) if t else None, False, "ARRAY(...) is never NULL")
    elem = pgtypes.element(expect) if expect else None
    vals = [typeof(e, scope, ctx, elem) for e in node.expressions]
    t = common_type([v.type for v in vals])
    t = "text" if t == "unknown" else t
    return Val(pgtypes.array_of(t) if t else None, False, "ARRAY[...] is never NULL")


def bracket(node: exp.Expr, scope: Scope, ctx: Ctx, expect: str | None) -> Val:
    v = typeof(node.this, scope, ctx)
    is_slice = any(isinstance(e, exp.Slice) for e in node.expressions)
    for e in node.expressions:
        parts = (e.args.get("this"), e.args.get("expression")) if isinstance(
            e, exp.Slice) else (e,)
        for part in parts:
            if part is not None:
                typeof(part, scope, ctx, "int4")
    if v.type is None or not pgtypes.is_array(v.type):
        return Val(None, True, "subscript")
    t = v.type if is_slice else pgtypes.element(v.type)
    return Val(t, True, "an array subscript out of range is NULL")


def constant(pg: str, reason: str) -> Rule:
    """A rule for a node whose value has a fixed type and is never NULL."""
    def rule(node: exp.Expr, scope: Scope, ctx: Ctx, expect: str | None) -> Val:
        return Val(pg, False, reason)
    return rule


def extract(node: exp.Expr, scope: Scope, ctx: Ctx, expect: str | None) -> Val:
    v = typeof(node.expression, scope, ctx, "timestamptz")
    name = func_name(node, ctx.sql)
    return Val("float8" if name == "date_part" else "numeric", v.nullable, v.reason)


def distinct(node: exp.Expr, scope: Scope, ctx: Ctx, expect: str | None) -> Val:
    vals = [typeof(e, scope, ctx, expect) for e in node.expressions]
    return vals[0] if len(vals) == 1 else Val(None, None, "DISTINCT")


def dpipe(node: exp.Expr, scope: Scope, ctx: Ctx, expect: str | None) -> Val:
    a, b = unparen(node.this), unparen(node.expression)
    if is_param(a) or is_param(b):
        param, known = (a, b) if is_param(a) else (b, a)
        other = typeof(known, scope, ctx)
        t = ctx.operand(other.type)
        if t is None or not (pgtypes.is_array(t) or t == "jsonb"):
            t = "text"  # text || text is preferred for an unknown operand
        pv = typeof(param, scope, ctx, t, lambda: f"`||` with `{ctx.text(known)}`")
        va, vb = (pv, other) if param is a else (other, pv)
    else:
        va, vb = pair(a, b, scope, ctx)
    ta, tb = va.type, vb.type
    nullable, reason = strict_null([va, vb], "||")
    if ta and pgtypes.is_array(ta) or tb and pgtypes.is_array(tb):
        t = ta if ta and pgtypes.is_array(ta) else tb
        return Val(t, None, "array concatenation")
    if ta == "jsonb" and tb in ("jsonb", "unknown"):
        return Val("jsonb", nullable, reason)
    if ta in pgtypes.TEXTUAL | {"unknown"} or tb in pgtypes.TEXTUAL | {"unknown"}:
        return Val("text", nullable, reason)
    return Val(None, nullable, reason)


def window(node: exp.Expr, scope: Scope, ctx: Ctx, expect: str | None) -> Val:
    for part in node.args.get("partition_by") or []:
        typeof(part, scope, ctx)
    order = node.args.get("order")
    if order is not None:
        for o in order.expressions:
            typeof(o.this if isinstance(o, exp.Ordered) else o, scope, ctx)
    v = typeof(node.this, scope, ctx, expect)
    inner = node.this.this if isinstance(node.this, exp.Filter) else node.this
    name = func_name(inner, ctx.sql)
    if name in fn.NEVER_NULL:
        return v
    if name in ("lag", "lead", "first_value", "last_value", "nth_value"):
        return Val(v.type, True, f"{name}() is NULL outside the window frame")
    return Val(v.type, None, "window aggregate")


def filter_(node: exp.Expr, scope: Scope, ctx: Ctx, expect: str | None) -> Val:
    v = typeof(node.this, scope, ctx, expect)
    cond = node.expression
    typeof(cond.this if isinstance(cond, exp.Where) else cond, scope, ctx, "bool")
    if func_name(node.this, ctx.sql) == "count":
        return v
    return Val(v.type, True, "an aggregate with FILTER is NULL when no row passes")


def json_extract(node: exp.Expr, scope: Scope, ctx: Ctx, expect: str | None) -> Val:
    """``->`` and ``#>``: same JSON type as the left side."""
    v = typeof(node.this, scope, ctx)
    _json_key(node, scope, ctx)
    t = ctx.catalog.base_type(v.type) if v.type else None
    return Val(t if t in ("json", "jsonb") else None, True, "a missing JSON key yields NULL")


def json_extract_text(node: exp.Expr, scope: Scope, ctx: Ctx, expect: str | None) -> Val:
    """``->>`` and ``#>>``: always text."""
    typeof(node.this, scope, ctx)
    _json_key(node, scope, ctx)
    return Val("text", True, "a missing JSON key yields NULL")


def _json_key(node: exp.Expr, scope: Scope, ctx: Ctx) -> None:
    key = node.expression
    if isinstance(key, exp.JSONPath):
        return
    path = isinstance(node, (exp.JSONBExtract, exp.JSONBExtractScalar))
    typeof(key, scope, ctx, "text[]" if path else "text")


def json_delete_path(node: exp.Expr, scope: Scope, ctx: Ctx, expect: str | None) -> Val:
    """``jsonb #- text[]``."""
    va = typeof(node.this, scope, ctx)
    vb = typeof(node.expression, scope, ctx, "text[]", "the path of #- is text[]")
    t = ctx.operand(va.type)
    return Val("jsonb" if t == "jsonb" else None, *strict_null([va, vb], "#-"))


def has_key(node: exp.Expr, scope: Scope, ctx: Ctx, expect: str | None) -> Val:
    """``jsonb ? text``."""
    va = typeof(node.this, scope, ctx)
    vb = typeof(node.expression, scope, ctx, "text")
    return Val("bool", *strict_null([va, vb], "?"))


def containment(node: exp.Expr, scope: Scope, ctx: Ctx, expect: str | None) -> Val:
    """``@>``, ``<@``, ``&&``: the untyped side takes the other side's type."""
    va, vb = pair(node.this, node.expression, scope, ctx, "@>")
    return Val("bool", *strict_null([va, vb], "containment"))


def text_match(node: exp.Expr, scope: Scope, ctx: Ctx, expect: str | None) -> Val:
    """``tsvector @@ tsquery``."""
    vals = [typeof(node.this, scope, ctx)]
    vals += [typeof(e, scope, ctx) for e in node.expressions]
    return Val("bool", *strict_null(vals, "@@"))


def within_group(node: exp.Expr, scope: Scope, ctx: Ctx, expect: str | None) -> Val:
    """Ordered-set aggregates: percentile_cont/disc(...) WITHIN GROUP (ORDER BY x)."""
    typeof(node.this, scope, ctx)
    order = node.expression
    keys = [typeof(o.this if isinstance(o, exp.Ordered) else o, scope, ctx)
            for o in (order.expressions if isinstance(order, exp.Order) else [])]
    name = func_name(node.this, ctx.sql)
    key = ctx.operand(keys[0].type) if len(keys) == 1 else None
    if name == "percentile_cont":
        pg = "interval" if key == "interval" else ("float8" if key else None)
    elif name in ("percentile_disc", "mode"):
        # anyelement: the key's own type (varchar stays varchar; a domain is its base).
        pg = ctx.catalog.base_type(keys[0].type) if len(keys) == 1 and keys[0].type else None
    else:
        pg = None
    return Val(pg, True, f"{name}() over no rows is NULL")


RULES: dict[type[exp.Expr], Rule] = {
    exp.Case: case, exp.Coalesce: coalesce, exp.Nullif: nullif,
    exp.Greatest: greatest, exp.Least: greatest, exp.Array: array, exp.Bracket: bracket,
    exp.Interval: constant("interval", "a literal is never NULL"),
    exp.CurrentTimestamp: constant("timestamptz", "the current time is never NULL"),
    exp.CurrentDate: constant("date", "the current date is never NULL"),
    exp.Extract: extract, exp.Distinct: distinct, exp.DPipe: dpipe,
    exp.Window: window, exp.Filter: filter_,
    exp.JSONExtract: json_extract, exp.JSONBExtract: json_extract,
    exp.JSONExtractScalar: json_extract_text, exp.JSONBExtractScalar: json_extract_text,
    exp.JSONBContainsTopKey: has_key,
    **dict.fromkeys((exp.ArrayContainsAll, exp.ArrayContains, exp.ArrayOverlaps,
                     exp.JSONBContains), containment),
    exp.MatchAgainst: text_match, exp.WithinGroup: within_group,
    exp.JSONBDeleteAtPath: json_delete_path,
}
