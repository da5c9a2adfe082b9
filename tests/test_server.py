"""Throwaway and development servers: started, reachable, and gone afterwards."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import psycopg
import pytest

from repo.server import dev, find_binaries, scratch_server

pytestmark = pytest.mark.skipif(find_binaries() is None, reason="needs PostgreSQL binaries")


def _postgres_pids_for(path: Path) -> list[int]:
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
            except OSError:
                continue
            if "postgres" in cmdline and str(path) in cmdline:
                pids.append(int(entry.name))
    return pids


def test_scratch_server_is_deleted_on_exit() -> None:
    with scratch_server() as url, psycopg.connect(url) as conn:
        row = conn.execute("SHOW data_directory").fetchone()
        assert row is not None
        datadir = Path(str(row[0]))
        assert datadir.exists()
    assert not datadir.exists()
    assert _postgres_pids_for(datadir) == []


def test_scratch_server_stops_on_exception() -> None:
    datadir = None
    with pytest.raises(RuntimeError), scratch_server() as url:
        with psycopg.connect(url) as conn:
            row = conn.execute("SHOW data_directory").fetchone()
            assert row is not None
            datadir = Path(str(row[0]))
        raise RuntimeError("boom")
    assert datadir is not None and not datadir.exists()
    assert _postgres_pids_for(datadir) == []


def test_dev_server_lifecycle(tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parent.parent)}

    def cli(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "repo", "db", *args], cwd=tmp_path,
                              env=env, capture_output=True, text=True, timeout=120)

    assert cli("status").returncode == 3
    started = cli("start")
    try:
        assert started.returncode == 0, started.stderr
        url = cli("url").stdout.strip()
        assert url.startswith("postgresql://postgres@127.0.0.1:") and url.endswith("/app")
        with psycopg.connect(url) as conn:
            conn.execute("CREATE TABLE kept (x int)")
            conn.commit()
        assert (tmp_path / ".pgdata" / ".gitignore").read_text() == "*\n"
    finally:
        assert cli("stop").returncode == 0
    assert dev.status(tmp_path).running is False
    assert cli("start").returncode == 0  # data survives a restart, on the same URL
    try:
        assert cli("url").stdout.strip() == url
        with psycopg.connect(url) as conn:
            assert conn.execute("SELECT count(*) FROM kept").fetchone() == (0,)
    finally:
        cli("stop")
    assert _postgres_pids_for(tmp_path) == []


def test_temporary_databases_of_killed_processes_are_swept(pg_url: str) -> None:
    from repo.server.databases import _host_tag, sweep_temporary_databases

    code = ("import os, sys\nfrom repo.server import temporary_database\n"
            "with temporary_database(sys.argv[1], prefix='repo_sweeptest') as url:\n"
            "    print(url.rsplit('/', 1)[1], flush=True)\n    os.kill(os.getpid(), 9)\n")
    proc = subprocess.run([sys.executable, "-c", code, pg_url], capture_output=True, text=True,
                          timeout=60)
    left = proc.stdout.strip()
    assert proc.returncode == -9 and left.startswith(f"repo_sweeptest_{_host_tag()}_")

    def names() -> set[str]:
        with psycopg.connect(pg_url) as conn:
            return {r[0] for r in conn.execute("SELECT datname FROM pg_database")}

    assert left in names()  # SIGKILL ran no cleanup
    assert sweep_temporary_databases(pg_url, "repo_sweeptest") == [left]
    assert left not in names()


def test_server_started_from_a_short_lived_thread_outlives_that_thread(tmp_path: Path) -> None:
    # Linux's parent-death signal follows the forking *thread*: a server started from
    # asyncio.to_thread or a worker pool used to die (SIGQUIT) as soon as that thread ended.
    import threading

    from repo.server.embedded import EmbeddedServer

    server = EmbeddedServer(tmp_path / "data")
    started = threading.Thread(target=server.start)
    started.start()
    started.join()
    try:
        assert server.process is not None
        time.sleep(0.5)  # the signal, if any, is delivered as the thread exits
        assert server.process.poll() is None, "the server died with the thread that started it"
        with psycopg.connect(server.url) as conn:
            assert conn.execute("SELECT 1").fetchone() == (1,)
    finally:
        server.stop()
