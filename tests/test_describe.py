"""Golden tests: our describe output against SQLx's, derived by hand from sqlx-compat.md.

Cases live in tests/fixtures/describe/ (schema.sql, cases.json, builtin_types.tsv and the two
real zero-to-production files of §1.4); a new case costs a few lines of JSON.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest

from repo.describe import Describer, explain_patch
from repo.describe.typeinfo import BUILTIN
from repo.metadata.store import render
from repo.queries import QueryDef, load_queries
from repo.server import create_database, drop_database

FIXTURES = Path(__file__).parent / "fixtures" / "describe"
SPEC = json.loads((FIXTURES / "cases.json").read_text())
CASES = {c["name"]: c for c in SPEC["cases"]}
BUILTIN_ROWS = [line.split("\t") for line in (FIXTURES / "builtin_types.tsv").read_text()
                .splitlines() if not line.startswith("#")]


def expand(value: Any) -> Any:
    """Replace "@name" references with the type they stand for."""
    if isinstance(value, str) and value.startswith("@"):
        return expand(SPEC["types"][value[1:]])
    if isinstance(value, list):
        return [expand(v) for v in value]
    if isinstance(value, dict):
        return {k: expand(v) for k, v in value.items()}
    return value


def expected_json(case: dict[str, Any], sql: str) -> str:
    """SQLx's file for the case, built from the spec's field order (§1.1, §6)."""
    columns = []
    for i, col in enumerate(case["columns"]):
        entry: dict[str, Any] = {"ordinal": i, "name": col[0], "type_info": expand(col[1])}
        if case.get("version") == "0.9":
            entry["origin"] = col[2]
        columns.append(entry)
    obj = {"db_name": "PostgreSQL", "query": sql,
           "describe": {"columns": columns, "parameters": {"Left": expand(case["params"])},
                        "nullable": case["nullable"]},
           "hash": hashlib.sha256(sql.encode()).hexdigest()}
    return json.dumps(obj, indent=2, ensure_ascii=False) + "\n"


@pytest.fixture(scope="module")
def golden_url(pg_url: str) -> Iterator[str]:
    name = f"repo_golden_{os.getpid()}"
    url = create_database(pg_url, name)
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute((FIXTURES / "schema.sql").read_text().encode())
    yield url
    drop_database(pg_url, name)


def _write_queries(root: Path, texts: dict[str, str]) -> list[QueryDef]:
    folder = root / "golden"
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in texts.items():
        (folder / f"{name}.sql").write_text(text, encoding="utf-8", newline="")
    return load_queries(root)


def _describe(url: str, queries: list[QueryDef], version: str) -> dict[str, str]:
    with psycopg.connect(url, autocommit=True, prepare_threshold=None) as conn:
        done, errors = Describer(conn, version).describe_all(queries)
    assert not errors, [str(e) for e in errors]
    return {d.query.method: render(d.data) for d in done}


@pytest.fixture(scope="module")
def described(golden_url: str, tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """Every case described in one run per SQLx version, as rendered file text."""
    out: dict[str, str] = {}
    for version in ("0.8", "0.9"):
        cases = {n: c["sql"] for n, c in CASES.items() if c.get("version", "0.8") == version}
        queries = _write_queries(tmp_path_factory.mktemp(f"q{version}"), cases)
        out.update(_describe(golden_url, queries, version))
    return out


@pytest.mark.parametrize("name", sorted(CASES))
def test_golden_case(name: str, described: dict[str, str]) -> None:
    case = CASES[name]
    got = described[name]
    sql = json.loads(got)["query"]
    assert got == expected_json(case, sql)


@pytest.mark.parametrize("example", ["example_a", "example_b"])
def test_real_sqlx_files_reproduced_byte_for_byte(example: str, golden_url: str,
                                                   tmp_path: Path) -> None:
    expected = (FIXTURES / f"{example}.json").read_text(encoding="utf-8")
    query_text = json.loads(expected)["query"]
    queries = _write_queries(tmp_path, {example: query_text})
    assert queries[0].hash == json.loads(expected)["hash"]
    assert _describe(golden_url, queries, "0.8")[example] == expected


def test_builtin_table_matches_spec_and_catalog(golden_url: str) -> None:
    assert len(BUILTIN_ROWS) == 92
    assert {int(oid): variant for variant, oid, _ in BUILTIN_ROWS} == BUILTIN
    with psycopg.connect(golden_url) as conn:
        catalog = dict(conn.execute("SELECT typname::text, oid::int4 FROM pg_type "
                                    "WHERE typnamespace = 'pg_catalog'::regnamespace").fetchall())
    assert {typname: catalog[typname] for _, _, typname in BUILTIN_ROWS} == {
        typname: int(oid) for _, oid, typname in BUILTIN_ROWS}


def test_every_builtin_type_as_column_and_parameter(golden_url: str, tmp_path: Path) -> None:
    # `unknown` cannot be a result column (PostgreSQL resolves it to text) or a parameter.
    rows = [r for r in BUILTIN_ROWS if r[2] != "unknown"]
    cols = ", ".join(f'NULL::"{typname}" AS c{oid}' for _, oid, typname in rows)
    params = ", ".join(f'$1::"{rows[0][2]}"' if i == 0 else f'${i + 1}::"{t}"'
                       for i, (_, _, t) in enumerate(rows))
    queries = _write_queries(tmp_path, {"cols": f"SELECT {cols}", "params": f"SELECT {params}"})
    out = {k: json.loads(v)["describe"] for k, v in _describe(golden_url, queries, "0.8").items()}
    assert [c["type_info"] for c in out["cols"]["columns"]] == [v for v, _, _ in rows]
    assert [c["name"] for c in out["cols"]["columns"]] == [f"c{oid}" for _, oid, _ in rows]
    assert out["params"]["parameters"]["Left"] == [v for v, _, _ in rows]
    assert out["cols"]["nullable"] == [None] * len(rows)


def test_explain_patch_ignores_utility_statements_and_mistyped_plans() -> None:
    assert explain_patch(["Utility Statement"]) == []
    assert explain_patch([{"Plan": {"Node Type": "Result"}}]) == []
    assert explain_patch([{"Plan": {"Output": ["a"], "Join Type": 3}}]) == []
    full = {"Plan": {"Output": ["a", "b"], "Join Type": "Full", "Plans": []}}
    assert explain_patch([full, {"ignored": True}]) == [True, True]


@pytest.mark.parametrize(("version", "mode"), [("0.8", "auto"), ("0.9", "force_generic_plan")])
def test_plan_cache_mode_per_sqlx_version(golden_url: str, version: str, mode: str) -> None:
    # SQLx 0.9 explains the generic plan (sqlx-compat.md §1.5 item 6); 0.8 a custom one.
    with psycopg.connect(golden_url, autocommit=True, prepare_threshold=None) as conn:
        Describer(conn, version)
        assert conn.execute("SHOW plan_cache_mode").fetchone() == (mode,)


def test_statements_are_named_like_sqlx_and_deallocated(golden_url: str, tmp_path: Path) -> None:
    queries = _write_queries(tmp_path, {"a": "SELECT 1 AS x", "b": "SELECT nope"})
    ours = "SELECT name FROM pg_prepared_statements WHERE name LIKE 'sqlx_s_%' ORDER BY name"
    with psycopg.connect(golden_url, autocommit=True) as conn:
        conn.execute("SELECT %s::int", (1,), prepare=True)  # psycopg's own prepared statement
        describer = Describer(conn, "0.8")
        done, errors = describer.describe_all(queries)
        assert [d.query.method for d in done] == ["a"] and len(errors) == 1
        assert conn.execute(ours).fetchall() == []
        describer.describe_one(queries[0])
        assert conn.execute(ours).fetchall() == [("sqlx_s_3",)]
        assert conn.execute("SELECT %s::int", (2,), prepare=True).fetchone() == (2,)
