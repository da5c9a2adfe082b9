"""`python -m repo lint` next to squawk on the same dangerous/safe migration pairs.

The migrations are the lint test fixtures (tests/fixtures/lint): for every rule one or more
dangerous migrations and their safe twins, each applied after the same two-table history,
with a few query files that use those tables. Printed side by side, from this one run:

* dangerous caught: dangerous cases where the tool reports the danger (a squawk rule is
  matched to our codes by the table ``SQUAWK`` below);
* safe flagged: safe twins where the tool reports anything (noise);
* breaking changes naming queries: renames/drops where the finding names the query files;
* time: one process per case (as CI runs it), and our lint in-process.

squawk runs twice: with its defaults, and tuned for SQLx (``--assume-in-transaction`` on files
without ``-- no-transaction``, its two general-advice rules excluded). The L014 cases (our
acknowledgement comments) have no squawk counterpart and are left out.

With ``--migrations DIR...`` it also lints real projects' migration folders (kept outside this
repository, e.g. fetched with the search tool) with both tools, one process each, and prints
the findings per tool and the time: there is no ground truth there, only volume and speed.

Usage: ``pip install -e '.[bench]'; python benchmarks/bench_lint.py [--migrations DIR...]``
(installs squawk-cli when it is missing).
"""

from __future__ import annotations

import argparse
import collections
import json
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from repo.config import load_settings  # noqa: E402
from repo.lint import Severity, lint  # noqa: E402
from tests.helpers.lint_cases import Case, cases, project  # noqa: E402

# squawk rule -> the lint codes it stands for.
SQUAWK = {
    "adding-required-field": {"L001"}, "adding-not-nullable-field": {"L001", "L002"},
    "require-concurrent-index-creation": {"L003"}, "require-concurrent-index-deletion": {"L004"},
    "ban-concurrent-index-creation-in-transaction": {"L005"},
    "changing-column-type": {"L006"}, "adding-foreign-key-constraint": {"L007"},
    "constraint-missing-not-valid": {"L007", "L008"}, "disallowed-unique-constraint": {"L009"},
    "adding-field-with-default": {"L010"}, "adding-serial-primary-key-field": {"L009", "L010"},
    "renaming-column": {"L011"}, "renaming-table": {"L011"}, "ban-drop-column": {"L012"},
    "ban-drop-table": {"L012"}, "require-lock-timeout": {"L013"},
}
GENERAL_ADVICE = "prefer-robust-stmts,require-statement-timeout"


@dataclass
class Result:
    """One tool's verdict on one case: codes it stands for, anything said, queries named."""

    codes: set[str] = field(default_factory=set)
    said: list[str] = field(default_factory=list)
    queries: int = 0


def squawk_binary() -> str:
    found = shutil.which("squawk") or str(Path(sys.executable).with_name("squawk"))
    if not Path(found).is_file():
        print("squawk not found: pip install squawk-cli", file=sys.stderr)
        subprocess.run([sys.executable, "-m", "pip", "install", "-q", "squawk-cli"],
                       check=True)
        found = str(Path(sys.executable).with_name("squawk"))
    return found


def run_squawk(binary: str, case: Case, tuned: bool) -> Result:
    result = Result()
    for f in case.files:
        args = [binary, "--reporter", "json", str(f)]
        if tuned:
            args += ["--exclude", GENERAL_ADVICE]
            if not f.read_text().startswith("-- no-transaction"):
                args.append("--assume-in-transaction")
        out = subprocess.run(args, capture_output=True, text=True).stdout
        for finding in json.loads(out or "[]"):
            result.said.append(finding["rule_name"])
            result.codes |= SQUAWK.get(finding["rule_name"], set())
    return result


def run_lint(root: Path) -> Result:
    settings = load_settings(root, env={}).with_paths(migrations=root / "migrations",
                                                       queries=root / "queries")
    result = Result()
    for f in lint(settings).findings:
        if f.severity in (Severity.ERROR, Severity.WARNING):
            result.codes.add(f.code)
            result.said.append(f.code)
            result.queries += bool(f.queries)
    return result


def score(results: dict[str, Result], chosen: list[Case]) -> tuple[str, str, str]:
    dangerous = [c for c in chosen if c.dangerous]
    safe = [c for c in chosen if not c.dangerous]
    caught = [c for c in dangerous if c.expected & results[c.name].codes]
    flagged = [c for c in safe if results[c.name].said]
    breaking = [c for c in dangerous if c.expected & {"L011", "L012"}]
    named = [c for c in breaking if results[c.name].queries]
    return (f"{len(caught)}/{len(dangerous)}", f"{len(flagged)}/{len(safe)}",
            f"{len(named)}/{len(breaking)}")


def timed(fn: Callable[[], object]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def processes(fn: Callable[[], object]) -> tuple[float, float]:
    """Wall and CPU seconds of the child processes ``fn`` runs (CPU is robust to load)."""
    cpu = children_cpu()
    wall = timed(fn)
    return wall, children_cpu() - cpu


def real_projects(binary: str, folders: list[Path]) -> None:
    """Findings and time of both tools on real migration folders, one process per folder."""
    print(f"\n{'migrations folder':<58}{'files':>6}  {'repo lint':<42}squawk (SQLx-tuned)")
    for folder in folders:
        files = sorted(p for p in folder.glob("*.sql") if not p.name.endswith(".down.sql"))
        start = time.perf_counter()
        out = subprocess.run([sys.executable, "-m", "repo", "lint", "--json", "--source",
                              str(folder)], capture_output=True, text=True, cwd=folder).stdout
        t_ours = time.perf_counter() - start
        ours = collections.Counter(f["severity"] for f in json.loads(out)["findings"])
        start = time.perf_counter()
        out = subprocess.run([binary, "--reporter", "json", "--assume-in-transaction",
                              "--exclude", GENERAL_ADVICE, *map(str, files)],
                             capture_output=True, text=True).stdout
        t_squawk = time.perf_counter() - start
        theirs = len(json.loads(out or "[]"))
        mine = f"{ours['error']} err, {ours['warning']} warn, {ours['note']} note"
        print(f"{folder.name[:57]:<58}{len(files):>6}  {mine + f' ({t_ours:.2f} s)':<42}"
              f"{theirs} findings ({t_squawk:.2f} s)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--migrations", nargs="*", default=[], type=Path, metavar="DIR")
    args = parser.parse_args()
    binary = squawk_binary()
    version = subprocess.run([binary, "--version"], capture_output=True, text=True).stdout
    chosen = [c for c in cases() if not c.name.startswith("L014")]
    with tempfile.TemporaryDirectory() as tmp:
        roots = {c.name: project(c, Path(tmp) / c.name) for c in chosen}
        ours = {c.name: run_lint(roots[c.name]) for c in chosen}
        plain = {c.name: run_squawk(binary, c, False) for c in chosen}
        tuned = {c.name: run_squawk(binary, c, True) for c in chosen}
        t_ours = processes(lambda: [subprocess.run([sys.executable, "-m", "repo", "lint"],
                                                   cwd=roots[c.name], capture_output=True)
                                    for c in chosen])
        t_squawk = processes(lambda: [run_squawk(binary, c, True) for c in chosen])
        inproc = statistics.median(timed(lambda: [run_lint(r) for r in roots.values()])
                                   for _ in range(5))
    print(f"{len(chosen)} cases from tests/fixtures/lint ({sum(c.dangerous for c in chosen)} "
          f"dangerous, {sum(not c.dangerous for c in chosen)} safe); {version.strip()}\n")
    rows = [("repo lint", *score(ours, chosen)),
            ("squawk (defaults)", *score(plain, chosen)),
            ("squawk (SQLx-tuned)", *score(tuned, chosen))]
    print(f"{'tool':<22}{'dangerous caught':>18}{'safe flagged':>14}"
          f"{'breaking changes naming queries':>34}")
    for name, caught, flagged, named in rows:
        print(f"{name:<22}{caught:>18}{flagged:>14}{named:>34}")
    print(f"\ntime, one process per case ({len(chosen)} cases), wall / CPU: repo lint "
          f"{t_ours[0]:.2f} s / {t_ours[1]:.2f} s, squawk {t_squawk[0]:.2f} s / "
          f"{t_squawk[1]:.2f} s (CPU ratio {t_ours[1] / max(t_squawk[1], 1e-9):.0f}x)")
    print(f"time, repo lint in-process, all cases: {inproc * 1000:.0f} ms "
          f"({inproc / len(chosen) * 1000:.1f} ms per case)\n")
    print("per case: repo lint | squawk (defaults) | squawk (SQLx-tuned)")
    for c in chosen:
        cols = [",".join(sorted(set(r[c.name].said))) or "-" for r in (ours, plain, tuned)]
        print(f"  {c.name:<32} {' | '.join(cols)}")
    if args.migrations:
        real_projects(binary, args.migrations)


if __name__ == "__main__":
    main()
