"""What `Database`'s pool check costs: a point lookup through the pool without a check, with
ours (`repo.database.check_connection`: a ping only when the socket has unread input, the
default, so that a restarted server's dead idle connections are never handed out) and with
psycopg_pool's ``check_connection`` (a ping on every borrow), side by side, one run.

    python benchmarks/bench_pool_check.py [--rounds 15] [--calls 500]

Uses DATABASE_URL's server when set (in a temporary database), else starts a throwaway
embedded PostgreSQL. Batches alternate (unchecked, checked, ...); the table shows the median
time per call and the ratio checked / unchecked.
"""

from __future__ import annotations

import argparse
import contextlib
import statistics
import time

from bench_repos import database
from psycopg_pool import ConnectionPool

from repo.generated import Database


def per_call(db: Database, calls: int) -> float:
    start = time.perf_counter()
    for _ in range(calls):
        db.repos.scripts.get_by_uri(uri="/index.js")
    return (time.perf_counter() - start) / calls


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--calls", type=int, default=500)
    args = parser.parse_args()
    with database("bench_pool") as url:
        pools = {
            "no check": Database(url, auto_migrate=False, max_size=1, check=None),
            "ours (select, ping if input)": Database(url, auto_migrate=False, max_size=1),
            "psycopg_pool check_connection": Database(
                url, auto_migrate=False, max_size=1, check=ConnectionPool.check_connection),
        }
        with contextlib.ExitStack() as stack:
            for db in pools.values():
                stack.enter_context(db)
            pools["no check"].repos.scripts.upsert(uri="/index.js", code="export default 1;")
            times: dict[str, list[float]] = {label: [] for label in pools}
            for _ in range(args.rounds):
                for label, db in pools.items():
                    times[label].append(per_call(db, args.calls))
    base = statistics.median(times["no check"])
    print(f"{'pool point lookup (get_by_uri)':<34} {'median µs/call':>15} {'vs no check':>12}")
    for label, values in times.items():
        median = statistics.median(values)
        print(f"  {label:<32} {median * 1e6:>15.1f} {median / base:>11.2f}x")


if __name__ == "__main__":
    main()
