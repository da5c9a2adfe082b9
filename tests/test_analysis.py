"""Static analysis of single statements against the project's replayed schema (no database)."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest

from repo.analysis import Catalog, analyze, column_facts, load_catalog, param_facts
from repo.cli import main

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return load_catalog(ROOT / "migrations")


def cols(sql: str, catalog: Catalog) -> list[tuple[str, str | None, bool | None]]:
    return [(c.name, c.val.type, c.val.nullable) for c in analyze(sql, catalog).columns]


def test_outer_join_side_is_nullable_with_its_line(catalog: Catalog) -> None:
    sql = ("SELECT s.uri,\n       l.message\nFROM scripts s\n"
           "LEFT JOIN logs l ON l.script_uri = s.uri")
    result = analyze(sql, catalog)
    uri, message = result.columns
    assert (uri.val.nullable, message.val.nullable) == (False, True)
    assert message.val.reason == "nullable: right side of LEFT JOIN at line 4"
    assert result.outer_joins


def test_where_narrowing_only_when_certain(catalog: Catalog) -> None:
    assert cols("SELECT name FROM users WHERE name = $1", catalog)[0][2] is False
    assert cols("SELECT name FROM users WHERE name IS NOT TRUE", catalog)[0][2] is True
    assert cols("SELECT name FROM users WHERE name IS NOT NULL OR is_admin", catalog)[0][2] \
        is True
    rollup = cols("SELECT provider, count(*) FROM users GROUP BY ROLLUP (provider)", catalog)
    assert [n for _, _, n in rollup] == [None, None]


def test_right_and_full_joins(catalog: Catalog) -> None:
    right = cols("SELECT s.uri, l.id FROM scripts s RIGHT JOIN logs l ON l.script_uri = s.uri",
                 catalog)
    assert [n for _, _, n in right] == [True, False]
    full = cols("SELECT s.uri, l.id FROM scripts s FULL JOIN logs l ON l.script_uri = s.uri",
                catalog)
    assert [n for _, _, n in full] == [True, True]


@pytest.mark.parametrize(("sql", "expected"), [
    ("SELECT count(*) FROM logs", [("count", "int8", False)]),
    ("SELECT max(created_at) FROM logs", [("max", "timestamptz", True)]),
    ("SELECT script_uri, max(created_at) FROM logs GROUP BY script_uri",
     [("script_uri", "text", False), ("max", "timestamptz", False)]),
    ("SELECT coalesce(name, email) FROM users", [("coalesce", "text", False)]),
    ("SELECT name FROM users WHERE name IS NOT NULL", [("name", "text", False)]),
    ("SELECT 1, 'a', now(), $1::int8", [("?column?", "int4", False), ("?column?", "text", False),
                                         ("now", "timestamptz", False), ("int8", "int8", True)]),
    ("SELECT data->>'k', data->'k' AS j FROM sessions",
     [("?column?", "text", True), ("j", "jsonb", True)]),
    ("SELECT CASE WHEN is_admin THEN 'a' END AS r FROM users", [("r", "text", True)]),
    ("SELECT (SELECT count(*) FROM logs) AS n", [("n", "int8", False)]),
    ("SELECT (SELECT uri FROM scripts LIMIT 1) AS u", [("u", "text", True)]),
    ('SELECT uri AS "uri!", init_error AS "e?" FROM scripts',
     [("uri!", "text", False), ("e?", "text", True)]),
])
def test_types_names_and_nullability(catalog: Catalog, sql: str,
                                     expected: list[tuple[str, str, bool | None]]) -> None:
    assert cols(sql, catalog) == expected


def test_dml_returning_and_params(catalog: Catalog) -> None:
    sql = ("INSERT INTO sessions (session_id, user_id, expires_at) VALUES ($1, $2, $3)\n"
           "ON CONFLICT (session_id) DO UPDATE SET expires_at = EXCLUDED.expires_at\n"
           "RETURNING id, data, (xmax = 0) AS inserted")
    result = analyze(sql, catalog)
    assert [(c.name, c.val.type) for c in result.columns] == [
        ("id", "uuid"), ("data", "jsonb"), ("inserted", "bool")]
    assert [p.type for p in result.params] == ["text", "text", "timestamptz"]
    assert all(p.nullable is False for p in result.params)
    assert result.params[0].null_reason == "stored in NOT NULL column sessions.session_id"
    update = analyze("UPDATE users SET name = $1, email = $2 WHERE user_id = $3", catalog)
    assert [p.nullable for p in update.params] == [True, False, None]


@pytest.mark.parametrize(("sql", "types"), [
    ("SELECT id FROM logs WHERE created_at > $1 LIMIT $2", ["timestamptz", "int8"]),
    ("SELECT id FROM users WHERE id = ANY($1)", ["uuid[]"]),
    ("SELECT id FROM users WHERE email LIKE $1 || '%'", ["text"]),
    ("UPDATE users SET is_admin = $1 WHERE user_id = $2", ["bool", "text"]),
    ("SELECT id FROM logs WHERE created_at > now() - $1::interval", ["interval"]),
    ("SELECT $1", ["text"]),  # an untyped output column is text (PostgreSQL)
    ("SELECT $1 UNION SELECT 1", [None]),
    # PostgreSQL's operator resolution (pg_operator data), not "the other operand's type":
    ("SELECT id FROM logs WHERE created_at > now() - $1 * interval '1 second'", ["float8"]),
    ("SELECT id FROM logs WHERE created_at + $1 > now()", ["interval"]),
    ("SELECT id FROM logs WHERE now() - created_at > $1", ["interval"]),
    # PostgreSQL itself refuses this one: "operator is not unique: date + unknown".
    ("SELECT id FROM logs WHERE created_at::date + $1 > now()", [None]),
])
def test_parameter_types(catalog: Catalog, sql: str, types: list[str | None]) -> None:
    assert [p.type for p in analyze(sql, catalog).params] == types


@pytest.mark.parametrize(("sql", "message", "offset"), [
    ("SELECT colour FROM scripts", 'column "colour" does not exist', 7),
    ("SELECT s.colour FROM scripts s", "column s.colour does not exist", 7),
    ("SELECT * FROM script", 'relation "script" does not exist', 14),
    ("DELETE FROM scripts WHERE colour = $1", 'column "colour" does not exist', 26),
    ("INSERT INTO logs (script_uri, colour) VALUES ($1, $2)",
     'column "colour" of relation "logs" does not exist', 30),
    ("SELECT id FROM scripts s JOIN logs l ON l.script_uri = s.uri",
     'column reference "id" is ambiguous', 7),
])
def test_unknown_names_are_certain_problems(catalog: Catalog, sql: str, message: str,
                                            offset: int) -> None:
    problems = analyze(sql, catalog).problems
    assert [(p.message, p.offset, p.certain) for p in problems] == [(message, offset, True)]


@pytest.mark.parametrize("sql", [
    "SELECT uri AS u FROM scripts ORDER BY u",
    "SELECT script_uri, count(*) AS n FROM logs GROUP BY 1 ORDER BY n DESC",
    "WITH x AS (SELECT uri FROM scripts) SELECT uri FROM x",
    "SELECT e.key FROM sessions s, jsonb_each(s.data) AS e",
    "SELECT v.a FROM (VALUES (1)) AS v(a)",
    "SELECT s.uri FROM scripts s JOIN logs USING (id)",
    "SELECT to_jsonb(s) FROM scripts s",
    "SELECT x.n FROM scripts s CROSS JOIN LATERAL (SELECT s.uri AS n) x",
    "SELECT relname FROM pg_catalog.pg_class",
    "UPDATE scripts SET code = l.message FROM logs l WHERE l.script_uri = scripts.uri",
])
def test_valid_queries_have_no_problems(catalog: Catalog, sql: str) -> None:
    assert analyze(sql, catalog).problems == []


def test_facts_api_for_codegen(catalog: Catalog) -> None:
    query = SimpleNamespace(sql="SELECT u.email, s.id FROM users u LEFT JOIN sessions s "
                                "ON s.user_id = u.user_id WHERE u.user_id = $1")
    facts = column_facts(query, catalog)
    assert [f.nullable if f else None for f in facts] == [False, True]
    assert facts[0] is not None and facts[0].type_info == "Text"
    assert facts[1] is not None and facts[1].type_info == "Uuid"
    assert param_facts(query, catalog) == [None]  # `= $1` accepts NULL: not certain


def test_explain_prints_reasons(monkeypatch: pytest.MonkeyPatch,
                                capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(ROOT)
    assert main(["explain", "queries/scripts/upsert.sql"]) == 0
    out = capsys.readouterr().out
    assert "$1 uri: text [metadata: Text] - stored in column scripts.uri" in out
    assert "init_error: text [metadata: Text] - nullable: scripts.init_error is nullable" in out


def test_explain_names_the_join_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                     capsys: pytest.CaptureFixture[str]) -> None:
    import shutil
    shutil.copytree(ROOT / "migrations", tmp_path / "migrations")
    query = tmp_path / "queries/scripts/with_logs.sql"
    query.parent.mkdir(parents=True)
    query.write_text("-- Scripts with their log lines.\n-- :many\nSELECT s.uri, l.message\n"
                     "FROM scripts s LEFT JOIN logs l ON l.script_uri = s.uri\n"
                     "WHERE s.uri LIKE :prefix\n")
    monkeypatch.chdir(tmp_path)
    assert main(["explain", "queries/scripts/with_logs.sql"]) == 0
    out = capsys.readouterr().out
    assert "metadata: MISSING" in out
    assert "message: text - nullable: right side of LEFT JOIN at line 4" in out
    assert "$1 prefix: text - pattern of LIKE is text" in out


def test_explain_missing_file(monkeypatch: pytest.MonkeyPatch,
                              capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(ROOT)
    assert main(["explain", "queries/nope.sql"]) == 1
    assert "no such query file" in capsys.readouterr().err


def test_unknown_system_catalog_is_not_a_certain_problem(catalog: Catalog) -> None:
    # Only some of PostgreSQL's catalogs are known offline (pg_publication_rel is not).
    problems = analyze("SELECT prrelid FROM pg_publication_rel", catalog).problems
    assert [(p.message, p.certain) for p in problems] == [
        ('relation "pg_publication_rel" does not exist', False)]
