"""The finding codes ``verify`` reports, one table: what each means and how to fix it.

V… codes are errors (``verify`` exits 1), W… codes are warnings. The migration lint's own
L… codes live with its rules (``repo.lint``); ``verify`` passes them through.
"""

from __future__ import annotations

from dataclasses import dataclass

PREPARE = "run `python -m repo prepare`"
GENERATE = "run `python -m repo generate` (or `prepare`)"
SCHEMA_OR_QUERY = PREPARE + " if the schema changed, else fix the query"


@dataclass(frozen=True)
class Code:
    """One finding code: its meaning and the fix printed under it (empty: none)."""

    code: str
    meaning: str
    fix: str = ""


CODES: dict[str, Code] = {c.code: c for c in (
    Code("V001", "a query file has no metadata for its current text", PREPARE),
    Code("V002", "a metadata file is corrupt or was modified by hand", PREPARE),
    Code("V003", "metadata that no query file has (stale or left over)", PREPARE),
    Code("V004", "the metadata was made from other migrations", PREPARE),
    Code("V005", "the generated code differs from what codegen produces", GENERATE),
    Code("V006", "a table or column the replayed schema does not have",
         "fix the query, or the migration that removed it"),
    Code("V007", "the result columns disagree with the metadata (count or names)",
         SCHEMA_OR_QUERY),
    Code("V008", "a result column's type disagrees with the metadata", SCHEMA_OR_QUERY),
    Code("V009", "a parameter's type disagrees with the metadata", SCHEMA_OR_QUERY),
    Code("V010", "a column's NOT NULL disagrees with the metadata", SCHEMA_OR_QUERY),
    Code("V011", "a query file cannot be loaded"),
    Code("W001", "a migration statement the offline replay could not model"),
    Code("W003", "an unknown name, while the replay is incomplete (not certain)"),
    Code("W004", "a query the static analysis could not check"),
    Code("W005", "a V006-V010 finding downgraded: the query depends on a relation or type the "
         "replay could not model exactly (W001, or prepare found it different from the "
         "database)", "see the W001 warnings, or the differences `prepare` printed"),
    Code("W006", "the migration lint was skipped (pglast is missing)",
         "pip install -e . (installs pglast)"),
    Code("W007", "migration-lint errors counted as warnings: no `[lint] since` baseline says "
         "which migrations are already deployed",
         "set `[lint] since = <version of the last deployed migration>` in config.toml "
         "(`since = 0` when none is deployed yet); later migrations' lint errors then fail "
         "verify"),
)}


def fix_for(code: str) -> str:
    """The fix printed under a finding of ``code`` ("" when there is no standard one)."""
    entry = CODES.get(code)
    return entry.fix if entry is not None else ""
