"""Constructs that real SQLx projects use, written by us: application types in column
overrides with the ``[types]`` table, unnamed ``?column?`` results, DDL query texts, empty
down migrations. Each ran `prepare` to exit 1 before; SQLx accepts all of them."""

from __future__ import annotations

import importlib
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import psycopg
import pytest

from repo.codegen import generate, write_files
from repo.codegen.nullability import Uncertain
from repo.codegen.plan import build_plan
from repo.config import Settings, load_settings
from repo.errors import ConfigError
from repo.metadata.model import Describe, QueryData
from repo.migrate import Migrator, connect, resolve
from repo.prepare import prepare
from repo.queries import QueryDef, load_query_file

ROOT = Path(__file__).resolve().parent.parent

MIGRATION = """\
CREATE TYPE header_pair AS (name text, value bytea);
CREATE TYPE power AS ENUM ('on', 'off');
CREATE TABLE accounts (
    id bigserial PRIMARY KEY,
    level text NOT NULL,
    headers header_pair[],
    raw jsonb,
    power power NOT NULL DEFAULT 'on'
);
"""
# Written as SQLx users write them (zero-to-production, labrinth, kamu ...).
GET = """\
-- :one
SELECT id AS "id: UserId", level AS "level: Level",
       headers AS "headers!: Vec<HeaderPairRecord>",
       raw AS "raw: Json<BTreeMap<String, String>>", power AS "power: _", 1 + 1
FROM accounts WHERE id = $1
"""
APP_TYPES = """\
from enum import StrEnum
from typing import NewType

UserId = NewType("UserId", int)


class Level(StrEnum):
    LOW = "low"
    HIGH = "high"
"""


PREPARE_WARNINGS: list[str] = []


@pytest.fixture(scope="module")
def project(pg_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Settings]:
    tmp = tmp_path_factory.mktemp("sqlxproj")
    (tmp / "migrations").mkdir()
    (tmp / "migrations" / "1_init.up.sql").write_text(MIGRATION)
    (tmp / "migrations" / "1_init.down.sql").write_bytes(b"")  # empty, as SQLx allows
    (tmp / "queries" / "accounts").mkdir(parents=True)
    (tmp / "queries" / "accounts" / "get.sql").write_text(GET)
    (tmp / "queries" / "accounts" / "add.sql").write_text(
        "-- :one\nINSERT INTO accounts (level) VALUES ($1) RETURNING id\n")
    (tmp / "queries" / "accounts" / "set_default.sql").write_text(
        "ALTER TABLE accounts ALTER COLUMN raw SET DEFAULT '{}'\n")  # no marker, no rows
    (tmp / "queries" / "accounts" / "find.sql").write_text(
        "-- Find one.\n-- optional\nSELECT level FROM accounts WHERE id = $1\n")
    (tmp / "sqlxapp").mkdir()
    (tmp / "sqlxapp" / "__init__.py").write_text("")
    (tmp / "sqlxapp" / "types.py").write_text(APP_TYPES)
    (tmp / "config.toml").write_text(
        '[paths]\ngenerated = "sqlxapp/db"\n\n[types]\nUserId = "sqlxapp.types:UserId"\n'
        'Level = "sqlxapp.types:Level"\n')
    settings = load_settings(tmp, env={}).with_paths(
        migrations=tmp / "migrations", queries=tmp / "queries", sqlx_dir=tmp / ".sqlx",
        generated=tmp / "sqlxapp" / "db")
    PREPARE_WARNINGS[:] = prepare(settings, database_url=pg_url).warnings
    write_files(generate(settings).files)
    sys.path.insert(0, str(tmp))
    yield settings
    sys.path.remove(str(tmp))
    for name in [m for m in sys.modules if m.startswith("sqlxapp")]:
        del sys.modules[name]


@pytest.fixture(scope="module")
def gen(project: Settings) -> ModuleType:
    return importlib.import_module("sqlxapp.db")


def test_sqlx_metadata_keeps_the_override_labels_verbatim(project: Settings) -> None:
    q = load_query_file(project.root / "queries" / "accounts" / "get.sql", "accounts")
    doc = json.loads((project.root / ".sqlx" / f"query-{q.hash}.json").read_text())
    assert [c["name"] for c in doc["describe"]["columns"]] == [
        "id: UserId", "level: Level", "headers!: Vec<HeaderPairRecord>",
        "raw: Json<BTreeMap<String, String>>", "power: _", "?column?"]


def test_unmapped_rust_types_warn_and_use_the_described_type(project: Settings) -> None:
    warnings = generate(project).warnings
    assert set(warnings) <= set(PREPARE_WARNINGS)  # prepare shows codegen's warnings too
    headers = [w for w in warnings if "column headers" in w]
    assert len(headers) == 1 and "Rust type `Vec<HeaderPairRecord>`" in headers[0]
    assert "get.sql" in headers[0] and "[types]" in headers[0]
    assert any("result column 6" in w and "column_6" in w for w in warnings)
    assert any("find.sql:2: comment '-- optional' looks like a marker" in w for w in warnings)
    assert not any("column id" in w or "column level" in w or "column power" in w
                   or "column raw" in w for w in warnings)


def test_mapped_application_types_are_built_from_rows(
        project: Settings, gen: ModuleType, empty_db_url: str) -> None:
    with connect(empty_db_url) as conn:
        Migrator(conn, resolve(project.root / "migrations")).run()
    app = importlib.import_module("sqlxapp.types")
    with psycopg.connect(empty_db_url, autocommit=True) as conn:
        accounts = gen.AccountRepo(conn)
        new_id = accounts.add("high")  # one column: the value itself (a scalar result)
        row = accounts.get(new_id)
        assert row.id == new_id and type(row.level) is app.Level and row.level is app.Level.HIGH
        assert row.power is gen.Power.ON
        assert row.column_6 == 2
        assert accounts.set_default() is None


def test_generated_package_with_app_types_is_mypy_clean(project: Settings) -> None:
    run = subprocess.run([sys.executable, "-m", "mypy", "--strict", "--no-error-summary",
                          "--cache-dir", str(project.root / "mypy_cache"), "-p", "sqlxapp"],
                         capture_output=True, text=True, check=False, cwd=project.root,
                         env={**os.environ, "MYPYPATH": f"{ROOT}{os.pathsep}{project.root}"})
    assert run.returncode == 0, run.stdout + run.stderr


# -- plans built in memory ----------------------------------------------------------------

def _plan(columns: list[tuple[str, Any]], types: dict[str, str],
          sql: str = "SELECT 1") -> tuple[dict[str, str], list[str]]:
    q = QueryDef("things", "get", Path("queries/things/get.sql"), sql, sql, (), False, "many")
    cols = [{"ordinal": i, "name": n, "type_info": t} for i, (n, t) in enumerate(columns)]
    meta = {q.hash: QueryData.from_json({"db_name": "PostgreSQL", "query": sql, "hash": q.hash,
                                         "describe": {"columns": cols, "parameters": {"Left": []},
                                                      "nullable": [False] * len(cols)}})}
    plan = build_plan([q], meta, None, Uncertain(), types=types)
    return {f.name: f.annotation for f in plan.models[0].fields}, plan.warnings


def test_types_table_lookup_forms() -> None:
    fields, warnings = _plan(
        [("a: crate::ids::UserId", "Int8"), ("b: Json<BTreeMap<String, String>>", "Jsonb"),
         ("c: Vec<u8>", "Bytea"), ("d: Int4", "Int8"), ("e: _", "Text"), ("f: Other", "Text")],
        {"UserId": "int", "Json<BTreeMap<String,String>>": "app.json:Mapping", "Vec<u8>": "bytes"})
    assert fields == {"a": "int", "b": "app.json.Mapping", "c": "bytes", "d": "int", "e": "str",
                      "f": "str"}
    assert len(warnings) == 1 and "Rust type `Other`" in warnings[0]


def test_rust_library_types_take_the_described_type_silently() -> None:
    fields, warnings = _plan(
        [("a: i64", "Int8"), ("b: DateTime<Utc>", "Timestamptz"), ("c: Vec<String>", "TextArray"),
         ("d: sqlx::types::Json<BTreeMap<String, String>>", "Jsonb"), ("e: Option<Uuid>", "Uuid"),
         ("f: Vec<Record>", "TextArray")], {})
    assert fields == {"a": "int", "b": "AwareDatetime", "c": "list[str]", "d": "JsonValue",
                      "e": "uuid.UUID", "f": "list[str]"}
    assert len(warnings) == 1 and "Rust type `Vec<Record>`" in warnings[0]


def test_a_types_value_that_is_no_type_is_a_config_error(tmp_path: Path) -> None:
    (tmp_path / "config.toml").write_text('[types]\nUserId = "not a type"\n')
    with pytest.raises(ConfigError, match="must name a Python type"):
        load_settings(tmp_path, env={})
    with pytest.raises(ConfigError, match="not a Python type this tool knows"):
        _plan([("a: UserId", "Int8")], {"UserId": "Integer"})


def test_defaulted_cardinality_follows_postgresql_not_the_keyword_table() -> None:
    sql = "ALTER TABLE t DROP COLUMN email"
    q = QueryDef("things", "drop", Path("queries/things/drop.sql"), sql, sql, (), False, "many")
    meta = {q.hash: QueryData(sql, Describe(), q.hash)}
    plan = build_plan([q], meta, None, Uncertain())
    assert plan.repos[0].methods[0].returns == "None"
