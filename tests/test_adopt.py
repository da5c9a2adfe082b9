"""Another project adopts the library: its own generated package, anywhere, with extensions."""

from __future__ import annotations

import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from repo.cli import main

ROOT = Path(__file__).resolve().parent.parent


def _project(tmp_path: Path, paths: str) -> Path:
    """This repository's queries, .sqlx and migrations with another `[paths]` table."""
    for name in ("queries", ".sqlx", "migrations"):
        shutil.copytree(ROOT / name, tmp_path / name)
    (tmp_path / "config.toml").write_text(f"[paths]\n{textwrap.dedent(paths)}", encoding="utf-8")
    return tmp_path


def _extensions(path: Path) -> None:
    """AIWebEngine's hand-written `LogRepoExtension`, as another project would write it."""
    text = (ROOT / "repo" / "extensions.py").read_text(encoding="utf-8")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text.replace("from .runtime import", "from repo.runtime import"),
                    encoding="utf-8")


def _run(code: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)], cwd=cwd, text=True,
                          capture_output=True, timeout=60, check=False)


@pytest.mark.parametrize(("paths", "ext_file", "package"), [
    ('generated = "blog_db"\n', "extensions.py", "blog_db"),
    ('generated = "blog/db"\nextensions = "blog/hand/written.py"\n', "blog/hand/written.py",
     "blog.db"),
])
def test_extensions_work_wherever_the_package_lives(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, paths: str, ext_file: str,
        package: str) -> None:
    project = _project(tmp_path, paths)
    _extensions(project / ext_file)
    for folder in {Path(ext_file).parent, *Path(package.replace(".", "/")).parents}:
        if folder != Path(".") and not (project / folder / "__init__.py").exists():
            (project / folder / "__init__.py").write_text("", encoding="utf-8")
    monkeypatch.chdir(project)
    assert main(["generate"]) == 0
    run = _run(f"""
        from {package} import AsyncDatabase, AsyncLogRepo, Database, LogRepo
        import repo.database
        assert issubclass(Database, repo.database.Database)
        assert issubclass(AsyncDatabase, repo.database.AsyncDatabase)
        print(LogRepo.append_many.__qualname__, AsyncLogRepo.append_many.__qualname__)
    """, project)
    assert run.stdout.split() == ["LogRepoExtension.append_many",
                                  "AsyncLogRepoExtension.append_many"], run.stderr
