"""Crashes: a killed migrator half-applies nothing, a failed ``-- no-transaction`` migration is
reported with what ran and what to do, and a throwaway server dies with its owner.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from helpers.reliability import (
    active_queries,
    alive,
    cli_env,
    own_server_dir,
    process_tree,
    run_cli,
    start_cli,
    wait_for,
    write_files,
)

from repo.server import EmbeddedServer, find_binaries
from repo.server.databases import dbname_of, with_dbname
from repo.server.embedded import sweep_stale_scratch_dirs

MARK = "crash-window"


def _versions(url: str) -> list[int]:
    with psycopg.connect(url, autocommit=True) as conn:
        if not conn.execute("SELECT to_regclass('_sqlx_migrations')").fetchone()[0]:  # type: ignore[index]
            return []
        rows = conn.execute("SELECT version FROM _sqlx_migrations ORDER BY version").fetchall()
    return [int(r[0]) for r in rows]  # type: ignore[call-overload]


def _exists(url: str, relation: str) -> bool:
    with psycopg.connect(url, autocommit=True) as conn:
        row = conn.execute("SELECT to_regclass(%s) IS NOT NULL", [relation]).fetchone()
    return bool(row and row[0])


def test_sigkill_in_the_middle_of_a_migration_leaves_nothing(empty_db_url: str,
                                                             tmp_path: Path) -> None:
    source = write_files(tmp_path / "migrations", {
        "1_base.sql": "CREATE TABLE base (id INT);\n",
        # DDL and data first, then a pause during which the migrator is killed.
        "2_crash.sql": "CREATE TABLE crash_t (id INT);\nINSERT INTO crash_t VALUES (1);\n"
                       f"SELECT pg_sleep(2) /* {MARK} */;\n",
    })
    env = cli_env({"DATABASE_URL": empty_db_url})
    admin = with_dbname(empty_db_url, "postgres")
    proc = start_cli(["migrate", "run", "--source", str(source)], cwd=tmp_path, env=env)
    try:
        wait_for(lambda: any(MARK in q for _, q in active_queries(admin, dbname_of(empty_db_url))),
                 timeout=30, what="the migration to reach pg_sleep")
        # The DDL has run inside the migration's transaction, invisible to everyone else.
        assert not _exists(empty_db_url, "crash_t")
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.communicate(timeout=30)
    assert proc.returncode == -signal.SIGKILL

    # Neither the schema change nor the bookkeeping row survived the crash.
    assert not _exists(empty_db_url, "crash_t")
    assert _versions(empty_db_url) == [1]

    # The next run waits for the orphaned session (which still holds the advisory lock until the
    # server notices its client is gone), then completes.
    rerun = run_cli(["migrate", "run", "--source", str(source)], cwd=tmp_path, env=env)
    assert rerun.returncode == 0, rerun.stderr
    assert rerun.stdout.startswith("Applied 2/migrate crash ")
    assert _versions(empty_db_url) == [1, 2]
    with psycopg.connect(empty_db_url, autocommit=True) as conn:
        assert conn.execute("SELECT count(*) FROM crash_t").fetchone() == (1,)


def test_no_transaction_migration_failing_half_way_is_reported_precisely(
        empty_db_url: str, tmp_path: Path) -> None:
    failing = ("-- no-transaction\n"
               "CREATE INDEX CONCURRENTLY idx_a ON t (a);\n"
               "CREATE INDEX CONCURRENTLY idx_c ON t (c);\n")
    source = write_files(tmp_path / "migrations", {
        "1_t.sql": "CREATE TABLE t (a INT, b INT);\n",
        "2_indexes.sql": failing,
    })
    env = cli_env({"DATABASE_URL": empty_db_url})
    result = run_cli(["migrate", "run", "--source", str(source)], cwd=tmp_path, env=env)

    assert result.returncode == 1
    path = source / "2_indexes.sql"
    first, *rest = result.stderr.splitlines()
    # file:line:col of the statement that failed, the migration and PostgreSQL's reason ...
    assert first == (f'error: {path}:3:1: while executing migration 2: '
                     'column "c" does not exist')
    hint = " ".join(rest)
    # ... what ran and stayed, that nothing was recorded, and what to do next.
    assert "1 earlier statement(s) of it completed and were not rolled back" in hint
    assert "was not recorded" in hint
    assert "python -m repo migrate run" in hint
    assert result.stdout == "Applied 1/migrate t (" + result.stdout.split("(", 1)[1]
    # The report is true: the first index exists, the migration is not recorded.
    assert _exists(empty_db_url, "idx_a") and not _exists(empty_db_url, "idx_c")
    assert _versions(empty_db_url) == [1]

    # Following the hint: make the file re-runnable and fix it; the next run completes.
    path.write_text(failing.replace("CONCURRENTLY idx", "CONCURRENTLY IF NOT EXISTS idx")
                    .replace("(c)", "(b)"))
    rerun = run_cli(["migrate", "run", "--source", str(source)], cwd=tmp_path, env=env)
    assert rerun.returncode == 0, rerun.stderr
    assert _versions(empty_db_url) == [1, 2] and _exists(empty_db_url, "idx_c")


def test_no_transaction_single_message_failure_says_nothing_stayed(empty_db_url: str,
                                                                   tmp_path: Path) -> None:
    # Sent as one message, PostgreSQL runs the statements in an implicit transaction, so the
    # CREATE TABLE is rolled back with the failure; the report must not claim otherwise.
    source = write_files(tmp_path / "migrations", {
        "1_half.sql": "-- no-transaction\nCREATE TABLE half (id INT);\nSELECT 1/0;\n",
    })
    result = run_cli(["migrate", "run", "--source", str(source)], cwd=tmp_path,
                     env=cli_env({"DATABASE_URL": empty_db_url}))
    assert result.returncode == 1
    assert result.stderr.startswith(f"error: {source / '1_half.sql'}:")
    assert "division by zero" in result.stderr
    assert "0 earlier statement(s)" in result.stderr
    assert not _exists(empty_db_url, "half")
    assert _versions(empty_db_url) == []


# -- a throwaway server never outlives its owner ----------------------------------------------

_OWNER = textwrap.dedent("""
    import time
    from repo.server import scratch_server

    with scratch_server() as url:
        print(url, flush=True)
        time.sleep(120)
""")


def _postmaster_for(port: int) -> tuple[int, Path]:
    """The postgres process listening on ``port`` and its data directory (from /proc)."""
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            args = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if args and args[0].endswith(b"postgres") and b"-p" in args and \
                args[args.index(b"-p") + 1] == str(port).encode():
            return int(entry.name), Path(args[args.index(b"-D") + 1].decode())
    raise AssertionError(f"no postgres process on port {port}")


@pytest.mark.slow
@pytest.mark.parametrize("signum", [signal.SIGKILL, signal.SIGTERM, signal.SIGINT],
                         ids=["SIGKILL", "SIGTERM", "SIGINT"])
def test_scratch_server_dies_with_its_owner(signum: int, tmp_path: Path) -> None:
    owner = subprocess.Popen([sys.executable, "-c", _OWNER], stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True, env=cli_env())
    try:
        assert owner.stdout is not None
        url = owner.stdout.readline().strip()
        assert url.startswith("postgresql://"), owner.stderr.read() if owner.stderr else ""
        postmaster, datadir = _postmaster_for(int(url.rsplit(":", 1)[1].split("/")[0]))
        server = process_tree(postmaster)
        assert len(server) >= 3  # postmaster + checkpointer, background writer, ...
        scratch = datadir.parent
        assert (scratch / "owner.pid").read_text() == str(owner.pid)
        os.kill(owner.pid, signum)
        owner.communicate(timeout=60)
    finally:
        if owner.poll() is None:
            owner.kill()
            owner.wait()

    # Every server process is gone, whichever way the owner died.
    wait_for(lambda: not alive(server), timeout=30, what="the server to stop")
    if signum != signal.SIGKILL:
        # Ctrl-C and SIGTERM unwind the context manager: the server is stopped, files deleted.
        assert not scratch.exists()
    else:
        # A killed owner cannot clean up; its directory is swept by the next scratch server.
        assert scratch.exists()
        sweep_stale_scratch_dirs(scratch.parent)
        assert not scratch.exists()


# -- prepare killed at any point -------------------------------------------------------------

def _snapshot(project: Path) -> dict[str, bytes]:
    """Every metadata and generated file, by path relative to the project."""
    from repo.metadata import store

    files = {f".sqlx/{name}": text.encode() for name, text in
             store.load_raw(project / ".sqlx").items()}
    for path in sorted((project / "repo" / "generated").glob("*.py")):
        files[f"repo/generated/{path.name}"] = path.read_bytes()
    return files


def _state(after: dict[str, bytes], old: dict[str, bytes], new: dict[str, bytes],
           prefix: str) -> str:
    part = {k: v for k, v in after.items() if k.startswith(prefix)}
    if part == {k: v for k, v in old.items() if k.startswith(prefix)}:
        return "old"
    return "new" if part == {k: v for k, v in new.items() if k.startswith(prefix)} else "mixed"


def _prepare_project(tmp_path: Path, name: str) -> Path:
    import shutil

    from helpers.reliability import ROOT

    project = tmp_path / name
    for part in ("migrations", "queries", ".sqlx", "repo/generated", "config.toml"):
        src = ROOT / part
        if src.is_dir():
            shutil.copytree(src, project / part, ignore=shutil.ignore_patterns("__pycache__"))
        elif src.exists():
            (project / part).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(src, project / part)
    # A change that alters a query's hash, its metadata and the generated code.
    query = project / "queries" / "scripts" / "count.sql"
    query.write_text("-- Changed by the crash test.\n" + query.read_text())
    return project


@pytest.fixture
def throwaway_server() -> Iterator[str]:
    """A server of this test's own: a SIGKILLed `prepare` cannot drop its temporary database,
    and those leftovers must not pile up on a shared server."""
    if find_binaries() is None:
        pytest.skip("no PostgreSQL binaries")
    with own_server_dir("prepare-kill") as datadir:
        server = EmbeddedServer(datadir)
        server.start()
        try:
            yield server.url
        finally:
            server.stop()


@pytest.mark.slow
def test_prepare_killed_at_any_point_leaves_old_or_new_metadata_and_code(
        throwaway_server: str, tmp_path: Path) -> None:
    env = cli_env({"DATABASE_URL": throwaway_server})
    reference = _prepare_project(tmp_path, "reference")
    old = _snapshot(reference)
    done = run_cli(["prepare"], cwd=reference, env=env)
    assert done.returncode == 0, done.stderr
    new = _snapshot(reference)
    assert old != new  # the change really changes metadata and code

    outcomes = []
    for i, delay in enumerate([0.1, 0.2, 0.3, 0.4, 0.5, 0.6]):
        project = _prepare_project(tmp_path, f"kill{i}")
        proc = start_cli(["prepare"], cwd=project, env=env)
        time.sleep(delay)
        proc.send_signal(signal.SIGKILL)
        proc.communicate(timeout=30)
        after = _snapshot(project)
        sqlx = {k: v for k, v in after.items() if k.startswith(".sqlx/")}
        assert sqlx in ({k: v for k, v in old.items() if k.startswith(".sqlx/")},
                        {k: v for k, v in new.items() if k.startswith(".sqlx/")}), delay
        for path, content in after.items():  # every generated file is whole, old or new
            assert content in (old.get(path), new.get(path)), (delay, path)
        state = "/".join(_state(after, old, new, prefix)
                         for prefix in (".sqlx/", "repo/generated/"))
        outcomes.append(state)
        if state.startswith("new/") and state != "new/new":
            # New metadata with (partly) old code: `verify` says so and names the fix.
            check = run_cli(["verify"], cwd=project, env=env)
            assert check.returncode == 1 and "V005" in check.stderr + check.stdout
        # The next run recovers whatever the killed one left and completes.
        rerun = run_cli(["prepare"], cwd=project, env=env)
        assert rerun.returncode == 0, rerun.stderr
        assert _snapshot(project) == new
    # .sqlx is swapped as one set; the generated files are each replaced atomically, and a kill
    # between .sqlx and codegen leaves new metadata with old code, which `verify` reports and
    # `python -m repo generate` fixes.
    print(f"\nprepare killed at 0.1..0.6 s (.sqlx/generated): {outcomes}")
