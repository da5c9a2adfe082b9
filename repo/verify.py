"""Offline verification: ``.sqlx/``, query files, migrations and generated code agree, and every
query still fits the schema replayed from the migrations. No server, no network, no driver
connection (design.md "Offline verification").

Finding codes, with their meaning and fix: `repo.findings.CODES` (V… errors, W… warnings).
L000-L014 migration lint (``repo.lint``): its errors are errors here; its warnings and
  acknowledged findings are warnings; its notes are left to ``python -m repo lint``
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from .analysis import Analysis, Catalog, cached_analysis, load_catalog
from .analysis.catalog import identifiers
from .analysis.compare import Comparison, compare
from .analysis.pgtypes import type_info_name
from .config import CONFIG_FILE, Settings
from .errors import RepoError
from .findings import PREPARE, fix_for
from .queries.variants import expand, given
from .reads import shared_reads

if TYPE_CHECKING:
    from .metadata.model import QueryData
    from .queries.model import QueryDef

T = TypeVar("T")


@dataclass(frozen=True)
class Finding:
    """One error or warning, located in a file."""

    code: str
    file: str
    line: int
    col: int
    message: str
    fix: str = ""

    def render(self) -> str:
        text = f"{self.file}:{self.line}:{self.col}: {self.code} {self.message}"
        return text + (f"\n  fix: {self.fix}" if self.fix else "")


@dataclass
class Coverage:
    """How much of the metadata the static analysis could check."""

    queries: int = 0
    columns_total: int = 0
    columns_verified: int = 0
    params_total: int = 0
    params_verified: int = 0
    uncertain: int = 0  # findings downgraded to W005 (the schema was not modelled exactly)

    def line(self) -> str:
        text = (f"coverage: {self.queries} queries, columns {self.columns_verified}/"
                f"{self.columns_total} verified, params {self.params_verified}/"
                f"{self.params_total} verified")
        return text + (f", {self.uncertain} uncertain" if self.uncertain else "")


@dataclass
class Report:
    """Everything ``verify`` found; errors fail the run, warnings never do."""

    errors: list[Finding] = field(default_factory=list)
    warnings: list[Finding] = field(default_factory=list)
    coverage: Coverage = field(default_factory=Coverage)

    def as_json(self) -> dict[str, Any]:
        """The ``verify --json`` document."""
        return {"errors": [asdict(f) for f in self.errors],
                "warnings": [asdict(f) for f in self.warnings],
                "coverage": asdict(self.coverage)}


def _rel(path: Path | str, root: Path) -> str:
    p = Path(path)
    try:
        return str(p.resolve().relative_to(root.resolve()))
    except ValueError:
        return str(p)


def verify(settings: Settings) -> Report:
    """Run every offline check for the project described by ``settings``."""
    # Each input file is read once: the loaders and the drift stamp judge the same bytes.
    with shared_reads():
        return _verify(settings)


def _verify(settings: Settings) -> Report:
    from .metadata.store import load_meta
    from .migrate.source import fingerprint, resolve

    report = Report()
    root = settings.root
    loaded = _load_queries(settings, report)
    queries = list(loaded or [])
    queries += _variants(queries, settings, report)  # each optional-filter text is a query
    metadata = _load_metadata(settings, report)
    migrations = resolve(settings.migrations_dir)
    catalog = load_catalog(settings.migrations_dir)
    for f in catalog.findings:
        report.warnings.append(Finding("W001", _rel(f.path, root), f.line, f.col,
                                       "migration replay: " + f.message))
    _check_consistency(queries, metadata, settings, report)
    meta = _safe(lambda: load_meta(settings.sqlx_dir), settings, report)
    _check_fingerprint(meta, fingerprint(migrations), settings, report)
    catalog = _with_prepare_doubts(catalog, meta)
    _check_generated(settings, report)
    _check_lint(settings, report, loaded)
    for q in queries:
        data = metadata.get(q.hash)
        _check_query(q, data, catalog, settings, report)
    report.coverage.queries = sum(q.variant is None for q in queries)
    return report


def _with_prepare_doubts(catalog: Catalog, meta: dict[str, Any] | None) -> Catalog:
    """The catalog with what ``prepare`` found different from the real schema marked
    uncertain (``repo-meta.json`` ``replay_uncertain``)."""
    doubts = meta.get("replay_uncertain") if isinstance(meta, dict) else None
    if not isinstance(doubts, dict):
        return catalog
    return catalog.marked([str(t) for t in doubts.get("tables") or []],
                          [str(t) for t in doubts.get("types") or []])


def _safe(fn: Callable[[], T], settings: Settings, report: Report) -> T | None:
    try:
        return fn()
    except RepoError as exc:
        report.errors.append(Finding("V002", _rel(exc.path or settings.sqlx_dir, settings.root),
                                     exc.line or 1, exc.col or 1, exc.message, fix_for("V002")))
        return None


def _load_queries(settings: Settings, report: Report) -> list[QueryDef] | None:
    """The project's queries; None when a file is malformed (reported as V011)."""
    from .queries.loader import load_queries
    try:
        return list(load_queries(settings.queries_dir))
    except RepoError as exc:
        report.errors.append(Finding("V011", _rel(exc.path or settings.queries_dir,
                                                  settings.root),
                                     exc.line or 1, exc.col or 1, exc.message, exc.hint or ""))
        return None


def _variants(queries: list[QueryDef], settings: Settings, report: Report) -> list[QueryDef]:
    out: list[QueryDef] = []
    for q in queries:
        try:
            out += expand(q)
        except RepoError as exc:
            report.errors.append(Finding("V011", _rel(exc.path or q.path, settings.root),
                                         exc.line or 1, exc.col or 1, exc.message,
                                         exc.hint or ""))
    return out


def _load_metadata(settings: Settings, report: Report) -> dict[str, QueryData]:
    from .metadata.store import load_all
    result = _safe(lambda: load_all(settings.sqlx_dir), settings, report)
    return result if isinstance(result, dict) else {}


def _check_consistency(queries: list[QueryDef], metadata: dict[str, QueryData],
                       settings: Settings, report: Report) -> None:
    root = settings.root
    known = {q.hash for q in queries}
    for q in queries:
        if q.hash not in metadata:
            line, col = q.line_col_of(_first_code(q.sql))
            report.errors.append(Finding(
                "V001", _rel(q.path, root), line, col,
                f"query {q.key}{_variant_label(q)} has no metadata for its current text "
                "(edited without `prepare`?)", fix_for("V001")))
    for h, data in sorted(metadata.items()):
        actual = hashlib.sha256(data.query.encode("utf-8")).hexdigest()
        if data.hash != h or actual != h:
            report.errors.append(Finding(
                "V002", _sqlx_file(settings, h), 1, 1, "metadata was modified: its hash "
                "does not match its query text", fix_for("V002")))
        elif h not in known:
            report.errors.append(Finding(
                "V003", _sqlx_file(settings, h), 1, 1, "metadata for a query that no query "
                "file has (stale or left over)", fix_for("V003")))


def _sqlx_file(settings: Settings, h: str) -> str:
    # Resolved only for a finding: resolving is a few syscalls per file.
    return _rel(settings.sqlx_dir / f"query-{h}.json", settings.root)


def _variant_label(q: QueryDef) -> str:
    if q.variant is None:
        return ""
    kept = given(q.optional, q.variant)
    return f" (the variant with optional {', '.join(kept) or 'none'} given)"


def _first_code(sql: str) -> int:
    from .sqltext import tokens
    for tok in tokens(sql):
        if tok.kind not in ("space", "comment"):
            return tok.start
    return 0


def _check_fingerprint(meta: dict[str, Any] | None, current: str, settings: Settings,
                       report: Report) -> None:
    path = _rel(settings.sqlx_dir / "repo-meta.json", settings.root)
    if meta is None:
        report.errors.append(Finding("V004", path, 1, 1, "no repo-meta.json: cannot tell "
                                     "which migrations the metadata was made from",
                                     fix_for("V004")))
    elif meta.get("migrations_fingerprint") != current:
        report.errors.append(Finding("V004", path, 1, 1, "metadata was made from other "
                                     "migrations (fingerprint differs)", fix_for("V004")))


def _check_generated(settings: Settings, report: Report) -> None:
    from .drift import stamp_holds
    if stamp_holds(settings):
        return  # the files on disk are what codegen made from these very inputs
    from .codegen import render_all

    try:
        expected: dict[Path, str] = render_all(settings)
    except RepoError as exc:
        report.errors.append(Finding("V005", _rel(exc.path or settings.generated_dir,
                                                  settings.root), exc.line or 1, 1,
                                     f"cannot render the generated code: {exc.message}",
                                     PREPARE))
        return
    _compare_generated(expected, settings, report)


def _compare_generated(expected: dict[Path, str], settings: Settings, report: Report) -> None:
    root = settings.root
    for path, text in sorted(expected.items()):
        full = path if path.is_absolute() else root / path
        on_disk = full.read_text(encoding="utf-8") if full.is_file() else None
        if on_disk != text:
            line = _first_diff_line(on_disk or "", text)
            what = "is missing" if on_disk is None else "differs from what codegen produces"
            broken = _syntax_error(on_disk, full)
            if broken is not None:
                line, what = broken[0], f"does not compile ({broken[1]}) and {what}"
            report.errors.append(Finding("V005", _rel(full, root), line, 1,
                                         f"generated code {what} (hand-edited or stale)",
                                         fix_for("V005")))
    gen = settings.generated_dir
    wanted = {(p if p.is_absolute() else root / p).resolve() for p in expected}
    if gen.is_dir():
        for f in sorted(gen.rglob("*.py")):
            if f.resolve() not in wanted and "__pycache__" not in f.parts:
                report.errors.append(Finding("V005", _rel(f, root), 1, 1,
                                             "generated file that codegen no longer produces",
                                             fix_for("V005")))


def _check_lint(settings: Settings, report: Report, loaded: list[QueryDef] | None) -> None:
    try:
        from .lint import Severity, lint
    except ImportError as exc:  # an environment installed before pglast became a dependency
        report.warnings.append(Finding("W006", "pyproject.toml", 1, 1, f"migration lint "
                                       f"skipped: {exc}", fix_for("W006")))
        return
    # The lint names the queries a rename or drop breaks: the ones loaded above, or none
    # known when a query file is malformed (as the lint's own loading would find).
    linted = lint(settings, loaded=loaded if loaded is not None else [])
    # Without a baseline nothing says which migrations are already deployed: a project that
    # moves over (from SQLx, sqlc, ...) must not fail CI on day one over its history, so its
    # lint errors are shown as warnings until `[lint] since` is set.
    deployed_unknown = linted.since is None
    demoted = 0
    for f in linted.findings:
        finding = Finding(f.code, f.file, f.line, f.col, f.message, f.fix)
        if f.severity is Severity.ERROR and not deployed_unknown:
            report.errors.append(finding)
        elif f.severity is not Severity.NOTE:
            demoted += f.severity is Severity.ERROR
            report.warnings.append(finding)
    if demoted:
        report.warnings.append(Finding("W007", CONFIG_FILE, 1, 1, f"{demoted} migration-lint "
                                       "error(s) counted as warnings: config.toml has no "
                                       "[lint] since", fix_for("W007")))


def _syntax_error(text: str | None, path: Path) -> tuple[int, str] | None:
    # The expected text always compiles (codegen checks it); a file on disk that differs may
    # not, and then the package cannot even be imported: say so.
    if text is None:
        return None
    try:
        compile(text, str(path), "exec", dont_inherit=True)
    except SyntaxError as exc:
        return exc.lineno or 1, exc.msg
    except ValueError as exc:  # a NUL byte
        return 1, str(exc)
    return None


def _first_diff_line(a: str, b: str) -> int:
    for i, (x, y) in enumerate(zip(a.splitlines(), b.splitlines(), strict=False), start=1):
        if x != y:
            return i
    return min(len(a.splitlines()), len(b.splitlines())) + 1


def _check_query(q: QueryDef, data: QueryData | None, catalog: Catalog,
                 settings: Settings, report: Report) -> None:
    # Shared with codegen's nullability refinement (same catalog object, same text); the
    # "line N" in reasons is the same in the compiled text as in the file.
    result: Analysis = cached_analysis(q.sql, catalog)
    cmp = compare(result, data.describe, catalog) if data is not None else None
    if not (result.failure or result.problems or (cmp is not None and cmp.mismatches)):
        _count(report, q, cmp)  # the common case: nothing to report, no path to resolve
        return
    file = _rel(q.path, settings.root)
    if result.failure:
        line, col = q.line_col_of(_first_code(q.sql))
        report.warnings.append(Finding("W004", file, line, col, "not checked statically: "
                                       + result.failure))
    doubts = _Doubts(q.sql, catalog)
    # A variant's text is the file's minus some predicates: the file's own check has
    # already reported every name it uses; its types are still compared below.
    for p in result.problems if q.variant is None else ():
        line, col = q.line_col_of(p.offset)
        if p.certain:
            doubts.report(report, Finding("V006", file, line, col, p.message,
                                          fix_for("V006")))
        else:
            report.warnings.append(Finding("W003", file, line, col, p.message + " (not "
                                           "certain: the replay could not model everything)"))
    if cmp is not None:
        line, col = q.line_col_of(_first_code(q.sql))
        for m in cmp.mismatches:
            doubts.report(report, Finding(m.code, file, line, col, m.message,
                                          fix_for(m.code)))
    _count(report, q, cmp)


def _count(report: Report, q: QueryDef, cmp: Comparison | None) -> None:
    cov = report.coverage
    if cmp is None:  # no metadata (V001): its parameters count as unverified
        cov.params_total += len(q.params)
        return
    cov.columns_total += cmp.columns_total
    cov.columns_verified += cmp.columns_verified
    cov.params_total += cmp.params_total
    cov.params_verified += cmp.params_verified


__all__ = ["Coverage", "Finding", "Report", "type_info_name", "verify"]


class _Doubts:
    """Certainty is earned: a query that names a relation or type the replay could not model
    exactly gets its V006-V010 findings as W005 warnings, counted in the coverage."""

    def __init__(self, sql: str, catalog: Catalog) -> None:
        self.sql, self.catalog = sql, catalog
        self._names: list[str] | None = None

    def names(self) -> list[str]:
        if self._names is None:
            doubtful = self.catalog.uncertain_names()
            self._names = sorted(identifiers(self.sql) & doubtful) if doubtful else []
        return self._names

    def report(self, report: Report, finding: Finding) -> None:
        names = self.names()
        if not names:
            report.errors.append(finding)
            return
        report.coverage.uncertain += 1
        report.warnings.append(Finding(
            "W005", finding.file, finding.line, finding.col,
            f"{finding.code} not certain: {finding.message} (the query uses "
            f"{', '.join(names)}, which the replay could not model exactly)",
            fix_for("W005")))
