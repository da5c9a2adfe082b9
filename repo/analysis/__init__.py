"""Offline schema replay and static query analysis (no database needed).

Public entry points:

* :func:`load_catalog` replays ``migrations/`` into a :class:`Catalog`;
* :func:`analyze` analyses one SQL statement against it;
* :func:`column_facts` / :func:`param_facts` give codegen the *certain* facts per result
  column / parameter (None where the analysis is not certain);
* :func:`replay_differences` (``prepare`` only) compares the replay with a live database.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol

from ..queries.loader import forget_loaded
from .catalog import Catalog, Column, Domain, ReplayFinding, Table
from .infer import analyze
from .model import Analysis, Fact, OutColumn, Param, Problem, Val
from .nulltests import null_tested
from .parsing import _PARSED
from .replay import _CATALOGS, load_catalog, replay

if TYPE_CHECKING:
    import psycopg

    from ..migrate.source import Migration


class HasSql(Protocol):
    """Anything with the compiled ``$n`` text of a query (``QueryDef`` qualifies)."""

    @property
    def sql(self) -> str: ...


_CACHE: dict[tuple[int, str], tuple[Catalog, Analysis]] = {}

NULL_TESTED = "nullable: the query tests it with IS NULL or passes it to COALESCE"


def cached_analysis(sql: str, catalog: Catalog) -> Analysis:
    """:func:`analyze`, memoised per catalog object (codegen asks twice per query)."""
    key = (id(catalog), sql)
    hit = _CACHE.get(key)
    if hit is not None and hit[0] is catalog:
        return hit[1]
    if len(_CACHE) > 4096:
        _CACHE.clear()
    try:
        result = analyze(sql, catalog)
    except RecursionError:
        result = too_deep()
    _CACHE[key] = (catalog, result)
    return result


def too_deep() -> Analysis:
    """The analysis of a statement nested deeper than Python's stack allows.

    sqlglot parses, and the analysis walks, recursively: 80 nested parentheses or 60 nested
    calls exhaust the stack. The statement is not wrong (PostgreSQL describes it in
    ``prepare``, and its types come from there); only the offline analysis claims nothing.
    """
    why = ("the statement is nested too deeply for the offline analysis (Python recursion "
           "limit); its types come from PostgreSQL's describe in `prepare`. Flatten the "
           "nesting (a CTE or a helper function) to have it checked statically")
    return Analysis(failure=why, notes=[f"not analysed: {why}"], columns_known=False,
                    params_known=False)


def clear_caches() -> None:
    """Forget memoised catalogs, parses, analyses and loaded query files (benchmarks use it
    to measure cold runs)."""
    _CACHE.clear()
    _CATALOGS.clear()
    _PARSED.clear()
    forget_loaded()


def column_facts(query: HasSql, catalog: Catalog) -> list[Fact | None]:
    """One entry per result column: a :class:`Fact` when nullability is certain, else None."""
    result = cached_analysis(query.sql, catalog)
    if not result.columns_known:
        return []
    return [_fact(c.val, catalog) for c in result.columns]


def param_facts(query: HasSql, catalog: Catalog) -> list[Fact | None]:
    """One entry per ``$n`` parameter: a :class:`Fact` when nullability is certain."""
    result = cached_analysis(query.sql, catalog)
    # Its tree walk costs as much as the rest of codegen's work on a query: only when needed.
    tested = null_tested(query.sql) if result.params else frozenset()
    out: list[Fact | None] = []
    for i, p in enumerate(result.params, 1):
        if i in tested:
            # The query tests it for NULL itself: NULL is meant (repo/analysis/nulltests.py).
            info = catalog.type_info(p.type) if p.type else None
            out.append(Fact(True, NULL_TESTED, info))
        elif p.nullable is None:
            out.append(None)
        else:
            info = catalog.type_info(p.type) if p.type else None
            out.append(Fact(p.nullable, p.null_reason, info))
    return out


def _fact(val: Val, catalog: Catalog) -> Fact | None:
    if val.nullable is None:
        return None
    info = catalog.type_info(val.type) if val.type else None
    return Fact(val.nullable, val.reason, info)


def replay_differences(migrations: list[Migration], conn: psycopg.Connection[Any]) -> list[str]:
    """Differences between the offline replay and the migrated database (``prepare``)."""
    # Imported here, not above: `live` imports psycopg, which `verify` never loads.
    from .live import replay_differences as _diff
    return _diff(migrations, conn)


__all__ = [
    "Analysis",
    "Catalog",
    "Column",
    "Domain",
    "Fact",
    "HasSql",
    "OutColumn",
    "Param",
    "Problem",
    "ReplayFinding",
    "Table",
    "NULL_TESTED",
    "Val",
    "analyze",
    "cached_analysis",
    "clear_caches",
    "column_facts",
    "load_catalog",
    "null_tested",
    "param_facts",
    "replay",
    "replay_differences",
]
