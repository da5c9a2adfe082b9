"""Wall time of `python -m repo prepare`, end to end, in one run.

Scenarios (each in a throwaway copy of the project, so nothing in the tree is touched):

* ``project``: this repository's migrations and query files, embedded server start included;
* ``500 generated``: the same migrations with 500 generated query files of varied shapes;
* the same two against an existing server (``--url``, default: none) via a temporary database.

Usage: ``python benchmarks/bench_prepare.py [--url postgresql://...] [--repeat N]``.
Targets (issue 3): project < 3 s, 500 queries < 10 s, embedded start included.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# Query templates over the AIWebEngine schema: selects, joins, aggregates, DML with RETURNING.
TEMPLATES = [
    "-- :optional\nSELECT * FROM scripts WHERE uri = :uri AND id <> '{u}'\n",
    "-- :many\nSELECT id, uri, initialized FROM scripts WHERE uri LIKE :prefix || '%' "
    "ORDER BY uri LIMIT {n}\n",
    "-- :many\nSELECT s.session_id, u.email, u.name FROM sessions s "
    "LEFT JOIN users u ON u.user_id = s.user_id WHERE s.expires_at > now() - interval '{n} s'\n",
    "-- :one\nSELECT count(*) AS n, max(created_at) AS latest FROM logs "
    "WHERE script_uri = :uri AND length(message) > {n}\n",
    "-- :optional\nUPDATE users SET name = :name WHERE user_id = :user_id AND {n} > 0 "
    "RETURNING *\n",
    "-- :execrows\nDELETE FROM logs WHERE created_at < :before AND script_uri <> 'x{n}'\n",
    "-- :one\nINSERT INTO logs (script_uri, message) VALUES (:uri, :message || '{n}') "
    "RETURNING id\n",
    "-- :many\nWITH recent AS (SELECT script_uri, count(*) AS c FROM logs GROUP BY script_uri) "
    "SELECT s.uri, r.c FROM scripts s FULL JOIN recent r ON r.script_uri = s.uri "
    "WHERE coalesce(r.c, 0) >= {n}\n",
    "-- :many\nSELECT public_path, octet_length(content) AS size FROM assets "
    "WHERE mimetype = ANY(:types::text[]) OFFSET {n}\n",
    "-- :optional\nSELECT u.*, (SELECT count(*) FROM sessions x WHERE x.user_id = u.user_id) "
    "AS sessions FROM users u WHERE u.email = :email AND u.is_admin = ({n} % 2 = 0)\n",
]


def make_project(base: Path, generated: int) -> Path:
    shutil.copytree(ROOT / "migrations", base / "migrations")
    if generated == 0:
        shutil.copytree(ROOT / "queries", base / "queries")
        return base
    for i in range(generated):
        folder = base / "queries" / f"bench{i % 10}"
        folder.mkdir(parents=True, exist_ok=True)
        text = TEMPLATES[i % len(TEMPLATES)].format(n=i, u=f"00000000-0000-0000-0000-{i:012d}")
        (folder / f"q{i:04d}.sql").write_text(f"-- Generated query {i}.\n{text}")
    return base


def time_prepare(project: Path, url: str | None) -> float:
    env = {k: v for k, v in os.environ.items()
           if k not in ("DATABASE_URL", "APP_REPOSITORY__DATABASE_URL")}
    cmd = [sys.executable, "-m", "repo", "prepare"] + (["-D", url] if url else [])
    started = time.perf_counter()
    proc = subprocess.run(cmd, cwd=project, env=env, capture_output=True, text=True)
    elapsed = time.perf_counter() - started
    if proc.returncode != 0:
        raise SystemExit(f"prepare failed in {project}:\n{proc.stderr}")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", help="also time against this existing server")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    rows = []
    for label, count, target in (("project (32 queries)", 0, 3.0),
                                 ("500 generated queries", 500, 10.0)):
        for server, url in (("embedded", None), ("existing", args.url)):
            if server == "existing" and url is None:
                continue
            with tempfile.TemporaryDirectory(prefix="bench_prepare_") as tmp:
                project = make_project(Path(tmp), count)
                times = sorted(time_prepare(project, url) for _ in range(args.repeat))
            rows.append((label, server, times[0], times[len(times) // 2], target))
    print(f"{'scenario':<24} {'server':<9} {'best s':>8} {'median s':>9} {'target s':>9}  ok")
    for label, server, best, median, target in rows:
        print(f"{label:<24} {server:<9} {best:>8.2f} {median:>9.2f} {target:>9.1f}  "
              f"{'yes' if median < target else 'NO'}")


if __name__ == "__main__":
    main()
