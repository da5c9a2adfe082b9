"""Entry point of the static analysis: parse one statement and analyse it.

The work is layered: :mod:`exprs` / :mod:`constructs` type expressions, :mod:`select`
resolves queries and FROM items, :mod:`dml` adds INSERT/UPDATE/DELETE. This module turns
the result into an :class:`~repo.analysis.model.Analysis` and never lets an unmodelled
construct crash a CI run.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlglot import exp
from sqlglot.errors import ParseError, TokenError

from .catalog import Catalog
from .dml import Analyzer
from .model import Analysis, OutColumn, Param
from .parsing import quiet_parse
from .scope import Scope


def _index(node: exp.Parameter) -> int:
    text = node.this.name if isinstance(node.this, exp.Expr) else str(node.this)
    return int(text) if text.isdigit() else 0


def parse(sql: str) -> exp.Expr:
    """Parse one PostgreSQL statement (raises ParseError/TokenError)."""
    return quiet_parse(sql)


def analyze_tree(tree: exp.Expr, sql: str, catalog: Catalog) -> Analysis:
    """Analyse an already parsed part of ``sql`` (the replay uses it for view bodies)."""
    from ..sqltext import line_col
    return _analyze(Analysis(), tree, sql, catalog, lambda off: line_col(sql, off))


def analyze(sql: str, catalog: Catalog,
            locate: Callable[[int], tuple[int, int]] | None = None) -> Analysis:
    """Analyse one statement (``$n`` placeholders) against ``catalog``."""
    from ..sqltext import line_col
    where = locate or (lambda off: line_col(sql, off))
    result = Analysis()
    try:
        tree = parse(sql)
    except (ParseError, TokenError) as exc:
        return _failed(result, f"sqlglot cannot parse it ({_first(exc)})")
    return _analyze(result, tree, sql, catalog, where)


def _analyze(result: Analysis, tree: exp.Expr, sql: str, catalog: Catalog,
             where: Callable[[int], tuple[int, int]]) -> Analysis:
    a = Analyzer(catalog, sql, where)
    try:
        cols = a.subquery(tree, Scope())
    except Exception as exc:  # an unmodelled construct must never fail CI: say so instead
        return _failed(result, f"unsupported construct ({type(exc).__name__}: {_first(exc)})")
    result.columns = cols
    result.problems = list(dict.fromkeys(a.problems))  # repeated passes report once
    result.notes = a.notes + [f"function {f}() is not modelled" for f in
                              sorted(a.unknown_functions)]
    result.params = _params(a, tree)
    result.outer_joins = any(
        (j.side or "").upper() in ("LEFT", "RIGHT", "FULL") for j in tree.find_all(exp.Join))
    if a.columns_uncertain:
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


def _params(a: Analyzer, tree: exp.Expr) -> list[Param]:
    # PostgreSQL numbers parameters up to the highest $n referenced.
    count = max((_index(p) for p in tree.find_all(exp.Parameter)), default=0)
    params = []
    for n in range(1, count + 1):
        p = Param()
        types = {t for t, _ in a.params.get(n, [])}
        if len(types) == 1:
            p.type = types.pop()
            p.type_reason = a.params[n][0][1]
        elif len(types) > 1:
            p.type_reason = f"contexts disagree: {', '.join(sorted(types))}"
        nulls = {v for v, _ in a.param_nulls.get(n, [])}
        if len(nulls) == 1:
            p.nullable = nulls.pop()
            p.null_reason = a.param_nulls[n][0][1]
        params.append(p)
    return params


__all__ = ["Analysis", "Analyzer", "analyze", "parse"]
