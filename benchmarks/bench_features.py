"""Optional filters and nested results, each against its alternatives, side by side, one run.

    python benchmarks/bench_features.py [--rounds 9] [--calls 300]

Uses DATABASE_URL's server when set (in a temporary database), else starts a throwaway
embedded PostgreSQL. Seeds 200,000 log lines over 1,000 scripts (200 each), ANALYZEs, then:

1. ``LogRepo.search(script_uri=X, limit=50)`` (optional filters: the variant without the
   other predicates) against the dedicated ``LogRepo.list_for_script(script_uri=X,
   limit=50)``, and against the one-generic-plan alternative the issue rules out (``($1 IS
   NULL OR script_uri = $1) AND ...``, run as a prepared statement forced to a generic plan)
   with the plan each one gets;
2. ``ScriptRepo.get_with_logs(uri=X, log_limit=50)`` (one round trip, nested ``list[Log]``)
   against two separate queries (``get_by_uri`` then ``list_for_script``), and against the
   same nesting built with ``json_agg`` and validated by pydantic (the JSON alternative).

Each pair runs in alternating batches on one connection; the table shows the median time
per call and the ratio to the first row of its group.
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import re
import statistics
from collections.abc import Callable
from pathlib import Path
from typing import Any

import psycopg
from bench_repos import database, per_call
from pydantic import TypeAdapter

from repo import LogRepo, ScriptRepo
from repo.generated import Log
from repo.generated._queries import LOGS_LIST_FOR_SCRIPT, LOGS_SEARCH

ROOT = Path(__file__).resolve().parent.parent
SCRIPTS, PER_SCRIPT = 1000, 200
T0 = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)

GENERIC = """
SELECT * FROM logs
WHERE ($1::text IS NULL OR script_uri = $1::text)
  AND ($2::timestamptz IS NULL OR created_at >= $2::timestamptz)
  AND ($3::timestamptz IS NULL OR created_at < $3::timestamptz)
  AND ($4::text IS NULL OR strpos(message, $4::text) > 0)
ORDER BY created_at DESC, id DESC
LIMIT $5::int8
"""
JSON_NESTED = """
SELECT s.*, (SELECT coalesce(json_agg(l), '[]') FROM (
    SELECT * FROM logs WHERE script_uri = s.uri ORDER BY created_at DESC, id DESC LIMIT %s
) AS l) AS logs
FROM scripts AS s WHERE s.uri = %s
"""


def seed(conn: psycopg.Connection[Any]) -> None:
    with conn.cursor() as cur:
        with cur.copy("COPY scripts (uri, code) FROM STDIN") as copy:
            for i in range(SCRIPTS):
                copy.write_row((f"/s{i}.js", "export default () => 1;\n"))
        with cur.copy("COPY logs (script_uri, message, created_at) FROM STDIN") as copy:
            for i in range(SCRIPTS * PER_SCRIPT):
                copy.write_row((f"/s{i % SCRIPTS}.js", f"request {i} served in {i % 97} ms",
                                T0 + dt.timedelta(seconds=i)))
    conn.execute("ANALYZE")


def measure(fns: list[Callable[[], object]], calls: int, rounds: int) -> list[float]:
    for fn in fns:
        per_call(fn, max(5, calls // 10))  # warm up: prepare statements, fill caches
    times: list[list[float]] = [[] for _ in fns]
    for _ in range(rounds):
        for i, fn in enumerate(fns):
            times[i].append(per_call(fn, calls))
    return [statistics.median(t) for t in times]


def generic_plan(conn: psycopg.Connection[Any], sql: str, args: str) -> str:
    """The scan node of ``sql``'s generic plan (the plan a prepared statement may reuse)."""
    conn.execute(f"PREPARE plan_probe AS {sql}")
    try:
        conn.execute("SET plan_cache_mode = force_generic_plan")
        rows = conn.execute(f"EXPLAIN EXECUTE plan_probe({args})").fetchall()
    finally:
        conn.execute("RESET plan_cache_mode")
        conn.execute("DEALLOCATE plan_probe")
    return next(r[0].strip().split("  (")[0] for r in rows if "Scan" in r[0])


def optional_filters(conn: psycopg.Connection[Any], calls: int, rounds: int
                     ) -> list[tuple[str, float]]:
    logs = LogRepo(conn)
    uris = [f"/s{random.randrange(SCRIPTS)}.js" for _ in range(64)]
    pick = iter(uris * (calls * rounds * 4))
    # The `IS NULL OR` text, prepared: under plan_cache_mode=auto PostgreSQL may re-plan it per
    # call (custom plans fold `$1 IS NULL`); forced generic, one plan serves every call.
    forced = psycopg.connect(conn.info.dsn + " options='-c plan_cache_mode=force_generic_plan'",
                             autocommit=True)
    generic_sql = re.sub(r"\$(\d)", r"%(p\1)s", GENERIC)

    def generic(c: psycopg.Connection[Any]) -> Callable[[], object]:
        return lambda: c.execute(generic_sql, {"p1": next(pick), "p2": None, "p3": None,
                                               "p4": None, "p5": 50}, prepare=True).fetchall()

    names = ["list_for_script(script_uri=X, limit=50) (dedicated query)",
             "search(script_uri=X, limit=50) (optional filters: its variant)",
             "one text, `$1 IS NULL OR ...` (plan_cache_mode=auto)",
             "one text, `$1 IS NULL OR ...` (forced generic plan)"]
    got = measure([lambda: logs.list_for_script(script_uri=next(pick), limit=50),
                   lambda: logs.search(script_uri=next(pick), limit=50), generic(conn),
                   generic(forced)], calls, rounds)
    forced.close()
    variant, _ = LOGS_SEARCH.select(("/s1.js", None, None, None, 50))
    print("generic plans (what a reused prepared statement runs):")
    print("  list_for_script:", generic_plan(conn, LOGS_LIST_FOR_SCRIPT.sql.decode(),
                                             "'/s1.js', 50"))
    print("  search variant: ", generic_plan(conn, variant.sql.decode(), "'/s1.js', 50"))
    print("  one generic text:", generic_plan(conn, GENERIC, "'/s1.js', NULL, NULL, NULL, 50"))
    return list(zip(names, got, strict=True))


def nested(conn: psycopg.Connection[Any], calls: int, rounds: int) -> list[tuple[str, float]]:
    scripts, logs = ScriptRepo(conn), LogRepo(conn)
    uris = [f"/s{random.randrange(SCRIPTS)}.js" for _ in range(64)]
    pick = iter(uris * (calls * rounds * 4))
    as_logs = TypeAdapter(list[Log])

    def two_queries() -> object:
        uri = next(pick)
        script = scripts.get_by_uri(uri=uri)
        return script, logs.list_for_script(script_uri=uri, limit=50)

    def json_nested() -> object:
        row = conn.execute(JSON_NESTED, (50, next(pick)), prepare=True).fetchone()
        assert row is not None
        return as_logs.validate_python(row[-1])

    names = ["get_by_uri + list_for_script (two round trips)",
             "get_with_logs (one round trip, binary rows -> list[Log])",
             "json_agg in one round trip, validated by pydantic"]
    got = measure([two_queries, lambda: scripts.get_with_logs(uri=next(pick), log_limit=50),
                   json_nested], calls, rounds)
    return list(zip(names, got, strict=True))


def table(title: str, rows: list[tuple[str, float]]) -> None:
    base = rows[0][1]
    print(f"\n{title}")
    print(f"  {'':<66} {'ms/call':>8} {'ratio':>7}")
    for name, t in rows:
        print(f"  {name:<66} {t * 1000:>8.3f} {t / base:>6.2f}x")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=9)
    parser.add_argument("--calls", type=int, default=300)
    args = parser.parse_args()
    random.seed(1)
    with database("bench_features") as url, psycopg.connect(url, autocommit=True) as conn:
        seed(conn)
        print(f"{SCRIPTS * PER_SCRIPT:,} log rows over {SCRIPTS:,} scripts")
        table("optional filters: 50 newest lines of one script",
              optional_filters(conn, args.calls, args.rounds))
        table("nested one-to-many: a script and its 50 newest lines",
              nested(conn, args.calls, args.rounds))


if __name__ == "__main__":
    main()
