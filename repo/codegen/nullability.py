"""Where the static analysis refines SQLx's nullability (pluggable).

Final nullability of a result column: the ``!``/``?`` override in its name, else the static
analysis where it is certain (``count(*)`` is never NULL, the nullable side of an outer join
is), else SQLx's answer (``null``, unknown, counts as nullable). Of a parameter: the
``-- @nullable``/``@notnull`` directive, else the analysis where it is certain, else not
nullable.

`Refiner` is the seam: codegen asks it, never the analysis directly, so tests can plug in
fixed facts and codegen keeps working when the analysis is unavailable.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any, Protocol

from ..queries import QueryDef


class Refiner(Protocol):
    """Certain nullability facts per query: True/False where certain, None where not."""

    def columns(self, query: QueryDef) -> Sequence[bool | None]: ...

    def params(self, query: QueryDef) -> Sequence[bool | None]: ...


class Uncertain:
    """The refiner used without an analysis: nothing is certain."""

    def columns(self, query: QueryDef) -> Sequence[bool | None]:
        return ()

    def params(self, query: QueryDef) -> Sequence[bool | None]:
        return ()


class StaticAnalysis:
    """Facts from `repo.analysis` over the schema replayed from ``migrations_dir``."""

    def __init__(self, migrations_dir: Path) -> None:
        from .. import analysis  # imported here: sqlglot is only needed when generating

        self._analysis = analysis
        self._catalog: Any = analysis.load_catalog(migrations_dir)

    def columns(self, query: QueryDef) -> Sequence[bool | None]:
        return [None if f is None else f.nullable
                for f in self._analysis.column_facts(query, self._catalog)]

    def params(self, query: QueryDef) -> Sequence[bool | None]:
        return [None if f is None else f.nullable
                for f in self._analysis.param_facts(query, self._catalog)]


def default_refiner(migrations_dir: Path) -> Refiner:
    """The static analysis when the migrations directory exists, else `Uncertain`."""
    if not migrations_dir.is_dir():
        return Uncertain()
    return StaticAnalysis(migrations_dir)


def final(index: int, override: bool | None, facts: Sequence[bool | None],
          fallback: bool) -> bool:
    """Override > certain fact > fallback, for the item at ``index``."""
    if override is not None:
        return override
    if index < len(facts) and facts[index] is not None:
        return bool(facts[index])
    return fallback
