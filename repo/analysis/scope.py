"""Name resolution: the relations visible at one point of a query."""

from __future__ import annotations

from dataclasses import dataclass, field

from .model import OutColumn, Val


@dataclass
class Rel:
    """A relation in FROM: a table, subquery, CTE, VALUES list or function.

    ``cols`` is None when its columns cannot be known offline (a view, an unknown function).
    """

    alias: str
    cols: dict[str, Val] | None
    table: str | None = None
    order: list[str] = field(default_factory=list)
    hidden: set[str] = field(default_factory=set)  # merged by JOIN ... USING
    values: list[Val] = field(default_factory=list)  # by position (names may repeat)
    outer: str | None = None  # why its rows may be all-NULL (the nullable side of a join)
    scalar: bool = False  # a function returning a base type: its whole-row value is that

    @staticmethod
    def of(alias: str, columns: list[OutColumn] | None, table: str | None = None) -> Rel:
        if columns is None:
            return Rel(alias, None, table)
        cols: dict[str, Val] = {}
        for c in columns:
            cols.setdefault(c.name, c.val)
        return Rel(alias, cols, table, [c.name for c in columns], values=[c.val for c in columns])


@dataclass
class Scope:
    """Relations of one SELECT level, its CTEs, and the enclosing level (for correlation)."""

    parent: Scope | None = None
    ctes: dict[str, list[OutColumn] | None] = field(default_factory=dict)
    rels: list[Rel] = field(default_factory=list)

    def cte(self, name: str) -> tuple[bool, list[OutColumn] | None]:
        scope: Scope | None = self
        while scope is not None:
            if name in scope.ctes:
                return True, scope.ctes[name]
            scope = scope.parent
        return False, None

    def child(self) -> Scope:
        return Scope(parent=self)

    def siblings_hidden(self) -> Scope:
        """What a non-LATERAL subquery in FROM sees: this level's CTEs and the enclosing
        levels, but not the other FROM items of this level."""
        return Scope(parent=self.parent, ctes=self.ctes)

    def find_rel(self, alias: str) -> Rel | None:
        scope: Scope | None = self
        while scope is not None:
            for rel in reversed(scope.rels):
                if rel.alias == alias:
                    return rel
            scope = scope.parent
        return None

    def find_column(self, name: str) -> tuple[Val | None, bool, bool]:
        """``(value, certain_missing, ambiguous)`` for an unqualified column name."""
        scope: Scope | None = self
        opaque = False
        while scope is not None:
            hits = [r.cols[name] for r in scope.rels
                    if r.cols is not None and name in r.cols and name not in r.hidden]
            opaque = opaque or any(r.cols is None for r in scope.rels)
            if len(hits) == 1 and not opaque:
                return hits[0], False, False
            if len(hits) > 1:
                return None, False, True
            if hits:  # found, but an opaque relation might also have it
                return hits[0].with_null(None, "a relation with unknown columns is in scope"), \
                    False, False
            scope = scope.parent
        return None, not opaque, False
