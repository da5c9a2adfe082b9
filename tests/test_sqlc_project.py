"""A sqlc project with no config of ours: sqlc.yaml/sqlc.json, prepare, generated code, verify."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from helpers.fixture_project import assert_script_ok

from repo.cli import main
from repo.config import load_settings
from repo.errors import ConfigError

SCHEMA = """\
-- +goose Up
CREATE TABLE authors (id bigserial PRIMARY KEY, name text NOT NULL, bio text);
CREATE TABLE books (id bigserial PRIMARY KEY, author_id bigint NOT NULL REFERENCES authors,
                    title text NOT NULL);
-- +goose Down
DROP TABLE books;
DROP TABLE authors;
"""

QUERIES = """\
-- name: GetAuthor :one
SELECT * FROM authors WHERE id = $1;
-- name: CreateAuthor :one
INSERT INTO authors (name, bio) VALUES (@name, sqlc.narg(bio)) RETURNING *;

-- name: UpdateAuthor :execrows
UPDATE authors SET name = coalesce(sqlc.narg('name'), name), bio = coalesce(sqlc.narg(bio), bio)
WHERE id = sqlc.arg(id);

-- name: ListByIds :many
SELECT * FROM authors WHERE id IN (sqlc.slice(ids)) ORDER BY id;

/* name: BooksOf :many */
SELECT sqlc.embed(books), authors.name FROM books JOIN authors ON authors.id = books.author_id
WHERE authors.id = @author_id;

-- name: DeleteAuthor :execresult
DELETE FROM authors WHERE id = $1;
"""

SQLC_YAML = """\
version: "2"
sql:
  - engine: mysql
    schema: elsewhere.sql
    queries: elsewhere.sql
  - engine: postgresql
    schema: sql/schema
    queries: sql/query.sql
    gen:
      go: {package: authors, out: db}
"""


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    # `sql/query.sql` has generic names: the repository is named after the project folder.
    tmp_path = tmp_path / "authors"
    (tmp_path / "sql" / "schema").mkdir(parents=True)
    (tmp_path / "sql" / "schema" / "001_init.sql").write_text(SCHEMA)
    (tmp_path / "sql" / "query.sql").write_text(QUERIES)
    (tmp_path / "sqlc.yaml").write_text(SQLC_YAML)
    for var in ("DATABASE_URL", "APP_REPOSITORY__DATABASE_URL"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_sqlc_yaml_gives_the_paths(project: Path) -> None:
    settings = load_settings(project)
    assert (settings.migrations_dir, settings.queries_dir) == (Path("sql/schema"),
                                                               Path("sql/query.sql"))


def test_sqlc_json_version_1(tmp_path: Path) -> None:
    (tmp_path / "sqlc.json").write_text(json.dumps({"version": "1", "packages": [
        {"name": "ondeck", "path": "pg", "schema": ["pg/schema"], "queries": "pg/query",
         "engine": "postgresql"}]}))
    settings = load_settings(tmp_path)
    assert (settings.migrations_dir, settings.queries_dir) == (Path("pg/schema"),
                                                               Path("pg/query"))


def test_config_toml_paths_win_and_bad_sqlc_files_are_errors(tmp_path: Path) -> None:
    (tmp_path / "sqlc.json").write_text('{"version": "2", "sql": [{"engine": "mysql"}]}')
    with pytest.raises(ConfigError, match="no `engine: postgresql` entry"):
        load_settings(tmp_path)
    (tmp_path / "config.toml").write_text('[paths]\nmigrations = "m"\nqueries = "q"\n')
    settings = load_settings(tmp_path)
    assert (settings.migrations_dir, settings.queries_dir) == (Path("m"), Path("q"))
    (tmp_path / "config.toml").unlink()
    (tmp_path / "sqlc.json").write_text('{"version": "2", "sql": [{"engine": "postgresql", '
                                        '"schema": ["a.sql", "b.sql"], "queries": "q"}]}')
    with pytest.raises(ConfigError, match="`schema` must be one path"):
        load_settings(tmp_path)


def test_prepare_generate_verify_and_run(project: Path, pg_url: str, empty_db_url: str,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["prepare", "-D", pg_url]) == 0
    repos = project / "db" / "repos.py"
    text = repos.read_text()
    assert "def get_author(self, id: int, /) -> Author:" in text
    assert "bio: str | None = None" in text  # sqlc.narg
    assert "def update_author(self, *, name: str | None = None, bio: str | None = None, " \
        "id: int) -> int:" in " ".join(text.split()).replace("( ", "(").replace(", )", ")")
    assert "ids: Sequence[int]" in text  # sqlc.slice: an int8[] parameter, items checked
    assert "def delete_author(self, id: int, /) -> int:" in text  # :execresult
    assert main(["verify"]) == 0
    capsys.readouterr()
    assert main(["migrate", "run", "-D", empty_db_url]) == 0
    script = (
        "import psycopg\n"
        "from db import AuthorRepo\n"
        f"with psycopg.connect({empty_db_url!r}, autocommit=True) as conn:\n"
        "    r = AuthorRepo(conn)\n"
        "    a = r.create_author(name='Ann')\n"
        "    b = r.create_author(name='Bob', bio='x')\n"
        "    assert a.bio is None and b.bio == 'x'\n"
        "    assert r.update_author(id=a.id, bio='new') == 1\n"
        "    assert r.get_author(a.id).name == 'Ann' and r.get_author(a.id).bio == 'new'\n"
        "    assert [x.name for x in r.list_by_ids(ids=[b.id, a.id])] == ['Ann', 'Bob']\n"
        "    assert r.list_by_ids(ids=[]) == []\n"
        "    assert r.delete_author(b.id) == 1\n"
        "print('ok')\n")
    assert_script_ok(script, project)


def test_postgres_errors_point_into_the_multi_query_file(
        project: Path, pg_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    bad = QUERIES.replace("ORDER BY id;", "ORDER BY nope;")
    (project / "sql" / "query.sql").write_text(bad)
    assert main(["prepare", "-D", pg_url]) == 1
    line = next(i for i, t in enumerate(bad.split("\n"), 1) if "nope" in t)
    col = bad.split("\n")[line - 1].index("nope") + 1
    err = capsys.readouterr().err
    assert f"query.sql:{line}:{col}" in err and 'column "nope" does not exist' in err
    assert not (project / ".sqlx").exists()  # nothing written by the failed run


EMBED = """\
-- name: BookWithAuthor :one
SELECT sqlc.embed(books), sqlc.embed(a), 1 AS n
FROM books JOIN authors a ON a.id = books.author_id WHERE books.id = @id;

-- name: AuthorsWithBooks :many
SELECT sqlc.embed(authors), sqlc.embed(books) FROM authors
LEFT JOIN books ON books.author_id = authors.id ORDER BY authors.id, books.id;
"""


@pytest.mark.parametrize("rows", ["pydantic", "tuple"])  # [codegen] rows: either row type
def test_embed_nests_the_table_models(project: Path, pg_url: str, empty_db_url: str,
                                      rows: str) -> None:
    (project / "sql" / "query.sql").write_text(EMBED)
    (project / "config.toml").write_text(f'[codegen]\nrows = "{rows}"\n')
    assert main(["prepare", "-D", pg_url]) == 0
    models = (project / "db" / "models.py").read_text()
    assert "    book: Book\n    author: Author\n    n: int" in models  # sqlc-gen-go's names
    # books on the nullable side of the LEFT JOIN: None when no book matched (sqlc #2348).
    assert "    author: Author\n    book: Book | None" in models
    assert main(["verify"]) == 0
    assert main(["migrate", "run", "-D", empty_db_url]) == 0
    script = (
        "import psycopg\n"
        "from db import AuthorRepo, Author, Book\n"
        f"with psycopg.connect({empty_db_url!r}, autocommit=True) as conn:\n"
        "    conn.execute(\"INSERT INTO authors (id, name) VALUES (1, 'Ann'), (2, 'Bob')\")\n"
        "    conn.execute(\"INSERT INTO books (id, author_id, title) VALUES (7, 1, 'T')\")\n"
        "    r = AuthorRepo(conn)\n"
        "    row = r.book_with_author(id=7)\n"
        "    assert row.book == Book(id=7, author_id=1, title='T'), row\n"
        "    assert row.author == Author(id=1, name='Ann', bio=None) and row.n == 1, row\n"
        f"    assert isinstance(row.book, tuple) is {rows == 'tuple'}, row\n"
        "    rows = r.authors_with_books()\n"
        "    assert [(x.author.name, x.book and x.book.title) for x in rows] == "
        "[('Ann', 'T'), ('Bob', None)], rows\n"
        "print('ok')\n")
    assert_script_ok(script, project)


def test_explain_lists_every_query_with_its_line(project: Path, pg_url: str,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["prepare", "-D", pg_url]) == 0
    capsys.readouterr()
    assert main(["explain", "sql/query.sql"]) == 0
    out = capsys.readouterr().out
    heads = [line.split("  (")[0] for line in out.splitlines() if line.startswith("sql/")]
    assert heads == ["sql/query.sql:1 GetAuthor", "sql/query.sql:3 CreateAuthor",
                     "sql/query.sql:6 UpdateAuthor", "sql/query.sql:10 ListByIds",
                     "sql/query.sql:13 BooksOf", "sql/query.sql:17 DeleteAuthor"]
    assert "metadata: MISSING" not in out
    assert "$1 ids: int8[]" in out  # the slice, compiled to = ANY($1)
