"""The table column each parameter is written into: ``INSERT INTO t (a) VALUES ($1)``,
``UPDATE t SET a = $1``. Codegen types such a parameter like the column (typed JSON: a
``[json] "t.a"`` model is what the parameter takes)."""

from __future__ import annotations

from sqlglot import exp

from .nulltests import _number
from .parsing import quiet_parse


def param_targets(sql: str) -> dict[int, tuple[str, str]]:
    """1-based parameter number -> (table, column) it is stored in, where the text says so
    directly (a cast keeps the target; an expression around the parameter does not).

    >>> param_targets("INSERT INTO s (a, b) VALUES ($1, $2::jsonb) ON CONFLICT DO NOTHING")
    {1: ('s', 'a'), 2: ('s', 'b')}
    >>> param_targets("UPDATE s SET data = $1, n = n + $2 WHERE id = $3")
    {1: ('s', 'data')}
    """
    try:
        tree = quiet_parse(sql)
    except Exception:  # noqa: BLE001 - unparsable text: no fact, PostgreSQL still describes it
        return {}
    found: dict[int, tuple[str, str]] = {}
    for node in tree.find_all(exp.Insert, exp.Update):
        if isinstance(node, exp.Insert) and isinstance(node.this, exp.Schema):
            table = node.this.this
            columns = [c.name for c in node.this.expressions]
            values = node.args.get("expression")
            if not isinstance(table, exp.Table) or not isinstance(values, exp.Values):
                continue
            for row in values.expressions:
                for column, value in zip(columns, row.expressions, strict=False):
                    if (n := _number(value)) is not None:
                        found[n] = (table.name, column)
        elif isinstance(node, exp.Update) and isinstance(node.this, exp.Table):
            for assignment in node.expressions:
                if isinstance(assignment, exp.EQ) and isinstance(assignment.this, exp.Column):
                    if (n := _number(assignment.expression)) is not None:
                        found[n] = (node.this.name, assignment.this.name)
    return found
