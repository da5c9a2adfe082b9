"""The generated-code stamp: verify skips re-rendering only when it can prove nothing changed.

Each test copies the project (as tests/test_verify.py does), runs the real `generate`, then
changes real files and checks what `verify` concludes. No database is used.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from repo.cli import main
from repo.config import load_settings
from repo.drift import STAMP_FILE, stamp_holds
from repo.queries.loader import load_queries

ROOT = Path(__file__).resolve().parent.parent
COPIED = ("migrations", "queries", ".sqlx", "config.toml", "pyproject.toml", "repo/generated",
          "repo/extensions.py")


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for rel in COPIED:
        src, dst = ROOT / rel, tmp_path / rel
        if src.is_dir():
            shutil.copytree(src, dst, ignore=shutil.ignore_patterns("__pycache__", STAMP_FILE))
        else:
            dst.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dst)
    monkeypatch.chdir(tmp_path)
    for var in ("DATABASE_URL", "APP_REPOSITORY__DATABASE_URL"):
        monkeypatch.delenv(var, raising=False)
    return tmp_path


def verify(capsys: pytest.CaptureFixture[str]) -> tuple[int, dict[str, Any]]:
    capsys.readouterr()
    code = main(["verify", "--json"])
    return code, json.loads(capsys.readouterr().out)


def test_generate_leaves_a_stamp_that_holds_until_an_input_changes(
        project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    settings = load_settings(project)
    assert not stamp_holds(settings)  # none yet: verify renders and compares
    assert main(["generate"]) == 0
    assert (settings.generated_dir / STAMP_FILE).is_file() and stamp_holds(settings)
    assert verify(capsys)[0] == 0
    query = project / "queries/scripts/list_all.sql"
    query.write_text(query.read_text() + "\n")
    assert not stamp_holds(settings)  # any input change means: render and compare


def test_hand_edited_file_is_still_found_with_a_stamp(
        project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["generate"]) == 0
    models = project / "repo/generated/models.py"
    models.write_text(models.read_text().replace("class ", "class  ", 1))
    code, report = verify(capsys)
    assert code == 1
    assert [(e["code"], e["file"]) for e in report["errors"]] == [
        ("V005", "repo/generated/models.py")]


def test_extra_generated_file_is_still_found_with_a_stamp(
        project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["generate"]) == 0
    (project / "repo/generated/stray.py").write_text("x = 1\n")
    code, report = verify(capsys)
    assert code == 1 and {e["code"] for e in report["errors"]} == {"V005"}


def test_a_stale_stamp_is_no_finding(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["generate"]) == 0
    stamp = project / "repo/generated" / STAMP_FILE
    stamp.write_text("0" * 64 + " inputs\n")  # e.g. written by another version of the tool
    code, report = verify(capsys)
    assert (code, report["errors"]) == (0, [])


def test_loaded_queries_are_reread_when_a_file_changes_in_place(project: Path) -> None:
    # Same size, written at once: the memo of loaded query files must not serve the old text.
    first = load_queries(project / "queries")
    path = next(q.path for q in first if "ORDER BY uri" in q.text)
    path.write_text(path.read_text().replace("ORDER BY uri", "ORDER BY url"))
    again = load_queries(project / "queries")
    assert any("ORDER BY url" in q.sql for q in again)
