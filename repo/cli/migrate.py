"""``python -m repo migrate run|revert|info|add|check`` (options as in sqlx-cli)."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from ..config import Settings
from ..migrate import add_migration, resolve
from ._common import add_source_option, add_url_option, migrations_dir, server_url

if TYPE_CHECKING:
    from ..migrate import Migration, Migrator, Status, Step


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser("migrate", help="apply, revert and inspect SQLx-compatible migrations")
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)

    run = actions.add_parser("run", help="apply all pending migrations")
    revert = actions.add_parser("revert", help="revert the latest migration (or down to a target)")
    for p in (run, revert):
        add_source_option(p)
        add_url_option(p)
        p.add_argument("--dry-run", action="store_true", help="list what would be done")
        p.add_argument("--ignore-missing", action="store_true",
                       help="ignore applied migrations that are missing locally")
        p.add_argument("--target-version", type=int, metavar="N",
                       help="stop at (run) or revert down to (revert) version N")
    run.set_defaults(handler=_run)
    revert.set_defaults(handler=_revert)

    info = actions.add_parser("info", help="show every migration and its status")
    check = actions.add_parser("check", help="exit 1 if anything is pending, modified or missing")
    for p in (info, check):
        add_source_option(p)
        add_url_option(p)
    check.add_argument("--schema", action="store_true",
                       help="also compare the live schema with what the migrations produce "
                       "(drift: tables, columns, indexes, constraints, enums)")
    info.set_defaults(handler=_info)
    check.set_defaults(handler=_check)

    add = actions.add_parser("add", help="create a new migration file")
    add_source_option(add)
    add.add_argument("description", nargs="+", help="what the migration does")
    add.add_argument("-r", "--reversible", action="store_true", default=None,
                     help="create .up.sql and .down.sql files")
    add.add_argument("--simple", dest="reversible", action="store_false",
                     help="create a single .sql file")
    add.add_argument("-t", "--timestamp", action="store_true", help="timestamp version prefix")
    add.add_argument("-s", "--sequential", action="store_true", help="sequential version prefix")
    add.set_defaults(handler=_add)


def _migrator(args: argparse.Namespace, settings: Settings, url: str | None = None) -> Migrator:
    from ..migrate.runner import Migrator, connect  # the driver, only when connecting

    migrations = resolve(migrations_dir(args, settings))
    return Migrator(connect(url or server_url(args, settings).url), migrations)


def _print_step(step: Step) -> None:
    print(step.line, flush=True)


def _run(args: argparse.Namespace, settings: Settings) -> int:
    migrator = _migrator(args, settings)
    with migrator.conn:
        migrator.run(target=args.target_version, dry_run=args.dry_run,
                     ignore_missing=args.ignore_missing, on_step=_print_step)
    return 0


def _revert(args: argparse.Namespace, settings: Settings) -> int:
    migrator = _migrator(args, settings)
    with migrator.conn:
        steps = migrator.revert(target=args.target_version, dry_run=args.dry_run,
                                ignore_missing=args.ignore_missing, on_step=_print_step)
    if not steps:
        print("No migrations available to revert")
    return 0


def _describe(status: Status) -> list[str]:
    label = {"installed": "installed", "changed": "installed (different checksum)",
             "pending": "pending", "missing": "installed (missing locally)",
             "dirty": "partially applied"}[status.state]
    lines = [f"{status.version}/{label} {status.description}"]
    if status.state == "changed" and status.applied and status.local:
        lines.append(f"applied migration had checksum {status.applied.checksum.hex()}")
        lines.append(f"local migration has checksum {status.local.checksum.hex()}")
    return lines


def _info(args: argparse.Namespace, settings: Settings) -> int:
    migrator = _migrator(args, settings)
    with migrator.conn:
        for status in migrator.status():
            print("\n".join(_describe(status)))
    return 0


def _check(args: argparse.Namespace, settings: Settings) -> int:
    url = server_url(args, settings).url
    migrator = _migrator(args, settings, url)
    with migrator.conn:
        problems = [s for s in migrator.status() if s.problem]
    for status in problems:
        print("\n".join(_describe(status)))
    drift = _drift(url, migrator.migrations) if args.schema else 0
    if problems:
        counts = {state: sum(s.state == state for s in problems)
                  for state in ("pending", "changed", "missing", "dirty")}
        summary = ", ".join(f"{n} {state}" for state, n in counts.items() if n)
        print(f"migrations are not up to date: {summary}")
        return 1
    print("migrations are up to date")
    return 1 if drift else 0


def _drift(url: str, migrations: list[Migration]) -> int:
    from ..migrate.drift import check_drift

    report = check_drift(url, migrations)
    upto = f"up to version {report.applied[-1]}" if report.applied else "none applied"
    if not report.differences:
        print(f"schema matches the migrations ({upto}; compared with {report.scratch})")
        return 0
    n = len(report.differences)
    print(f"schema drift: {n} difference{'' if n == 1 else 's'} between the live database and "
          f"its migrations ({upto}; compared with {report.scratch}):")
    for d in report.differences:
        print(f"  {d}")
    return n


def _add(args: argparse.Namespace, settings: Settings) -> int:
    for path in add_migration(migrations_dir(args, settings), " ".join(args.description),
                              reversible=args.reversible, timestamp=args.timestamp,
                              sequential=args.sequential):
        print(f"Creating {path}")
    return 0
