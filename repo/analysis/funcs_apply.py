"""Typing a function call from the tables in :mod:`repo.analysis.functions`."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlglot import exp

from . import functions as fn
from . import pgtypes
from .model import Val

if TYPE_CHECKING:
    from .exprs import ExprTyper
    from .scope import Scope

# Strict functions that can still return NULL for non-null input.
_MAYBE_NULL = frozenset({
    "regexp_match", "array_length", "array_position", "array_ndims", "array_upper",
    "array_lower", "jsonb_path_query_first", "substring", "unnest", "current_setting",
    "nullif", "to_jsonb", "jsonb_extract_path", "jsonb_extract_path_text", "date_trunc",
})
_TRUNC = (exp.TimestampTrunc, exp.DateTrunc)
# (array argument, element argument) of array functions: an untyped element takes the
# array's element type.
_ELEM_ARG = {"array_append": (0, 1), "array_remove": (0, 1), "array_position": (0, 1),
             "array_replace": (0, 1)}


def sql_args(typer: ExprTyper, node: exp.Expr) -> list[exp.Expr]:
    """The call's arguments in the order they are written."""
    from .exprs import node_offset
    if isinstance(node, exp.Anonymous):
        return list(node.expressions)
    children = [c for c in node.iter_expressions() if not isinstance(c, (exp.Var,
                                                                         exp.DataType))]
    keyed = [(node_offset(c), i, c) for i, c in enumerate(children)]
    return [c for _, _, c in sorted(keyed, key=lambda k: (k[0] is None, k[0] or 0, k[1]))]


def apply_function(typer: ExprTyper, node: exp.Expr, scope: Scope) -> Val:
    name = typer.func_name(node)
    args = sql_args(typer, node)
    if isinstance(node, _TRUNC):
        args = [node.this]
        name = "date_trunc"
    expected = fn.ARG_TYPES.get(name, ())
    vals: list[Val] = []
    for i, arg in enumerate(args):
        exp_t = expected[i] if i < len(expected) and expected[i] else None
        why = f"argument {i + 1} of {name}()"
        if name in fn.LAST_ARG_TEXT and i == len(args) - 1:
            exp_t = "text"
        if isinstance(arg, exp.Kwarg):
            key = arg.this.name.lower()
            exp_t = fn.NAMED_ARG_TYPES.get(name, {}).get(key)
            why = f"argument {key} of {name}()"
            arg = arg.expression
        if name in _ELEM_ARG and i == _ELEM_ARG[name][1] and vals:
            arr = typer.operand(vals[_ELEM_ARG[name][0]].type)
            exp_t = pgtypes.element(arr) if arr and pgtypes.is_array(arr) else None
            why = f"element type of the array given to {name}()"
        vals.append(typer.typeof(arg, scope, exp_t, why))
    pg = _result_type(name, vals, node, typer)
    return Val(pg, *_nullability(typer, name, vals))


def _result_type(name: str, vals: list[Val], node: exp.Expr,
                 typer: ExprTyper) -> str | None:
    first = vals[0].type if vals else None
    base = typer.catalog.base_type(first) if first else None
    if name == "sum":
        return fn.sum_type(base) if base else None
    if name in ("avg", "stddev", "stddev_samp", "stddev_pop", "variance", "var_samp",
                "var_pop"):
        return fn.avg_type(base) if base else None
    if name == "generate_series":
        return fn.series_type(base)
    if name == "date_trunc":
        return base if base in ("timestamptz", "timestamp", "interval") else None
    if name == "round" or name in ("ceil", "ceiling", "floor", "trunc"):
        return base if base in ("numeric", "float8") else None
    rule = fn.returns(name)
    if rule is None:
        if name not in typer.unknown_functions:
            typer.unknown_functions.add(name)
        return None
    if rule == "common":
        from .exprs import common_type
        return common_type([typer.catalog.base_type(v.type) if v.type else None
                            for v in vals])
    if name in ("min", "max") and base is not None and not pgtypes.is_array(base):
        # No min/max(varchar): PostgreSQL uses the text aggregate (domains: their base).
        return typer.operand(base)
    if rule.startswith("$"):
        idx = int(rule[1]) - 1
        t = vals[idx].type if idx < len(vals) else None
        if t in (None, "unknown"):
            return "text" if t == "unknown" and rule == "$1" else None
        if rule.endswith("[]"):
            return None if pgtypes.is_array(t) else pgtypes.array_of(t)
        if rule.endswith("elem"):
            return pgtypes.element(t) if pgtypes.is_array(t) else None
        return t
    return rule


def _nullability(typer: ExprTyper, name: str, vals: list[Val]) -> tuple[bool | None, str]:
    if name in fn.NEVER_NULL:
        return False, f"{name}() is never NULL"
    if name in fn.AGGREGATES:
        if not typer.grouped:
            return True, f"{name}() over no rows is NULL (no GROUP BY)"
        if name == "array_agg" or name == "jsonb_agg" or name == "json_agg":
            return False, f"{name}() over a non-empty group is never NULL"
        if all(v.nullable is False for v in vals):
            return False, f"{name}() of a non-null value over a non-empty group"
        return True, f"{name}() of a nullable value"
    if name in _MAYBE_NULL:
        return True, f"{name}() can return NULL"
    if fn.returns(name) is None and name not in ("round", "ceil", "floor", "sum", "avg"):
        return None, f"{name}() is not modelled"
    if any(v.nullable is True for v in vals):
        return True, f"{name}() of a nullable argument"
    if vals and all(v.nullable is False for v in vals):
        return False, f"{name}() of non-null arguments"
    if not vals:
        return None, f"{name}()"
    return None, f"{name}() of an argument of unknown nullability"
