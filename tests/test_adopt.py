"""Another project adopts the library: its own generated package, anywhere, with extensions."""

from __future__ import annotations

import os
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


def test_init_then_prepare_gives_an_importable_package(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
        pg_url: str) -> None:
    project = tmp_path / "notes app"
    (project / ".gitignore").parent.mkdir()
    (project / ".gitignore").write_text(".venv/", encoding="utf-8")  # no final newline
    assert main(["init", str(project)]) == 0
    out = capsys.readouterr().out
    steps = [line.split("#")[0].strip() for line in out.split("next:\n")[1].splitlines()]
    assert steps == [f"cd '{project}'", "python -m repo prepare", "python -m repo verify",
                     "python -m repo db start"]
    assert (project / ".gitignore").read_text(encoding="utf-8").splitlines()[::2] == [
        ".venv/", ".pgdata/"]
    config = (project / "config.toml").read_text(encoding="utf-8")
    for key in ("database_type", "database_url", "auto_migrate", "pgbouncer", "direct_url",
                "replica_urls",
                "migrations", "queries", "sqlx", "generated", "generated_package", "extensions",
                "extensions_module", "allow_outside_links", "since"):
        assert f"\n{key} = " in config or f"\n# {key} = " in config, key
    assert main(["init", str(project)]) == 1  # never overwrites a project
    assert "already exists" in capsys.readouterr().err

    monkeypatch.chdir(project)
    assert main(["prepare", "--database-url", pg_url]) == 0
    assert "generated package: db (import it as `db`" in capsys.readouterr().err
    assert main(["verify"]) == 0
    run = _run("""
        from db import Database, Note, NoteRepo
        print(NoteRepo.create.__annotations__["return"].__name__, Database.__module__)
    """, project)
    assert run.stdout.split() == ["Note", "db.database"], run.stderr


def test_prepare_without_config_writes_an_importable_default_or_out(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
        pg_url: str) -> None:
    for name in ("queries", "migrations"):
        shutil.copytree(ROOT / name, tmp_path / name)
    monkeypatch.chdir(tmp_path)
    assert main(["prepare", "--database-url", pg_url]) == 0
    assert "generated package: db (import it as `db`" in capsys.readouterr().err
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "__init__.py").write_text("", encoding="utf-8")
    assert main(["prepare", "--database-url", pg_url, "--out", "app/data"]) == 0
    assert "generated package: app/data (import it as `app.data`" in capsys.readouterr().err
    run = _run("from db import ScriptRepo; from app.data import Database; print('ok')",
               tmp_path)
    assert run.stdout == "ok\n", run.stderr


def test_distribution_is_not_named_repo_and_installs_no_repo_command() -> None:
    import tomllib

    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    # `repo` on PyPI is another project, and a `repo` command shadows Android's tool.
    assert project["name"] == "sqlfile-repo"
    assert "repo" not in project.get("scripts", {})


PLUGIN_TESTS = '''
import psycopg
import pytest


def test_each_test_gets_a_fresh_migrated_database(repo_db_url, repo_conn):
    repo_conn.execute("INSERT INTO notes (title) VALUES ('a')")
    assert repo_conn.execute("SELECT count(*) FROM notes").fetchone() == (1,)
    assert repo_conn.info.dbname == psycopg.conninfo.conninfo_to_dict(repo_db_url)["dbname"]


def test_and_another_one(repo_conn):
    assert repo_conn.execute("SELECT count(*) FROM notes").fetchone() == (0,)


@pytest.mark.asyncio
async def test_async(repo_aconn):
    cur = await repo_aconn.execute("SELECT count(*) FROM notes")
    assert await cur.fetchone() == (0,)
'''


def test_pytest_plugin_in_another_project(tmp_path: Path, pg_url: str) -> None:
    project = tmp_path / "proj"
    assert main(["init", str(project)]) == 0
    (project / "test_notes.py").write_text(PLUGIN_TESTS, encoding="utf-8")
    # pytest-asyncio's strict mode: the plugin's async fixture must work there too.
    (project / "pytest.ini").write_text("[pytest]\nasyncio_default_fixture_loop_scope = "
                                        "function\n", encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if k not in ("TEST_DATABASE_URL", "DATABASE_URL")}
    run = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                          "--repo-test-dsn", pg_url, "-W", "error"], cwd=project,
                         capture_output=True, text=True, timeout=120, check=False, env=env)
    assert run.returncode == 0 and "3 passed" in run.stdout, run.stdout + run.stderr


def test_the_example_projects_generated_code_is_current() -> None:
    # examples/blog is built by .ci/run; a codegen change must regenerate it too:
    # (cd examples/blog && python -m repo generate)
    from repo.codegen import render_all
    from repo.config import load_settings

    example = ROOT / "examples" / "blog"
    settings = load_settings(example, env={})
    settings = settings.with_paths(
        queries=example / settings.queries_dir, sqlx_dir=example / settings.sqlx_dir,
        migrations=example / settings.migrations_dir, generated=example / "blog" / "db")
    files = render_all(settings)
    assert sorted(p.name for p in files) == [
        "__init__.py", "_queries.py", "async_repos.py", "database.py", "models.py", "repos.py"]
    for path, text in files.items():
        assert path.read_text(encoding="utf-8") == text, f"{path} is stale"


def test_every_error_database_open_raises_is_exported(tmp_path: Path, pg_url: str,
                                                       empty_db_url: str) -> None:
    import repo
    from repo.config import load_settings
    from repo.generated import Database

    (tmp_path / "migrations").mkdir()
    (tmp_path / "migrations" / "0001_broken.sql").write_text("CREATE TABLE (;\n",
                                                            encoding="utf-8")
    settings = load_settings(tmp_path, env={})
    with pytest.raises(repo.MigrationError, match="0001_broken.sql"):
        Database(empty_db_url, settings=settings, auto_migrate=True).open()
    (tmp_path / "migrations" / "0001_broken.sql").unlink()
    (tmp_path / "migrations").rmdir()
    with pytest.raises(repo.ConfigError, match="auto_migrate is on"):
        Database(empty_db_url, settings=settings, auto_migrate=True).open()
    with pytest.raises(repo.ConfigError):  # the server answers and refuses the database
        Database(pg_url.rsplit("/", 1)[0] + "/no_such_db", settings=settings).open()
    with pytest.raises(repo.ServerError):  # nobody listens on port 1
        Database("postgresql://u@127.0.0.1:1/d", settings=settings).open()
