"""`prepare` end to end: a project directory of its own, real PostgreSQL, real files."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from repo.cli import main
from repo.errors import WriteError
from repo.metadata import store
from repo.migrate import fingerprint, resolve

ROOT = Path(__file__).resolve().parent.parent

SCHEMA = """
CREATE TYPE status AS ENUM ('draft', 'live');
CREATE TABLE authors (id int4 PRIMARY KEY, name text NOT NULL, bio text);
CREATE TABLE posts (
    id int4 PRIMARY KEY,
    author_id int4 REFERENCES authors (id),
    title text NOT NULL,
    status status NOT NULL DEFAULT 'draft'
);
"""

QUERIES = {
    "authors/get.sql": "-- One author.\n-- :optional\nSELECT * FROM authors WHERE id = :id\n",
    "authors/with_posts.sql": "-- :many\nSELECT a.name, p.title FROM authors a "
    "LEFT JOIN posts p ON true\n",
    "posts/publish.sql": "-- :execrows\nUPDATE posts SET status = 'live' WHERE id = :id\n",
    "posts/count.sql": "SELECT count(*) AS n FROM posts\n",
}


def snapshot(directory: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(directory.iterdir()) if p.is_file()}


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A project directory with its own migrations and queries (no config.toml)."""
    (tmp_path / "migrations").mkdir()
    (tmp_path / "migrations" / "20240101000000_init.sql").write_text(SCHEMA)
    for rel, text in QUERIES.items():
        path = tmp_path / "queries" / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    for var in ("DATABASE_URL", "APP_REPOSITORY__DATABASE_URL"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def run(*args: str) -> int:
    return main(["prepare", *args])


def test_prepare_writes_sqlx_and_meta(project: Path, pg_url: str,
                                      capsys: pytest.CaptureFixture[str]) -> None:
    assert run("-D", pg_url) == 0
    assert "described 4 queries in" in capsys.readouterr().err
    files = snapshot(project / ".sqlx")
    assert len([n for n in files if n.startswith("query-")]) == 4
    meta = json.loads(files["repo-meta.json"])
    assert meta["migrations_fingerprint"] == fingerprint(resolve(project / "migrations"))
    assert [c["name"] for c in meta["tables"]["posts"]] == ["id", "author_id", "title", "status"]
    status = meta["tables"]["posts"][3]
    assert status == {"name": "status", "not_null": True, "has_default": True, "type_info": {
        "Custom": {"name": "status", "kind": {"Enum": ["draft", "live"]}}}}
    q = meta["queries"]["authors/with_posts"]
    assert q["origins"] == [["authors", "name"], ["posts", "title"]]
    assert q["cardinality"] == "many" and q["file"] == "authors/with_posts.sql"
    assert meta["queries"]["posts/count"]["cardinality"] == "many"  # defaulted: has columns
    data = json.loads(files[f"query-{q['hash']}.json"])
    assert data["describe"]["nullable"] == [False, True]
    assert files["repo-meta.json"] == store.render_meta(meta).encode()


def test_prepare_is_reproducible_and_removes_stale_files(project: Path, pg_url: str) -> None:
    sqlx = project / ".sqlx"
    sqlx.mkdir()
    stale = sqlx / f"query-{'0' * 64}.json"
    stale.write_text("{}")
    (sqlx / "README").write_text("kept")
    assert run("-D", pg_url) == 0
    first = snapshot(sqlx)
    assert stale.name not in first and first["README"] == b"kept"
    assert run("-D", pg_url) == 0
    assert snapshot(sqlx) == first


def test_broken_queries_are_all_reported_and_sqlx_unchanged(
        project: Path, pg_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert run("-D", pg_url) == 0
    before = snapshot(project / ".sqlx")
    (project / "queries/authors/get.sql").write_text(
        "-- :optional\nSELECT :id::int4 AS id,\n       nmae\nFROM authors\n")
    (project / "queries/posts/bad.sql").write_text("-- :many\nSELECT * FROM post WHERE id = :id\n")
    (project / "queries/posts/untyped.sql").write_text("-- :one\nSELECT 1 AS a,\n  :y IS NULL\n")
    capsys.readouterr()
    assert run("-D", pg_url) == 1
    err = capsys.readouterr().err
    assert ("queries/posts/untyped.sql:3:3: error: could not determine data type of parameter "
            "$1 (:y)\n  hint: PostgreSQL cannot infer this parameter's type; cast it, e.g. "
            ":y::text") in err
    assert "queries/authors/get.sql:3:8: error: column \"nmae\" does not exist" in err
    assert "  hint: Perhaps you meant to reference the column \"authors.name\"." in err
    assert "queries/posts/bad.sql:2:15: error: relation \"post\" does not exist" in err
    assert "3 queries failed to describe; .sqlx/ was not changed" in err
    assert snapshot(project / ".sqlx") == before


def test_row_marker_on_statement_without_rows(project: Path, pg_url: str,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    (project / "queries/posts/publish.sql").write_text(
        "-- :one\nUPDATE posts SET status = 'live' WHERE id = :id\n")
    assert run("-D", pg_url) == 1
    assert "queries/posts/publish.sql:1:1: error: marker :one expects rows" in (
        capsys.readouterr().err)
    assert not (project / ".sqlx").exists()


def test_check_reports_field_level_differences(project: Path, pg_url: str,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    assert run("-D", pg_url) == 0
    assert run("--check", "-D", pg_url) == 0
    before = snapshot(project / ".sqlx")
    # A migration changes a column type and nullability: same query text, new describe.
    (project / "migrations" / "20240102000000_alter.sql").write_text(
        "ALTER TABLE authors ALTER COLUMN name DROP NOT NULL;\n"
        "ALTER TABLE authors ALTER COLUMN id TYPE int8;\n")
    (project / "queries/posts/count.sql").unlink()
    (project / "queries/posts/titles.sql").write_text("-- :many\nSELECT title FROM posts\n")
    capsys.readouterr()
    assert run("--check", "-D", pg_url) == 1
    out = capsys.readouterr().out
    assert "queries/authors/get.sql: column 0 (id): type Int4 -> Int8" in out
    assert "queries/authors/get.sql: column 1 (name): nullable false -> true" in out
    assert "queries/authors/get.sql: parameter 1 type Int4 -> Int8" in out
    assert "queries/posts/titles.sql: no metadata in .sqlx/" in out
    assert "metadata without a query file (stale)" in out
    assert ".sqlx/repo-meta.json: made from other migrations" in out
    assert snapshot(project / ".sqlx") == before


def test_check_reports_changed_query_text(project: Path, pg_url: str,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    assert run("-D", pg_url) == 0
    (project / "queries/authors/get.sql").write_text(
        "-- One author.\n-- :optional\nSELECT id, name FROM authors WHERE id = :id\n")
    capsys.readouterr()
    assert run("--check", "-D", pg_url) == 1
    out = capsys.readouterr().out
    assert "queries/authors/get.sql: query text changed" in out
    assert "queries/authors/get.sql: column count 3 -> 2" in out


def test_check_without_metadata_fails(project: Path, pg_url: str,
                                      capsys: pytest.CaptureFixture[str]) -> None:
    assert run("--check", "-D", pg_url) == 1
    assert "no metadata in .sqlx/" in capsys.readouterr().out
    assert not (project / ".sqlx").exists()


def test_sqlx_09_adds_origin(project: Path, pg_url: str) -> None:
    assert run("-D", pg_url, "--sqlx-version", "0.9", "--sqlx-dir", "meta09") == 0
    meta = store.load_meta(project / "meta09")
    assert meta is not None
    data = store.load_all(project / "meta09")[meta["queries"]["posts/count"]["hash"]]
    assert data.describe.columns[0].origin == "Expression"
    data = store.load_all(project / "meta09")[meta["queries"]["authors/get"]["hash"]]
    assert data.describe.columns[0].origin == {"Table": {"table": "authors", "name": "id"}}


def test_paths_from_options(project: Path, pg_url: str) -> None:
    os.rename(project / "migrations", project / "db")
    os.rename(project / "queries", project / "sql")
    assert run("-D", pg_url, "--source", "db", "--queries", "sql", "--sqlx-dir", "out") == 0
    assert (project / "out" / "repo-meta.json").is_file()


def test_no_scratch_describes_the_database_as_is(project: Path, db_url: str,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    # db_url holds the AIWebEngine schema, not this project's: describing fails accordingly.
    assert run("-D", db_url, "--no-scratch") == 1
    assert 'relation "authors" does not exist' in capsys.readouterr().err


def test_project_sqlx_is_up_to_date(pg_url: str, monkeypatch: pytest.MonkeyPatch,
                                    capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(ROOT)
    monkeypatch.delenv("DATABASE_URL", raising=False)
    code = run("--check", "-D", pg_url)
    assert code == 0, capsys.readouterr()


# -- atomic replacement ------------------------------------------------------------------

def test_write_atomic_failure_leaves_old_set(tmp_path: Path) -> None:
    sqlx = tmp_path / ".sqlx"
    store.write_atomic(sqlx, {"query-" + "a" * 64 + ".json": "old\n", "repo-meta.json": "{}\n"})
    before = snapshot(sqlx)
    with pytest.raises(WriteError) as caught:
        store.write_atomic(sqlx, {"query-" + "b" * 64 + ".json": "new\n", "no/such": "x"})
    assert str(sqlx / "no/such") in str(caught.value)
    assert snapshot(sqlx) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == [".sqlx"]


def _dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def test_death_between_renames_readers_see_old_set_and_writer_recovers(tmp_path: Path) -> None:
    sqlx = tmp_path / ".sqlx"
    store.write_atomic(sqlx, {"repo-meta.json": '{"v": "old"}\n'})
    dead = _dead_pid()
    os.rename(sqlx, tmp_path / f"..sqlx.old-{dead}-aa")
    (tmp_path / f"..sqlx.new-{dead}-aa").mkdir()
    writer = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    alive = tmp_path / f"..sqlx.new-{writer.pid}-bb"  # a concurrent writer: left alone
    alive.mkdir()
    # Our own pid on a name we are not using: a previous run in a container that restarted
    # with the same pid. It is dead.
    (tmp_path / f"..sqlx.new-{os.getpid()}-cc").mkdir()
    try:
        assert store.load_meta(sqlx) == {"v": "old"}
        assert not sqlx.exists()  # readers never modify anything
        store.recover(sqlx)
        assert (sqlx / "repo-meta.json").read_text() == '{"v": "old"}\n'
        assert sorted(p.name for p in tmp_path.iterdir()) == sorted([".sqlx", alive.name])
    finally:
        writer.kill()
        writer.wait()


_WRITER = """
import sys
from pathlib import Path
from repo.metadata import store
files = {f"query-{i:064x}.json": sys.argv[2] * 20000 for i in range(200)}
files["repo-meta.json"] = sys.argv[2]
store.write_atomic(Path(sys.argv[1]), files)
"""


@pytest.mark.slow
@pytest.mark.parametrize("delay", [0.05, 0.15, 0.3, 0.5])
def test_sigkill_leaves_old_or_new_set(tmp_path: Path, delay: float) -> None:
    sqlx = tmp_path / ".sqlx"
    subprocess.run([sys.executable, "-c", _WRITER, str(sqlx), "o"], check=True)
    proc = subprocess.Popen([sys.executable, "-c", _WRITER, str(sqlx), "n"])
    time.sleep(delay)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    store.recover(sqlx)
    contents = {p.read_text() for p in sqlx.iterdir()}
    assert contents in ({"o", "o" * 20000}, {"n", "n" * 20000})
    assert len(list(sqlx.iterdir())) == 201


@pytest.mark.slow
def test_prepare_with_embedded_server(project: Path,
                                      capsys: pytest.CaptureFixture[str]) -> None:
    assert run() == 0
    err = capsys.readouterr().err
    assert "starting a throwaway embedded PostgreSQL" in err
    assert (project / ".sqlx" / "repo-meta.json").is_file()


@pytest.mark.parametrize("module", ["repo.queries.model", "repo.queries.loader",
                                    "repo.queries.placeholders",
                                    "repo.describe.nullability", "repo.metadata.store",
                                    "repo.metadata.diff"])
def test_doctests(module: str) -> None:
    import doctest
    import importlib

    result = doctest.testmod(importlib.import_module(module))
    assert result.failed == 0 and result.attempted > 0
