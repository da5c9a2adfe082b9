"""Migration lint: every rule's dangerous migration is caught, its safe twin is silent."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from repo.cli import main
from repo.config import load_settings
from repo.lint import RULES, LintReport, Severity, lint
from tests.helpers.lint_cases import Case, cases, project

ROOT = Path(__file__).resolve().parent.parent
CASES = cases()


def _lint(root: Path, files: tuple[str, ...] = ()) -> LintReport:
    settings = load_settings(root, env={}).with_paths(migrations=root / "migrations",
                                                       queries=root / "queries")
    return lint(settings, files)


def _loud(report: LintReport) -> set[str]:
    return {f.code for f in report.findings if f.severity in (Severity.ERROR, Severity.WARNING)}


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_case(case: Case, tmp_path: Path) -> None:
    report = _lint(project(case, tmp_path))
    assert _loud(report) == case.expected, [f.render() for f in report.findings]
    if not case.dangerous:
        # A safe migration may only carry notes (an unused rename/drop) and acknowledgements.
        assert {f.severity for f in report.findings} <= {Severity.NOTE, Severity.ACKNOWLEDGED}


def test_every_rule_has_a_dangerous_case_and_a_safe_twin() -> None:
    for rule in RULES:
        names = [c.name for c in CASES if c.name.startswith(rule.code + "_")]
        assert any("_dangerous" in n for n in names), rule.code
        assert any("_safe" in n for n in names), rule.code


def test_project_migrations_are_clean() -> None:
    report = lint(load_settings(ROOT, env={}).with_paths(migrations=ROOT / "migrations",
                                                         queries=ROOT / "queries"))
    assert report.migrations >= 5
    assert report.findings == []


def _case(name: str) -> Case:
    return next(c for c in CASES if c.name == name)


def test_rename_names_the_queries_with_line(tmp_path: Path) -> None:
    report = _lint(project(_case("L011_dangerous_column"), tmp_path))
    [f] = [f for f in report.findings if f.code == "L011"]
    assert f.severity is Severity.ERROR
    assert [str(q) for q in f.queries] == ["queries/accounts/get.sql:2:19"]
    assert (f.file, f.line, f.col) == ("migrations/2_rename.sql", 3, 1)


def test_drop_column_names_qualified_use_on_its_line(tmp_path: Path) -> None:
    report = _lint(project(_case("L012_dangerous_column"), tmp_path))
    [f] = [f for f in report.findings if f.code == "L012"]
    assert [str(q) for q in f.queries] == ["queries/orders/list_for_account.sql:3:10"]


def test_drop_table_names_every_query(tmp_path: Path) -> None:
    report = _lint(project(_case("L012_dangerous_table"), tmp_path))
    [f] = [f for f in report.findings if f.code == "L012"]
    assert sorted(q.file for q in f.queries) == ["queries/orders/add.sql",
                                                 "queries/orders/list_for_account.sql"]


def test_unused_drop_is_a_note(tmp_path: Path) -> None:
    report = _lint(project(_case("L012_safe_unused"), tmp_path))
    assert [(f.code, f.severity) for f in report.findings] == [("L012", Severity.NOTE)]


def test_acknowledged_finding_is_reported_with_its_reason(tmp_path: Path) -> None:
    report = _lint(project(_case("L014_safe_acknowledged"), tmp_path))
    [f] = report.findings
    assert (f.code, f.severity) == ("L003", Severity.ACKNOWLEDGED)
    assert "accounts is empty until the launch migration fills it" in f.message


def test_position_of_second_action(tmp_path: Path) -> None:
    (tmp_path / "migrations").mkdir()
    (tmp_path / "migrations" / "1_a.sql").write_text(
        "CREATE TABLE t (a int, b varchar(5));\n")
    (tmp_path / "migrations" / "2_b.sql").write_text(
        "SET lock_timeout = 1000;\nALTER TABLE t ADD COLUMN c text,\n"
        "  ALTER COLUMN b TYPE int USING b::int;\n")
    report = _lint(tmp_path)
    [f] = report.findings
    assert (f.code, f.line, f.col) == ("L006", 3, 3)


def test_syntax_error_is_located(tmp_path: Path) -> None:
    (tmp_path / "migrations").mkdir()
    (tmp_path / "migrations" / "1_a.sql").write_text("-- é\nCREATE TABLE t (a int);\n"
                                                     "CREATE INDX i ON t (a);\n")
    [f] = _lint(tmp_path).findings
    assert (f.code, f.severity, f.line, f.col) == ("L000", Severity.ERROR, 3, 8)


def test_baseline_skips_deployed_migrations(tmp_path: Path) -> None:
    root = project(_case("L003_dangerous"), tmp_path)
    assert _loud(_lint(root)) == {"L003"}
    (root / "config.toml").write_text("[lint]\nsince = 2\n")
    report = _lint(root)
    assert report.findings == [] and report.migrations == 0


def test_baseline_keeps_history_for_type_rules(tmp_path: Path) -> None:
    # The old type of `name` comes from a migration older than the baseline: varchar -> text
    # must still be known to be safe.
    root = project(_case("L006_safe_widen"), tmp_path)
    (root / "config.toml").write_text("[lint]\nsince = 1\n")
    report = _lint(root)
    assert report.migrations == 1 and report.findings == []


def test_bad_baseline_is_a_config_error(tmp_path: Path,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    root = project(_case("L003_dangerous"), tmp_path)
    (root / "config.toml").write_text("[lint]\nsince = 'yesterday'\n")
    with pytest.raises(Exception, match="is not a migration version"):
        _lint(root)


def test_cli_json(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                  capsys: pytest.CaptureFixture[str]) -> None:
    root = project(_case("L011_dangerous_column"), tmp_path)
    monkeypatch.chdir(root)
    assert main(["lint", "--json"]) == 1
    doc = json.loads(capsys.readouterr().out)
    [f] = [f for f in doc["findings"] if f["code"] == "L011"]
    assert set(f) == {"code", "severity", "file", "line", "col", "message", "fix", "queries"}
    assert f["queries"] == ["queries/accounts/get.sql:2:19"]


def test_cli_files_argument(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                            capsys: pytest.CaptureFixture[str]) -> None:
    root = project(_case("L005_dangerous"), tmp_path)
    monkeypatch.chdir(root)
    assert main(["lint", "migrations/1_base.sql"]) == 0
    assert "1 migration(s) checked; 0 errors" in capsys.readouterr().out
    assert main(["lint", "migrations/2_index_email.sql"]) == 1
    out = capsys.readouterr().out
    assert "migrations/2_index_email.sql:2:1: error: L005" in out
    assert "fix: make `-- no-transaction` the very first line" in out


def _verify_lint(root: Path) -> tuple[list[tuple[str, str, int]], list[str]]:
    from repo.verify import verify

    (root / "migrations" / "3_more.sql").write_text("ALTER TABLE orders ADD COLUMN x text;\n")
    settings = load_settings(root, env={}).with_paths(
        migrations=root / "migrations", queries=root / "queries", sqlx_dir=root / ".sqlx",
        generated=root / "gen")
    report = verify(settings)
    return ([(f.code, f.file, f.line) for f in report.errors if f.code[0] in "LW"],
            [f.code for f in report.warnings if f.code[0] in "LW"])


def test_verify_reports_lint_errors_and_warnings(tmp_path: Path) -> None:
    root = project(_case("L003_dangerous"), tmp_path)
    (root / "config.toml").write_text("[lint]\nsince = 0\n")
    errors, warnings = _verify_lint(root)
    assert errors == [("L003", "migrations/2_index_email.sql", 3)]
    assert warnings == ["L013"]


def test_verify_without_a_baseline_shows_lint_errors_as_warnings(tmp_path: Path) -> None:
    # A project moving over has deployed history nobody will rewrite: verify must not fail
    # on it before the team says which migrations are deployed.
    errors, warnings = _verify_lint(project(_case("L003_dangerous"), tmp_path))
    assert errors == []
    assert warnings == ["L003", "L013", "W007"]


def test_acknowledgement_trailing_on_the_statement_line(tmp_path: Path) -> None:
    (tmp_path / "migrations").mkdir()
    (tmp_path / "migrations" / "1_a.sql").write_text("CREATE TABLE t (a int);\n")
    (tmp_path / "migrations" / "2_b.sql").write_text(
        "SET lock_timeout = '1s';\n"
        "CREATE INDEX i ON t (a); -- lint: allow L003 t is empty until release 2\n"
        "CREATE INDEX j ON t (a);\n")
    report = _lint(tmp_path)
    assert [(f.code, f.severity, f.line) for f in report.findings] == [
        ("L003", Severity.ACKNOWLEDGED, 2), ("L003", Severity.ERROR, 3)]


def test_several_statements_with_concurrently_get_a_note_for_sqlx_cli(tmp_path: Path) -> None:
    report = _lint(project(_case("L005_safe_no_transaction"), tmp_path))
    [f] = report.findings
    assert (f.code, f.severity, f.line) == ("L005", Severity.NOTE, 3)
    assert "sqlx-cli sends the file as one query string" in f.message


def _users(root: Path, create: str, change: str, queries: dict[str, str],
           code: str) -> list[str]:
    """Lint a project of two migrations (``create``, then ``change`` after a lock_timeout) and
    ``queries/q/NAME.sql`` files; the places of the queries the one ``code`` finding names."""
    (root / "migrations").mkdir()
    (root / "migrations" / "1_a.sql").write_text(create)
    (root / "migrations" / "2_b.sql").write_text(f"SET lock_timeout = '1s';\n{change}\n")
    folder = root / "queries" / "q"
    folder.mkdir(parents=True)
    for name, text in queries.items():
        (folder / f"{name}.sql").write_text(text + "\n")
    [f] = [f for f in _lint(root).findings if f.code == code]
    return sorted(str(q) for q in f.queries)


def test_drop_column_users_star_insert_target_alias_and_not_other_tables(tmp_path: Path) -> None:
    queries = {
        "star": "SELECT * FROM a",
        "insert": "INSERT INTO a (id, x) VALUES (:id, :x)",
        "alias": "SELECT t.id FROM a AS t\nWHERE t.x = 1",
        "unqualified": "SELECT id FROM a WHERE x > 0",
        "count_star": "SELECT count(*) FROM a",
        "other_table": "SELECT x FROM b",
        "other_column": "SELECT y FROM a",
        "cte_shadow": "WITH a AS (SELECT 1 AS x) SELECT x FROM a",
    }
    create = ("CREATE TABLE a (id int PRIMARY KEY, x int, y int);\n"
              "CREATE TABLE b (id int PRIMARY KEY, x int);\n")
    assert _users(tmp_path, create, "ALTER TABLE a DROP COLUMN x;", queries, "L012") == [
        "queries/q/alias.sql:2:9", "queries/q/insert.sql:1:20", "queries/q/star.sql:1:15",
        "queries/q/unqualified.sql:1:24"]


def test_cli_file_errors(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                         capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(project(_case("L005_dangerous"), tmp_path))
    (tmp_path / "notes.txt").write_text("x")
    assert main(["lint", "missing_1.sql"]) == 1
    assert "error: missing_1.sql: no such migration file" in capsys.readouterr().err
    assert main(["lint", "notes.txt"]) == 1
    assert "error: notes.txt: not a migration file" in capsys.readouterr().err


def test_rename_users_found_in_every_spelling_of_the_names(tmp_path: Path) -> None:
    # Only queries whose text can name the table (and the column, or read `*`) are parsed:
    # upper case, quoted and `*` readers must still be found, other queries not.
    queries = {
        "upper": "SELECT TOTAL FROM ORDERS",
        "quoted": 'SELECT "total" FROM "orders"',
        "star": "SELECT * FROM Orders",
        "other_column": "SELECT id FROM orders",
        "quoted_other_case": 'SELECT "Total" FROM "Orders"',  # other (case-sensitive) names
    }
    assert _users(tmp_path, "CREATE TABLE orders (id int PRIMARY KEY, total int);\n",
                  "ALTER TABLE orders RENAME COLUMN total TO amount;", queries, "L011") == [
        "queries/q/quoted.sql:1:8", "queries/q/star.sql:1:15", "queries/q/upper.sql:1:8"]
