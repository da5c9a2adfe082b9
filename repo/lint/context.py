"""What every lint rule receives: the statement's migration, the schema before it, what this
migration created so far, and the project's queries. Rules are plain functions
``(Statement, Context) -> Iterable[Hit]`` listed in :data:`repo.lint.rules.RULES`."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from .model import QueryUse, Severity
from .schema import Schema

if TYPE_CHECKING:
    from ..migrate.source import Migration
    from .source import Statement
    from .usage import QueryIndex


@dataclass(frozen=True)
class Hit:
    """A rule's finding before it is located and acknowledged.

    ``severity`` overrides the rule's own (a rename no query uses is only a note).
    """

    offset: int
    message: str
    fix: str
    queries: tuple[QueryUse, ...] = ()
    severity: Severity | None = None


@dataclass
class Context:
    """The state a rule may consult; ``schema()`` is built lazily (see `repo.lint.engine`)."""

    migration: Migration
    schema: Callable[[], Schema]
    queries: Callable[[], QueryIndex | None]
    new_tables: set[str] = field(default_factory=set)
    new_indexes: set[str] = field(default_factory=set)
    # (table, constraint) -> "FOREIGN KEY" / "CHECK": added NOT VALID earlier in this file.
    not_valid_here: dict[tuple[str, str], str] = field(default_factory=dict)
    lock_timeout: bool = False  # a SET lock_timeout came earlier in this file
    lock_reported: bool = False  # L013 is reported once per migration
    statements: int = 1  # how many statements the file has
    split_noted: bool = False  # the L005 note on multi-statement no-transaction files, once

    @property
    def in_transaction(self) -> bool:
        """SQLx runs a migration in one transaction unless it starts with -- no-transaction."""
        return not self.migration.no_tx

    def existing(self, table: str) -> bool:
        """A table this migration did not create: created earlier, so it may hold rows."""
        return table not in self.new_tables


@dataclass(frozen=True)
class Rule:
    """One lint rule: a stable code, its default severity, a title and its check."""

    code: str
    severity: Severity
    title: str
    check: Callable[[Statement, Context], Iterable[Hit]]
