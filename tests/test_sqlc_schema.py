"""A sqlc ``schema:`` (one file or a folder) read as the migrations, by sqlc's rules."""

from __future__ import annotations

from pathlib import Path

from repo.migrate import resolve


def test_one_schema_file_is_one_migration(tmp_path: Path) -> None:
    schema = tmp_path / "schema.sql"
    schema.write_text("CREATE TABLE a (id int);\n\\restrict abc\nCREATE TABLE b (id int);\n")
    (m,) = resolve(schema)
    assert (m.version, m.description, m.path) == (1, "schema", schema)
    assert m.sql == "CREATE TABLE a (id int);\nCREATE TABLE b (id int);"  # psql line dropped


def test_folder_in_lexical_order_down_parts_and_files_skipped(tmp_path: Path) -> None:
    (tmp_path / "10_b.sql").write_text("-- +goose Up\nCREATE TABLE b ();\n-- +goose Down\n"
                                       "DROP TABLE b;\n")
    (tmp_path / "9_a.sql").write_text("CREATE TABLE a ();\n-- migrate:down\nDROP TABLE a;\n")
    (tmp_path / "9_a.down.sql").write_text("DROP TABLE a;\n")
    (tmp_path / ".hidden.sql").write_text("DROP TABLE a;\n")
    (tmp_path / "notes.txt").write_text("not sql\n")
    found = resolve(tmp_path)
    # sqlc sorts by name ("10_b" before "9_a"), unlike SQLx's numeric versions.
    assert [(m.version, m.path.name) for m in found] == [(1, "10_b.sql"), (2, "9_a.sql")]
    assert [m.sql for m in found] == ["-- +goose Up\nCREATE TABLE b ();", "CREATE TABLE a ();"]


def test_folder_of_unversioned_files_is_a_sqlc_schema(tmp_path: Path) -> None:
    (tmp_path / "authors.sql").write_text("CREATE TABLE authors ();\n")
    (tmp_path / "books.sql").write_text("---- create above / drop below ----\nDROP TABLE x;\n")
    assert [(m.description, m.sql) for m in resolve(tmp_path)] == [
        ("authors", "CREATE TABLE authors ();"), ("books", "")]


def test_sqlx_migrations_folder_is_read_as_before(tmp_path: Path) -> None:
    (tmp_path / "0002_b.sql").write_text("CREATE TABLE b ();\n")
    (tmp_path / "0001_a.sql").write_text("CREATE TABLE a ();\n")
    (tmp_path / "README.md").write_text("docs\n")
    assert [(m.version, m.sql) for m in resolve(tmp_path)] == [
        (1, "CREATE TABLE a ();\n"), (2, "CREATE TABLE b ();\n")]
