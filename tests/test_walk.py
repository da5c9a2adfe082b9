"""`repo.walk.files` lists what ``Path.rglob`` + ``is_file()`` lists, in the same order."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from repo import walk


def _tree(root: Path) -> Path:
    base = root / "base"
    for rel in ("b/2.sql", "a/1.sql", "a/z/3.SQL", "top.sql", ".hidden/4.sql", "a/5.txt",
                "__pycache__/6.sql"):
        (base / rel).parent.mkdir(parents=True, exist_ok=True)
        (base / rel).write_text("SELECT 1\n")
    (base / "dir.sql").mkdir()  # a folder named like a file is not listed
    outside = root / "outside"
    outside.mkdir()
    (outside / "7.sql").write_text("SELECT 7\n")
    os.symlink(outside, base / "linked_dir")  # not entered, as rglob does not
    os.symlink(outside / "7.sql", base / "a" / "link.sql")  # listed, marked as a link
    os.symlink(root / "missing.sql", base / "broken.sql")  # not a file
    return base


def _rglob(base: Path, pattern: str) -> list[Path]:
    return sorted((p for p in base.rglob(pattern) if p.is_file()), key=lambda p: p.parts)


@pytest.mark.parametrize("ending", [".sql", ".SQL", ".txt"])
def test_files_match_rglob(tmp_path: Path, ending: str) -> None:
    base = _tree(tmp_path)
    found = walk.files(base, walk.suffix(ending))
    assert [f.path for f in found] == _rglob(base, f"*{ending}")
    assert [f.rel for f in found] == [p.relative_to(base).parts for p in _rglob(base, f"*{ending}")]


def test_links_are_marked(tmp_path: Path) -> None:
    base = _tree(tmp_path)
    links = {"/".join(f.rel) for f in walk.files(base, walk.suffix(".sql")) if f.link}
    assert links == {"a/link.sql"}


def test_relative_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _tree(tmp_path)
    monkeypatch.chdir(tmp_path / "base")
    assert [f.path for f in walk.files(Path("."), walk.suffix(".sql"))] == _rglob(Path("."),
                                                                                 "*.sql")
