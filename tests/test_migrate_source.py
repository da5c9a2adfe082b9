"""File-name rules, descriptions and `migrate add`, as SQLx has them (no database needed)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from repo.errors import MigrationSourceError
from repo.migrate import Kind, add_migration, fingerprint, resolve
from repo.migrate.add import next_version
from repo.migrate.source import parse_file_name


@pytest.mark.parametrize(("name", "expected"), [
    ("20230101000000_create_users.up.sql", (20230101000000, "create users", Kind.UP)),
    ("20230101000000_create_users.down.sql", (20230101000000, "create users", Kind.DOWN)),
    ("1_a_b_c.sql", (1, "a b c", Kind.SIMPLE)),
    ("0001_x.sql", (1, "x", Kind.SIMPLE)),
    ("+5_plus.sql", (5, "plus", Kind.SIMPLE)),
    ("0_zero.sql", (0, "zero", Kind.SIMPLE)),
    ("3_double.sql.sql", (3, "double", Kind.SIMPLE)),  # trim_end_matches strips repeatedly
    ("README.md", None),
    ("nounderscore.sql", None),
    ("1_notes.txt", None),
])
def test_file_names(name: str, expected: object) -> None:
    assert parse_file_name(name) == expected


def test_non_integer_version_is_an_error_naming_the_file() -> None:
    with pytest.raises(MigrationSourceError, match='error parsing migration filename "v1_x.sql"; '
                                                   "expected integer version prefix"):
        parse_file_name("v1_x.sql")


def test_resolve_orders_by_version_and_rejects_bad_files(tmp_path: Path) -> None:
    (tmp_path / "10_b.sql").write_text("SELECT 1;")
    (tmp_path / "9_a.up.sql").write_text("SELECT 1;")
    (tmp_path / "9_a.down.sql").write_text("SELECT 1;")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "1_nested.sql").write_text("SELECT 1;")  # not recursive
    assert [(m.version, m.kind) for m in resolve(tmp_path)] == [
        (9, Kind.UP), (9, Kind.DOWN), (10, Kind.SIMPLE)]
    (tmp_path / "11_bad.sql").write_bytes(b"SELECT '\xff';")
    with pytest.raises(MigrationSourceError, match=r"11_bad.sql: migration file is not valid "
                                                   r"UTF-8 \(byte 8\)"):
        resolve(tmp_path)
    (tmp_path / "11_bad.sql").write_text("SELECT 1;")
    (tmp_path / "11_dup.sql").write_text("SELECT 1;")
    with pytest.raises(MigrationSourceError, match="duplicate migration version 11"):
        resolve(tmp_path)


def test_missing_directory_says_how_to_start(tmp_path: Path) -> None:
    with pytest.raises(MigrationSourceError, match="does not exist") as err:
        resolve(tmp_path / "nope")
    assert "migrate add" in str(err.value)


def test_fingerprint_changes_with_any_file(tmp_path: Path) -> None:
    (tmp_path / "1_a.sql").write_text("SELECT 1;")
    before = fingerprint(resolve(tmp_path))
    (tmp_path / "1_a.sql").write_text("SELECT 2;")
    assert fingerprint(resolve(tmp_path)) != before


def test_add_creates_sqlx_templates(tmp_path: Path) -> None:
    src = tmp_path / "migrations"
    [simple] = add_migration(src, "create users", timestamp=True)
    assert simple.name.endswith("_create_users.sql") and len(simple.name.split("_")[0]) == 14
    assert simple.read_text() == "-- Add migration script here\n"
    up, down = add_migration(src, "add index", reversible=True, timestamp=True)
    assert up.read_text() == "-- Add up migration script here\n"
    assert down.read_text() == "-- Add down migration script here\n"
    # Inferred: the last migration is reversible, so the next one is too.
    assert [p.suffixes[-2] for p in add_migration(src, "more", sequential=True)] == [".up",
                                                                                     ".down"]


def test_adds_within_one_second_get_distinct_versions(tmp_path: Path) -> None:
    for name in ("one", "two", "three"):
        add_migration(tmp_path, name, timestamp=True)
    versions = [m.version for m in resolve(tmp_path)]
    assert len(set(versions)) == 3 and versions == sorted(versions)


def test_version_inference(tmp_path: Path) -> None:
    now = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    assert next_version([], timestamp=False, sequential=False, now=now) == "20260102030405"
    assert next_version([], timestamp=False, sequential=True, now=now) == "0001"
    for name in ("0001_a.sql", "0002_b.sql"):
        (tmp_path / name).write_text("SELECT 1;")
    assert next_version(resolve(tmp_path), timestamp=False, sequential=False, now=now) == "0003"
    assert next_version(resolve(tmp_path), timestamp=True, sequential=False, now=now) == \
        "20260102030405"
