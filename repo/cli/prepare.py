"""``python -m repo prepare [--check]``: describe the query files into ``.sqlx/``."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

from ..config import Settings
from ..errors import DescribeErrors
from ..metadata.store import SQLX_VERSIONS
from ._common import add_source_option, add_url_option

if TYPE_CHECKING:
    from ..prepare import PrepareResult


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser(
        "prepare", help="describe the query files with PostgreSQL and write .sqlx/",
        description="Apply the migrations to a scratch database, describe every query file "
        "and write .sqlx/ (SQLx's format) atomically, then regenerate the code. Without a "
        "database URL a throwaway embedded PostgreSQL is started.")
    parser.add_argument("--check", action="store_true",
                        help="compare with the committed .sqlx/ instead of writing; exit 1 "
                        "and print each difference when they differ")
    add_url_option(parser)
    parser.add_argument("--no-scratch", action="store_true",
                        help="describe against the URL's database as it is (no temporary "
                        "database, no migrations)")
    add_source_option(parser)
    parser.add_argument("--queries", metavar="DIR", help="query directory (default: ./queries)")
    parser.add_argument("--sqlx-dir", metavar="DIR", help="metadata directory (default: ./.sqlx)")
    parser.add_argument("--out", metavar="DIR", help="generated package directory (default: "
                        "[paths] generated in config.toml, else ./db)")
    parser.add_argument("--sqlx-version", choices=SQLX_VERSIONS, default="0.8",
                        help="SQLx output format (0.9 adds `origin` and uses generic plans)")
    parser.set_defaults(handler=_handler)


def _progress(message: str) -> None:
    print(f"  {message}", file=sys.stderr, flush=True)


def _handler(args: argparse.Namespace, settings: Settings) -> int:
    from ..prepare import prepare  # imports psycopg: loaded only when prepare runs

    settings = settings.with_paths(migrations=args.source, queries=args.queries,
                                   sqlx_dir=args.sqlx_dir, generated=args.out)
    try:
        result = prepare(settings, database_url=args.database_url, check=args.check,
                         no_scratch=args.no_scratch, sqlx_version=args.sqlx_version,
                         on_progress=_progress)
    except DescribeErrors as exc:
        for err in exc.errors:
            print(f"{err.location}: error: {err.message}", file=sys.stderr)
            if err.hint:
                print(f"  hint: {err.hint}", file=sys.stderr)
        raise
    for warning in result.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    return _report(result, settings, args.check)


def _report(result: PrepareResult, settings: Settings, check: bool) -> int:
    n = len(result.queries)
    summary = f"described {n} quer{'y' if n == 1 else 'ies'} in {result.elapsed:.2f}s"
    if check:
        for line in result.differences:
            print(line)
        if result.differences:
            print(f"error: prepare check failed: {settings.sqlx_dir} is out of date "
                  f"({len(result.differences)} difference(s)); run `python -m repo prepare`",
                  file=sys.stderr)
            return 1
        print(f"{summary}; {settings.sqlx_dir} is up to date", file=sys.stderr)
        return 0
    if not result.queries:
        print("warning: no queries found", file=sys.stderr)
    print(f"{summary}; query data written to {settings.sqlx_dir}"
          + (f", {len(result.generated)} generated file(s) updated" if result.generated else ""),
          file=sys.stderr)
    package = settings.generated_package
    print(f"generated package: {settings.generated_dir} (import it as `{package}`, e.g. "
          f"`from {package} import Database`)", file=sys.stderr)
    return 0
