"""The dangerous/safe migration pairs of tests/fixtures/lint (shared with benchmarks).

A case is a folder of migrations applied after ``base/1_base.sql``; each file says
``-- expect: L001 ...`` (or ``none``) for the findings (errors and warnings) it must produce.
"""

from __future__ import annotations

import re
import shutil
from dataclasses import dataclass
from pathlib import Path

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "lint"
_EXPECT = re.compile(r"^-- expect: (.*)$", re.M)


@dataclass(frozen=True)
class Case:
    name: str
    files: tuple[Path, ...]
    expected: frozenset[str]

    @property
    def dangerous(self) -> bool:
        return bool(self.expected)


def cases() -> list[Case]:
    out = []
    for folder in sorted((FIXTURES / "cases").iterdir()):
        files = tuple(sorted(folder.glob("*.sql"), key=lambda p: int(p.name.split("_")[0])))
        expected: set[str] = set()
        for f in files:
            for m in _EXPECT.finditer(f.read_text()):
                expected |= {c for c in m.group(1).split() if c != "none"}
        out.append(Case(folder.name, files, frozenset(expected)))
    return out


def project(case: Case, root: Path) -> Path:
    """A project folder (migrations/ + queries/) for ``case`` under ``root``."""
    migrations = root / "migrations"
    migrations.mkdir(parents=True)
    shutil.copy(FIXTURES / "base" / "1_base.sql", migrations)
    for f in case.files:
        shutil.copy(f, migrations)
    shutil.copytree(FIXTURES / "queries", root / "queries")
    return root
