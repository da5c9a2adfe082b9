"""``[codegen] rows = "tuple"``: the project's own queries generated as NamedTuple rows.

The package is rendered from this project's query files and ``.sqlx/`` (offline, as
``generate`` does) into a temp dir, with ``sessions.data`` typed as ``SessionData`` so a row
model holds a typed JSON field; then it runs against the migrated test database, and mypy
checks what a user's code sees.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import importlib
import os
import re
import subprocess
import sys
import textwrap
import uuid
from collections.abc import Iterator
from contextlib import aclosing
from pathlib import Path
from types import ModuleType
from typing import Any

import psycopg
import pydantic
import pytest
from helpers.fixture_project import empty_package, importable, migrated

from repo.codegen import generate, write_files, write_generated
from repo.config import Settings, load_settings
from repo.drift import stamp_holds
from repo.errors import ConfigError
from repo.explain import explain
from repo.extensions import SessionData
from repo.prepare import prepare
from repo.verify import verify

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = "tuplerepo"


def _settings(tmp: Path, rows: str = "tuple") -> Settings:
    base = load_settings(ROOT, env={}).with_paths(
        migrations=ROOT / "migrations", queries=ROOT / "queries", sqlx_dir=ROOT / ".sqlx",
        generated=tmp / PACKAGE / "generated")
    return dataclasses.replace(
        base, root=tmp, rows=rows, generated_package=f"{PACKAGE}.generated",
        extensions=ROOT / "repo" / "extensions.py", extensions_module="repo.extensions",
        json={**base.json, "sessions.data": "repo.extensions:SessionData"})


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Settings]:
    tmp = tmp_path_factory.mktemp("rows")
    empty_package(tmp, PACKAGE)
    settings = _settings(tmp)
    write_files(generate(settings).files)
    with importable(settings, PACKAGE):
        yield settings


@pytest.fixture(scope="module")
def gen(project: Settings) -> ModuleType:
    return importlib.import_module(f"{PACKAGE}.generated")


@pytest.fixture(params=["sync", "async"])
def flavour(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def test_models_are_named_tuples_without_pydantic(project: Settings) -> None:
    models = (project.generated_dir / "models.py").read_text(encoding="utf-8")
    assert "class Log(NamedTuple):\n" in models and "BaseModel" not in models
    assert "model_config" not in models
    # `count` is tuple.count: the column keeps its name (mypy is told the override is meant).
    assert "    count: int  # type: ignore[assignment]\n" in models
    assert "    data: repo.extensions.SessionData\n" in models


def test_row_values_and_types(gen: ModuleType, conn: psycopg.Connection[Any]) -> None:
    scripts, logs = gen.ScriptRepo(conn), gen.LogRepo(conn)
    script = scripts.upsert(uri="/t.js", code="x")
    assert type(script) is gen.Script and isinstance(script, tuple)
    assert isinstance(script.id, uuid.UUID) and script.uri == "/t.js"
    assert script.created_at.tzinfo is not None and script.init_error is None
    assert script._asdict()["code"] == "x" and script._fields[:3] == ("id", "uri", "code")
    with pytest.raises(AttributeError):
        script.code = "y"  # type: ignore[misc]
    assert script._replace(code="y").code == "y"  # a copy; the row is unchanged
    assert scripts.get_by_uri(uri="/t.js") == script
    assert scripts.get_by_uri(uri="/missing.js") is None
    logs.append(script_uri="/t.js", message="one")
    logs.append(script_uri="/t.js", message="two")
    listed = logs.list_for_script(script_uri="/t.js", limit=10)
    assert [type(x) for x in listed] == [gen.Log, gen.Log]
    assert {x.message for x in listed} == {"one", "two"}
    assert list(logs.iter_for_script(script_uri="/t.js")) == sorted(
        listed, key=lambda x: (x.created_at, x.id))  # the file's order: oldest first
    counts = {r.script_uri: r.count for r in logs.count_by_script()}
    assert counts["/t.js"] == 2 and isinstance(counts["/t.js"], int)
    assert scripts.count() >= 1


def test_nested_rows_are_tuples_too(gen: ModuleType, conn: psycopg.Connection[Any]) -> None:
    scripts, logs = gen.ScriptRepo(conn), gen.LogRepo(conn)
    scripts.upsert(uri="/n.js", code="x")
    for message in ("a", 'comma, "quote"'):
        logs.append(script_uri="/n.js", message=message)
    got = scripts.get_with_logs(uri="/n.js", log_limit=5)
    assert got is not None and type(got) is gen.ScriptWithLogs
    assert [type(x) for x in got.logs] == [gen.Log, gen.Log]
    assert {x.message for x in got.logs} == {"a", 'comma, "quote"'}
    user = gen.UserRepo(conn).upsert_login(user_id="u1", email="u@x", name=None,
                                           provider="p")
    later = dt.datetime.now(dt.UTC) + dt.timedelta(hours=1)
    gen.SessionRepo(conn).create(session_id="s1", user_id="u1", data=SessionData(),
                                 expires_at=later)
    with_user = gen.SessionRepo(conn).get_with_user(session_id="s1")
    assert with_user is not None and with_user.user == user and type(user) is gen.User


def test_typed_json_fields_are_still_validated(gen: ModuleType,
                                               conn: psycopg.Connection[Any]) -> None:
    sessions = gen.SessionRepo(conn)
    gen.UserRepo(conn).upsert_login(user_id="u2", email="v@x", name="V", provider="p")
    later = dt.datetime.now(dt.UTC) + dt.timedelta(hours=1)
    made = sessions.create(session_id="s2", user_id="u2", data=SessionData(cart=[1, 2]),
                           expires_at=later)
    assert type(made.data) is SessionData and made.data.cart == [1, 2]
    conn.execute("""UPDATE sessions SET data = '{"cart": "not a list"}' WHERE session_id = 's2'""")
    with pytest.raises(pydantic.ValidationError, match="cart"):
        sessions.get_valid(session_id="s2")


async def test_async_rows(gen: ModuleType, aconn: psycopg.AsyncConnection[Any]) -> None:
    scripts, logs = gen.AsyncScriptRepo(aconn), gen.AsyncLogRepo(aconn)
    script = await scripts.upsert(uri="/a.js", code="x")
    assert type(script) is gen.Script
    await logs.append(script_uri="/a.js", message="m")
    listed = await logs.list_for_script(script_uri="/a.js", limit=5)
    assert [(type(x), x.message) for x in listed] == [(gen.Log, "m")]
    async with aclosing(logs.iter_for_script(script_uri="/a.js")) as rows:
        assert [x async for x in rows] == listed
    got = await scripts.get_with_logs(uri="/a.js", log_limit=5)
    assert got is not None and got.logs == listed


# mypy shows a NamedTuple as its item types with the class as "fallback".
LOGS = ("list[tuple[uuid.UUID, str, str, datetime.datetime, "
        "fallback=tuplerepo.generated.models.Log]]")
SNIPPET = '''
import psycopg
from tuplerepo.generated import LogRepo, ScriptRepo


def use(conn: psycopg.Connection[tuple[object, ...]]) -> None:
    rows = LogRepo(conn).list_for_script(script_uri="/a", limit=5)
    reveal_type(rows)  # T: LOGS
    reveal_type(rows[0].created_at)  # T: datetime.datetime
    reveal_type(rows[0]._asdict())  # T: dict[str, Any]
    reveal_type(LogRepo(conn).count_by_script()[0].count)  # T: int
    found = ScriptRepo(conn).get_with_logs(uri="/a", log_limit=5)
    if found is not None:
        reveal_type(found.logs)  # T: LOGS
    reveal_type(ScriptRepo(conn).count())  # T: int
    rows[0].model_dump()  # E: "Log" has no attribute "model_dump"
    rows[0].message = "x"  # E: Property "message" defined in "Log" is read-only
'''


def test_generated_package_and_user_code_type_check(project: Settings) -> None:
    for args in (["format", "--check", "--no-cache"], ["check", "--no-cache"]):
        lint = subprocess.run([sys.executable, "-m", "ruff", *args, "--config",
                               str(ROOT / "pyproject.toml"), str(project.generated_dir)],
                              capture_output=True, text=True, check=False)
        assert lint.returncode == 0, lint.stdout + lint.stderr
    snippet = project.root / "snippet.py"
    snippet.write_text(textwrap.dedent(SNIPPET), encoding="utf-8")
    run = subprocess.run([sys.executable, "-m", "mypy", "--strict", "--no-error-summary",
                          "--cache-dir", str(project.root / "mypy_cache"),
                          str(project.generated_dir), str(snippet)],
                         capture_output=True, text=True, check=False, cwd=project.root,
                         env={**os.environ, "MYPYPATH": f"{ROOT}{os.pathsep}{project.root}"})
    by_line: dict[int, list[str]] = {}
    for line in run.stdout.splitlines():
        found = re.match(r".*snippet\.py:(\d+): (.*)", line)
        assert found, line  # nothing reported in the generated package
        by_line.setdefault(int(found[1]), []).append(found[2])
    for number, line in enumerate(textwrap.dedent(SNIPPET).splitlines(), 1):
        mark = re.search(r"# ([TE]): (.*)", line)
        messages = " / ".join(by_line.pop(number, []))
        if mark and mark[1] == "T":
            expected = LOGS if mark[2] == "LOGS" else mark[2]
            assert f'Revealed type is "{expected}"' in messages, (line, messages)
        elif mark:
            assert mark[2] in messages, (line, messages)
    assert not by_line, by_line


def test_a_bad_rows_value_names_the_key_and_line(tmp_path: Path) -> None:
    (tmp_path / "config.toml").write_text('[paths]\nqueries = "q"\n\n[codegen]\nrows = "dict"\n')
    with pytest.raises(ConfigError) as caught:
        load_settings(tmp_path, env={})
    assert caught.value.location == f"{tmp_path / 'config.toml'}:5"
    assert "[codegen] rows = 'dict' is not one of 'pydantic', 'tuple'" in str(caught.value)
    (tmp_path / "config.toml").write_text('[codegen]\n# typo\nrow = "tuple"\n')
    with pytest.raises(ConfigError, match=r"\[codegen\] 'row' is not a setting") as caught:
        load_settings(tmp_path, env={})
    assert caught.value.location == f"{tmp_path / 'config.toml'}:3"


def test_changing_rows_makes_the_generated_code_out_of_date(tmp_path: Path) -> None:
    empty_package(tmp_path, PACKAGE)
    pydantic_rows = _settings(tmp_path, rows="pydantic")
    write_generated(pydantic_rows)
    assert stamp_holds(pydantic_rows)
    tuple_rows = dataclasses.replace(pydantic_rows, rows="tuple")
    assert not stamp_holds(tuple_rows)
    stale = [f.file for f in verify(tuple_rows).errors if f.code == "V005"]
    assert f"{PACKAGE}/generated/models.py" in stale, stale
    write_generated(tuple_rows)
    assert stamp_holds(tuple_rows)


def test_explain_says_the_rows_are_named_tuples(project: Settings) -> None:
    text = explain(ROOT / "queries" / "logs" / "list_for_script.sql", project)
    assert 'returns: list[Log] (Log is a typing.NamedTuple: [codegen] rows = "tuple")' in text
    assert "python: AwareDatetime  (field `created_at` of Log)" in text


HOSTILE = Path(__file__).resolve().parent / "fixtures" / "codegen" / "hostile"


def test_hostile_names_as_named_tuples(pg_url: str, empty_db_url: str, tmp_path: Path) -> None:
    empty_package(tmp_path, "hostiletuples")
    settings = dataclasses.replace(load_settings(tmp_path, env={}).with_paths(
        migrations=HOSTILE / "migrations", queries=HOSTILE / "queries",
        sqlx_dir=tmp_path / ".sqlx", generated=tmp_path / "hostiletuples" / "generated"),
        rows="tuple")
    prepare(settings, database_url=pg_url)
    models = (settings.generated_dir / "models.py").read_text(encoding="utf-8")
    # The hostile column name reaches the source only inside a comment.
    assert all(line.startswith("    # column ") for line in models.splitlines()
               if "__import__" in line)
    run = subprocess.run([sys.executable, "-W", "error", "-c", "import hostiletuples.generated"],
                         cwd=tmp_path, capture_output=True, text=True, check=False)
    assert (run.returncode, run.stdout, run.stderr) == (0, "", "")
    run = subprocess.run([sys.executable, "-m", "mypy", "--strict", "--no-error-summary",
                          "--cache-dir", str(tmp_path / "mypy_cache"),
                          str(settings.generated_dir)], capture_output=True, text=True,
                         check=False, cwd=tmp_path, env={**os.environ, "MYPYPATH": str(ROOT)})
    assert run.returncode == 0, run.stdout + run.stderr
    with importable(settings, "hostiletuples"), \
            migrated(empty_db_url, HOSTILE / "migrations") as hconn:
        gen = importlib.import_module("hostiletuples.generated")
        items = gen.ItemRepo(hconn)
        added = items.add(name="a", n="x", order_id=7, kind=gen.Source2.CLASS)
        [row] = items.all()
        assert (row.id, row.name, row.order_id, row.class_, row.kind) == (
            added, "a", 7, None, gen.Source2.CLASS)
        assert "model_dump_" in row._fields and "model_dumpster" in row._fields
        gen.UserRepo(hconn).add(password_hash="secret-hash", display_name="Ann")
        [user] = gen.UserRepo(hconn).hashes()  # `_hash`: mapped, NamedTuple refuses `_x`
        assert user._asdict() == {"hash_": "secret-hash", "display_name": "Ann"}
        gen.DocRepo(hconn).add(_version=42, id=1, title="t")
        assert gen.DocRepo(hconn).all() == [gen.Doc(version_=42, id=1, title="t")]
        posts = gen.PostRepo(hconn)
        author = posts.add_author(name="Bo")
        posts.add(author_id=author, title="T")
        [post] = posts.with_author()
        assert (post.id, post.author_id, post.title, post.id_2, post.name) == (
            1, author, "T", author, "Bo")
