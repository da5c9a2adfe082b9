"""The typer's rule tables, assembled in one place (like sqlglot's ``optimizer.RULES``).

A new construct is one entry in a module's ``RULES`` (expressions) or ``STATEMENTS``
(statement analysers) plus one golden case in tests/test_analysis.py; nothing else changes.
"""

from __future__ import annotations

from collections.abc import Callable

from . import constructs, dml, exprs, funcs_apply, select
from .catalog import Catalog
from .context import ByClass, Ctx, Rule, Stmt

# Later tables win: a specific rule replaces the generic exp.Func / exp.Expr fallbacks.
RULES: ByClass[Rule] = ByClass({**exprs.RULES, **funcs_apply.RULES, **constructs.RULES,
                                **select.RULES})
STATEMENTS: ByClass[Stmt] = ByClass({**select.STATEMENTS, **dml.STATEMENTS})


def new_context(catalog: Catalog, sql: str, locate: Callable[[int], tuple[int, int]]) -> Ctx:
    """A fresh context for analysing one statement of ``sql``."""
    return Ctx(catalog, sql, locate, RULES, STATEMENTS)
