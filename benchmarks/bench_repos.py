"""Generated repositories against raw psycopg doing the same work, side by side, one run.

    python benchmarks/bench_repos.py [--rounds 15]

Uses DATABASE_URL's server when set (in a temporary database), else starts a throwaway
embedded PostgreSQL. Each operation runs in alternating batches (raw, repo, raw, ...) on
one connection, both with server-side prepared statements; the table shows the median
time per call and the ratio repo / raw. Targets (issue 4): point lookup <= 1.10x raw
psycopg, 1,000-row list <= 1.50x raw psycopg returning tuples. "raw" is psycopg's default
(text results); the repositories ask for binary results where every column type allows it,
so a second row compares with raw psycopg using binary results too.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import statistics
import time
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import psycopg

from repo import AsyncScriptRepo, LogRepo, ScriptRepo
from repo.migrate import Migrator, connect, resolve
from repo.server import scratch_server, temporary_database

ROOT = Path(__file__).resolve().parent.parent
TARGETS = {"point lookup (get_by_uri)": 1.10, "1,000-row list (list_for_script)": 1.50}


@contextlib.contextmanager
def database(prefix: str = "bench_repos") -> Iterator[str]:
    url = os.environ.get("DATABASE_URL")
    with contextlib.ExitStack() as stack:
        server = url or stack.enter_context(scratch_server())
        db = stack.enter_context(temporary_database(server, prefix=prefix))
        with connect(db) as conn:
            Migrator(conn, resolve(ROOT / "migrations")).run()
        yield db


def seed(conn: psycopg.Connection[Any]) -> None:
    with conn.cursor() as cur:
        with cur.copy("COPY scripts (uri, code) FROM STDIN") as copy:
            for i in range(1000):
                copy.write_row((f"/s{i}.js", "export default () => 1;\n" * 20))
        with cur.copy("COPY logs (script_uri, message) FROM STDIN") as copy:
            for i in range(2000):
                copy.write_row(("/bench.js", f"request {i} served in {i % 97} ms"))
    conn.execute("ANALYZE")


def per_call(fn: Callable[[], object], calls: int) -> float:
    start = time.perf_counter()
    for _ in range(calls):
        fn()
    return (time.perf_counter() - start) / calls


def compare(raw: Callable[[], object], repo: Callable[[], object], calls: int,
            rounds: int) -> tuple[float, float]:
    for fn in (raw, repo):  # warm up: prepare the statements, fill caches
        per_call(fn, max(5, calls // 10))
    raws, repos = [], []
    for _ in range(rounds):
        raws.append(per_call(raw, calls))
        repos.append(per_call(repo, calls))
    return statistics.median(raws), statistics.median(repos)


def sync_cases(conn: psycopg.Connection[Any]) -> list[tuple[str, Callable[[], object],
                                                             Callable[[], object], int]]:
    scripts, logs = ScriptRepo(conn), LogRepo(conn)
    point = "SELECT * FROM scripts WHERE uri = %s"
    listing = ("SELECT * FROM logs WHERE script_uri = %s ORDER BY created_at DESC, id DESC "
               "LIMIT %s")
    insert = "INSERT INTO logs (script_uri, message) VALUES (%s, %s) RETURNING *"
    rows = [("/many.js", f"line {i}") for i in range(10_000)]

    def raw_many() -> None:
        with conn.cursor() as cur:
            cur.executemany("INSERT INTO logs (script_uri, message) VALUES (%s, %s)", rows)

    return [
        ("point lookup (get_by_uri)",
         lambda: conn.execute(point, ("/s500.js",), prepare=True).fetchone(),
         lambda: scripts.get_by_uri(uri="/s500.js"), 2000),
        ("  same, vs raw psycopg with binary results",
         lambda: conn.execute(point, ("/s500.js",), prepare=True, binary=True).fetchone(),
         lambda: scripts.get_by_uri(uri="/s500.js"), 2000),
        ("1,000-row list (list_for_script)",
         lambda: conn.execute(listing, ("/bench.js", 1000), prepare=True).fetchall(),
         lambda: logs.list_for_script(script_uri="/bench.js", limit=1000), 40),
        ("  same, vs raw psycopg with binary results",
         lambda: conn.execute(listing, ("/bench.js", 1000), prepare=True,
                              binary=True).fetchall(),
         lambda: logs.list_for_script(script_uri="/bench.js", limit=1000), 40),
        ("insert (logs.append)",
         lambda: conn.execute(insert, ("/ins.js", "hello"), prepare=True).fetchone(),
         lambda: logs.append(script_uri="/ins.js", message="hello"), 1000),
        ("10,000 rows: append_many (COPY) vs executemany",
         raw_many, lambda: logs.append_many(rows), 1),
    ]


async def async_point(url: str, rounds: int) -> tuple[float, float]:
    async with await psycopg.AsyncConnection.connect(url, autocommit=True) as conn:
        repo = AsyncScriptRepo(conn)
        sql = "SELECT * FROM scripts WHERE uri = %s"

        async def raw() -> object:
            return await (await conn.execute(sql, ("/s500.js",), prepare=True)).fetchone()

        async def ours() -> object:
            return await repo.get_by_uri(uri="/s500.js")

        async def per(fn: Callable[[], Awaitable[object]], calls: int) -> float:
            start = time.perf_counter()
            for _ in range(calls):
                await fn()
            return (time.perf_counter() - start) / calls

        await per(raw, 200)
        await per(ours, 200)
        raws, repos = [], []
        for _ in range(rounds):
            raws.append(await per(raw, 2000))
            repos.append(await per(ours, 2000))
        return statistics.median(raws), statistics.median(repos)


def line(name: str, raw: float, repo: float) -> str:
    target = TARGETS.get(name)
    verdict = "" if target is None else ("ok" if repo / raw <= target else "MISSED")
    goal = f"<= {target:.2f}x" if target else ""
    return (f"{name:<48} {raw * 1e6:>11.1f} {repo * 1e6:>11.1f} {repo / raw:>7.2f}x "
            f"{goal:>9} {verdict}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=15)
    args = parser.parse_args()
    with database() as url:
        with psycopg.connect(url, autocommit=True) as conn:
            seed(conn)
            print(f"PostgreSQL {conn.info.server_version // 10000}, psycopg "
                  f"{psycopg.__version__} ({psycopg.pq.__impl__}), median of {args.rounds} "
                  "alternating batches\n")
            print(f"{'operation':<48} {'raw µs':>11} {'repo µs':>11} {'ratio':>8} "
                  f"{'target':>9}")
            for name, raw, repo, calls in sync_cases(conn):
                rounds = 5 if calls == 1 else args.rounds
                print(line(name, *compare(raw, repo, calls, rounds)), flush=True)
        raw, ours = asyncio.run(async_point(url, args.rounds))
        print(line("async point lookup (get_by_uri)", raw, ours))


if __name__ == "__main__":
    main()
