"""Real SQLx projects through `prepare` and offline `verify` (real-world-bench.md).

Each project is a public SQLx project that commits its ``.sqlx/`` metadata. Its files never enter
this repository: this script reads a checkout, or a git directory fetched with the search tool
(read with ``git ls-tree`` / ``git cat-file`` at a commit), and lays the project out as one of our
projects in a scratch folder (or ``--keep DIR/<name>``):

* ``migrations/``: the project's migration files, byte for byte;
* ``queries/<crate>/q_<hash>.sql``: each committed ``query-*.json`` "query" text, unchanged
  (a ``$n``-style file is sent byte for byte, so the hash and file name match);
* ``expected-sqlx/``: the committed ``query-*.json`` files, for comparison;
* ``config.toml``: the paths, and ``[types]`` left empty.

Then it runs ``python -m repo prepare`` on a scratch server (``--sqlx-version 0.9`` when the
project's ``Cargo.lock`` has sqlx 0.9; the server at ``--contrib-url`` when the migrations create
an extension, since the embedded server has no contrib modules), compares every written
``query-*.json`` with the committed one byte for byte, and runs ``verify --json`` with no server.
Every verify error is a false alarm: the metadata came from PostgreSQL itself.

Usage::

    python benchmarks/bench_sqlx_projects.py PATH [PATH...]          # one project per checkout
    python benchmarks/bench_sqlx_projects.py --manifest projects.toml --keep /work/bench

A manifest describes projects inside monorepos::

    [[project]]
    name = "zksync-core"
    source = "/work/.mirror/matter-labs+zksync-era/repo"   # checkout or git directory
    commit = "HEAD"                                        # git directories only
    sqlx = ["core/lib/dal/.sqlx"]                          # globs, relative to the source
    migrations = "core/lib/dal/migrations"
    cargo_lock = "core/Cargo.lock"                         # optional (default: nearest one)

A positional PATH is one project: every ``.sqlx`` folder in it holding PostgreSQL queries, and
the nearest ``migrations/`` folder (``migrations/postgres`` when it exists).
"""

from __future__ import annotations

import argparse
import fnmatch
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import tomllib
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

ROOT = Path(__file__).resolve().parent.parent
CONTRIB_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
_EXTENSION = re.compile(r"create\s+extension\s+(?:if\s+not\s+exists\s+)?\"?([\w-]+)", re.I)
# Extensions the embedded server has (plpgsql is built in; the rest need contrib).
_BUILTIN_EXTENSIONS = {"plpgsql"}


class Tree:
    """The files of a checkout or of one commit of a git directory, read-only."""

    def __init__(self, source: Path, commit: str = "HEAD") -> None:
        self.source = source
        self.git = _is_git_dir(source)
        self.commit = ""
        self._files: dict[str, str] = {}  # path -> blob id (git) or "" (checkout)
        if self.git:
            self.commit = _git(source, "rev-parse", f"{commit}^{{commit}}").strip()
            out = _git(source, "ls-tree", "-r", "-z", self.commit)
            for entry in out.split("\0"):
                if entry:
                    meta, path = entry.split("\t", 1)
                    mode, kind, blob = meta.split()
                    if kind == "blob" and mode != "120000":
                        self._files[path] = blob
        else:
            if (source / ".git").exists():
                self.commit = _git(source / ".git", "rev-parse", "HEAD").strip()
            for p in source.rglob("*"):
                rel = p.relative_to(source).as_posix()
                if p.is_file() and not p.is_symlink() and not rel.startswith(".git/"):
                    self._files[rel] = ""

    def paths(self) -> list[str]:
        return sorted(self._files)

    def read_many(self, paths: list[str]) -> dict[str, bytes]:
        """Contents of ``paths``; one ``git cat-file --batch`` process for a git directory."""
        if not self.git:
            return {p: (self.source / p).read_bytes() for p in paths}
        request = "".join(self._files[p] + "\n" for p in paths).encode()
        out = subprocess.run(["git", "--git-dir", str(self.source), "cat-file", "--batch"],
                             input=request, capture_output=True, check=True).stdout
        result: dict[str, bytes] = {}
        pos = 0
        for p in paths:
            header_end = out.index(b"\n", pos)
            size = int(out[pos:header_end].split()[2])
            result[p] = out[header_end + 1:header_end + 1 + size]
            pos = header_end + 1 + size + 1
        return result


def _is_git_dir(path: Path) -> bool:
    return (path / "HEAD").is_file() and (path / "objects").is_dir()


def _git(git_dir: Path, *args: str) -> str:
    return subprocess.run(["git", "--git-dir", str(git_dir), *args], capture_output=True,
                          text=True, check=True).stdout


@dataclass
class Project:
    name: str
    tree: Tree
    sqlx_dirs: list[str]
    migrations: list[str]  # several folders (one per crate) are merged into one
    cargo_lock: str | None


@dataclass
class Result:
    name: str
    commit: str
    queries: int = 0
    sqlx_version: str = "0.8"
    server: str = "embedded"
    prepare_rc: int | None = None
    prepare_error: str = ""
    identical: int = 0
    different: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    verify_rc: int | None = None
    verify_errors: list[dict[str, object]] = field(default_factory=list)
    verify_warnings: int = 0
    coverage: dict[str, int] = field(default_factory=dict)
    prepare_s: float = 0.0
    verify_s: float = 0.0
    imports: str = "-"  # the generated package imports ("ok"), or the error's last line
    mypy: str = "-"  # `mypy --strict` on the generated package (with --mypy)
    extensions: list[str] = field(default_factory=list)


def _sqlx_dirs(tree: Tree, globs: list[str]) -> list[str]:
    dirs = sorted({str(PurePosixPath(p).parent) for p in tree.paths()
                   if PurePosixPath(p).parent.name == ".sqlx"})
    return [d for d in dirs if any(fnmatch.fnmatchcase(d, g) for g in globs)]


def _nearest(tree: Tree, start: str, want: str) -> str | None:
    """The nearest ``want`` (a folder or file) in ``start`` or its ancestors."""
    paths = tree.paths()
    here = PurePosixPath(start)
    for d in [here, *here.parents]:
        prefix = "" if str(d) == "." else f"{d}/"
        for candidate in ([f"{prefix}{want}/postgres", f"{prefix}{want}"] if want == "migrations"
                          else [f"{prefix}{want}"]):
            if want == "migrations":
                if any(p.startswith(candidate + "/") and p.endswith(".sql")
                       and "/" not in p[len(candidate) + 1:] for p in paths):
                    return candidate
            elif candidate in tree._files:
                return candidate
    return None


def auto_project(source: Path) -> Project:
    tree = Tree(source)
    dirs = _sqlx_dirs(tree, ["*"])
    if not dirs:
        raise SystemExit(f"error: {source}: no committed .sqlx/ folder")
    migrations = _nearest(tree, str(PurePosixPath(dirs[0]).parent), "migrations")
    if migrations is None:
        raise SystemExit(f"error: {source}: no migrations/ folder near {dirs[0]}; use --manifest")
    lock = _nearest(tree, str(PurePosixPath(dirs[0]).parent), "Cargo.lock")
    return Project(source.name if source.name != "repo" else source.parent.name, tree, dirs,
                   [migrations], lock)


def manifest_projects(path: Path, only: set[str]) -> list[Project]:
    doc = tomllib.loads(path.read_text())
    projects = []
    for entry in doc.get("project", []):
        if only and entry["name"] not in only:
            continue
        tree = Tree(Path(entry["source"]), entry.get("commit", "HEAD"))
        dirs = _sqlx_dirs(tree, list(entry["sqlx"]))
        lock = entry.get("cargo_lock") or (
            _nearest(tree, str(PurePosixPath(dirs[0]).parent), "Cargo.lock") if dirs else None)
        migrations = entry["migrations"]
        projects.append(Project(entry["name"], tree, dirs,
                                [migrations] if isinstance(migrations, str) else migrations, lock))
    return projects


def _crate_name(sqlx_dir: str, taken: dict[str, str]) -> str:
    # The crate's own name: skip folders that only say where crates live or which driver.
    generic = {"src", "crates", "lib", "postgres", "postgresql", "pg", "db"}
    parts = [p for p in PurePosixPath(sqlx_dir).parent.parts if p.lower() not in generic]
    base = re.sub(r"[^0-9a-z_]", "_", (parts[-1] if parts else "root").lower()).strip("_")
    base = base if base and base[0].isalpha() else f"c_{base}"
    name, n = base, 2
    while taken.setdefault(name, sqlx_dir) != sqlx_dir:
        name, n = f"{base}_{n}", n + 1
    return name


def _sqlx_version(tree: Tree, lock: str | None) -> str:
    if lock is None:
        return "0.8"
    text = tree.read_many([lock])[lock].decode()
    found = re.search(r'name = "sqlx"\nversion = "(\d+\.\d+)', text)
    return "0.9" if found and found.group(1) == "0.9" else "0.8"


def lay_out(project: Project, dest: Path) -> tuple[int, list[str]]:
    """Write the project as one of ours into ``dest``; (queries, extensions created)."""
    if dest.exists():
        shutil.rmtree(dest)
    (dest / "migrations").mkdir(parents=True)
    (dest / "expected-sqlx").mkdir()
    prefixes = [m.rstrip("/") + "/" for m in project.migrations]
    mig_paths = [p for p in project.tree.paths() for prefix in prefixes
                 if p.startswith(prefix) and "/" not in p[len(prefix):]]
    extensions: set[str] = set()
    for path, data in project.tree.read_many(mig_paths).items():
        (dest / "migrations" / PurePosixPath(path).name).write_bytes(data)
        extensions.update(m.lower() for m in _EXTENSION.findall(data.decode("utf-8", "replace")))
    taken: dict[str, str] = {}
    written: set[str] = set()
    for sqlx_dir in project.sqlx_dirs:
        crate = _crate_name(sqlx_dir, taken)
        files = [p for p in project.tree.paths()
                 if p.startswith(sqlx_dir + "/query-") and p.endswith(".json")]
        for path, data in project.tree.read_many(files).items():
            doc = json.loads(data)
            if doc.get("db_name") != "PostgreSQL" or doc["hash"] in written:
                continue  # another driver's query, or the same text in two crates
            written.add(doc["hash"])
            (dest / "expected-sqlx" / PurePosixPath(path).name).write_bytes(data)
            folder = dest / "queries" / crate
            folder.mkdir(parents=True, exist_ok=True)
            (folder / f"q_{doc['hash'][:16]}.sql").write_bytes(doc["query"].encode("utf-8"))
    versions = [int(m.group(1)) for p in (dest / "migrations").iterdir()
                if (m := re.match(r"(\d+)_", p.name))]
    # Their migrations are deployed already: lint (migration safety) starts after the newest,
    # as the README tells a team coming from SQLx to configure it.
    (dest / "config.toml").write_text(
        "# Laid out by benchmarks/bench_sqlx_projects.py from "
        f"{project.tree.source} at {project.tree.commit or 'its working tree'}\n"
        '[paths]\nmigrations = "migrations"\nqueries = "queries"\nsqlx = ".sqlx"\n'
        f'generated = "db"\n\n[lint]\nsince = {max(versions, default=0)}\n\n[types]\n')
    return len(written), sorted(extensions - _BUILTIN_EXTENSIONS)


def run_timed(cmd: list[str], cwd: Path,
              env: dict[str, str]) -> tuple[int, str, str, float]:
    """``cmd``'s exit code, stdout, stderr and wall-clock seconds."""
    start = time.perf_counter()
    proc = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True)
    return proc.returncode, proc.stdout, proc.stderr, time.perf_counter() - start


def _clean_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if k not in ("DATABASE_URL", "APP_REPOSITORY__DATABASE_URL", "SQLX_OFFLINE_DIR")}
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    return env


def compare(dest: Path, result: Result) -> None:
    written = dest / ".sqlx"
    for expected in sorted((dest / "expected-sqlx").glob("query-*.json")):
        ours = written / expected.name
        if not ours.exists():
            result.missing.append(expected.name)
        elif ours.read_bytes() == expected.read_bytes():
            result.identical += 1
        else:
            result.different.append(expected.name)


def describe_difference(expected: Path, ours: Path) -> str:
    """One line naming what differs (column type/nullability/name, parameters, origin)."""
    a, b = json.loads(expected.read_bytes()), json.loads(ours.read_bytes())
    if a == b:
        return "same JSON value, different bytes (key order or formatting)"
    da, db = a["describe"], b["describe"]
    notes = []
    if da["parameters"] != db["parameters"]:
        notes.append(f"parameters {json.dumps(da['parameters'])} vs ours "
                     f"{json.dumps(db['parameters'])}")
    for i, (ca, cb) in enumerate(zip(da["columns"], db["columns"], strict=False)):
        for key in ("name", "type_info", "origin"):
            if ca.get(key) != cb.get(key):
                notes.append(f"column {i} {key} {json.dumps(ca.get(key))} vs ours "
                             f"{json.dumps(cb.get(key))}")
    if len(da["columns"]) != len(db["columns"]):
        notes.append(f"{len(da['columns'])} columns vs ours {len(db['columns'])}")
    if da["nullable"] != db["nullable"]:
        diffs = [f"{i}:{x}->{y}" for i, (x, y) in
                 enumerate(zip(da["nullable"], db["nullable"], strict=False)) if x != y]
        notes.append(f"nullable (committed->ours) {' '.join(diffs)}")
    return "; ".join(notes) or "other keys differ"


def run_project(project: Project, dest: Path, args: argparse.Namespace) -> Result:
    result = Result(project.name, project.tree.commit)
    result.queries, result.extensions = lay_out(project, dest)
    result.sqlx_version = _sqlx_version(project.tree, project.cargo_lock)
    env = _clean_env()
    cmd = [sys.executable, "-m", "repo", "prepare"]
    if result.sqlx_version == "0.9":
        cmd += ["--sqlx-version", "0.9"]
    url = args.database_url or (args.contrib_url if result.extensions else None)
    if url:
        cmd += ["--database-url", url]
        result.server = "url"
    rc, out, err, result.prepare_s = run_timed(cmd, dest, env)
    result.prepare_rc = rc
    (dest / "prepare.log").write_text(f"$ {' '.join(cmd)}\n{out}{err}")
    if rc != 0:
        errors = [line for line in err.splitlines() if "error" in line.lower()]
        result.prepare_error = (errors or err.splitlines() or ["?"])[0][:200]
    compare(dest, result)
    with (dest / "differences.txt").open("w") as fh:
        for name in result.different:
            why = describe_difference(dest / "expected-sqlx" / name, dest / ".sqlx" / name)
            fh.write(f"{name}: {why}\n")
        for name in result.missing:
            fh.write(f"{name}: not written\n")
    if rc == 0:
        vrc, vout, verr, result.verify_s = run_timed(
            [sys.executable, "-m", "repo", "verify", "--json"], dest, env)
        result.verify_rc = vrc
        (dest / "verify.json").write_text(vout + verr)
        try:
            doc = json.loads(vout)
            result.verify_errors = doc["errors"]
            result.verify_warnings = len(doc["warnings"])
            result.coverage = doc["coverage"]
        except (json.JSONDecodeError, KeyError):
            result.verify_errors = [{"code": "CRASH", "message": (verr or vout)[-300:]}]
        check_package(dest, env, args.mypy, result)
    return result


def check_package(dest: Path, env: dict[str, str], mypy: bool, result: Result) -> None:
    """The generated package ``db`` imports, and (``--mypy``) passes ``mypy --strict``."""
    rc, _, err, _ = run_timed([sys.executable, "-c", "import db, db.repos, db.async_repos"],
                              dest, env)
    result.imports = "ok" if rc == 0 else (err.strip().splitlines() or ["?"])[-1][:120]
    if mypy:
        rc, out, err, _ = run_timed([sys.executable, "-m", "mypy", "--strict",
                                     "--no-error-summary", "--cache-dir",
                                     str(dest / ".mypy_cache"), "-p", "db"],
                                    dest, {**env, "MYPYPATH": str(ROOT)})
        result.mypy = "ok" if rc == 0 else f"{len(out.splitlines())} errors"
        (dest / "mypy.log").write_text(out + err)


def _pct(num: int, den: int) -> str:
    return f"{100 * num / den:.1f}%" if den else "-"


def print_table(results: list[Result]) -> None:
    head = ("project", "queries", "sqlx", "server", "prepare", "identical", "verify err",
            "columns", "params", "import", "mypy", "prepare s", "verify s")
    rows = [head]
    for r in results:
        c = r.coverage
        rows.append((
            r.name, str(r.queries), r.sqlx_version, r.server,
            "exit 0" if r.prepare_rc == 0 else f"exit {r.prepare_rc}",
            f"{r.identical}/{r.queries} ({_pct(r.identical, r.queries)})",
            "-" if r.verify_rc is None else str(len(r.verify_errors)),
            f"{c.get('columns_verified', 0)}/{c.get('columns_total', 0)} "
            f"({_pct(c.get('columns_verified', 0), c.get('columns_total', 0))})" if c else "-",
            f"{c.get('params_verified', 0)}/{c.get('params_total', 0)} "
            f"({_pct(c.get('params_verified', 0), c.get('params_total', 0))})" if c else "-",
            "ok" if r.imports == "ok" else ("-" if r.imports == "-" else "FAIL"), r.mypy,
            f"{r.prepare_s:.1f}", f"{r.verify_s:.1f}"))
    widths = [max(len(row[i]) for row in rows) for i in range(len(head))]
    for n, row in enumerate(rows):
        print("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)))
        if n == 0:
            print("  ".join("-" * w for w in widths))
    for r in results:
        if r.prepare_error:
            print(f"{r.name}: prepare: {r.prepare_error}")
        if r.different or r.missing:
            print(f"{r.name}: {len(r.different)} files differ, {len(r.missing)} not written "
                  "(see differences.txt)")
        if r.imports not in ("ok", "-"):
            print(f"{r.name}: generated package does not import: {r.imports}")
        if r.verify_errors:
            codes = Counter(str(e.get("code")) for e in r.verify_errors)
            print(f"{r.name}: verify errors by code: "
                  + ", ".join(f"{k} x{v}" for k, v in sorted(codes.items())))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("paths", nargs="*", type=Path, help="checkouts or git directories")
    parser.add_argument("--manifest", type=Path, help="TOML file listing [[project]] entries")
    parser.add_argument("--only", action="append", default=[], help="manifest project name")
    parser.add_argument("--keep", type=Path,
                        help="lay projects out in KEEP/<name> and leave them there")
    parser.add_argument("--database-url", help="server for every project (default: embedded)")
    parser.add_argument("--contrib-url", default=CONTRIB_URL,
                        help="server for projects whose migrations create extensions")
    parser.add_argument("--mypy", action="store_true",
                        help="also run mypy --strict on each generated package (slower)")
    parser.add_argument("--json", type=Path, help="also write the results as JSON to this file")
    args = parser.parse_args()
    projects = [auto_project(p) for p in args.paths]
    if args.manifest:
        projects += manifest_projects(args.manifest, set(args.only))
    if not projects:
        parser.error("give checkout paths or --manifest")
    results = []
    with tempfile.TemporaryDirectory(prefix="sqlx-bench-") as tmp:
        base = args.keep or Path(tmp)
        for project in projects:
            results.append(run_project(project, base / project.name, args))
            print(f"done {project.name}", file=sys.stderr, flush=True)
    print_table(results)
    if args.json:
        args.json.write_text(json.dumps([r.__dict__ for r in results], indent=2, default=str))
    ok = all(r.prepare_rc == 0 and r.identical == r.queries and not r.verify_errors
             and r.imports == "ok" and r.mypy in ("ok", "-") for r in results)
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
