"""Entry point of the static analysis: parse one statement and analyse it.

The rules live in :mod:`exprs` / :mod:`constructs` / :mod:`funcs_apply` (expressions) and
:mod:`select` / :mod:`dml` (statements), assembled in :mod:`typer`. This module turns their
findings into an :class:`~repo.analysis.model.Analysis` and never lets an unmodelled
construct crash a CI run.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlglot import exp
from sqlglot.errors import ParseError, TokenError

from ..sqltext import line_col
from .catalog import Catalog
from .context import Ctx, param_index, query_partial
from .model import Analysis, OutColumn, Param
from .parsing import quiet_parse
from .scope import Scope
from .typer import new_context


def parse(sql: str) -> exp.Expr:
    """Parse one PostgreSQL statement (raises ParseError/TokenError)."""
    return quiet_parse(sql)


def analyze_tree(tree: exp.Expr, sql: str, catalog: Catalog) -> Analysis:
    """Analyse an already parsed part of ``sql`` (the replay uses it for view bodies)."""
    return _analyze(Analysis(), tree, sql, catalog, lambda off: line_col(sql, off))


def analyze(sql: str, catalog: Catalog,
            locate: Callable[[int], tuple[int, int]] | None = None) -> Analysis:
    """Analyse one statement (``$n`` placeholders) against ``catalog``.

    >>> from repo.analysis.catalog import Catalog
    >>> [c.name for c in analyze("SELECT 1 AS one, now()", Catalog()).columns]
    ['one', 'now']
    """
    where = locate or (lambda off: line_col(sql, off))
    result = Analysis()
    try:
        tree = parse(sql)
    except (ParseError, TokenError) as exc:
        return _failed(result, f"sqlglot cannot parse it ({_first(exc)})")
    return _analyze(result, tree, sql, catalog, where)


def _analyze(result: Analysis, tree: exp.Expr, sql: str, catalog: Catalog,
             where: Callable[[int], tuple[int, int]]) -> Analysis:
    ctx = new_context(catalog, sql, where)
    try:
        cols, complete = query_partial(tree, Scope(), ctx)
    except Exception as exc:  # an unmodelled construct must never fail CI: say so instead
        return _failed(result, f"unsupported construct ({type(exc).__name__}: {_first(exc)})")
    result.columns = cols
    result.problems = list(dict.fromkeys(ctx.problems))  # repeated passes report once
    result.notes = ctx.notes + [f"function {f}() is not modelled" for f in
                                sorted(ctx.unknown_functions)]
    count, result.outer_joins = _scan(tree)
    result.params = _params(ctx, count)
    if not complete:
        result.columns = [OutColumn(c.name, c.val, False) for c in cols]
        result.notes.append("the output columns are not fully known")
        result.columns_known = False
    return result


def _first(exc: Exception) -> str:
    text = str(exc).strip().splitlines()
    return text[0][:120] if text else type(exc).__name__


def _failed(result: Analysis, why: str) -> Analysis:
    result.failure = why
    result.notes.append(f"not analysed: {why}")
    result.columns, result.params, result.problems = [], [], []
    result.columns_known = result.params_known = False
    return result


def _scan(tree: exp.Expr) -> tuple[int, bool]:
    """``(highest $n, has an outer join)`` in one walk over the tree."""
    count, outer = 0, False
    for node in tree.find_all(exp.Parameter, exp.Join):  # the walk runs in compiled code
        if isinstance(node, exp.Parameter):
            count = max(count, param_index(node))
        elif isinstance(node, exp.Join) and not outer:
            outer = (node.side or "").upper() in ("LEFT", "RIGHT", "FULL")
    return count, outer


def _params(ctx: Ctx, count: int) -> list[Param]:
    # PostgreSQL numbers parameters up to the highest $n referenced.
    params = []
    for n in range(1, count + 1):
        p = Param()
        types = {t for t, _ in ctx.params.get(n, [])}
        if n in ctx.unresolved and types:
            # PostgreSQL types a parameter at its first resolving use; an unmodelled use
            # may have come first (COALESCE($1, timezone(...)) vs a timestamptz column).
            p.why = f"also used where its type is not modelled ({', '.join(sorted(types))})"
        elif len(types) == 1:
            p.type = types.pop()
            p.why = ctx.params[n][0][1]
        elif len(types) > 1:
            p.why = f"contexts disagree: {', '.join(sorted(types))}"
        nulls = {v for v, _ in ctx.param_nulls.get(n, [])}
        if len(nulls) == 1:
            p.nullable = nulls.pop()
            p.null_reason = ctx.param_nulls[n][0][1]
        params.append(p)
    return params


__all__ = ["analyze", "analyze_tree", "parse"]
