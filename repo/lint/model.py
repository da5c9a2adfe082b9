"""Result types of the migration linter."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class Severity(StrEnum):
    """How a finding counts: errors fail ``lint`` and ``verify``; the rest never do."""

    ERROR = "error"
    WARNING = "warning"
    NOTE = "note"
    # An error or warning the migration acknowledges with ``-- lint: allow Lxxx <reason>``.
    ACKNOWLEDGED = "acknowledged"


@dataclass(frozen=True)
class QueryUse:
    """A query file that uses an object a migration renames or drops."""

    file: str
    line: int
    col: int

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.col}"


@dataclass(frozen=True)
class LintFinding:
    """One finding in one migration file, at ``file:line:col``.

    ``message`` says what the statement locks (or breaks) and for how long; ``fix`` is the
    safe rewrite. ``queries`` lists the query files a rename or drop breaks.
    """

    code: str
    severity: Severity
    file: str
    line: int
    col: int
    message: str
    fix: str = ""
    queries: tuple[QueryUse, ...] = ()

    def render(self) -> str:
        """The human form: ``file:line:col: severity: Lxxx message`` plus fix and queries."""
        text = f"{self.file}:{self.line}:{self.col}: {self.severity}: {self.code} {self.message}"
        for q in self.queries:
            text += f"\n  used by {q}"
        return text + (f"\n  fix: {self.fix}" if self.fix else "")

    def as_json(self) -> dict[str, Any]:
        """One entry of ``lint --json``'s ``findings`` list."""
        return {"code": self.code, "severity": str(self.severity), "file": self.file,
                "line": self.line, "col": self.col, "message": self.message, "fix": self.fix,
                "queries": [str(q) for q in self.queries]}


@dataclass
class LintReport:
    """Every finding of one run, in file and position order."""

    findings: list[LintFinding] = field(default_factory=list)
    migrations: int = 0  # how many migration files were linted
    since: int | None = None  # the `[lint] since` baseline applied (None: none, or given files)

    @property
    def errors(self) -> list[LintFinding]:
        return [f for f in self.findings if f.severity is Severity.ERROR]

    def as_json(self) -> dict[str, Any]:
        """The ``lint --json`` document."""
        return {"findings": [f.as_json() for f in self.findings]}
