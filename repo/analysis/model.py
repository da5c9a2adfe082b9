"""Result types of the static analysis."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Fact:
    """A certain statement about one result column or parameter (used by codegen).

    ``type_info`` is SQLx's JSON value, or None when the type is not known for certain.
    """

    nullable: bool
    reason: str
    type_info: Any = None


@dataclass
class Val:
    """What the analysis knows about one value: PG type and nullability, each with a reason.

    ``type`` is a canonical PG type name, ``"unknown"`` for an untyped literal, None when the
    analysis cannot tell. ``nullable`` None means "not certain".
    """

    type: str | None
    nullable: bool | None
    reason: str
    origin: tuple[str, str] | None = None  # (table, column) when it reads a table column

    def with_null(self, nullable: bool | None, reason: str) -> Val:
        return Val(self.type, nullable, reason, self.origin)


@dataclass
class OutColumn:
    """One result column: PostgreSQL's name for it, and its value."""

    name: str
    val: Val
    name_certain: bool = True


# A reason, or a function that writes it: reasons quoting SQL are written only when shown
# (regenerating SQL text from the tree for every parameter cost a third of the analysis).
Why = str | Callable[[], str]


@dataclass
class Param:
    """One ``$n`` parameter; ``type_reason`` says where its type comes from."""

    type: str | None = None
    why: Why = "no context gives it a type"
    nullable: bool | None = None
    null_reason: str = "a NULL argument is legal here"

    @property
    def type_reason(self) -> str:
        return self.why() if callable(self.why) else self.why


@dataclass(frozen=True)
class Problem:
    """A reference the schema cannot satisfy; ``offset`` is in the analysed SQL text."""

    message: str
    offset: int
    certain: bool


@dataclass
class Analysis:
    """Everything the static analysis found about one statement."""

    columns: list[OutColumn] = field(default_factory=list)
    params: list[Param] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    outer_joins: bool = False  # the statement has a LEFT/RIGHT/FULL join somewhere
    columns_known: bool = True  # False when * over an opaque relation etc. hides columns
    params_known: bool = True  # False when the statement could not be analysed at all
    failure: str | None = None  # why nothing is claimed (parse error, unsupported construct)
