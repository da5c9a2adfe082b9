"""Parameters a query tests for NULL itself: ``$1 IS NULL OR ...`` and ``COALESCE($1, ...)``.

Such a parameter is meant to be NULL sometimes (an optional filter, a "keep the old value"
update), so it is nullable without a ``-- @nullable`` directive: codegen types it ``T | None``
and gives it the default None.
"""

from __future__ import annotations

from sqlglot import exp

from .parsing import quiet_parse


def _number(node: exp.Expr) -> int | None:
    # `$1`, or `$1::type` (a cast keeps the NULL).
    while isinstance(node, (exp.Cast, exp.Paren)):
        node = node.this
    if isinstance(node, exp.Parameter) and isinstance(node.this, exp.Literal):
        text = str(node.this.this)
        return int(text) if text.isdigit() else None
    return None


def null_tested(sql: str) -> frozenset[int]:
    """The 1-based numbers of the parameters tested with ``IS NULL`` or given to COALESCE
    before its last argument.

    >>> sorted(null_tested("SELECT 1 WHERE ($1::text IS NULL OR x = $1) AND coalesce($2, 0) = $3"))
    [1, 2]
    """
    try:
        tree = quiet_parse(sql)
    except Exception:  # noqa: BLE001 - unparsable text: no fact, PostgreSQL still describes it
        return frozenset()
    found: set[int] = set()
    for node in tree.find_all(exp.Is, exp.Coalesce):
        if isinstance(node, exp.Coalesce):
            # Every argument but the last may be NULL: COALESCE takes the next one then.
            tested = [node.this, *node.expressions][:-1]
        else:
            tested = [node.this] if isinstance(node.expression, exp.Null) else []
        found.update(n for arg in tested if (n := _number(arg)) is not None)
    return frozenset(found)
