"""The migrator against a real server: SQLx's table, checksums, order, refusals and lock."""

from __future__ import annotations

import hashlib
import threading
import zlib
from pathlib import Path

import psycopg
import pytest

from repo.errors import (
    ChecksumMismatch,
    MigrationExecuteError,
    MissingMigration,
    VersionNotPresent,
    VersionTooOld,
)
from repo.migrate import Migrator, connect, lock_id, resolve

SQLX_TABLE_COLUMNS = [
    ("version", "bigint", "NO"),
    ("description", "text", "NO"),
    ("installed_on", "timestamp with time zone", "NO"),
    ("success", "boolean", "NO"),
    ("checksum", "bytea", "NO"),
    ("execution_time", "bigint", "NO"),
]


def write(dir_: Path, name: str, content: str | bytes) -> Path:
    path = dir_ / name
    path.write_bytes(content.encode() if isinstance(content, str) else content)
    return path


@pytest.fixture
def source(tmp_path: Path) -> Path:
    src = tmp_path / "migrations"
    src.mkdir()
    write(src, "1_create_a.up.sql", "CREATE TABLE a (x int);\n")
    write(src, "1_create_a.down.sql", "DROP TABLE a;\n")
    write(src, "2_create_b.up.sql", "CREATE TABLE b (y int);\n")
    write(src, "2_create_b.down.sql", "DROP TABLE b;\n")
    return src


def migrate(url: str, src: Path, **kwargs: object) -> list[str]:
    with connect(url) as conn:
        return [s.line for s in Migrator(conn, resolve(src)).run(**kwargs)]  # type: ignore[arg-type]


def revert(url: str, src: Path, **kwargs: object) -> list[str]:
    with connect(url) as conn:
        return [s.line for s in Migrator(conn, resolve(src)).revert(**kwargs)]  # type: ignore[arg-type]


def rows(url: str) -> list[tuple[object, ...]]:
    with psycopg.connect(url) as conn:
        return conn.execute("SELECT version, description, success, checksum, execution_time "
                            "FROM _sqlx_migrations ORDER BY version").fetchall()


def tables(url: str) -> set[str]:
    with psycopg.connect(url) as conn:
        return {r[0] for r in conn.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public'")}


def test_table_is_created_as_sqlx_creates_it(empty_db_url: str, source: Path) -> None:
    migrate(empty_db_url, source)
    with psycopg.connect(empty_db_url) as conn:
        cols = conn.execute(
            "SELECT column_name, data_type, is_nullable FROM information_schema.columns "
            "WHERE table_name = '_sqlx_migrations' ORDER BY ordinal_position").fetchall()
        pk = conn.execute("SELECT a.attname FROM pg_index i JOIN pg_attribute a ON "
                          "a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey) "
                          "WHERE i.indrelid = '_sqlx_migrations'::regclass AND i.indisprimary"
                          ).fetchall()
    assert cols == SQLX_TABLE_COLUMNS
    assert pk == [("version",)]


def test_checksums_are_sha384_of_raw_bytes_including_crlf_and_bom(
        empty_db_url: str, tmp_path: Path) -> None:
    src = tmp_path / "m"
    src.mkdir()
    crlf = b"CREATE TABLE crlf (x int);\r\nCREATE TABLE crlf2 (x int);\r\n"
    bom = b"\xef\xbb\xbfCREATE TABLE bom (x int);\n"
    write(src, "1_crlf.sql", crlf)
    write(src, "2_bom.sql", bom)
    migrate(empty_db_url, src)
    stored = {r[0]: bytes(r[3]) for r in rows(empty_db_url)}  # type: ignore[call-overload]
    assert stored == {1: hashlib.sha384(crlf).digest(), 2: hashlib.sha384(bom).digest()}
    assert all(len(c) == 48 for c in stored.values())
    assert {"crlf", "crlf2", "bom"} <= tables(empty_db_url)


def test_sqlx_test_vector_checksum(tmp_path: Path) -> None:
    # sqlx-cli/tests/migrations_reversible/20230101000000_test1.up.sql
    write(tmp_path, "20230101000000_test1.up.sql", "CREATE TABLE test1(x INTEGER PRIMARY KEY);\n")
    (m,) = resolve(tmp_path)
    assert m.checksum.hex() == ("d405902250e0b05857014783cd7c02e59250a799fcd242e4937c4febf775a84"
                                "777fd4d0937db997c495ad67dbb7115e6")


def test_run_records_rows_and_nanosecond_times(empty_db_url: str, source: Path) -> None:
    lines = migrate(empty_db_url, source)
    assert [line.split(" (")[0] for line in lines] == [
        "Applied 1/migrate create a", "Applied 2/migrate create b"]
    recorded = rows(empty_db_url)
    assert [(r[0], r[1], r[2]) for r in recorded] == [(1, "create a", True), (2, "create b", True)]
    # nanoseconds: a real DDL statement takes well over 1,000 ns and SQLx's -1 is replaced
    assert all(int(r[4]) > 1000 for r in recorded)  # type: ignore[call-overload]
    assert migrate(empty_db_url, source) == []  # nothing pending: no output


def test_revert_one_then_all_then_rerun(empty_db_url: str, source: Path) -> None:
    migrate(empty_db_url, source)
    assert [line.split(" (")[0] for line in revert(empty_db_url, source)] == [
        "Applied 2/revert create b"]
    assert tables(empty_db_url) == {"a", "_sqlx_migrations"}
    migrate(empty_db_url, source)
    assert len(revert(empty_db_url, source, target=0)) == 2
    assert tables(empty_db_url) == {"_sqlx_migrations"}
    assert rows(empty_db_url) == []
    migrate(empty_db_url, source)
    assert tables(empty_db_url) == {"a", "b", "_sqlx_migrations"}


def test_target_version_and_dry_run(empty_db_url: str, source: Path) -> None:
    dry = migrate(empty_db_url, source, dry_run=True)
    assert [line.split(" (")[0] for line in dry] == ["Can apply 1/migrate create a",
                                                     "Can apply 2/migrate create b"]
    assert tables(empty_db_url) == set()  # a dry run writes nothing, not even the table
    lines = migrate(empty_db_url, source, target=1)
    assert [line.split(" (")[0] for line in lines] == ["Applied 1/migrate create a",
                                                       "Skipped 2/migrate create b"]
    assert [r[0] for r in rows(empty_db_url)] == [1]
    with pytest.raises(VersionNotPresent, match="migration 7 is not present"):
        migrate(empty_db_url, source, target=7)
    migrate(empty_db_url, source)
    with pytest.raises(VersionTooOld, match="migration 1 is older than the latest applied "
                                            "migration 2"):
        migrate(empty_db_url, source, target=1)


def test_failed_migration_leaves_no_trace(empty_db_url: str, source: Path) -> None:
    bad = write(source, "3_broken.sql",
                "CREATE TABLE c (z int);\nINSERT INTO c VALUES (1);\nSELECT * FROM nowhere;\n")
    with pytest.raises(MigrationExecuteError) as err:
        migrate(empty_db_url, source)
    text = str(err.value)
    assert text.startswith(f"{bad}:3:15: while executing migration 3:")
    assert 'relation "nowhere" does not exist' in text
    assert "rolled back" in text
    assert "c" not in tables(empty_db_url)
    assert [r[0] for r in rows(empty_db_url)] == [1, 2]
    bad.write_text("CREATE TABLE c (z int);\n")
    migrate(empty_db_url, source)
    assert [r[0] for r in rows(empty_db_url)] == [1, 2, 3]


def test_edited_applied_migration_is_refused_by_name(empty_db_url: str, source: Path) -> None:
    migrate(empty_db_url, source)
    edited = source / "1_create_a.up.sql"
    edited.write_text("CREATE TABLE a (x bigint);\n")
    write(source, "3_more.sql", "CREATE TABLE d (x int);\n")
    with pytest.raises(ChecksumMismatch) as err:
        migrate(empty_db_url, source)
    assert "migration 1 was previously applied but has been modified" in str(err.value)
    assert str(edited) in str(err.value)
    assert "d" not in tables(empty_db_url)
    with connect(empty_db_url) as conn:
        states = {s.version: s.state for s in Migrator(conn, resolve(source)).status()}
    assert states == {1: "changed", 2: "installed", 3: "pending"}


def test_missing_applied_migration_needs_ignore_missing(empty_db_url: str, source: Path) -> None:
    migrate(empty_db_url, source)
    for f in source.glob("2_*"):
        f.unlink()
    write(source, "3_more.sql", "CREATE TABLE d (x int);\n")
    with pytest.raises(MissingMigration, match="migration 2 was previously applied but is "
                                               "missing in the resolved migrations"):
        migrate(empty_db_url, source)
    migrate(empty_db_url, source, ignore_missing=True)
    assert "d" in tables(empty_db_url)


def test_no_transaction_runs_concurrent_index_builds(empty_db_url: str, source: Path) -> None:
    write(source, "3_index.sql", "-- no-transaction\n"
          "CREATE INDEX CONCURRENTLY a_x ON a (x);\nCREATE INDEX CONCURRENTLY b_y ON b (y);\n")
    migrate(empty_db_url, source)
    with psycopg.connect(empty_db_url) as conn:
        idx = {r[0] for r in conn.execute("SELECT indexname FROM pg_indexes "
                                          "WHERE schemaname = 'public'")}
    assert {"a_x", "b_y"} <= idx
    assert [r[0] for r in rows(empty_db_url)] == [1, 2, 3]


def test_no_transaction_marker_only_at_byte_zero(tmp_path: Path) -> None:
    write(tmp_path, "1_a.sql", "-- no-transaction\nSELECT 1;\n")
    write(tmp_path, "2_b.sql", "\n-- no-transaction\nSELECT 1;\n")
    write(tmp_path, "3_c.sql", "\ufeff-- no-transaction\nSELECT 1;\n")
    assert [m.no_tx for m in resolve(tmp_path)] == [True, False, False]


def test_lock_key_is_sqlx_formula() -> None:
    assert lock_id("postgres") == 368907709894077238
    assert lock_id("sqlx") == 2659960926882687016
    assert lock_id("mydb") == 293176876009260204
    assert lock_id("x") == 0x3D32AD9E * zlib.crc32(b"x")


def test_run_waits_for_the_advisory_lock(empty_db_url: str, source: Path) -> None:
    with psycopg.connect(empty_db_url, autocommit=True) as holder:
        dbname = holder.info.dbname
        holder.execute("SELECT pg_advisory_lock(%s::int8)", [lock_id(dbname)])
        done = threading.Event()
        worker = threading.Thread(target=lambda: (migrate(empty_db_url, source), done.set()))
        worker.start()
        assert not done.wait(1.0), "the migrator ran while another session held SQLx's lock"
        holder.execute("SELECT pg_advisory_unlock(%s::int8)", [lock_id(dbname)])
        worker.join(30)
    assert done.is_set()
    assert [r[0] for r in rows(empty_db_url)] == [1, 2]


def test_two_migrators_at_once_apply_each_migration_once(empty_db_url: str, source: Path) -> None:
    write(source, "3_slow.sql", "SELECT pg_sleep(0.3);\nCREATE TABLE slow (x int);\n")
    errors: list[BaseException] = []

    def worker() -> None:
        try:
            migrate(empty_db_url, source)
        except BaseException as exc:  # noqa: BLE001 - collected and asserted below
            errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert errors == []
    assert [r[0] for r in rows(empty_db_url)] == [1, 2, 3]


def test_revert_refuses_to_step_over_a_simple_migration(empty_db_url: str, source: Path) -> None:
    write(source, "3_simple.sql", "CREATE TABLE s (x int);\n")
    migrate(empty_db_url, source)
    with pytest.raises(Exception, match="migration 3 is applied but has no down file"):
        revert(empty_db_url, source)
    assert "b" in tables(empty_db_url)


def test_project_migrations_revert_cleanly(empty_db_url: str) -> None:
    src = Path(__file__).resolve().parent.parent / "migrations"
    migrate(empty_db_url, src)
    assert {"scripts", "assets", "logs", "users", "sessions"} <= tables(empty_db_url)
    revert(empty_db_url, src, target=0)
    assert tables(empty_db_url) == {"_sqlx_migrations"}
    migrate(empty_db_url, src)
    assert len(rows(empty_db_url)) == 5


@pytest.mark.parametrize("content", [b"", b" \n\t\r\n", b"\xef\xbb\xbf\n", b"-- nothing to undo\n"],
                         ids=["empty", "whitespace", "bom-only", "comment-only"])
def test_empty_migration_files_run_and_revert_as_in_sqlx(content: bytes, empty_db_url: str,
                                                        tmp_path: Path) -> None:
    # Real SQLx projects commit empty `.down.sql` (and sometimes empty up) files; `sqlx migrate`
    # applies them as a no-op with the checksum of their bytes.
    src = tmp_path / "migrations"
    src.mkdir()
    write(src, "1_create_a.up.sql", "CREATE TABLE a (x int);\n")
    write(src, "1_create_a.down.sql", content)
    write(src, "2_nothing.up.sql", content)
    write(src, "2_nothing.down.sql", content)
    empty = not content.startswith(b"--")
    assert [m.empty for m in resolve(src)] == [False, empty, empty, empty]
    migrate(empty_db_url, src)
    applied = rows(empty_db_url)
    assert [r[0] for r in applied] == [1, 2]
    assert bytes(applied[1][3]) == hashlib.sha384(content).digest()  # type: ignore[arg-type]
    revert(empty_db_url, src, target=0)
    assert rows(empty_db_url) == [] and "a" in tables(empty_db_url)  # the down file did nothing
