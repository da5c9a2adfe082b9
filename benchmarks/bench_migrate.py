"""`migrate run` on many migrations: ours vs raw psycopg executing the same files.

Prints one table from one run. Uses DATABASE_URL's server when set, else an embedded one.

    python benchmarks/bench_migrate.py [--count 500]
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path

import psycopg

from repo.migrate import Migrator, connect, resolve
from repo.server import scratch_server, temporary_database


def make_migrations(directory: Path, count: int) -> None:
    for i in range(1, count + 1):
        (directory / f"{i:05}_table_{i}.sql").write_text(
            f"CREATE TABLE IF NOT EXISTS t{i} (id bigint PRIMARY KEY, v text NOT NULL);\n"
            f"CREATE INDEX IF NOT EXISTS t{i}_v ON t{i} (v);\n")


def ours(url: str, source: Path) -> float:
    started = time.perf_counter()
    with connect(url) as conn:
        Migrator(conn, resolve(source)).run()
    return time.perf_counter() - started


def raw(url: str, source: Path) -> float:
    """The floor: each file in its own transaction, no bookkeeping, no checks, no lock."""
    started = time.perf_counter()
    with psycopg.connect(url, autocommit=True) as conn:
        for path in sorted(source.glob("*.sql")):
            with conn.transaction():
                conn.execute(path.read_bytes())
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--count", type=int, default=500)
    args = parser.parse_args()
    with ExitStack() as stack:
        server = os.environ.get("DATABASE_URL") or stack.enter_context(scratch_server())
        source = Path(stack.enter_context(tempfile.TemporaryDirectory()))
        make_migrations(source, args.count)
        with temporary_database(server) as a, temporary_database(server) as b:
            t_raw = raw(a, source)
            t_ours = ours(b, source)
        with temporary_database(server) as c:
            ours(c, source)
            t_noop = ours(c, source)  # everything applied: resolve + checksum comparison only
    print(f"migrate run, {args.count} migrations (2 statements each)")
    print(f"{'':32}{'seconds':>10}{'per migration':>16}{'ratio':>8}")
    for label, t in (("raw psycopg (no bookkeeping)", t_raw), ("repo migrate run", t_ours),
                     ("repo migrate run (up to date)", t_noop)):
        print(f"{label:32}{t:10.3f}{t / args.count * 1000:13.2f} ms{t / t_raw:8.2f}x")


if __name__ == "__main__":
    main()
