"""The runtime, the migrator and prepare behind a real transaction-pooling PgBouncer (#15).

Each test starts its own PgBouncer (tests/helpers/pgbouncer.py) in front of its own database
and stops it at the end. Two behaviours: PgBouncer without protocol-level prepared statements
(< 1.21, or ``max_prepared_statements = 0``) and >= 1.21 with ``max_prepared_statements``.
"""

from __future__ import annotations

import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pytest
from helpers import pgbouncer as harness

from repo import pgbouncer
from repo.cli import main
from repo.config import load_settings
from repo.errors import ConfigError, MigrationError
from repo.generated import AsyncDatabase, Database
from repo.migrate import connect

ROOT = Path(__file__).resolve().parent.parent
WORKERS, ROUNDS = 8, 30


@dataclass
class Setup:
    """One behaviour: which binary, how PgBouncer is configured, what the runtime is told."""

    prepared: bool
    setting: bool | str | None

    @property
    def max_prepared(self) -> int:
        return 100 if self.prepared else 0


SETUPS = {
    "no-prepared-config-true": Setup(False, True),
    "no-prepared-auto": Setup(False, None),
    "max-prepared-statements": Setup(True, "prepared"),
}


def _start(db_url: str, setup: Setup) -> Iterator[harness.Bouncer]:
    binary = harness.pick(setup.prepared)
    if isinstance(binary, str):
        pytest.skip(binary)
    with harness.running(db_url, binary, max_prepared_statements=setup.max_prepared) as b:
        yield b


@pytest.fixture
def bouncer(db_url: str) -> Iterator[harness.Bouncer]:
    """PgBouncer without prepared-statement tracking in front of this test's database."""
    yield from _start(db_url, Setup(False, True))


def _worker(db: Database, direct_url: str, w: int, errors: list[str]) -> None:
    repos = db.repos
    with psycopg.connect(direct_url, autocommit=True) as direct:
        for r in range(ROUNDS):
            uri, code = f"/w{w}/{r}", f"code {w}.{r}"
            try:
                script = repos.scripts.upsert(uri=uri, code=code)
                assert (script.uri, script.code) == (uri, code), f"upsert returned {script}"
                got = repos.scripts.get_by_uri(uri=uri)
                assert got is not None and got.code == code, f"get_by_uri returned {got}"
                row = direct.execute("SELECT code FROM scripts WHERE uri = %s", [uri]).fetchone()
                assert row == (code,), f"{uri}: the database holds {row}, not {code!r}"
                if r % 2:
                    deleted = repos.scripts.delete_by_uri(uri=uri)
                    left = direct.execute("SELECT count(*) FROM scripts WHERE uri = %s",
                                          [uri]).fetchone()
                    assert (deleted, left) == (1, (0,)), f"{uri}: {deleted} deleted, {left} left"
                    assert repos.scripts.delete_by_uri(uri=uri) == 0
                    assert repos.scripts.get_by_uri(uri=uri) is None
            except Exception as exc:  # every failure is reported, not just the first
                errors.append(f"worker {w} round {r}: {type(exc).__name__}: {exc}")


def _run_workers(db: Database, direct_url: str) -> list[str]:
    errors: list[str] = []
    threads = [threading.Thread(target=_worker, args=(db, direct_url, w, errors))
               for w in range(WORKERS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return errors


@pytest.mark.parametrize("name", list(SETUPS))
def test_eight_workers_every_write_and_count_checked(db_url: str, name: str) -> None:
    setup = SETUPS[name]
    for b in _start(db_url, setup):
        with Database(b.url(db_url), auto_migrate=False, pgbouncer=setup.setting,  # type: ignore[arg-type]
                      min_size=WORKERS, max_size=WORKERS) as db:
            with db.pool.connection() as conn:
                # Only the "prepared" setting keeps server-side prepared statements.
                assert (conn.prepare_threshold is not None) == setup.prepared
            errors = _run_workers(db, db_url)
            assert errors == [], f"{len(errors)} failures, first: {errors[:3]}"
            kept = {f"/w{w}/{r}" for w in range(WORKERS) for r in range(0, ROUNDS, 2)}
            assert db.repos.scripts.count() == len(kept)
        with psycopg.connect(db_url) as direct:
            rows = direct.execute("SELECT uri FROM scripts").fetchall()
        assert {u for (u,) in rows} == kept


def test_prepared_statements_break_through_old_pgbouncer(db_url: str,
                                                         bouncer: harness.Bouncer) -> None:
    # The harness reproduces the reported failure: the same workload with server-side
    # prepared statements forced on (pgbouncer = false) fails, so the test above can fail.
    with Database(bouncer.url(db_url), auto_migrate=False, pgbouncer=False,
                  min_size=WORKERS, max_size=WORKERS) as db:
        errors = _run_workers(db, db_url)
    assert errors, "expected prepared-statement failures through transaction pooling"


def test_auto_detects_the_pooler_and_only_the_pooler(db_url: str,
                                                     bouncer: harness.Bouncer) -> None:
    with psycopg.connect(bouncer.url(db_url)) as through, psycopg.connect(db_url) as direct:
        assert pgbouncer.behind_pooler(through) is True
        assert pgbouncer.behind_pooler(direct) is False
    with Database(bouncer.url(db_url), auto_migrate=False, min_size=1) as db:
        with db.pool.connection() as conn:
            assert conn.prepare_threshold is None
    with Database(db_url, auto_migrate=False, min_size=1) as db:
        with db.pool.connection() as conn:
            assert conn.prepare_threshold is not None


async def test_async_database_behind_pgbouncer(db_url: str, bouncer: harness.Bouncer) -> None:
    async with AsyncDatabase(bouncer.url(db_url) + "?pgbouncer=true", auto_migrate=False,
                             min_size=2, max_size=2) as db:
        for i in range(20):
            await db.repos.scripts.upsert(uri=f"/a{i}", code="x")
            assert await db.repos.scripts.delete_by_uri(uri=f"/a{i}") == 1
        async with db.pool.connection() as conn:
            assert conn.prepare_threshold is None


def _advisory_locks(db_url: str) -> int:
    with psycopg.connect(db_url) as conn:
        # This database's locks only: another suite on the same server may hold its own.
        row = conn.execute(
            "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND database = "
            "(SELECT oid FROM pg_database WHERE datname = current_database())").fetchone()
    assert row is not None
    return int(row[0])


def test_migrate_refuses_at_once_and_leaves_no_lock(db_url: str, bouncer: harness.Bouncer,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    # A subprocess with a timeout: "never hangs" is checked, not hoped for.
    out = subprocess.run([sys.executable, "-m", "repo", "migrate", "run", "--source",
                          str(ROOT / "migrations"), "--database-url", bouncer.url(db_url)],
                         capture_output=True, text=True, timeout=60, cwd=ROOT)
    assert out.returncode == 1
    assert "migrate needs a direct connection" in out.stderr
    assert "--database-url" in out.stderr and "direct_url" in out.stderr
    assert "Traceback" not in out.stderr
    assert _advisory_locks(db_url) == 0
    # The direct URL works, also when given as `direct_url` while DATABASE_URL is pooled.
    env_settings = load_settings(ROOT, env={"DATABASE_URL": bouncer.url(db_url),
                                            "DIRECT_DATABASE_URL": db_url})
    assert env_settings.require_url(direct=True).url == db_url
    assert main(["migrate", "info", "--source", str(ROOT / "migrations"),
                 "--database-url", db_url]) == 0


def test_prepare_no_scratch_refuses(db_url: str, bouncer: harness.Bouncer,
                                    tmp_path: Path) -> None:
    out = subprocess.run([sys.executable, "-m", "repo", "prepare", "--no-scratch",
                          "--check", "--database-url", bouncer.url(db_url)],
                         capture_output=True, text=True, timeout=60, cwd=ROOT)
    assert out.returncode == 1, out.stderr
    assert "prepare needs a direct connection" in out.stderr
    assert _advisory_locks(db_url) == 0


def test_explicit_pooled_url_refused_without_a_query(db_url: str) -> None:
    # `?pgbouncer=true` on the URL is enough for the migrator to refuse (even on a direct
    # server, where detection would pass): the user said the URL is pooled.
    with pytest.raises(MigrationError, match="direct connection"):
        connect(db_url + "?pgbouncer=true")


def test_database_auto_migrate_uses_the_direct_url(empty_db_url: str,
                                                   bouncer: harness.Bouncer) -> None:
    pooled = bouncer.url(empty_db_url)
    with pytest.raises(MigrationError, match="direct connection"):
        Database(pooled, auto_migrate=True, settings=load_settings(ROOT, env={})).open()
    settings = load_settings(ROOT, env={"DIRECT_DATABASE_URL": empty_db_url})
    with Database(pooled, auto_migrate=True, settings=settings) as db:
        assert db.applied
        assert db.repos.scripts.count() == 0


@pytest.mark.parametrize("value", ["maybe", 3])
def test_unknown_setting_is_a_config_error(value: object) -> None:
    with pytest.raises(ConfigError, match="pgbouncer"):
        pgbouncer.parse_mode(value, "config.toml")
    with pytest.raises(ConfigError, match="database URL"):
        pgbouncer.split_url("postgresql://h/db?pgbouncer=maybe")
