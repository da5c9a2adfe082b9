"""Scalar results, nullable parameters with defaults, typed IN lists and unnest batches,
against a real PostgreSQL (sync and async through the ``api`` fixture)."""

from __future__ import annotations

import uuid
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from helpers.repos import Api

from repo import InvalidArgument
from repo.analysis import load_catalog, null_tested, param_facts

ROOT = Path(__file__).resolve().parent.parent


async def test_one_column_results_are_the_value(api: Api) -> None:
    assert await api.scripts.count() == 0
    assert await api.assets.total_bytes() == 0
    await api.scripts.upsert(uri="/a.js", code="x")
    await api.assets.upsert(public_path="/a.txt", mimetype="text/plain", content=b"12345")
    count = await api.scripts.count()
    assert count == 1 and type(count) is int
    assert await api.assets.total_bytes() == 5


async def test_nullable_parameters_default_to_none(api: Api) -> None:
    # `name` is stored in a nullable column; `init_error` is `-- @nullable`: both omitted.
    user = await api.users.upsert_login(user_id="u1", email="u1@example.org", provider="google")
    assert user.name is None
    await api.scripts.upsert(uri="/s.js", code="x")
    failed = await api.scripts.mark_init_result(uri="/s.js", initialized=False,
                                                init_error="boom")
    assert failed.init_error == "boom"
    ok = await api.scripts.mark_init_result(uri="/s.js", initialized=True)
    assert (ok.initialized, ok.init_error) == (True, None)


async def test_in_list_takes_any_sequence_of_the_element_type(api: Api) -> None:
    await api.logs.append_batch([("/a.js", "one"), ("/a.js", "two"), ("/b.js", "three")])
    every = await api.sql("SELECT id, message FROM logs ORDER BY message")
    ids = {message: id_ for id_, message in every}
    found = await api.logs.list_by_ids(ids=(ids["one"], ids["three"]))  # a tuple is fine
    assert sorted(r.message for r in found) == ["one", "three"]
    assert await api.logs.list_by_ids(ids=[]) == []
    assert await api.logs.list_by_ids(ids=[uuid.uuid4()]) == []


@pytest.mark.parametrize("bad, reason", [
    (["1"], "item 0: expected UUID, got str"),
    ("abc", "expected a sequence of uuid"),
    (uuid.uuid4(), "expected a sequence of uuid"),
])
async def test_in_list_items_are_checked_before_the_server(api: Api, bad: Any,
                                                           reason: str) -> None:
    with pytest.raises(InvalidArgument, match=reason) as info:
        await api.logs.list_by_ids(ids=bad)
    assert "`ids`" in str(info.value)


async def test_unnest_batch_insert_from_row_tuples(api: Api) -> None:
    written = await api.logs.append_batch([("/a.js", "x"), ("/a.js", "y"),
                                           ("/a.js", "100% _literal_")])
    assert written == 3
    rows = await api.logs.list_for_script(script_uri="/a.js", limit=10)
    assert sorted(r.message for r in rows) == ["100% _literal_", "x", "y"]
    assert await api.logs.append_batch([]) == 0
    # Each item is checked as its column's element type, before the server sees anything.
    with pytest.raises(InvalidArgument, match=r"messages.*item 1: contains a NUL"):
        await api.logs.append_batch([("/a.js", "ok"), ("/a.js", "a\x00b")])
    with pytest.raises(InvalidArgument, match=r"row 1 must be a tuple of 2 values, got 1"):
        await api.logs.append_batch([("/a.js", "ok"), ("/a.js",)])
    assert len(await api.logs.list_for_script(script_uri="/a.js", limit=10)) == 3


def test_parameters_tested_for_null_are_nullable() -> None:
    assert null_tested("SELECT 1 WHERE $1::text IS NULL OR x = $1") == {1}
    assert null_tested("UPDATE t SET a = COALESCE($1, a), b = $2 WHERE c = $3") == {1}
    assert null_tested("SELECT coalesce(a, $1) FROM t") == frozenset()  # last: a default
    catalog = load_catalog(ROOT / "migrations")
    facts = param_facts(SimpleNamespace(
        sql="UPDATE scripts SET code = COALESCE($1, code) WHERE uri = $2"), catalog)
    assert facts[0] is not None and facts[0].nullable is True
    facts = param_facts(SimpleNamespace(
        sql="SELECT * FROM scripts WHERE ($1::text IS NULL OR uri = $1)"), catalog)
    assert facts[0] is not None and facts[0].nullable is True
    # Without such a test an equality keeps the parameter not nullable in the signature.
    plain = param_facts(SimpleNamespace(sql="SELECT * FROM scripts WHERE uri = $1"), catalog)
    assert plain[0] is None or plain[0].nullable is False


def test_explain_shows_python_annotations(monkeypatch: pytest.MonkeyPatch,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    from repo.cli import main

    monkeypatch.chdir(ROOT)
    assert main(["explain", "queries/scripts/count.sql"]) == 0
    out = capsys.readouterr().out
    assert "count: int8 [metadata: Int8] - not null: count() is never NULL\n" \
        "      python: int  (a scalar result: the value itself)\nreturns: int\n" in out
    assert main(["explain", "queries/scripts/mark_init_result.sql"]) == 0
    out = capsys.readouterr().out
    assert "      python: str | None = None\n" in out  # init_error (-- @nullable)
    assert "returns: Script | None" in out
    assert main(["explain", "queries/logs/iter_for_script.sql"]) == 0
    assert "returns: Iterator[Log] (async twin: AsyncIterator[Log])" in capsys.readouterr().out


def test_array_agg_of_an_array_keeps_its_type() -> None:
    from repo.analysis import analyze
    from repo.explain import _type

    catalog = load_catalog(ROOT / "migrations")
    result = analyze("SELECT array_agg(ARRAY[1, 2]) AS m", catalog)
    assert [c.val.type for c in result.columns] == ["int4[]"]  # was unknown (None)
    # What the analysis cannot type is shown from the metadata, not as "unknown type".
    assert _type(None, "Int4Array") == "Int4Array (from the metadata)"
    assert _type(None, None) == "unknown type"


def test_rows_directive_names_array_parameters(tmp_path: Path) -> None:
    from repo.codegen.nullability import Uncertain
    from repo.codegen.plan import build_plan
    from repo.codegen.render_repos import SYNC, render_repos
    from repo.errors import CodegenError, QueryFileError
    from repo.metadata.model import QueryData
    from repo.queries import load_query_file

    path = tmp_path / "things" / "put.sql"
    path.parent.mkdir()
    path.write_text("-- @rows a, nope\nINSERT INTO t (a) SELECT * FROM unnest(:a::int[])\n")
    with pytest.raises(QueryFileError, match="'nope', which is not a parameter") as info:
        load_query_file(path, "things")
    assert info.value.line == 1
    path.write_text("-- :exec\n-- @rows a\nINSERT INTO t (a, b) SELECT x, :b FROM unnest(:a) x\n")
    q = load_query_file(path, "things")
    sqlx = {q.hash: QueryData.from_json({
        "db_name": "PostgreSQL", "query": q.sql, "hash": q.hash,
        "describe": {"columns": [], "parameters": {"Left": ["Int4", "Int4Array"]},
                     "nullable": []}})}
    text = render_repos(build_plan([q], sqlx, None, Uncertain()), SYNC)
    assert "def put(self, rows: Iterable[tuple[int]], /, *, b: int) -> None:" in text
    assert "(b, _columns[0])" in text  # $1 is b (first used), $2 the array
    sqlx[q.hash] = QueryData.from_json({
        "db_name": "PostgreSQL", "query": q.sql, "hash": q.hash,
        "describe": {"columns": [], "parameters": {"Left": ["Int4", "Int4"]}, "nullable": []}})
    with pytest.raises(CodegenError, match="@rows names 'a', which is not an array"):
        render_repos(build_plan([q], sqlx, None, Uncertain()), SYNC)
