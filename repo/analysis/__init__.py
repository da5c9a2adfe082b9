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

from .catalog import Catalog, Column, Domain, ReplayFinding, Table
from .infer import analyze
from .model import Analysis, Fact, OutColumn, Param, Problem, Val
from .replay import _CATALOGS, load_catalog, replay

if TYPE_CHECKING:
    import psycopg

    from ..migrate.source import Migration


class HasSql(Protocol):
    """Anything with the compiled ``$n`` text of a query (``QueryDef`` qualifies)."""

    @property
    def sql(self) -> str: ...


_CACHE: dict[tuple[int, str], tuple[Catalog, Analysis]] = {}


def cached_analysis(sql: str, catalog: Catalog) -> Analysis:
    """:func:`analyze`, memoised per catalog object (codegen asks twice per query)."""
    key = (id(catalog), sql)
    hit = _CACHE.get(key)
    if hit is not None and hit[0] is catalog:
        return hit[1]
    if len(_CACHE) > 4096:
        _CACHE.clear()
    result = analyze(sql, catalog)
    _CACHE[key] = (catalog, result)
    return result


def clear_caches() -> None:
    """Forget memoised catalogs and analyses (benchmarks use it to measure cold runs)."""
    _CACHE.clear()
    _CATALOGS.clear()


def column_facts(query: HasSql, catalog: Catalog) -> list[Fact | None]:
    """One entry per result column: a :class:`Fact` when nullability is certain, else None."""
    result = cached_analysis(query.sql, catalog)
    if not result.columns_known:
        return []
    return [_fact(c.val, catalog) for c in result.columns]


def param_facts(query: HasSql, catalog: Catalog) -> list[Fact | None]:
    """One entry per ``$n`` parameter: a :class:`Fact` when nullability is certain."""
    result = cached_analysis(query.sql, catalog)
    out: list[Fact | None] = []
    for p in result.params:
        if p.nullable is None:
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
    "Val",
    "analyze",
    "cached_analysis",
    "clear_caches",
    "column_facts",
    "load_catalog",
    "param_facts",
    "replay",
    "replay_differences",
]
