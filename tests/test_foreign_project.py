"""A team adopts the package: installed from a built wheel (not this source tree) into a fresh
virtual environment, in a throwaway project of its own, through init, prepare, import,
mypy --strict, the typed Database, the pytest plugin and offline verify.

The third-party dependencies (psycopg, pydantic, sqlglot, pytest, ...) are borrowed from this
environment's site-packages through a ``.pth`` path line (no network, no reinstall); the
editable install of this checkout is not visible there (its import hook lives in a ``.pth``
file of that directory, which a plain path line does not run).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

from repo.server import create_database, drop_database

ROOT = Path(__file__).resolve().parent.parent

APP = '''
from db import Database, Note


def run(url: str) -> list[str]:
    with Database(url, auto_migrate=True, max_size=2) as db:
        first: Note = db.repos.notes.create(title="hello", body="world")
        with db.transaction() as tx:
            tx.notes.create(title="second", body=first.title)
        return [n.title for n in db.repos.notes.list_recent(limit=5)]
'''

BAD = '''
from db import Database


def wrong(db: Database) -> None:
    db.repos.notes.nope()
'''

PLUGIN_TEST = '''
import psycopg

from db import NoteRepo


def test_notes(repo_conn: psycopg.Connection[tuple[object, ...]]) -> None:
    notes = NoteRepo(repo_conn)
    created = notes.create(title="t", body="b")
    assert notes.get(id=created.id) == created
'''


def _run(args: list[str], cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    run = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=300,
                         check=False)
    assert run.returncode == 0, f"{args}:\n{run.stdout}\n{run.stderr}"
    return run


@pytest.fixture(scope="module")
def venv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A virtual environment with the package installed from its wheel."""
    base = tmp_path_factory.mktemp("foreign")
    src = base / "src"  # a copy: building in place would write build/ into the checkout
    src.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, src / name)
    shutil.copytree(ROOT / "repo", src / "repo",
                    ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    _run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "-w", str(base / "dist"),
          str(src)], base, env)
    [wheel] = (base / "dist").glob("sqlfile_repo-*.whl")
    venv = base / "venv"
    _run([sys.executable, "-m", "venv", "--without-pip", str(venv)], base, env)
    python = venv / "bin" / "python"
    _run([sys.executable, "-m", "pip", "--python", str(python), "install", "--quiet",
          "--no-deps", "--no-index", str(wheel)], base, env)
    site = Path(_run([str(python), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
                     base, env).stdout.strip())
    (site / "borrowed_deps.pth").write_text(sysconfig.get_path("purelib") + "\n",
                                           encoding="utf-8")
    return venv


@pytest.mark.slow
def test_a_new_team_adopts_the_package(venv: Path, tmp_path: Path, pg_url: str) -> None:
    python = str(venv / "bin" / "python")
    project = tmp_path / "notes"
    env = {k: v for k, v in os.environ.items()
           if k not in ("PYTHONPATH", "DATABASE_URL", "TEST_DATABASE_URL", "VIRTUAL_ENV")}
    where = _run([python, "-c", "import repo; print(repo.__file__)"], tmp_path, env)
    assert where.stdout.startswith(str(venv)), where.stdout  # the wheel, not this checkout

    _run([python, "-m", "repo", "init", str(project)], tmp_path, env)
    prepared = _run([python, "-m", "repo", "prepare"], project, env)  # an embedded server
    assert "generated package: db (import it as `db`" in prepared.stderr

    (project / "app.py").write_text(APP, encoding="utf-8")
    (project / "bad.py").write_text(BAD, encoding="utf-8")
    mypy = subprocess.run([sys.executable, "-m", "mypy", "--strict", "--python-executable",
                           python, "--cache-dir", str(tmp_path / "mypy"), "app.py", "bad.py",
                           "db"], cwd=project, env=env, capture_output=True, text=True,
                          timeout=300, check=False)
    # The generated package and app.py are strict-clean; a typo in bad.py is caught.
    errors = [line for line in mypy.stdout.splitlines() if ": error:" in line]
    assert len(errors) == 1 and errors[0].startswith("bad.py:6:") and '"nope"' in errors[0], (
        mypy.stdout + mypy.stderr)

    name = f"foreign_{os.getpid()}"
    url = create_database(pg_url, name)
    try:
        used = _run([python, "-c", f"import app; print(app.run({url!r}))"], project, env)
        assert used.stdout.strip() == "['second', 'hello']"
    finally:
        drop_database(pg_url, name)

    (project / "test_notes.py").write_text(PLUGIN_TEST, encoding="utf-8")
    tests = _run([python, "-m", "pytest", "-q", "-p", "no:cacheprovider", "test_notes.py"],
                 project, {**env, "TEST_DATABASE_URL": pg_url})
    assert "1 passed" in tests.stdout

    offline = [python, "-m", "repo", "verify"]
    if shutil.which("unshare") and subprocess.run(["unshare", "--net", "true"],
                                                  capture_output=True, check=False).returncode == 0:
        offline = ["unshare", "--net", *offline]
    verified = _run(offline, project, env)
    assert "verify: 0 error(s)" in verified.stdout
