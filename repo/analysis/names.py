"""Result column names as PostgreSQL gives them (``FigureColname`` in parse_target.c)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlglot import exp

from . import pgtypes

if TYPE_CHECKING:
    from .exprs import ExprTyper

_UNNAMED = "?column?"


def ident_name(node: exp.Expr) -> str:
    if isinstance(node, exp.Identifier):
        return node.name if node.quoted else node.name.lower()
    return node.name if isinstance(node, exp.Expr) else str(node)


def figure_colname(node: exp.Expr, typer: ExprTyper) -> tuple[str, bool]:
    """``(name, certain)`` for one SELECT/RETURNING item."""
    if isinstance(node, exp.Alias):
        return ident_name(node.args["alias"]), True
    name, strength = _figure(node, typer)
    return (name if strength > 0 else _UNNAMED), strength >= 0


def _figure(node: exp.Expr, typer: ExprTyper) -> tuple[str, int]:
    """PostgreSQL's FigureColnameInternal: strength 2 = a column/function name, 1 = a type
    name or keyword, 0 = nothing (``?column?``); -1 marks a guess."""
    if isinstance(node, (exp.Paren, exp.Collate)):
        return _figure(node.this, typer)
    if isinstance(node, exp.Column):
        return ident_name(node.this), 2
    if isinstance(node, exp.Bracket):
        return _figure(node.this, typer)
    if isinstance(node, exp.Cast):
        inner, strength = _figure(node.this, typer)
        if strength > 0:
            return inner, strength
        return pgtypes.element(pgtypes.from_datatype(node.to)), 1
    if isinstance(node, exp.Boolean):
        return "bool", 1
    if isinstance(node, exp.Interval):
        return "interval", 1
    if isinstance(node, exp.Case):
        return "case", 1
    if isinstance(node, exp.Array):
        return "array", 2
    if isinstance(node, exp.Exists):
        return "exists", 2
    if isinstance(node, exp.Subquery):
        select = node.this
        if isinstance(select, exp.Select) and select.expressions:
            return _figure_item(select.expressions[0], typer)
        return _UNNAMED, 0
    if isinstance(node, (exp.Window, exp.Filter)):
        return _figure(node.this, typer)
    if isinstance(node, (exp.Coalesce, exp.Greatest, exp.Least, exp.Nullif)):
        return type(node).__name__.lower(), 2
    if isinstance(node, exp.CurrentDate):
        return "current_date", 2
    if isinstance(node, exp.Func) and not _is_operator(node):
        written = typer.written_name(node)
        return (written, 2) if written else (typer.func_name(node), -1)
    return _UNNAMED, 0


def _figure_item(node: exp.Expr, typer: ExprTyper) -> tuple[str, int]:
    if isinstance(node, exp.Alias):
        return ident_name(node.args["alias"]), 2
    return _figure(node, typer)


def _is_operator(node: exp.Expr) -> bool:
    # sqlglot models some operators (->, ->>, @>, ?, ~) as Func subclasses.
    name = type(node).__name__
    return name.startswith("JSON") or name in ("ArrayContainsAll", "ArrayContains",
                                               "ArrayOverlaps", "RegexpLike", "RegexpILike",
                                               "JSONBContains", "Any", "All")
