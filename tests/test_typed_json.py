"""Typed JSON: a json/jsonb value declared to hold an application's pydantic model
(config.toml [json], or SQLx's `AS "x: Json<T>"` with T in [types]), against PostgreSQL."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from helpers.repos import Api
from pydantic import ValidationError

from repo.codegen.nullability import Uncertain
from repo.codegen.plan import build_plan
from repo.config import load_settings
from repo.errors import CodegenError, ConfigError
from repo.extensions import SessionData
from repo.metadata.model import QueryData
from repo.queries import QueryDef

NOW = dt.datetime.now(dt.UTC)


async def _session(api: Api, data: object) -> None:
    await api.users.upsert_login(user_id="u1", email="u1@example.org", provider="google")
    await api.sessions.create(session_id="s1", user_id="u1", data=data,
                              expires_at=NOW + dt.timedelta(hours=1))


async def test_model_is_validated_on_read_and_serialised_on_write(api: Api) -> None:
    await _session(api, {"theme": "dark", "cart": [3], "kept": {"x": 1}})
    got = await api.sessions.get_data(session_id="s1")
    assert isinstance(got, SessionData)
    assert (got.theme, got.cart, got.csrf_token) == ("dark", [3], None)
    assert got.model_extra == {"kept": {"x": 1}}  # undeclared keys survive
    written = SessionData(theme="light", cart=[1, 2], csrf_token="t")
    assert await api.sessions.set_data(session_id="s1", data=written) == 1
    assert await api.sessions.get_data(session_id="s1") == written
    # Stored as the model's JSON document; the untyped query still reads plain JSON.
    assert (await api.sessions.get_valid(session_id="s1")).data == {
        "theme": "light", "cart": [1, 2], "csrf_token": "t"}
    assert await api.sessions.set_data(session_id="nope", data=written) == 0
    assert await api.sessions.get_data(session_id="nope") is None


async def test_a_document_that_does_not_fit_the_model_is_refused_on_read(api: Api) -> None:
    await _session(api, {"cart": ["not a number"]})
    with pytest.raises(ValidationError, match="cart"):
        await api.sessions.get_data(session_id="s1")


def _plan(column: tuple[str, str], json: dict[str, str] | None = None,
          types: dict[str, str] | None = None) -> str:
    sql = "SELECT 1"
    q = QueryDef("things", "get", Path("queries/things/get.sql"), sql, sql, (), False, "many")
    cols = [{"ordinal": 0, "name": column[0], "type_info": column[1]},
            {"ordinal": 1, "name": "n", "type_info": "Int4"}]
    meta = {q.hash: QueryData.from_json({"db_name": "PostgreSQL", "query": sql, "hash": q.hash,
                                         "describe": {"columns": cols, "parameters": {"Left": []},
                                                      "nullable": [False, False]}})}
    plan = build_plan([q], meta, None, Uncertain(), types=types, json=json)
    return plan.models[0].fields[0].annotation


def test_sqlx_spelling_json_of_a_mapped_type() -> None:
    assert _plan(("data: Json<SessionData>", "Jsonb"),
                 types={"SessionData": "app.models:SessionData"}) == "app.models.SessionData"
    assert _plan(("data: sqlx::types::Json<crate::SessionData>", "Json"),
                 types={"SessionData": "app.models:SessionData"}) == "app.models.SessionData"
    assert _plan(("data", "Jsonb"), json={"things/get.data": "app.models:Prefs"}) == \
        "app.models.Prefs"
    assert _plan(("data", "Jsonb")) == "JsonValue"  # undeclared JSON stays JsonValue


def test_declaring_a_column_that_is_not_json_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(CodegenError, match=r"\[json\] 'things/get.data'.*not json or jsonb"):
        _plan(("data", "Text"), json={"things/get.data": "app.models:Prefs"})
    (tmp_path / "config.toml").write_text('[json]\n"sessions.data" = "SessionData"\n')
    with pytest.raises(ConfigError, match=r"\[json\] 'sessions.data'"):
        load_settings(tmp_path, env={})


def test_a_table_column_is_typed_wherever_it_is_read_or_written() -> None:
    sql = "UPDATE prefs SET data = $1 WHERE id = $2 RETURNING data, id"
    q = QueryDef("prefs", "put", Path("queries/prefs/put.sql"), sql, sql, ("data", "id"), False,
                 "one")
    cols = [{"ordinal": 0, "name": "data", "type_info": "Jsonb"},
            {"ordinal": 1, "name": "id", "type_info": "Int4"}]
    sqlx = {q.hash: QueryData.from_json({
        "db_name": "PostgreSQL", "query": sql, "hash": q.hash,
        "describe": {"columns": cols, "parameters": {"Left": ["Jsonb", "Int4"]},
                     "nullable": [False, False]}})}
    meta = {"tables": {"prefs": [{"name": "data", "type_info": "Jsonb", "not_null": True},
                                 {"name": "id", "type_info": "Int4", "not_null": True}]},
            "queries": {"prefs/put": {"origins": [["prefs", "data"], ["prefs", "id"]]}}}
    plan = build_plan([q], sqlx, meta, Uncertain(), json={"prefs.data": "app.m:Prefs"})
    method = plan.repos[0].methods[0]
    assert [p.annotation for p in method.params] == ["app.m.Prefs", "int"]  # written: UPDATE
    assert method.model == "Pref"  # the result is the table's row, whose field is typed
    assert plan.models[0].fields[0].annotation == "app.m.Prefs"
    unused = build_plan([q], sqlx, meta, Uncertain(), json={"prefs.nope": "app.m:Prefs"})
    assert any("[json] 'prefs.nope' matches no" in w for w in unused.warnings)
