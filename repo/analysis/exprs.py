"""Expression rules for the core of SQL: columns, literals, casts, operators, predicates.

Each rule has the shape of :data:`repo.analysis.context.Rule` and PostgreSQL's semantics,
not sqlglot's generic ones (offline-analysis.md §4 gaps 3-5): an untyped parameter is
resolved like PostgreSQL's operator resolution (:mod:`repo.analysis.operators`),
``now()`` is ``timestamptz``. Anything not covered yields an unknown type, never a guess.

Why rules of our own over sqlglot's tree instead of ``annotate_types`` with a PostgreSQL
overlay: that route measured 93 % column / 72 % parameter types, and its vocabulary cannot
express what SQLx compares (varchar operands resolving as text, domains reported as their
base type, enums by name, ``date_part`` vs ``extract``), nor does it annotate
INSERT/UPDATE/DELETE. sqlglot still does all the parsing and supplies token positions.
"""

from __future__ import annotations

import re

from sqlglot import exp

from . import operators as ops
from . import pgtypes
from .context import Ctx, Rule, concrete, is_param, query, strict_null, typeof, unparen
from .model import Val, Why
from .names import ident_name
from .scope import Rel, Scope

_INT = re.compile(r"\d+")
_SYSTEM_COLUMNS = {"xmin": "xid", "xmax": "xid", "cmin": "cid", "cmax": "cid", "ctid": "tid",
                   "tableoid": "oid"}
_PATTERN_OPS = (exp.Like, exp.ILike, exp.RegexpLike, exp.RegexpILike, exp.SimilarTo)


def describe_operand(node: exp.Expr, ctx: Ctx) -> Why:
    """Why an untyped parameter took its type from ``node`` (shown by ``explain``)."""
    return lambda: f"takes the type of the other operand `{ctx.text(node)}` ({ctx.where(node)})"


def pair(a: exp.Expr, b: exp.Expr, scope: Scope, ctx: Ctx, op: str = "=") -> tuple[Val, Val]:
    """Type two operands of ``op``; an untyped parameter is resolved from the other side
    the way PostgreSQL resolves ``unknown`` operands."""
    if is_param(a) and not is_param(b):
        vb = typeof(b, scope, ctx)
        return typeof(a, scope, ctx, _unknown_side(op, _seen(vb, ctx), False),
                      describe_operand(b, ctx)), vb
    va = typeof(a, scope, ctx)
    return va, typeof(b, scope, ctx, _unknown_side(op, _seen(va, ctx), True),
                      describe_operand(a, ctx))


def _seen(val: Val, ctx: Ctx) -> str | None:
    """The operand type an operator sees; "unknown" for an untyped string literal."""
    return "unknown" if val.type == "unknown" else ctx.operand(val.type)


def _unknown_side(op: str, known: str | None, known_is_left: bool) -> str | None:
    if known == "unknown":
        # `$1 = 'a'`: two untyped operands of a comparison resolve as text.
        return "text" if op == "=" else None
    if known is None or op in ("=", "@>"):
        return known  # comparisons exist for a type against itself
    return ops.unknown_operand(op, known, known_is_left)


# rules ------------------------------------------------------------------------------------
def comparison(node: exp.Expr, scope: Scope, ctx: Ctx, expect: str | None) -> Val:
    right = node.expression
    if isinstance(right, exp.Any) or _is_all(right):
        return _quantified(node, scope, ctx)
    left = node.this
    if isinstance(left, exp.Tuple) and isinstance(right, exp.Tuple) \
            and len(left.expressions) == len(right.expressions):
        # Row comparison: PostgreSQL pairs the fields one by one.
        pairs = [pair(x, y, scope, ctx) for x, y in zip(
            left.expressions, right.expressions, strict=True)]
        va = Val("record", *strict_null([p[0] for p in pairs], "row"))
        vb = Val("record", *strict_null([p[1] for p in pairs], "row"))
    else:
        va, vb = pair(left, right, scope, ctx)
    return Val("bool", *strict_null([va, vb], "comparison"))


def distinct_from(node: exp.Expr, scope: Scope, ctx: Ctx, expect: str | None) -> Val:
    pair(node.this, node.expression, scope, ctx)
    return Val("bool", False, "IS [NOT] DISTINCT FROM is never NULL")


def pattern(node: exp.Expr, scope: Scope, ctx: Ctx, expect: str | None) -> Val:
    what = type(node).__name__.upper()
    va = typeof(node.this, scope, ctx, "text", f"operand of {what} is text")
    right = node.expression
    if isinstance(right, exp.Any) or _is_all(right):  # LIKE ANY (array of patterns)
        inner = right.this if isinstance(right, exp.Any) else right.expressions[0]
        vb = typeof(inner, scope, ctx, "text[]", f"patterns of {what} ANY are text[]")
    else:
        vb = typeof(right, scope, ctx, "text", f"pattern of {what} is text")
    return Val("bool", *strict_null([va, vb], "comparison"))


def _quantified(node: exp.Expr, scope: Scope, ctx: Ctx) -> Val:
    """``x = ANY(array)`` / ``x = ALL(array)``."""
    right = node.expression
    inner = unparen(right.this if isinstance(right, exp.Any) else right.expressions[0])
    if is_param(node.this):
        arr = typeof(inner, scope, ctx)
        elem = ctx.operand(arr.type)
        va = typeof(node.this, scope, ctx, pgtypes.element(elem) if elem and
                    pgtypes.is_array(elem) else None,
                    lambda: f"element type of `{ctx.text(inner)}` (ANY)")
        return Val("bool", *strict_null([va, arr], "comparison"))
    va = typeof(node.this, scope, ctx)
    elem = ctx.operand(va.type)
    vb = typeof(inner, scope, ctx, pgtypes.array_of(elem) if elem else None,
                lambda: f"array of the type of `{ctx.text(node.this)}` (= ANY)")
    return Val("bool", *strict_null([va, vb], "comparison"))


def arithmetic(node: exp.Expr, scope: Scope, ctx: Ctx, expect: str | None) -> Val:
    op = ops.SYMBOLS[type(node)]
    va, vb = pair(node.this, node.expression, scope, ctx, op)
    ta, tb = (ctx.catalog.base_type(v.type) if v.type else None for v in (va, vb))
    return Val(ops.result_type(op, ta, tb), *strict_null([va, vb], "arithmetic"))


def column(node: exp.Expr, scope: Scope, ctx: Ctx, expect: str | None) -> Val:
    if isinstance(node.this, exp.Star):  # `t.*` as a value (count(t.*)): t's whole row
        alias = ident_name(node.args["table"]) if node.args.get("table") else ""
        rel = scope.find_rel(alias) if alias else None
        if alias and rel is None:
            ctx.problem(f'missing FROM-clause entry for table "{alias}"', node, certain=True)
        return _whole_row(rel) if rel is not None else Val(None, None, "whole row")
    name = ident_name(node.this)
    if node.args.get("table"):
        return _qualified(node, name, ident_name(node.args["table"]), scope, ctx)
    val, missing, ambiguous = scope.find_column(name)
    if val is not None:
        return val
    if ambiguous:
        ctx.problem(f'column reference "{name}" is ambiguous', node, certain=True)
        return Val(None, None, "ambiguous column")
    if name in _SYSTEM_COLUMNS:
        return Val(_SYSTEM_COLUMNS[name], False, "system column")
    whole = scope.find_rel(name)
    if whole is not None:  # a whole-row reference: `to_jsonb(p)`, `SELECT b FROM b`
        return _whole_row(whole)
    if missing:
        ctx.problem(f'column "{name}" does not exist', node, certain=True)
    # Otherwise a relation with unknown columns (view, function, other schema) may have it.
    return Val(None, None, "unknown column")


def _whole_row(rel: Rel) -> Val:
    if rel.scalar and rel.values:
        return rel.values[0]  # `SELECT x FROM jsonb_array_elements(...) x`
    if rel.outer is not None:
        return Val(rel.table, True, rel.outer)
    return Val(rel.table, False, "a whole-row value is never NULL")


def _qualified(node: exp.Expr, name: str, alias: str, scope: Scope, ctx: Ctx) -> Val:
    rel = scope.find_rel(alias)
    if rel is None:
        ctx.problem(f'missing FROM-clause entry for table "{alias}"', node, certain=True)
        return Val(None, None, "unknown table")
    if rel.cols is None:
        return Val(None, None, f"columns of {alias} are not known offline")
    if name not in rel.cols:
        if name in _SYSTEM_COLUMNS:
            return Val(_SYSTEM_COLUMNS[name], False, "system column")
        table = ctx.catalog.tables.get(rel.table) if rel.table else None
        ctx.problem(f"column {alias}.{name} does not exist", node,
                    certain=rel.table is None or (table is not None and table.exact))
        return Val(None, None, "unknown column")
    return rel.cols[name]


def literal(node: exp.Expr, scope: Scope, ctx: Ctx, expect: str | None) -> Val:
    if node.args.get("is_string"):
        return Val("unknown", False, "a literal is never NULL")
    text = node.name
    if _INT.fullmatch(text):
        value = int(text)
        pg = "int4" if value < 2**31 else "int8" if value < 2**63 else "numeric"
        return Val(pg, False, "a literal is never NULL")
    return Val("numeric", False, "a literal is never NULL")


def boolean(node: exp.Expr, scope: Scope, ctx: Ctx, expect: str | None) -> Val:
    return Val("bool", False, "a literal is never NULL")


def null(node: exp.Expr, scope: Scope, ctx: Ctx, expect: str | None) -> Val:
    return Val(expect or "unknown", True, "NULL literal")


def cast(node: exp.Expr, scope: Scope, ctx: Ctx, expect: str | None) -> Val:
    target = pgtypes.from_datatype(node.args["to"])
    inner = typeof(node.this, scope, ctx, target, f"cast to {target}")
    nullable = False if isinstance(node.this, exp.Literal) else inner.nullable
    return Val(target, nullable, inner.reason if nullable is not None else
               "cast of a value of unknown nullability")


def is_(node: exp.Expr, scope: Scope, ctx: Ctx, expect: str | None) -> Val:
    # IS [NOT] TRUE/FALSE tests a boolean; PostgreSQL leaves `$1 IS NULL` untyped.
    boolean_test = isinstance(node.expression, exp.Boolean)
    typeof(node.this, scope, ctx, "bool" if boolean_test else
           "unknown" if is_param(node.this) else None, "IS TRUE/FALSE tests a boolean")
    if isinstance(node.expression, exp.Null):
        ctx.record_param_null(unparen(node.this), True, "tested with IS NULL")
    return Val("bool", False, "IS [NOT] NULL is never NULL")


def not_(node: exp.Expr, scope: Scope, ctx: Ctx, expect: str | None) -> Val:
    v = typeof(node.this, scope, ctx, "bool")
    return Val("bool", v.nullable, v.reason)


def connective(node: exp.Expr, scope: Scope, ctx: Ctx, expect: str | None) -> Val:
    va = typeof(node.this, scope, ctx, "bool")
    vb = typeof(node.expression, scope, ctx, "bool")
    return Val("bool", *strict_null([va, vb], "boolean operator"))


def neg(node: exp.Expr, scope: Scope, ctx: Ctx, expect: str | None) -> Val:
    v = typeof(node.this, scope, ctx, expect)
    return Val(v.type, v.nullable, v.reason)


def between(node: exp.Expr, scope: Scope, ctx: Ctx, expect: str | None) -> Val:
    va = typeof(node.this, scope, ctx)
    t = concrete(va.type)
    vb = typeof(node.args["low"], scope, ctx, t)
    vc = typeof(node.args["high"], scope, ctx, t)
    return Val("bool", *strict_null([va, vb, vc], "BETWEEN"))


def in_(node: exp.Expr, scope: Scope, ctx: Ctx, expect: str | None) -> Val:
    va = typeof(node.this, scope, ctx)
    vals = [va] + [typeof(e, scope, ctx, concrete(va.type)) for e in node.expressions]
    sub = node.args.get("query")
    if sub is not None:
        query(sub, scope, ctx)
        return Val("bool", None, "IN (subquery) may be NULL")
    return Val("bool", *strict_null(vals, "IN"))


def at_time_zone(node: exp.Expr, scope: Scope, ctx: Ctx, expect: str | None) -> Val:
    """``ts AT TIME ZONE zone`` (PostgreSQL's timezone(zone, ts)): flips the zone-ness."""
    zone = typeof(node.args["zone"], scope, ctx, "text", "a time zone name is text")
    value = typeof(node.this, scope, ctx)
    base = ctx.operand(value.type)
    return Val(ops.ZONE_FLIP.get(base) if base else None, *strict_null([value, zone],
                                                                    "AT TIME ZONE"))


def row(node: exp.Expr, scope: Scope, ctx: Ctx, expect: str | None) -> Val:
    """A row constructor ``(a, b)`` / ``ROW(a, b)``: an anonymous record, never NULL."""
    for e in node.expressions:
        typeof(e, scope, ctx)
    return Val("record", False, "a row constructor is never NULL")


def passthrough(node: exp.Expr, scope: Scope, ctx: Ctx, expect: str | None) -> Val:
    """Parentheses, aliases, COLLATE: the value of the inner expression."""
    return typeof(node.this, scope, ctx, expect)


def unmodelled(node: exp.Expr, scope: Scope, ctx: Ctx, expect: str | None) -> Val:
    """Any node without a rule: its parts are still checked, its value is unknown."""
    for child in node.iter_expressions():
        typeof(child, scope, ctx)
    return Val(None, None, f"{type(node).__name__} is not modelled")


def _is_all(node: exp.Expr) -> bool:
    return isinstance(node, exp.Anonymous) and str(node.this).upper() == "ALL" \
        and len(node.expressions) == 1


RULES: dict[type[exp.Expr], Rule] = {
    exp.Expr: unmodelled,
    **dict.fromkeys((exp.EQ, exp.NEQ, exp.GT, exp.GTE, exp.LT, exp.LTE), comparison),
    **dict.fromkeys((exp.NullSafeEQ, exp.NullSafeNEQ), distinct_from),
    **dict.fromkeys(_PATTERN_OPS, pattern),
    **dict.fromkeys(ops.SYMBOLS, arithmetic),
    exp.Column: column, exp.Literal: literal, exp.Boolean: boolean, exp.Null: null,
    exp.Cast: cast, exp.TryCast: cast, exp.Is: is_, exp.Not: not_,
    exp.And: connective, exp.Or: connective, exp.Xor: connective,
    exp.Neg: neg, exp.Between: between, exp.In: in_, exp.Tuple: row,
    exp.AtTimeZone: at_time_zone,
    exp.Paren: passthrough, exp.Alias: passthrough, exp.Collate: passthrough,
}
