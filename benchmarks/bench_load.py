"""Throughput of the repositories under concurrent load, sync (threads) and async (tasks).

The workload is the load test's (``tests/helpers/load.py``): each worker runs rounds of
sessions create -> get_valid -> touch -> logs.append -> delete (every other round), all
through one pool. Prints one table from one run, with the errors and rows lost (both must be 0).
Uses DATABASE_URL's server when set, else a throwaway embedded one.

    python benchmarks/bench_load.py [--threads 16] [--tasks 64] [--iterations 100] [--pool 8]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from contextlib import ExitStack
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from helpers.load import LoadResult, run_async, run_sync  # noqa: E402

from repo.migrate import Migrator, connect, resolve  # noqa: E402
from repo.server import scratch_server, temporary_database  # noqa: E402


def _lost(url: str, result: LoadResult, tag: str) -> int:
    """Rows missing or extra compared with what the calls that returned said they did."""
    with psycopg.connect(url, autocommit=True) as conn:
        sessions = conn.execute("SELECT count(*) FROM sessions WHERE session_id LIKE %s",
                                [f"{tag}%"]).fetchone()
        logs = conn.execute("SELECT count(*) FROM logs WHERE script_uri LIKE %s",
                            [f"{tag}%"]).fetchone()
    assert sessions is not None and logs is not None
    return (abs(int(sessions[0]) - result.expected_sessions())  # type: ignore[call-overload]
            + abs(int(logs[0]) - result.expected_logs()))  # type: ignore[call-overload]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=16)
    parser.add_argument("--tasks", type=int, default=64)
    parser.add_argument("--iterations", type=int, default=100,
                        help="rounds per thread (tasks run a quarter of this each)")
    parser.add_argument("--pool", type=int, default=8, help="pool size for both runs")
    args = parser.parse_args()
    with ExitStack() as stack:
        server = os.environ.get("DATABASE_URL") or stack.enter_context(scratch_server())
        url = stack.enter_context(temporary_database(server, prefix="bench_load"))
        with connect(url) as conn:
            Migrator(conn, resolve(ROOT / "migrations")).run()
        task_iterations = max(1, args.iterations * args.threads // args.tasks)
        sync = run_sync(url, threads=args.threads, iterations=args.iterations,
                        pool_size=args.pool, tag="s")
        aio = asyncio.run(run_async(url, tasks=args.tasks, iterations=task_iterations,
                                    pool_size=args.pool, tag="a"))
        rows = [("sync", f"{args.threads} threads", sync, _lost(url, sync, "s")),
                ("async", f"{args.tasks} tasks", aio, _lost(url, aio, "a"))]
    print(f"pool size {args.pool}; one operation = one repository call\n")
    print(f"{'mode':<6} {'workers':<11} {'ops':>7} {'seconds':>8} {'ops/s':>8} "
          f"{'errors':>6} {'rows lost':>9}")
    for mode, workers, result, lost in rows:
        print(f"{mode:<6} {workers:<11} {result.ops:>7} {result.seconds:>8.2f} "
              f"{result.rate:>8.0f} {len(result.errors):>6} {lost:>9}")
    print(f"\nasync / sync throughput: {aio.rate / sync.rate:.2f}x")


if __name__ == "__main__":
    main()
