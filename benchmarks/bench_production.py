"""Production paths side by side, one run (issue #15).

    python benchmarks/bench_production.py [--rounds 9]

Uses DATABASE_URL's server when set (temporary databases on it), else a throwaway embedded
PostgreSQL. Prints, each as a ratio from this run:

* point lookup (``get_by_uri`` through ``Database``; a read-only call on the pool's autocommit
  connection is one round trip, measured against ``kwargs={"autocommit": False}``, which
  sends BEGIN, the statement and COMMIT): direct vs through PgBouncer 1.18
  (``pgbouncer = true``: unnamed statements) and, where provisioned, PgBouncer >= 1.21 with
  ``max_prepared_statements`` (``pgbouncer = "prepared"``); PgBouncer is started as in the
  tests (tests/helpers/pgbouncer.py);
* point lookup, upsert and a 2,000-row ``:iter`` stream: primary only vs with a replica (a
  second database on the same server);
* ``append_many`` vs raw psycopg binary COPY of the same 100,000 rows (target <= 1.15x);
* 1,000-row list vs raw psycopg, text and binary results (target <= 1.5x vs binary), with
  the default pydantic rows and with ``[codegen] rows = "tuple"`` (NamedTuple rows: this
  project's queries generated into a throwaway package for the run).

``--only list`` (or pgbouncer, replica, copy) runs one part.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import gc
import importlib
import os
import statistics
import sys
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import psycopg

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from bench_repos import per_call as timed  # noqa: E402
from bench_repos import seed as seed_rows  # noqa: E402
from helpers import pgbouncer as harness  # noqa: E402

from repo.codegen import generate, write_files  # noqa: E402
from repo.config import load_settings  # noqa: E402
from repo.generated import Database, LogRepo  # noqa: E402
from repo.migrate import Migrator, connect, resolve  # noqa: E402
from repo.server import scratch_server, temporary_database  # noqa: E402

COPY_ROWS = 100_000


@contextlib.contextmanager
def databases() -> Iterator[tuple[str, str]]:
    """Two migrated databases on one server: primary and "replica"."""
    url = os.environ.get("DATABASE_URL")
    with contextlib.ExitStack() as stack:
        server = url or stack.enter_context(scratch_server())
        dbs = [stack.enter_context(temporary_database(server, prefix=f"bench_prod_{n}"))
               for n in ("p", "r")]
        for db in dbs:
            with connect(db) as conn:
                Migrator(conn, resolve(ROOT / "migrations")).run()
            seed(db)
        yield dbs[0], dbs[1]


def seed(url: str) -> None:
    with psycopg.connect(url) as conn:
        seed_rows(conn)


def alternate(first: Callable[[], object], second: Callable[[], object], calls: int,
              rounds: int) -> tuple[float, float]:
    """Median seconds per call of each, measured in alternating batches."""
    for fn in (first, second):
        timed(fn, max(3, calls // 10))
    a, b = [], []
    for _ in range(rounds):
        a.append(timed(first, calls))
        b.append(timed(second, calls))
    return statistics.median(a), statistics.median(b)


def row(name: str, base: str, a: float, b: float, target: float | None = None) -> None:
    verdict = "" if target is None else ("ok" if b / a <= target else "MISSED")
    goal = f"<= {target:.2f}x" if target else ""
    print(f"{name:<50} {base:<22} {a * 1e6:>11.1f} {b * 1e6:>11.1f} {b / a:>7.2f}x "
          f"{goal:>9} {verdict}", flush=True)


def lookup(db: Database) -> Callable[[], object]:
    return lambda: db.repos.scripts.get_by_uri(uri="/s500.js")


def pgbouncer_rows(primary: str, rounds: int) -> None:
    with Database(primary, auto_migrate=False, pgbouncer=False, min_size=1, max_size=1) as direct:
        for prepared, setting in ((False, True), (True, "prepared")):
            binary = harness.pick(prepared)
            if isinstance(binary, str):
                print(f"(skipped: {binary})")
                continue
            version = ".".join(map(str, binary.version))
            with harness.running(primary, binary, max_prepared_statements=100 if prepared
                                 else 0) as bouncer, \
                    Database(bouncer.url(primary), auto_migrate=False, pgbouncer=setting,
                             min_size=1, max_size=1) as pooled:  # type: ignore[arg-type]
                row(f"point lookup via PgBouncer {version} (pgbouncer={setting!r})",
                    "direct (prepared)", *alternate(lookup(direct), lookup(pooled), 1000, rounds))
                with Database(bouncer.url(primary), auto_migrate=False, pgbouncer=setting,
                              min_size=1, max_size=1, kwargs={"autocommit": False}) as old:
                    row("  the same, one round trip (autocommit pool)", "BEGIN, it, COMMIT",
                        *alternate(lookup(old), lookup(pooled), 1000, rounds))
        with Database(primary, auto_migrate=False, pgbouncer=False, min_size=1, max_size=1,
                      kwargs={"autocommit": False}) as old:
            row("point lookup direct, one round trip (autocommit pool)", "BEGIN, it, COMMIT",
                *alternate(lookup(old), lookup(direct), 1000, rounds))


def replica_row(primary: str, replica: str, rounds: int) -> None:
    with Database(primary, auto_migrate=False, min_size=1, max_size=1) as alone, \
            Database(primary, auto_migrate=False, replica_urls=[replica], min_size=1,
                     max_size=1) as routed:
        row("point lookup with a replica (routed read)", "primary only",
            *alternate(lookup(alone), lookup(routed), 1000, rounds))
        write = {"alone": 0, "routed": 0}

        def upsert(db: Database, key: str) -> Callable[[], object]:
            def call() -> object:
                write[key] += 1
                return db.repos.scripts.upsert(uri=f"/w{key}{write[key] % 50}.js", code="x")
            return call

        row("upsert with a replica (stays on the primary)", "primary only",
            *alternate(upsert(alone, "alone"), upsert(routed, "routed"), 500, rounds))

        def stream(db: Database) -> Callable[[], object]:
            return lambda: sum(1 for _ in db.repos.logs.iter_for_script(script_uri="/bench.js"))

        row(":iter of 2,000 rows with a replica (routed)", "primary only",
            *alternate(stream(alone), stream(routed), 20, rounds))


def copy_row(primary: str, rounds: int) -> None:
    rows = [("/copy.js", f"request {i} served in {i % 97} ms") for i in range(COPY_ROWS)]
    with psycopg.connect(primary, autocommit=True) as conn:
        logs = LogRepo(conn)

        def raw() -> None:
            with conn.cursor() as cur, cur.copy(
                    "COPY logs (script_uri, message) FROM STDIN (FORMAT BINARY)") as copy:
                copy.set_types(["text", "text"])
                for r in rows:
                    copy.write_row(r)
            conn.execute("DELETE FROM logs WHERE script_uri = '/copy.js'")

        def ours() -> None:
            logs.append_many(rows)
            conn.execute("DELETE FROM logs WHERE script_uri = '/copy.js'")

        row(f"append_many, {COPY_ROWS:,} rows (+ the same DELETE)", "raw binary COPY",
            *alternate(raw, ours, 1, max(3, rounds // 2)), 1.15)
        # The DELETEs leave 100,000 dead rows a round; the list below would scan them.
        conn.execute("VACUUM ANALYZE logs")


@contextlib.contextmanager
def tuple_rows_package() -> Iterator[ModuleType]:
    """This project's queries generated with ``[codegen] rows = "tuple"``, importable."""
    with tempfile.TemporaryDirectory() as tmp:
        package = Path(tmp) / "tuplerows"
        package.mkdir()
        (package / "__init__.py").write_text("", encoding="utf-8")
        settings = load_settings(ROOT, env={}).with_paths(
            migrations=ROOT / "migrations", queries=ROOT / "queries", sqlx_dir=ROOT / ".sqlx",
            generated=package / "generated")
        write_files(generate(dataclasses.replace(
            settings, rows="tuple", extensions=ROOT / "repo" / "extensions.py",
            extensions_module="repo.extensions")).files)
        sys.path.insert(0, tmp)
        try:
            yield importlib.import_module("tuplerows.generated")
        finally:
            sys.path.remove(tmp)


def listing(logs: Any) -> Callable[[], object]:
    return lambda: logs.list_for_script(script_uri="/bench.js", limit=1000)


def list_rows(primary: str, rounds: int) -> None:
    sql = ("SELECT * FROM logs WHERE script_uri = %s ORDER BY created_at DESC, id DESC "
           "LIMIT %s")
    with psycopg.connect(primary, autocommit=True) as conn, tuple_rows_package() as tuples:
        repos = {"pydantic rows (default)": LogRepo(conn),
                 'rows = "tuple"': tuples.LogRepo(conn)}
        calls = {label: listing(logs) for label, logs in repos.items()}
        for binary in (False, True):
            def raw(binary: bool = binary) -> Any:
                return conn.execute(sql, ("/bench.js", 1000), prepare=True,
                                    binary=binary).fetchall()

            for label, ours in calls.items():
                row(f"1,000-row list, {label}", f"raw psycopg, {'binary' if binary else 'text'}",
                    *alternate(raw, ours, 40, rounds), 1.5 if binary else None)
        print("  garbage collections per 1,000-row call, generation 0/1/2: raw binary "
              f"{collections(raw)}, " + ", ".join(f"{label} {collections(ours)}"
                                                 for label, ours in calls.items()))


def collections(fn: Callable[[], object], calls: int = 200) -> str:
    """The collector's runs per call of ``fn`` (where the time between raw and ours goes)."""
    before = [s["collections"] for s in gc.get_stats()]
    for _ in range(calls):
        fn()
    after = [s["collections"] for s in gc.get_stats()]
    return "/".join(f"{(b - a) / calls:.2f}" for a, b in zip(before, after, strict=True))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=9)
    parser.add_argument("--only", choices=("pgbouncer", "replica", "copy", "list"))
    args = parser.parse_args()
    with databases() as (primary, replica):
        with psycopg.connect(primary) as conn:
            print(f"PostgreSQL {conn.info.server_version // 10000}, psycopg "
                  f"{psycopg.__version__} ({psycopg.pq.__impl__}, libpq {psycopg.pq.version()})"
                  f", median of {args.rounds} alternating batches\n")
        print(f"{'operation':<50} {'compared with':<22} {'base µs':>11} {'ours µs':>11} "
              f"{'ratio':>8} {'target':>9}")
        parts: dict[str, Callable[[], None]] = {
            "pgbouncer": lambda: pgbouncer_rows(primary, args.rounds),
            "replica": lambda: replica_row(primary, replica, args.rounds),
            "copy": lambda: copy_row(primary, args.rounds),
            "list": lambda: list_rows(primary, args.rounds),
        }
        for name, part in parts.items():
            if args.only in (None, name):
                part()


if __name__ == "__main__":
    main()
