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
