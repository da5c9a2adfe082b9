"""Load: 16 threads and 64 asyncio tasks calling the session and log repositories for a fixed
number of operations. No errors, no lost writes (the counts add up exactly), no leaked
connections (every pooled connection is back when the work ends, and no backend is left on
the server once the pool is closed).
"""

from __future__ import annotations

import psycopg
from helpers.load import USER, LoadResult, run_async, run_sync
from helpers.reliability import backends, wait_for

from repo.server.databases import dbname_of, with_dbname


def _check(url: str, result: LoadResult, tag: str) -> None:
    assert result.errors == [], [repr(e) for e in result.errors[:5]]
    rounds = result.workers * result.iterations
    assert result.ops == rounds * 4 + result.workers * ((result.iterations + 1) // 2)
    with psycopg.connect(url, autocommit=True) as conn:
        sessions = conn.execute("SELECT count(*) FROM sessions WHERE user_id = %s AND "
                                "session_id LIKE %s", [USER, f"{tag}%"]).fetchone()
        logs = conn.execute("SELECT count(*), count(DISTINCT (script_uri, message)) FROM logs "
                            "WHERE script_uri LIKE %s", [f"{tag}%"]).fetchone()
        touched = conn.execute("SELECT count(*) FROM sessions WHERE session_id LIKE %s AND "
                               "expires_at < now() + interval '90 minutes'",
                               [f"{tag}%"]).fetchone()
    assert sessions == (result.expected_sessions(),)  # no lost create, no missed delete
    assert logs == (result.expected_logs(), result.expected_logs())  # each line exactly once
    assert touched == (0,)  # every touch landed
    # Every connection was handed back to the pool ...
    assert result.idle_after, result.stats
    assert result.stats.get("requests_errors", 0) == 0
    # ... and none outlives the pool on the server.
    admin, name = with_dbname(url, "postgres"), dbname_of(url)
    wait_for(lambda: backends(admin, name) == 0, timeout=10, what="pool backends to exit")
    print(f"\n{tag}: {result.workers} workers, {result.ops} ops, {len(result.errors)} errors, "
          f"{result.rate:.0f} ops/s")


def test_sixteen_threads_lose_nothing(db_url: str) -> None:
    admin, name = with_dbname(db_url, "postgres"), dbname_of(db_url)
    assert backends(admin, name) == 0
    result = run_sync(db_url, threads=16, iterations=40, tag="t")
    _check(db_url, result, "t")


async def test_sixty_four_tasks_lose_nothing(db_url: str) -> None:
    admin, name = with_dbname(db_url, "postgres"), dbname_of(db_url)
    assert backends(admin, name) == 0
    result = await run_async(db_url, tasks=64, iterations=10, tag="a")
    _check(db_url, result, "a")
