"""Shared reads: one read per file inside `verify`, always the disk outside it."""

from __future__ import annotations

from pathlib import Path

from repo.reads import read_bytes, read_text, shared_reads


def test_outside_a_run_every_read_sees_the_disk(tmp_path: Path) -> None:
    f = tmp_path / "q.sql"
    f.write_text("SELECT 1")
    assert read_bytes(f) == b"SELECT 1"
    f.write_text("SELECT 2")
    assert read_bytes(f) == b"SELECT 2"


def test_inside_a_run_every_reader_judges_the_first_read(tmp_path: Path) -> None:
    f = tmp_path / "q.sql"
    f.write_text("SELECT 1")
    with shared_reads():
        assert read_bytes(f) == b"SELECT 1"
        f.write_text("SELECT 2")
        assert read_bytes(f) == b"SELECT 1"
    assert read_bytes(f) == b"SELECT 2"  # the run is over: no stale bytes afterwards


def test_read_text_is_path_read_text(tmp_path: Path) -> None:
    f = tmp_path / "m.json"
    f.write_bytes("{\r\n \"a\": \"\u00e9\"\r}\n".encode())
    with shared_reads():
        assert read_text(f) == f.read_text(encoding="utf-8")
    assert read_text(f) == f.read_text(encoding="utf-8")


def test_sqlx_is_parsed_once_inside_a_run(tmp_path: Path) -> None:
    import hashlib
    import json

    from repo.metadata.store import load_all

    def write(sql: str) -> None:
        digest = hashlib.sha256(sql.encode()).hexdigest()
        for old in tmp_path.glob("query-*.json"):
            old.unlink()
        (tmp_path / f"query-{digest}.json").write_text(json.dumps({
            "db_name": "PostgreSQL", "query": sql, "hash": digest,
            "describe": {"columns": [], "parameters": {"Left": []}, "nullable": []}}))

    write("SELECT 1")
    with shared_reads():
        first = load_all(tmp_path)
        write("SELECT 2")  # verify's check and codegen's drift check judge one parse
        second = load_all(tmp_path)
        assert second == first and second is not first  # a copy: callers may change theirs
        assert [d.query for d in second.values()] == ["SELECT 1"]
    assert [d.query for d in load_all(tmp_path).values()] == ["SELECT 2"]
