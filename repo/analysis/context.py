"""The typer's context and its two dispatchers.

The typer is built like sqlglot's optimizer (style.md, "A typer as a table of rules"): a
plain :class:`Ctx` object (catalog, source text, parameter slots, findings) is passed to
every rule; expression rules are same-shaped functions in a table keyed by sqlglot node
class (:data:`Rule`), statement analysers likewise (:data:`Stmt`). The tables are assembled
once in :mod:`repo.analysis.typer`; a rule reaches another rule only through
:func:`typeof` / :func:`query`, so rule modules never import each other in a circle.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TypeVar

from sqlglot import exp

from .catalog import Catalog
from .model import OutColumn, Problem, Val, Why
from .scope import Scope

# An expression rule: (node, scope, context, expected type) -> value. ``expect`` is the
# type an untyped parameter or NULL in that position would take (None: no context).
Rule = Callable[[exp.Expr, Scope, "Ctx", str | None], Val]
# A statement analyser: (node, enclosing scope, context) -> its output columns.
Stmt = Callable[[exp.Expr, Scope, "Ctx"], list[OutColumn]]
V = TypeVar("V")


class ByClass(dict[type[exp.Expr], V]):
    """A table keyed by node class; a class missing from it uses its nearest base's entry
    (``exp.Func`` covers every function node), memoised on first use."""

    def __missing__(self, cls: type[exp.Expr]) -> V:
        for base in cls.__mro__[1:]:
            if base in self:
                value = dict.__getitem__(self, base)
                self[cls] = value
                return value
        raise KeyError(cls)


@dataclass
class Ctx:
    """Everything the rules of one analysis share."""

    catalog: Catalog
    sql: str
    locate: Callable[[int], tuple[int, int]]
    rules: ByClass[Rule]
    statements: ByClass[Stmt]
    # $n -> [(type, why)] and [(nullable, why)] from every context that constrains it.
    params: dict[int, list[tuple[str, Why]]] = field(default_factory=dict)
    param_nulls: dict[int, list[tuple[bool, str]]] = field(default_factory=dict)
    unresolved: set[int] = field(default_factory=set)  # $n seen in an unmodelled context
    # The next SELECT leaves an untyped output (a bare $n) untyped: true for the branches of a
    # set operation and the SELECT of INSERT ... SELECT (PostgreSQL's p_resolve_unknowns);
    # any other SELECT list types it text.
    keep_unknown_outputs: bool = False
    problems: list[Problem] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    unknown_functions: set[str] = field(default_factory=set)
    grouped: bool = False  # typing the output of a grouped SELECT
    columns_uncertain: bool = False  # an output column of this level cannot be known

    def where(self, node: exp.Expr) -> str:
        """``line N`` of a node, for reasons shown to the user."""
        offset = node_offset(node)
        return f"line {self.locate(offset)[0]}" if offset is not None else "?"

    def text(self, node: exp.Expr, limit: int = 40) -> str:
        """Short SQL text of ``node`` for a reason (call it lazily: it copies the tree)."""
        text = node.sql("postgres")
        return text if len(text) <= limit else text[:limit - 3] + "..."

    def problem(self, message: str, node: exp.Expr, certain: bool) -> None:
        offset = node_offset(node)
        self.problems.append(Problem(message, offset if offset is not None else 0, certain))

    def record_param(self, node: exp.Expr, pg: str | None, reason: Why) -> None:
        """Note one context of ``$n``: ``pg`` None means the analysis cannot tell what type
        PostgreSQL gives it there (it may be the first, deciding, context); ``"unknown"``
        means PostgreSQL leaves it untyped there (``$1 IS NULL``)."""
        if pg is None:
            self.unresolved.add(param_index(node))
        elif pg != "unknown":
            self.params.setdefault(param_index(node), []).append((pg, reason))

    def record_param_null(self, node: exp.Expr, nullable: bool, reason: str) -> None:
        if isinstance(node, exp.Parameter):
            self.param_nulls.setdefault(param_index(node), []).append((nullable, reason))

    def operand(self, pg: str | None) -> str | None:
        """The type an operator sees: domains replaced by their base type, varchar by text
        (varchar has no operators of its own)."""
        if pg is None or pg == "unknown":
            return None
        pg = self.catalog.base_type(pg)
        return {"varchar": "text", "varchar[]": "text[]"}.get(pg, pg)


def typeof(node: exp.Expr, scope: Scope, ctx: Ctx, expect: str | None = None,
           why: Why = "") -> Val:
    """Type and nullability of ``node``; ``expect`` types an untyped parameter there
    (``why`` says where that type comes from)."""
    if isinstance(node, exp.Parameter):
        ctx.record_param(node, expect, why or f"{expect} expected here")
        return Val(concrete(expect), True, "a parameter may be NULL")
    return ctx.rules[type(node)](node, scope, ctx, expect)


def query(node: exp.Expr, scope: Scope, ctx: Ctx) -> list[OutColumn] | None:
    """Output columns of a statement or subquery (SELECT, set operation, VALUES, DML);
    None when they cannot all be known (``*`` over a relation with unknown columns), so
    that a CTE or derived table built on it is opaque rather than falsely narrow."""
    cols, complete = query_partial(node, scope, ctx)
    return cols if complete else None


def query_partial(node: exp.Expr, scope: Scope, ctx: Ctx) -> tuple[list[OutColumn], bool]:
    """``(columns found, complete)``; ``ctx.columns_uncertain`` is per statement level."""
    if isinstance(node, exp.Subquery):
        node = node.this
    outer, ctx.columns_uncertain = ctx.columns_uncertain, False
    try:
        cols = ctx.statements[type(node)](node, scope, ctx)
        return cols, not ctx.columns_uncertain
    finally:
        ctx.columns_uncertain = outer


def node_offset(node: exp.Expr) -> int | None:
    """Smallest source offset recorded in the subtree (sqlglot keeps token positions)."""
    best: int | None = None
    for n in node.walk():
        meta = getattr(n, "_meta", None)  # .meta would allocate a dict on every node
        start = meta.get("start") if meta else None
        if isinstance(start, int) and (best is None or start < best):
            best = start
    return best


def param_index(node: exp.Expr) -> int:
    """``n`` of a ``$n`` node."""
    text = node.this.name if isinstance(node.this, exp.Expr) else str(node.this)
    return int(text) if text.isdigit() else 0


def unparen(node: exp.Expr) -> exp.Expr:
    while isinstance(node, exp.Paren):
        node = node.this
    return node


def is_param(node: exp.Expr) -> bool:
    return isinstance(unparen(node), exp.Parameter)


def concrete(pg: str | None) -> str | None:
    """None for "no type" and for the untyped literal type ``unknown``."""
    return None if pg in (None, "unknown") else pg


def strict_null(vals: list[Val], what: str) -> tuple[bool | None, str]:
    """Nullability of a strict operator or function: NULL in, NULL out."""
    if any(v.nullable is True for v in vals):
        return True, f"{what} of a nullable value"
    if all(v.nullable is False for v in vals):
        return False, f"{what} of non-null values"
    return None, f"{what} of a value of unknown nullability"


def any_null(vals: list[Val], what: str) -> tuple[bool | None, str]:
    """Nullability of a choice between values (CASE branches)."""
    if any(v.nullable is True for v in vals):
        return True, f"a {what} is nullable"
    if all(v.nullable is False for v in vals):
        return False, f"every {what} is non-null"
    return None, f"a {what} has unknown nullability"
