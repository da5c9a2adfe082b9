"""Nested results: a table's row value (``u``) or an array of them (``ARRAY(SELECT l ...)``)
comes back as the table's model, in one round trip, typed and verified offline."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import psycopg
import pytest
from helpers.fixture_project import assert_script_ok
from helpers.repos import Api
from test_verify import project, run_verify  # noqa: F401  (the `project` fixture)

from repo.generated import Log, User
from repo.generated import _queries as sql
from repo.runtime import row_of, rows_of

T0 = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
MIN = dt.timedelta(minutes=1)
# Text that needs quoting in a record or an array literal.
AWKWARD = ['plain', 'comma, "quotes" (parens) \\back\\slash', '', '{braces}', 'NULL']


async def _logs(api: Api, uri: str, messages: list[str]) -> None:
    for i, message in enumerate(messages):
        await api.sql("INSERT INTO logs (script_uri, message, created_at) VALUES (%s, %s, %s)",
                      uri, message, T0 + i * MIN)


async def test_get_with_logs_newest_first_limited(api: Api) -> None:
    await api.scripts.upsert(uri="/a.js", code="x")
    await api.scripts.upsert(uri="/b.js", code="y")
    await _logs(api, "/a.js", AWKWARD * 2)
    await _logs(api, "/b.js", ["other"])
    got = await api.scripts.get_with_logs(uri="/a.js", log_limit=3)
    assert got is not None and got.uri == "/a.js" and got.code == "x"
    assert all(isinstance(log, Log) for log in got.logs)
    assert got.logs == await api.logs.list_for_script(script_uri="/a.js", limit=3)
    everything = await api.scripts.get_with_logs(uri="/a.js", log_limit=100)
    assert [log.message for log in everything.logs] == list(reversed(AWKWARD * 2))


async def test_get_with_logs_empty_list_and_missing_script(api: Api) -> None:
    await api.scripts.upsert(uri="/quiet.js", code="x")
    got = await api.scripts.get_with_logs(uri="/quiet.js", log_limit=5)
    assert got is not None and got.logs == []
    assert await api.scripts.get_with_logs(uri="/missing.js", log_limit=5) is None


async def test_session_with_user_nested(api: Api) -> None:
    user = await api.users.upsert_login(user_id="u1", email="u1@example.org", name=None,
                                        provider="google")
    future = dt.datetime.now(dt.UTC) + dt.timedelta(hours=1)
    await api.sessions.create(session_id="s1", user_id="u1", data={"k": [1]},
                              expires_at=future)
    got = await api.sessions.get_with_user(session_id="s1")
    assert got is not None and got.session_id == "s1" and got.data == {"k": [1]}
    assert isinstance(got.user, User) and got.user == user and got.user.name is None
    await api.sql("UPDATE sessions SET expires_at = now() - interval '1 hour'")
    assert await api.sessions.get_with_user(session_id="s1") is None


def _text_value(conn: psycopg.Connection[Any], query: str) -> Any:
    with conn.cursor(binary=False) as cur:
        row = cur.execute(query).fetchone()
        assert row is not None
        return row[0]


def test_text_results_decode_like_binary(conn: psycopg.Connection[Any]) -> None:
    # A query that must use text results (a column psycopg cannot read in binary) still
    # decodes its nested rows: each field through psycopg's text loader for its type.
    conn.execute("INSERT INTO logs (script_uri, message) SELECT '/t.js', m FROM unnest(%s::text[]) "
                 "AS m", (AWKWARD,))
    conn.execute("INSERT INTO users (user_id, email, provider) VALUES ('u', 'e', 'p')")
    text = _text_value(conn, "SELECT ARRAY(SELECT l FROM logs AS l ORDER BY message) AS logs")
    assert isinstance(text, str)
    oids = (2950, 25, 25, 1184)
    from_text = rows_of(Log, oids)(text)
    with conn.cursor(binary=True) as cur:
        binary = cur.execute("SELECT ARRAY(SELECT l FROM logs AS l ORDER BY message)").fetchone()
    assert binary is not None and not isinstance(binary[0], str)
    assert from_text == rows_of(Log, oids)(binary[0])
    assert sorted(log.message for log in from_text) == sorted(AWKWARD)
    user_oids = (2950, 25, 25, 25, 25, 16, 16, 1184, 1184, 1184)
    user = row_of(User, user_oids)(_text_value(conn, "SELECT u FROM users AS u"))
    assert (user.user_id, user.name, user.is_admin) == ("u", None, False)
    assert "rows_of(Log, (2950, 25, 25, 1184))" in Path(sql.__file__).read_text()


def test_renamed_column_of_a_nested_table_fails_verify(
        project: Path, capsys: pytest.CaptureFixture[str]) -> None:  # noqa: F811
    # get_with_logs never names `message`: only the nested row type (logs) holds it.
    (project / "migrations/20990101000000_rename_message.sql").write_text(
        "ALTER TABLE logs RENAME COLUMN message TO body;\n")
    code, report = run_verify(capsys)
    assert code == 1
    errors = [e for e in report["errors"] if e["file"] == "queries/scripts/get_with_logs.sql"]
    assert any(e["code"] == "V008" and "logs" in e["message"] for e in errors), errors


# -- another project: outer joins, several nestings, through prepare and verify ------------

SCHEMA = """\
CREATE TYPE genre AS ENUM ('novel', 'poem');
CREATE TABLE authors (id bigserial PRIMARY KEY, name text NOT NULL, bio text);
CREATE TABLE books (id bigserial PRIMARY KEY, author_id bigint REFERENCES authors,
                    title text NOT NULL, price numeric(8, 2),
                    genre genre NOT NULL DEFAULT 'novel', tags genre[]);
"""
WITH_BOOKS = """\
-- :many
SELECT a.*, ARRAY(SELECT b FROM books AS b WHERE b.author_id = a.id ORDER BY b.id) AS books
FROM authors AS a ORDER BY a.id
"""
WITH_AUTHOR = """\
-- :many
SELECT b.id, a AS author FROM books AS b LEFT JOIN authors AS a ON a.id = b.author_id
ORDER BY b.id
"""


@pytest.mark.parametrize("rows", ["pydantic", "tuple"])  # [codegen] rows: either row type
def test_nesting_in_a_project_of_its_own(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                         pg_url: str, empty_db_url: str, rows: str) -> None:
    from repo.cli import main

    (tmp_path / "migrations").mkdir()
    (tmp_path / "migrations" / "0001_init.sql").write_text(SCHEMA)
    for folder, name, text in (("authors", "with_books", WITH_BOOKS),
                               ("books", "with_author", WITH_AUTHOR)):
        (tmp_path / "queries" / folder).mkdir(parents=True)
        (tmp_path / "queries" / folder / f"{name}.sql").write_text(text)
    (tmp_path / "config.toml").write_text(
        f'[paths]\ngenerated = "db"\n[codegen]\nrows = "{rows}"\n')
    for var in ("DATABASE_URL", "APP_REPOSITORY__DATABASE_URL"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.chdir(tmp_path)
    assert main(["prepare", "-D", pg_url]) == 0
    models = (tmp_path / "db" / "models.py").read_text()
    assert "    bio: str | None\n    books: list[Book]\n" in models
    assert "    id: int\n    author: Author | None\n" in models  # the outer join's side
    assert main(["verify"]) == 0
    assert main(["migrate", "run", "-D", empty_db_url]) == 0
    script = (
        "import decimal, psycopg\n"
        "from db import AuthorRepo, BookRepo, Author, Book, Genre\n"
        f"with psycopg.connect({empty_db_url!r}, autocommit=True) as conn:\n"
        "    conn.execute(\"INSERT INTO authors (id, name) VALUES (1, 'Ann'), (2, 'Bob')\")\n"
        "    conn.execute(\"INSERT INTO books (id, author_id, title, price) VALUES \"\n"
        "                 \"(7, 1, 'T', 9.50), (8, 1, 'U', NULL), (9, NULL, 'V', 1)\")\n"
        "    conn.execute(\"UPDATE books SET genre = 'poem', tags = '{poem,novel}' \"\n"
        "                 \"WHERE id = 8\")\n"
        "    rows = AuthorRepo(conn).with_books()\n"
        "    assert [len(r.books) for r in rows] == [2, 0], rows\n"
        f"    assert isinstance(rows[0].books[0], tuple) is {rows == 'tuple'}\n"
        "    assert rows[0].books[0] == Book(id=7, author_id=1, title='T', "
        "price=decimal.Decimal('9.50'), genre=Genre.NOVEL, tags=None), rows\n"
        "    second = rows[0].books[1]\n"
        "    assert second.price is None and second.genre is Genre.POEM, second\n"
        "    assert second.tags == [Genre.POEM, Genre.NOVEL], second\n"
        "    assert rows[0].books[0].genre is Genre.NOVEL and rows[0].books[0].tags is None\n"
        "    got = [(r.id, r.author) for r in BookRepo(conn).with_author()]\n"
        "    ann = Author(id=1, name='Ann', bio=None)\n"
        "    assert got == [(7, ann), (8, ann), (9, None)], got\n"
        "print('ok')\n")
    assert_script_ok(script, tmp_path)
