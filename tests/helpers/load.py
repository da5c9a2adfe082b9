"""The load workload shared by the load tests and ``benchmarks/bench_load.py``.

Each worker (a thread or an asyncio task) runs ``iterations`` rounds of the session life cycle
plus a log line, with keys of its own so the expected final counts are exact:

    create -> get_valid -> touch -> logs.append -> delete (every other round)

That is `OPS_PER_ROUND` repository calls per round (the delete counts as half).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from repo.generated import AsyncDatabase, AsyncRepos, Database, Repos

USER = "load-user"
OPS_PER_ROUND = 4.5


@dataclass
class LoadResult:
    """What one run did: calls made, errors seen, wall time, the pool's statistics."""

    workers: int
    iterations: int
    ops: int = 0
    errors: list[BaseException] = field(default_factory=list)
    seconds: float = 0.0
    stats: dict[str, Any] = field(default_factory=dict)
    idle_after: bool = False

    @property
    def rate(self) -> float:
        return self.ops / self.seconds if self.seconds else 0.0

    def expected_sessions(self) -> int:
        """Sessions left: the odd rounds of every worker."""
        return self.workers * (self.iterations // 2)

    def expected_logs(self) -> int:
        return self.workers * self.iterations


def _expiry(hours: int) -> dt.datetime:
    return dt.datetime.now(dt.UTC) + dt.timedelta(hours=hours)


def ensure_user(repos: Repos) -> None:
    repos.users.upsert_login(user_id=USER, email="load@example.com", name="Load",
                             provider="google")


def _round(repos: Repos, worker: str, i: int) -> int:
    sid = f"{worker}-{i}"
    repos.sessions.create(session_id=sid, user_id=USER, data={"worker": worker, "i": i},
                          expires_at=_expiry(1))
    got = repos.sessions.get_valid(session_id=sid)
    if got is None or got.data != {"worker": worker, "i": i}:
        raise AssertionError(f"session {sid} read back wrong: {got}")
    if repos.sessions.touch(expires_at=_expiry(2), session_id=sid) is None:
        raise AssertionError(f"session {sid} could not be touched")
    repos.logs.append(script_uri=worker, message=str(i))
    if i % 2 == 0:
        if repos.sessions.delete(session_id=sid) != 1:
            raise AssertionError(f"session {sid} was not deleted once")
        return 5
    return 4


def run_sync(url: str, *, threads: int = 16, iterations: int = 40,
             pool_size: int = 8, tag: str = "t") -> LoadResult:
    """``threads`` threads over one `Database` pool."""
    result = LoadResult(threads, iterations)
    lock = threading.Lock()
    with Database(url, min_size=pool_size, max_size=pool_size) as db:
        ensure_user(db.repos)

        def work(n: int) -> None:
            done = 0
            try:
                for i in range(iterations):
                    done += _round(db.repos, f"{tag}{n}", i)
            except BaseException as exc:  # noqa: BLE001 - every error is reported
                with lock:
                    result.errors.append(exc)
            with lock:
                result.ops += done

        workers = [threading.Thread(target=work, args=(n,)) for n in range(threads)]
        started = time.perf_counter()
        for w in workers:
            w.start()
        for w in workers:
            w.join()
        result.seconds = time.perf_counter() - started
        result.stats = db.pool.get_stats()
        result.idle_after = result.stats["pool_available"] == result.stats["pool_size"]
    return result


async def _around(repos: AsyncRepos, worker: str, i: int) -> int:
    sid = f"{worker}-{i}"
    await repos.sessions.create(session_id=sid, user_id=USER,
                                data={"worker": worker, "i": i}, expires_at=_expiry(1))
    got = await repos.sessions.get_valid(session_id=sid)
    if got is None or got.data != {"worker": worker, "i": i}:
        raise AssertionError(f"session {sid} read back wrong: {got}")
    if await repos.sessions.touch(expires_at=_expiry(2), session_id=sid) is None:
        raise AssertionError(f"session {sid} could not be touched")
    await repos.logs.append(script_uri=worker, message=str(i))
    if i % 2 == 0:
        if await repos.sessions.delete(session_id=sid) != 1:
            raise AssertionError(f"session {sid} was not deleted once")
        return 5
    return 4


async def run_async(url: str, *, tasks: int = 64, iterations: int = 10,
                    pool_size: int = 8, tag: str = "a") -> LoadResult:
    """``tasks`` asyncio tasks over one `AsyncDatabase` pool."""
    result = LoadResult(tasks, iterations)
    async with AsyncDatabase(url, min_size=pool_size, max_size=pool_size) as db:
        await db.repos.users.upsert_login(user_id=USER, email="load@example.com",
                                          name="Load", provider="google")

        async def work(n: int) -> None:
            done = 0
            try:
                for i in range(iterations):
                    done += await _around(db.repos, f"{tag}{n}", i)
            except BaseException as exc:  # noqa: BLE001 - every error is reported
                result.errors.append(exc)
            result.ops += done

        started = time.perf_counter()
        await asyncio.gather(*(work(n) for n in range(tasks)))
        result.seconds = time.perf_counter() - started
        result.stats = db.pool.get_stats()
        result.idle_after = result.stats["pool_available"] == result.stats["pool_size"]
    return result
