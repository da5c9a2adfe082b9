"""``prepare`` and ``generate`` write all or nothing, on real filesystems that fail.

* deep SQL (80 nested parentheses, 60 nested ``coalesce``) is described by PostgreSQL and
  reported as "not analysed" by the offline analysis, never a ``RecursionError``;
* a failure after the metadata is computed (code generation) changes neither ``.sqlx/`` nor
  the generated package;
* a full disk (a real 256 KiB tmpfs) or a read-only mount under ``.sqlx`` or the generated
  package is one ``error:`` line naming the path, and both directories stay as they were;
* a symlinked ``.sqlx`` / package stays a symlink, leftovers of killed writers are swept;
* query and migration files linking outside the project are refused unless allowed;
* written files follow the umask.
"""

from __future__ import annotations

import errno
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from helpers.reliability import ROOT

from repo.cli import main

CONFIG = '[paths]\ngenerated = "gen/pkg"\n'


def _project(tmp_path: Path) -> Path:
    """The repository's migrations and its ``scripts`` queries, generated code in gen/pkg."""
    project = tmp_path / "project"
    shutil.copytree(ROOT / "migrations", project / "migrations")
    shutil.copytree(ROOT / "queries" / "scripts", project / "queries" / "scripts")
    (project / "config.toml").write_text(CONFIG)
    return project


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out + err


def _snapshot(*dirs: Path) -> dict[str, bytes]:
    """Every file under ``dirs`` (following a symlinked top directory), by path."""
    out: dict[str, bytes] = {}
    for d in dirs:
        for p in sorted(Path(os.path.realpath(d)).rglob("*")):
            if p.is_file() and "__pycache__" not in p.parts:
                out[f"{d}/{p.relative_to(os.path.realpath(d))}"] = p.read_bytes()
    return out


def _add_query(project: Path, name: str = "extra") -> None:
    (project / "queries" / "scripts" / f"{name}.sql").write_text(
        "-- :one\nSELECT count(*) AS n FROM scripts WHERE uri <> :uri\n")


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, pg_url: str,
            capsys: pytest.CaptureFixture[str]) -> Iterator[Path]:
    """A prepared project (cwd), with the test server's URL in DATABASE_URL."""
    root = _project(tmp_path)
    monkeypatch.chdir(root)
    monkeypatch.setenv("DATABASE_URL", pg_url)
    code, text = _run(capsys, "prepare")
    assert code == 0, text
    yield root


# -- deep SQL ----------------------------------------------------------------------------

def test_deep_sql_is_described_and_reported_not_a_crash(project: Path,
                                                        capsys: pytest.CaptureFixture[str]
                                                        ) -> None:
    scripts = project / "queries" / "scripts"
    depth = {"deep_parens": 80, "deep_calls": 60, "very_deep": 1000}
    (scripts / "deep_parens.sql").write_text("-- :one\nSELECT " + "(" * 80 + "1" + ")" * 80
                                             + " AS x\n")
    (scripts / "deep_calls.sql").write_text("-- :one\nSELECT " + "coalesce(" * 60 + "1"
                                            + ")" * 60 + " AS x\n")
    (scripts / "very_deep.sql").write_text("-- :one\nSELECT " + "(" * depth["very_deep"] + "1"
                                           + ")" * depth["very_deep"] + " AS x\n")
    code, text = _run(capsys, "prepare")
    assert code == 0, text  # PostgreSQL describes all three
    code, text = _run(capsys, "verify")
    assert code == 0, text
    # 80 and 60 levels are analysed; 1000 exceed Python's stack: that one query is named and
    # counted as not checked (a warning), never a RecursionError.
    assert "deep_parens.sql" not in text and "deep_calls.sql" not in text, text
    assert "queries/scripts/very_deep.sql:2:1: W004 not checked statically: the statement " \
           "is nested too deeply" in text, text
    code, text = _run(capsys, "explain", "queries/scripts/very_deep.sql")
    assert code == 0 and "nested too deeply" in text, text
    code, text = _run(capsys, "explain", "queries/scripts/deep_calls.sql")
    assert code == 0 and "x: int4" in text, text


# -- all or nothing ----------------------------------------------------------------------

def test_codegen_failure_after_describe_changes_nothing(project: Path,
                                                        capsys: pytest.CaptureFixture[str]
                                                        ) -> None:
    before = _snapshot(project / ".sqlx", project / "gen" / "pkg")
    _add_query(project)  # new metadata would be written...
    (project / "gen" / "extensions.py").write_text("class Broken(:\n")  # ...codegen fails
    code, text = _run(capsys, "prepare")
    assert code == 1, text
    assert "gen/extensions.py:1" in text and "error: " in text, text
    assert _snapshot(project / ".sqlx", project / "gen" / "pkg") == before
    assert sorted(p.name for p in project.iterdir() if p.name.startswith(".")) == [".sqlx"]
    assert sorted(p.name for p in (project / "gen").iterdir()) == ["extensions.py", "pkg"]


# -- full disk, read-only ----------------------------------------------------------------

@pytest.fixture
def tiny_fs(tmp_path: Path) -> Iterator[Path]:
    """A real 256 KiB tmpfs (needs root); skipped, with the reason, when it cannot be mounted."""
    mnt = tmp_path / "tiny"
    mnt.mkdir()
    proc = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=256k", "tmpfs", str(mnt)],
                          capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs to fill up: {proc.stderr.strip() or proc.returncode}")
    try:
        yield mnt
    finally:
        subprocess.run(["umount", "-l", str(mnt)], check=False)


def _fill(directory: Path) -> Path:
    """Write a filler file until the filesystem of ``directory`` is full."""
    filler = directory / "filler"
    try:
        with open(filler, "wb") as fh:
            while True:
                fh.write(b"\0" * 4096)
                fh.flush()
    except OSError as exc:
        assert exc.errno == errno.ENOSPC
    assert filler.exists()
    return filler


@pytest.mark.parametrize("where", ["sqlx", "generated"])
def test_full_disk_is_an_error_naming_the_path_and_changes_nothing(
        where: str, tiny_fs: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        pg_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    project = _project(tmp_path)
    paths = {"sqlx": f'sqlx = "{tiny_fs}/.sqlx"\ngenerated = "gen/pkg"\n',
             "generated": f'generated = "{tiny_fs}/pkg"\ngenerated_package = "pkg"\n'}
    (project / "config.toml").write_text("[paths]\n" + paths[where])
    sqlx, pkg = ((tiny_fs / ".sqlx", project / "gen" / "pkg") if where == "sqlx"
                 else (project / ".sqlx", tiny_fs / "pkg"))
    monkeypatch.chdir(project)
    monkeypatch.setenv("DATABASE_URL", pg_url)
    code, text = _run(capsys, "prepare")
    assert code == 0, text
    before = _snapshot(sqlx, pkg)
    _add_query(project)
    filler = _fill(tiny_fs)
    code, text = _run(capsys, "prepare")
    assert code == 1, text
    full = sqlx if where == "sqlx" else pkg
    # The path named is the directory or a file in it, depending on which write the full
    # disk stops first (a tmpfs counts pages: one more small file in it moves that point).
    assert f"error: {full}" in text and "No space left on device" in text, text
    assert "hint: free some disk space; nothing was replaced" in text, text
    assert "Traceback" not in text
    assert _snapshot(sqlx, pkg) == before  # neither directory changed, not even the other one
    assert sorted(p.name for p in tiny_fs.iterdir()) == sorted([full.name, "filler"])
    # Space again: the same command succeeds and writes both.
    filler.unlink()
    code, text = _run(capsys, "prepare")
    assert code == 0, text
    after = _snapshot(sqlx, pkg)
    assert after != before and any("extra" in k or b"extra" in v for k, v in after.items())


def test_read_only_generated_package_is_an_error(tiny_fs: Path, tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    project = _project(tmp_path)
    (project / "config.toml").write_text(
        f'[paths]\ngenerated = "{tiny_fs}/pkg"\ngenerated_package = "pkg"\n')
    shutil.copytree(ROOT / ".sqlx", project / ".sqlx")
    monkeypatch.chdir(project)
    code, text = _run(capsys, "generate")
    assert code == 0, text
    before = _snapshot(tiny_fs / "pkg")
    _add_query(project, "get_by_uri_again")
    shutil.copy(ROOT / "queries" / "scripts" / "get_by_uri.sql",
                project / "queries" / "scripts" / "get_by_uri_again.sql")
    subprocess.run(["mount", "-o", "remount,ro", str(tiny_fs)], check=True)
    code, text = _run(capsys, "generate")
    assert code == 1, text
    assert f"error: {tiny_fs}/pkg: cannot create the new directory beside it: Read-only file " \
           "system" in text, text
    assert "Traceback" not in text
    assert _snapshot(tiny_fs / "pkg") == before


# -- symlinks and leftovers --------------------------------------------------------------

def test_symlinked_sqlx_and_package_stay_symlinks(tmp_path: Path, project: Path,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    shared = tmp_path / "shared"
    shared.mkdir()
    for name, link in ((".sqlx", project / ".sqlx"), ("pkg", project / "gen" / "pkg")):
        shutil.move(link, shared / name)
        link.symlink_to(shared / name, target_is_directory=True)
    _add_query(project)
    code, text = _run(capsys, "prepare")
    assert code == 0, text
    assert (project / ".sqlx").is_symlink() and (project / "gen" / "pkg").is_symlink()
    meta = (shared / ".sqlx" / "repo-meta.json").read_text()
    assert "scripts/extra.sql" in meta
    assert "def extra(" in (shared / "pkg" / "repos.py").read_text()
    leftovers = [p for d in (shared, project, project / "gen") for p in d.iterdir()
                 if ".new-" in p.name or ".old-" in p.name]
    assert leftovers == []


def _dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def test_leftovers_of_dead_writers_are_swept(project: Path,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    dead = _dead_pid()
    leftovers = [project / f"..sqlx.new-{dead}-aa", project / f"..sqlx.old-{dead}-bb",
                 project / "gen" / f".pkg.new-{dead}-cc",
                 project / "gen" / f".pkg.new-{os.getpid()}-dd"]  # our pid, an earlier life
    for p in leftovers:
        (p / "sub").mkdir(parents=True)
    live = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    busy = project / f"..sqlx.new-{live.pid}-ee"  # a concurrent writer: left alone
    busy.mkdir()
    try:
        _add_query(project)
        code, text = _run(capsys, "prepare")
        assert code == 0, text
        assert [p for p in leftovers if p.exists()] == []
        assert busy.is_dir()
    finally:
        live.kill()
        live.wait()


# -- links outside the project -----------------------------------------------------------

def test_query_and_migration_links_outside_the_project_are_refused(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    project = _project(tmp_path)
    shutil.copytree(ROOT / ".sqlx", project / ".sqlx")
    monkeypatch.chdir(project)
    outside = tmp_path / "elsewhere.sql"
    outside.write_text("CREATE TABLE stolen (id int);\n")
    query = project / "queries" / "scripts" / "passwd.sql"
    query.symlink_to("/etc/passwd")
    for command in (["verify"], ["generate"], ["prepare", "--check"]):
        code, text = _run(capsys, *command)
        assert code == 1, text
        assert "queries/scripts/passwd.sql" in text, text
        assert "query file resolves to /etc/passwd, outside the project; it is not read" in text
        assert "root:" not in text
    query.unlink()
    migration = project / "migrations" / "20990101000000_stolen.sql"
    migration.symlink_to(outside)
    code, text = _run(capsys, "migrate", "info", "--database-url", "postgresql://nobody@127.0.0.1:1/x")
    assert code == 1 and f"migration file resolves to {outside}" in text, text
    # A link inside the project is fine, and the project can allow links outside it.
    shared = project / "shared"
    shared.mkdir()
    (shared / "count.sql").write_text("-- :one\nSELECT count(*) AS n FROM scripts\n")
    (project / "queries" / "scripts" / "count_again.sql").symlink_to(shared / "count.sql")
    migration.unlink()
    code, text = _run(capsys, "verify")
    assert "outside the project" not in text, text
    query.symlink_to("/etc/passwd")
    (project / "config.toml").write_text(CONFIG + "allow_outside_links = true\n")
    code, text = _run(capsys, "verify")
    assert "outside the project" not in text and "passwd.sql" in text, text


# -- permissions -------------------------------------------------------------------------

@pytest.mark.parametrize("umask", [0o022, 0o002], ids=["umask-022", "umask-002"])
def test_written_files_follow_the_umask(umask: int, tmp_path: Path,
                                        monkeypatch: pytest.MonkeyPatch,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    from repo.metadata import store

    project = _project(tmp_path)
    shutil.copytree(ROOT / ".sqlx", project / "source-sqlx")
    monkeypatch.chdir(project)
    previous = os.umask(umask)
    try:
        store.write_atomic(project / ".sqlx", {p.name: p.read_text() for p in
                                               (project / "source-sqlx").iterdir()})
        code, text = _run(capsys, "generate")
    finally:
        os.umask(previous)
    assert code == 0, text
    files = [*(project / ".sqlx").iterdir(), *(project / "gen" / "pkg").glob("*.py")]
    assert len(files) > 6
    assert {oct(p.stat().st_mode & 0o777) for p in files} == {oct(0o666 & ~umask)}
    dirs = [project / ".sqlx", project / "gen" / "pkg"]
    assert {oct(p.stat().st_mode & 0o777) for p in dirs} == {oct(0o777 & ~umask)}


def test_other_commands_name_the_path_they_cannot_write(tiny_fs: Path, tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch,
                                                        capsys: pytest.CaptureFixture[str]
                                                        ) -> None:
    """Any command's unwritable file is one error line with the path (``migrate add`` here)."""
    monkeypatch.chdir(tmp_path)
    (tiny_fs / "migrations").mkdir()
    subprocess.run(["mount", "-o", "remount,ro", str(tiny_fs)], check=True)
    code, text = _run(capsys, "migrate", "add", "create users", "--source",
                      str(tiny_fs / "migrations"))
    assert code == 1, text
    assert f"error: {tiny_fs}/migrations/" in text and "Read-only file system" in text, text
    assert "Traceback" not in text
