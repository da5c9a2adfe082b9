"""The function-call rule: types a call from the signature tables in
:mod:`repo.analysis.functions` (argument types for untyped parameters, result type,
nullability)."""

from __future__ import annotations

from sqlglot import exp

from . import functions as fn
from . import pgtypes
from .context import Ctx, Rule, is_param, node_offset, typeof
from .model import Val
from .names import func_name
from .operators import ZONE_FLIP, common_type
from .scope import Scope

# Strict functions that can still return NULL for non-null input.
_MAYBE_NULL = frozenset({
    "regexp_match", "array_length", "array_position", "array_ndims", "array_upper",
    "array_lower", "jsonb_path_query_first", "substring", "unnest", "current_setting",
    "nullif", "to_jsonb", "jsonb_extract_path", "jsonb_extract_path_text", "date_trunc",
})
_TRUNC = (exp.TimestampTrunc, exp.DateTrunc)
_STATISTICS = frozenset({"avg", "stddev", "stddev_samp", "stddev_pop", "variance",
                         "var_samp", "var_pop"})
_ROUNDING = frozenset({"round", "ceil", "ceiling", "floor", "trunc"})
# (array argument, element argument) of array functions: an untyped element takes the
# array's element type.
_ELEM_ARG = {"array_append": (0, 1), "array_remove": (0, 1), "array_position": (0, 1),
             "array_replace": (0, 1)}


def sql_args(node: exp.Expr) -> list[exp.Expr]:
    """The call's arguments in the order they are written."""
    if isinstance(node, exp.Anonymous):
        return list(node.expressions)
    children = [c for c in node.iter_expressions()
                if not isinstance(c, (exp.Var, exp.DataType))]
    keyed = [(node_offset(c), i, c) for i, c in enumerate(children)]
    return [c for _, _, c in sorted(keyed, key=lambda k: (k[0] is None, k[0] or 0, k[1]))]


def function(node: exp.Expr, scope: Scope, ctx: Ctx, expect: str | None) -> Val:
    """Any function call without a rule of its own."""
    name = func_name(node, ctx.sql)
    args = [_ordered_arg(a, scope, ctx) for a in sql_args(node)]
    if isinstance(node, _TRUNC):
        args, name = [node.this], "date_trunc"
    vals = arguments(name, args, scope, ctx)
    return Val(_result_type(name, vals, ctx), *_nullability(ctx, name, vals))


def arguments(name: str, args: list[exp.Expr], scope: Scope, ctx: Ctx) -> list[Val]:
    """Type the arguments of a call of ``name`` (also for functions in FROM)."""
    if name == "generate_series":
        return _series_arguments(args, scope, ctx)
    vals: list[Val] = []
    for i, arg in enumerate(args):  # left to right: an element argument sees its array
        vals.append(_argument(name, i, arg, vals, len(args), scope, ctx))
    return vals


def _series_arguments(args: list[exp.Expr], scope: Scope, ctx: Ctx) -> list[Val]:
    """generate_series(start, stop[, step]): an untyped bound takes the other bound's type
    (PostgreSQL picks the one signature with that type); a timestamp step is an interval."""
    known = {i: typeof(a, scope, ctx) for i, a in enumerate(args) if not is_param(a)}
    bound = next((ctx.operand(known[i].type) for i in (0, 1) if i in known), None)
    if bound not in ("int4", "int8", "numeric", "timestamp", "timestamptz"):
        bound = None
    for i, arg in enumerate(args):
        if i not in known:
            want = "interval" if i == 2 and bound in ("timestamp", "timestamptz") else bound
            known[i] = typeof(arg, scope, ctx, want, f"argument {i + 1} of generate_series()")
    return [known[i] for i in range(len(args))]


def _ordered_arg(arg: exp.Expr, scope: Scope, ctx: Ctx) -> exp.Expr:
    """``array_agg(x ORDER BY y)``: sqlglot wraps the argument in the ORDER BY node."""
    if not isinstance(arg, exp.Order):
        return arg
    for key in arg.expressions:
        typeof(key.this if isinstance(key, exp.Ordered) else key, scope, ctx)
    return arg.this if arg.this is not None else arg


def _argument(name: str, i: int, arg: exp.Expr, before: list[Val], count: int,
              scope: Scope, ctx: Ctx) -> Val:
    expected = fn.ARG_TYPES.get(name, ())
    want = expected[i] if i < len(expected) and expected[i] else None
    why = f"argument {i + 1} of {name}()"
    if name in fn.LAST_ARG_TEXT and i == count - 1:
        want = "text"
    if isinstance(arg, exp.Kwarg):
        key = arg.this.name.lower()
        want = fn.NAMED_ARG_TYPES.get(name, {}).get(key)
        why = f"argument {key} of {name}()"
        arg = arg.expression
    if (name, count) in fn.ARITY_ARG_TYPES:
        want = fn.ARITY_ARG_TYPES[name, count][i]
    if name in _ELEM_ARG and i == _ELEM_ARG[name][1] and before:
        arr = ctx.operand(before[_ELEM_ARG[name][0]].type)
        want = pgtypes.element(arr) if arr and pgtypes.is_array(arr) else None
        why = f"element type of the array given to {name}()"
    return typeof(arg, scope, ctx, want, why)


def _result_type(name: str, vals: list[Val], ctx: Ctx) -> str | None:
    first = vals[0].type if vals else None
    base = ctx.catalog.base_type(first) if first else None
    if name == "timezone":
        return _zone_result(vals, ctx)
    special = _special_result(name, base)
    if special is not None or name in _SPECIAL:
        return special
    rule = fn.returns(name)
    if rule is None:
        ctx.unknown_functions.add(name)
        return None
    if rule == "common":
        return common_type([ctx.catalog.base_type(v.type) if v.type else None for v in vals])
    if name in ("min", "max") and base is not None and not pgtypes.is_array(base):
        # No min/max(varchar): PostgreSQL uses the text aggregate (domains: their base).
        return ctx.operand(base)
    if rule.startswith("$"):
        return _polymorphic(rule, vals)
    return rule


_FLOAT_OR_NUMERIC = frozenset({"sqrt", "cbrt", "exp", "ln", "log10"})
_NUMBERS = frozenset({"int2", "int4", "int8", "float4", "float8", "numeric"})
_SPECIAL = frozenset({"sum", "generate_series", "date_trunc"} | _STATISTICS | _ROUNDING
                     | _FLOAT_OR_NUMERIC)


def _special_result(name: str, base: str | None) -> str | None:
    """Result types that depend on the first argument's type."""
    if base is None:
        return None
    if name == "sum":
        return fn.sum_type(base)
    if name in _STATISTICS:
        return fn.avg_type(base)
    if name == "generate_series":
        return fn.series_type(base)
    if name == "date_trunc":
        return base if base in ("timestamptz", "timestamp", "interval") else None
    if name in _ROUNDING:
        return base if base in ("numeric", "float8") else None
    if name in _FLOAT_OR_NUMERIC:  # sqrt(numeric) is numeric; integers go to float8
        return "numeric" if base == "numeric" else "float8" if base in _NUMBERS else None
    return None


def _zone_result(vals: list[Val], ctx: Ctx) -> str | None:
    """timezone(zone, value): the other zone-ness of ``value``."""
    value = ctx.operand(vals[1].type) if len(vals) == 2 else None
    return ZONE_FLIP.get(value) if value else None


def _polymorphic(rule: str, vals: list[Val]) -> str | None:
    """``$1`` (type of argument 1), ``$1[]`` (array of it), ``$1elem`` (its element)."""
    idx = int(rule[1]) - 1
    t = vals[idx].type if idx < len(vals) else None
    if t is None or t == "unknown":
        return "text" if t == "unknown" and rule == "$1" else None
    if rule.endswith("[]"):  # array_agg(anyarray) keeps the array type (one more dimension)
        return pgtypes.array_of(t)
    if rule.endswith("elem"):
        return pgtypes.element(t) if pgtypes.is_array(t) else None
    return t


def _nullability(ctx: Ctx, name: str, vals: list[Val]) -> tuple[bool | None, str]:
    if name in fn.NEVER_NULL:
        return False, f"{name}() is never NULL"
    if name in fn.AGGREGATES:
        return _aggregate_null(ctx, name, vals)
    if name in _MAYBE_NULL:
        return True, f"{name}() can return NULL"
    if fn.returns(name) is None and name not in _SPECIAL | {"timezone"}:
        return None, f"{name}() is not modelled"
    if any(v.nullable is True for v in vals):
        return True, f"{name}() of a nullable argument"
    if vals and all(v.nullable is False for v in vals):
        return False, f"{name}() of non-null arguments"
    if not vals:
        return None, f"{name}()"
    return None, f"{name}() of an argument of unknown nullability"


def _aggregate_null(ctx: Ctx, name: str, vals: list[Val]) -> tuple[bool | None, str]:
    if not ctx.grouped:
        return True, f"{name}() over no rows is NULL (no GROUP BY)"
    if name in ("array_agg", "jsonb_agg", "json_agg"):
        return False, f"{name}() over a non-empty group is never NULL"
    if all(v.nullable is False for v in vals):
        return False, f"{name}() of a non-null value over a non-empty group"
    return True, f"{name}() of a nullable value"


RULES: dict[type[exp.Expr], Rule] = {exp.Func: function}
