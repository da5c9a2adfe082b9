"""Query files reached through links: refused outside the project, read inside it."""

from __future__ import annotations

from pathlib import Path

import pytest

from repo.links import outside_target
from repo.queries.loader import load_queries


def test_a_path_through_a_linked_folder_resolves_outside(tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    # Listing does not enter linked folders; a path named through one (a file passed on the
    # command line) is still caught, whichever component below the folder is the link.
    project, outside = tmp_path / "project", tmp_path / "outside"
    (outside / "users").mkdir(parents=True)
    (outside / "users" / "get.sql").write_text("-- :one\nSELECT 1 AS one\n")
    (project / "queries").mkdir(parents=True)
    monkeypatch.chdir(project)
    (project / "queries" / "users").symlink_to(outside / "users")
    path = project / "queries" / "users" / "get.sql"
    assert outside_target(path, project / "queries") == (outside / "users" / "get.sql").resolve()
    assert outside_target(project / "queries" / ".." / ".." / "outside" / "users" / "get.sql",
                          project / "queries") is not None
    assert outside_target(project / "queries" / "plain.sql", project / "queries") is None


def test_plain_and_inside_linked_files_load(tmp_path: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    project = tmp_path / "project"
    (project / "queries" / "users").mkdir(parents=True)
    (project / "shared").mkdir()
    (project / "shared" / "count.sql").write_text("-- :one\nSELECT 2 AS two\n")
    (project / "queries" / "users" / "get.sql").write_text("-- :one\nSELECT 1 AS one\n")
    (project / "queries" / "users" / "count.sql").symlink_to(project / "shared" / "count.sql")
    monkeypatch.chdir(project)
    assert sorted(q.method for q in load_queries(project / "queries")) == ["count", "get"]
