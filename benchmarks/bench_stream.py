"""Streaming memory and bulk-insert strategies side by side, one run (issue #13).

    python benchmarks/bench_stream.py [--rows 1000000] [--sizes 100,10000,1000000]

Uses DATABASE_URL's server when set (a temporary database on it), else a throwaway embedded
PostgreSQL. Prints:

* memory: the process's peak RSS growth while reading ``--rows`` log rows with
  ``LogRepo.iter_for_script`` (``:iter``, a server-side cursor) and with the same rows read
  as a list (``:many``, ``list_for_script``); each in a fresh child process, so one
  measurement cannot hide inside the other's peak (target: ``:iter`` under 50 MB);
* bulk insert of N (script_uri, message) rows: ``append_batch`` (``-- @rows``: one
  INSERT ... SELECT FROM unnest of two arrays), ``append_many`` (COPY) and psycopg
  ``executemany`` of the one-row ``append`` INSERT, each time and its ratio to COPY.

Not run by CI. The whole run takes about 2-3 minutes on a 2-core machine.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from collections.abc import Callable

import psycopg

URI = "/bench.js"


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def child(url: str, mode: str, rows: int) -> None:
    """Read the rows in this process and print the peak RSS growth as JSON."""
    from repo.generated import LogRepo

    with psycopg.connect(url, autocommit=True) as conn:
        repo = LogRepo(conn)
        repo.list_for_script(script_uri="/warm-up", limit=1)  # imports and first query done
        before = _peak_mb()
        start = time.perf_counter()
        if mode == "iter":
            count = sum(1 for _ in repo.iter_for_script(script_uri=URI))
        else:
            count = len(repo.list_for_script(script_uri=URI, limit=rows))
        seconds = time.perf_counter() - start
    print(json.dumps({"rows": count, "growth_mb": _peak_mb() - before, "seconds": seconds}))


def memory(url: str, rows: int) -> None:
    with psycopg.connect(url, autocommit=True) as conn:
        # Filled by the server (generate_series), so this process's memory stays untouched.
        conn.execute("INSERT INTO logs (script_uri, message, created_at) "
                     "SELECT %s, 'log line number ' || i, now() + i * interval '1 ms' "
                     "FROM generate_series(1, %s) i", (URI, rows))
        conn.execute("ANALYZE logs")
    print(f"memory: peak RSS growth reading {rows:,} log rows (fresh process each)")
    results = {}
    for mode in ("iter", "many"):
        out = subprocess.run([sys.executable, __file__, "--child", mode, "--url", url,
                              "--rows", str(rows)], capture_output=True, text=True, check=True)
        results[mode] = json.loads(out.stdout.strip().splitlines()[-1])
        r = results[mode]
        label = ("iter_for_script (:iter, server-side cursor)" if mode == "iter"
                 else "list_for_script (:many, a list)")
        print(f"  {label:<46} {r['growth_mb']:8.1f} MB  {r['seconds']:6.2f} s  "
              f"({r['rows']:,} rows)")
    ratio = results["many"]["growth_mb"] / max(results["iter"]["growth_mb"], 0.1)
    print(f"  :many holds {ratio:.0f}x the memory of :iter; :iter under 50 MB: "
          f"{'yes' if results['iter']['growth_mb'] < 50 else 'NO'}")
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("TRUNCATE logs")


def _timed(url: str, fn: Callable[[psycopg.Connection[tuple[object, ...]]], object]) -> float:
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("TRUNCATE logs")
        start = time.perf_counter()
        with conn.transaction():
            fn(conn)
        seconds = time.perf_counter() - start
        count = conn.execute("SELECT count(*) FROM logs").fetchone()
        assert count is not None
        return seconds if count[0] else float("nan")


def _strategies(url: str, append_sql: bytes, n: int) -> tuple[float, float, float]:
    from repo.generated import LogRepo

    rows = [(URI, f"message {i}") for i in range(n)]
    t_unnest = _timed(url, lambda c: LogRepo(c).append_batch(rows))
    t_copy = _timed(url, lambda c: LogRepo(c).append_many(rows))

    def many(c: psycopg.Connection[tuple[object, ...]]) -> None:
        # The one-row INSERT of queries/logs/append.sql, sent with psycopg's pipelined
        # executemany (what a caller would write without a bulk method).
        with psycopg.RawCursor(c) as cur:
            cur.executemany(append_sql, rows)

    return t_unnest, t_copy, _timed(url, many)


def bulk(url: str, sizes: list[int]) -> None:
    from repo.generated import _queries

    print("bulk insert of N (script_uri, message) rows, one transaction each")
    print(f"  {'rows':>10} {'unnest':>10} {'COPY':>10} {'executemany':>12}   "
          "unnest/COPY  executemany/COPY")
    append_sql = _queries.LOGS_APPEND.sql
    for n in sizes:
        t_unnest, t_copy, t_many = _strategies(url, append_sql, n)
        print(f"  {n:>10,} {t_unnest:>9.3f}s {t_copy:>9.3f}s {t_many:>11.3f}s   "
              f"{t_unnest / t_copy:>10.2f}x {t_many / t_copy:>16.2f}x")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--sizes", default="100,10000,1000000")
    parser.add_argument("--child", choices=("iter", "many"))
    parser.add_argument("--url")
    args = parser.parse_args()
    if args.child:
        child(args.url, args.child, args.rows)
        return 0
    # Imported here, not at the top: the --child processes whose memory is measured need none
    # of it.
    from bench_repos import database

    start = time.perf_counter()
    with database("bench_stream") as url:
        memory(url, args.rows)
        bulk(url, [int(s) for s in args.sizes.split(",")])
    print(f"total {time.perf_counter() - start:.0f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
