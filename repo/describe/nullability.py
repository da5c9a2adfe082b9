"""Column nullability exactly as SQLx computes it (sqlx-compat.md §3.2-§3.3).

Pass 1 looks up ``NOT pg_attribute.attnotnull`` for every column that comes from a table
(``null`` for expressions). Pass 2 runs ``EXPLAIN (VERBOSE, FORMAT JSON) EXECUTE`` on the
prepared statement and marks outputs of the inner side of outer joins nullable, walking the
plan with SQLx's rules, quirks included (they are what makes the output byte-identical):
it descends only through ``Left``/``Right`` joins, treats ``Parent Relationship = Inner``
as the nullable side for both, and matches output strings against the top node's outputs.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, TypeGuard

import psycopg

Nullable = bool | None

_ATTNOTNULL = (
    "SELECT a.attrelid, a.attnum, NOT a.attnotnull FROM pg_catalog.pg_attribute AS a "
    "JOIN unnest(%s::oid[], %s::int2[]) AS c(relid, attnum) "
    "ON a.attrelid = c.relid AND a.attnum = c.attnum"
)


def fetch_attnullable(
    conn: psycopg.Connection[Any], columns: Iterable[tuple[int, int]]
) -> dict[tuple[int, int], bool]:
    """``NOT attnotnull`` for each (table OID, attnum) pair, in one round trip.

    SQLx runs one query per statement; looking all pairs up at once gives the same answers.
    Pairs without a catalog row are absent (SQLx's LEFT JOIN yields NULL for them).
    """
    pairs = sorted({(r, a) for r, a in columns if r and a})
    if not pairs:
        return {}
    with conn.cursor() as cur:
        cur.execute(_ATTNOTNULL, ([r for r, _ in pairs], [a for _, a in pairs]))
        return {(int(r), int(a)): bool(n) for r, a, n in cur.fetchall()}


def pass1(
    columns: Sequence[tuple[int, int]], attnullable: Mapping[tuple[int, int], bool]
) -> list[Nullable]:
    """Per column: True/False from the table column, None when it is not a table column."""
    return [attnullable.get((r, a)) if r and a else None for r, a in columns]


def explain_patch(plan_json: Any) -> list[Nullable]:
    """SQLx's ``nullables_from_explain``: the patch list for one EXPLAIN result.

    >>> explain_patch([{"Plan": {"Output": ["a.x", "b.y"], "Join Type": "Left",
    ...     "Plans": [{"Parent Relationship": "Outer", "Output": ["a.x"]},
    ...               {"Parent Relationship": "Inner", "Output": ["b.y"]}]}}])
    [None, True]
    """
    if not isinstance(plan_json, list) or not plan_json:
        return []
    first = plan_json[0]
    top = first.get("Plan") if isinstance(first, dict) else None
    if not _is_plan(top) or not isinstance(top.get("Output"), list):
        return []  # e.g. ["Utility Statement"]: nothing to patch (SQLx issue #1449)
    outputs: list[Any] = top["Output"]
    patch: list[Nullable] = [None] * len(outputs)
    _visit(top, outputs, patch)
    return patch


def _is_plan(node: Any) -> TypeGuard[dict[str, Any]]:
    # SQLx deserializes into a struct; a node with mistyped keys makes it fall back to "Other".
    if not isinstance(node, dict):
        return False
    for key in ("Join Type", "Parent Relationship"):
        if key in node and node[key] is not None and not isinstance(node[key], str):
            return False
    output = node.get("Output")
    if output is not None and not (isinstance(output, list)
                                   and all(isinstance(o, str) for o in output)):
        return False
    plans = node.get("Plans")
    if plans is not None and not (isinstance(plans, list) and all(_is_plan(p) for p in plans)):
        return False
    return True


def _visit(node: dict[str, Any], outputs: list[Any], patch: list[Nullable]) -> None:
    node_outputs = node.get("Output")
    if node_outputs is not None and (
        node.get("Join Type") == "Full" or node.get("Parent Relationship") == "Inner"
    ):
        for out in node_outputs:
            if out in outputs:
                patch[outputs.index(out)] = True
    # Only Left/Right joins are descended into; a join under Sort/Limit/... is never seen.
    if node.get("Join Type") in ("Left", "Right"):
        for child in node.get("Plans") or ():
            _visit(child, outputs, patch)


def explain(conn: psycopg.Connection[Any], statement: str, nparams: int) -> Any:
    """Run SQLx's EXPLAIN of a prepared statement with all-NULL arguments; parsed JSON."""
    args = "(" + ", ".join(["NULL"] * nparams) + ")" if nparams else ""
    with conn.cursor() as cur:
        cur.execute(f"EXPLAIN (VERBOSE, FORMAT JSON) EXECUTE {statement}{args}".encode())
        row = cur.fetchone()
    value = row[0] if row else None
    return json.loads(value) if isinstance(value, str) else value


def merge(nullable: list[Nullable], patch: Sequence[Nullable]) -> list[Nullable]:
    """``nullable[i] = patch[i].or(nullable[i])`` over the zipped length (EXPLAIN only adds True).

    >>> merge([False, None, False], [True, None])
    [True, None, False]
    """
    out = list(nullable)
    for i, p in enumerate(patch[: len(out)]):
        if p is not None:
            out[i] = p
    return out
