"""Concurrent migrators: many `python -m repo migrate` processes on one database.

Every run and revert holds SQLx's advisory lock, so racing processes serialise: each migration
is applied (and reverted) exactly once, and every process exits 0. A slow migration
(``pg_sleep``) keeps the lock held long enough for the others to pile up behind it; the test
watches ``pg_locks`` to prove they really did wait.
"""

from __future__ import annotations

import hashlib
import re
import subprocess
import threading
import time
from collections import Counter
from pathlib import Path

import psycopg
import pytest
from helpers.reliability import cli_env, start_cli, wait_for, write_files
from psycopg.types.numeric import Int8

from repo.migrate import Migrator, connect, lock_id, resolve
from repo.server.databases import dbname_of

SLOW_SECONDS = 1.0
JOURNAL = "CREATE TABLE journal (version BIGINT NOT NULL, direction TEXT NOT NULL);\n"


def _up(version: int, table: str, extra: str = "") -> str:
    return (f"{extra}CREATE TABLE {table} (id INT);\n"
            f"INSERT INTO journal VALUES ({version}, 'up');\n")


def _down(version: int, table: str) -> str:
    return f"DROP TABLE {table};\nINSERT INTO journal VALUES ({version}, 'down');\n"


# Four reversible migrations above a simple one: four racing reverts can never reach version 1
# (which has no down file and would, rightly, make `revert` fail).
TABLES = {2: "first_t", 3: "second_t", 4: "third_t", 5: "slow_t"}
FILES = {
    "1_journal.sql": JOURNAL,
    "2_first.up.sql": _up(2, "first_t"),
    "2_first.down.sql": _down(2, "first_t"),
    "3_second.up.sql": _up(3, "second_t"),
    "3_second.down.sql": _down(3, "second_t"),
    "4_third.up.sql": _up(4, "third_t"),
    "4_third.down.sql": _down(4, "third_t"),
    # The newest migration is slow both ways, so every run and revert holds the lock a while.
    "5_slow.up.sql": _up(5, "slow_t", f"SELECT pg_sleep({SLOW_SECONDS});\n"),
    "5_slow.down.sql": f"SELECT pg_sleep({SLOW_SECONDS / 2});\n" + _down(5, "slow_t"),
}


class LockWatcher(threading.Thread):
    """Records the largest number of sessions seen waiting for an advisory lock on a database."""

    def __init__(self, url: str) -> None:
        super().__init__(daemon=True)
        self.url = url
        self.most_waiting = 0
        self.done = threading.Event()

    def run(self) -> None:
        with psycopg.connect(self.url, autocommit=True) as conn:
            while not self.done.is_set():
                row = conn.execute(
                    "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted "
                    "AND database = (SELECT oid FROM pg_database WHERE datname = "
                    "current_database())").fetchone()
                self.most_waiting = max(self.most_waiting, int(row[0]) if row else 0)
                time.sleep(0.02)


Result = subprocess.CompletedProcess[str]


def _race(commands: list[list[str]], url: str, cwd: Path) -> tuple[list[Result], int]:
    """Start every command at once; return their results and the peak of lock waiters.

    The test holds the migrator's advisory lock while the processes start, so every one of
    them is provably queued on it before the first may go: a real race, however slowly the
    machine starts Python processes.
    """
    env = cli_env({"DATABASE_URL": url})
    watcher = LockWatcher(url)
    watcher.start()
    key = Int8(lock_id(dbname_of(url)))
    with psycopg.connect(url, autocommit=True) as gate:
        gate.execute("SELECT pg_advisory_lock(%s)", [key])
        procs = [start_cli(args, cwd=cwd, env=env) for args in commands]
        wait_for(lambda: watcher.most_waiting >= len(commands) or
                 any(p.poll() is not None for p in procs),
                 timeout=120, what="every process to queue on the advisory lock")
        gate.execute("SELECT pg_advisory_unlock(%s)", [key])
    results = []
    for args, proc in zip(commands, procs, strict=True):
        out, err = proc.communicate(timeout=120)
        results.append(subprocess.CompletedProcess(args, proc.returncode, out, err))
    watcher.done.set()
    watcher.join()
    return results, watcher.most_waiting


def _applied_lines(results: list[subprocess.CompletedProcess[str]], label: str) -> Counter[int]:
    pattern = re.compile(rf"^Applied (\d+)/{label} ", re.MULTILINE)
    return Counter(int(v) for r in results for v in pattern.findall(r.stdout))


def _journal(conn: psycopg.Connection[tuple[object, ...]]) -> Counter[tuple[int, str]]:
    rows = conn.execute("SELECT version, direction FROM journal").fetchall()
    return Counter((int(v), str(d)) for v, d in rows)  # type: ignore[call-overload]


def _table_exists(conn: psycopg.Connection[tuple[object, ...]], name: str) -> bool:
    row = conn.execute("SELECT to_regclass(%s) IS NOT NULL", [name]).fetchone()
    return bool(row and row[0])


def test_eight_concurrent_runs_apply_each_migration_once(empty_db_url: str,
                                                         tmp_path: Path) -> None:
    source = write_files(tmp_path / "migrations", FILES)
    results, most_waiting = _race(
        [["migrate", "run", "--source", str(source)] for _ in range(8)], empty_db_url, tmp_path)

    for r in results:
        assert r.returncode == 0, r.stderr
        assert "error" not in r.stderr.lower(), r.stderr
    # The race happened: all eight were queued on the lock at once.
    assert most_waiting == 8
    # Exactly one process reports applying each migration.
    assert _applied_lines(results, "migrate") == Counter({1: 1, 2: 1, 3: 1, 4: 1, 5: 1})

    with psycopg.connect(empty_db_url, autocommit=True) as conn:
        rows = conn.execute("SELECT version, success, checksum, execution_time, installed_on "
                            "FROM _sqlx_migrations ORDER BY version").fetchall()
        journal = _journal(conn)
    assert [r[0] for r in rows] == [1, 2, 3, 4, 5]
    by_name = {int(n.split("_")[0]): hashlib.sha384(c.encode()).digest()
               for n, c in FILES.items() if not n.endswith(".down.sql")}
    for version, success, checksum, elapsed_ns, _ in rows:
        assert success is True
        assert bytes(checksum) == by_name[version]  # type: ignore[call-overload]
        assert elapsed_ns > 0  # updated from SQLx's provisional -1 to nanoseconds
    assert rows[4][3] >= SLOW_SECONDS * 1e9  # the slow migration's own time was recorded
    installed = [r[4] for r in rows]
    assert installed == sorted(installed)
    assert journal == Counter({(v, "up"): 1 for v in TABLES})


@pytest.mark.slow
def test_revert_racing_run_keeps_schema_and_bookkeeping_consistent(empty_db_url: str,
                                                                   tmp_path: Path) -> None:
    source = write_files(tmp_path / "migrations", FILES)
    with connect(empty_db_url) as conn:
        Migrator(conn, resolve(source)).run()

    commands = []
    for _ in range(4):  # interleaved, so reverts and runs start in between each other
        commands.append(["migrate", "revert", "--source", str(source)])
        commands.append(["migrate", "run", "--source", str(source)])
    results, most_waiting = _race(commands, empty_db_url, tmp_path)

    for r in results:
        assert r.returncode == 0, r.stderr
    assert most_waiting == 8
    with psycopg.connect(empty_db_url, autocommit=True) as conn:
        applied = {int(r[0]) for r in  # type: ignore[call-overload]
                   conn.execute("SELECT version FROM _sqlx_migrations").fetchall()}
        journal = _journal(conn)
        exists = {v: _table_exists(conn, t) for v, t in TABLES.items()}
    reverted = _applied_lines(results, "revert")
    migrated = _applied_lines(results, "migrate")
    assert sum(reverted.values()) == 4  # each revert undid exactly one migration
    assert 1 in applied and applied == set(range(1, max(applied) + 1))  # always a prefix
    for version in TABLES:
        # The schema agrees with the bookkeeping ...
        assert exists[version] == (version in applied)
        # ... and every up/down ran exactly as often as a process reported it.
        assert journal[(version, "down")] == reverted[version]
        assert journal[(version, "up")] == 1 + migrated[version]
        assert journal[(version, "up")] - journal[(version, "down")] == (version in applied)


def test_concurrent_runs_on_a_database_with_a_hostile_name(pg_url: str, tmp_path: Path) -> None:
    """The lock key and every statement handle a database name full of quotes."""
    from repo.server import create_database, drop_database

    name = f"rel \"q'; DROP DATABASE postgres; -- {tmp_path.name[-6:]}"
    url = create_database(pg_url, name)
    try:
        assert dbname_of(url) == name
        source = write_files(tmp_path / "migrations", FILES)
        results, _ = _race([["migrate", "run", "--source", str(source)] for _ in range(3)],
                           url, tmp_path)
        assert [r.returncode for r in results] == [0, 0, 0], [r.stderr for r in results]
        assert _applied_lines(results, "migrate") == Counter({1: 1, 2: 1, 3: 1, 4: 1, 5: 1})
    finally:
        drop_database(pg_url, name)
