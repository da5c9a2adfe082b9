"""`python -m repo migrate ...` as a user runs it: output, exit codes, error channel."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from repo.cli import main

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty project directory as the current directory, with no URL configured."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.delenv("APP_REPOSITORY__DATABASE_URL", raising=False)
    (tmp_path / "migrations").mkdir()
    (tmp_path / "migrations" / "1_first.sql").write_text("CREATE TABLE first (x int);\n")
    return tmp_path


def test_run_info_check_cycle(project: Path, empty_db_url: str,
                              capsys: pytest.CaptureFixture[str]) -> None:
    url = ["--database-url", empty_db_url]
    assert main(["migrate", "check", *url]) == 1
    assert "1/pending first" in capsys.readouterr().out
    assert main(["migrate", "run", *url]) == 0
    assert capsys.readouterr().out.startswith("Applied 1/migrate first (")
    assert main(["migrate", "check", *url]) == 0
    assert main(["migrate", "info", *url]) == 0
    assert capsys.readouterr().out.splitlines()[-1] == "1/installed first"
    (project / "migrations" / "1_first.sql").write_text("CREATE TABLE first (x bigint);\n")
    assert main(["migrate", "info", *url]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "1/installed (different checksum) first"
    assert out[1].startswith("applied migration had checksum ") and len(out[1]) == 31 + 96
    assert main(["migrate", "check", *url]) == 1
    assert main(["migrate", "run", *url]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: ") and "migration 1 was previously applied but has been " \
        "modified" in err and "1_first.sql" in err


def test_errors_go_to_stderr_with_exit_1(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["migrate", "run"]) == 1
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.startswith("error: no database URL configured")
    assert "hint:" in captured.err


def test_usage_error_exits_2(project: Path) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["migrate", "run", "--target-version", "abc"])
    assert exc.value.code == 2


def test_add_then_run_from_dotenv(project: Path, empty_db_url: str,
                                  capsys: pytest.CaptureFixture[str]) -> None:
    (project / ".env").write_text(f"DATABASE_URL={empty_db_url}\n")
    assert main(["migrate", "add", "-r", "second", "thing"]) == 0
    created = capsys.readouterr().out.splitlines()
    assert [line.split("_", 1)[1] for line in created] == ["second_thing.up.sql",
                                                           "second_thing.down.sql"]
    assert main(["migrate", "run"]) == 0
    assert main(["migrate", "revert"]) == 0
    assert "/revert second thing" in capsys.readouterr().out.splitlines()[-1]


def test_python_dash_m_repo_subprocess(project: Path, empty_db_url: str) -> None:
    env = {**os.environ, "DATABASE_URL": empty_db_url}
    proc = subprocess.run([sys.executable, "-m", "repo", "migrate", "run", "--source",
                           str(ROOT / "migrations")], capture_output=True, text=True, env=env,
                          timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.count("Applied ") == 5
