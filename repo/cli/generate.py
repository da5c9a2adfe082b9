"""`python -m repo generate`: models and repositories from queries/ and .sqlx/ (no database)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ..codegen import generate, write_files
from ..config import Settings
from ..drift import write_stamp
from ..errors import CodegenError
from ._common import add_source_option


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser(
        "generate", help="regenerate models and repositories from queries/ and .sqlx/",
        description="Write the typed pydantic models and repositories (sync and async) from "
        "the query files and .sqlx/ metadata. Needs no database.")
    parser.add_argument("--queries", metavar="DIR", help="query files (default: ./queries)")
    parser.add_argument("--sqlx-dir", metavar="DIR", help="metadata (default: ./.sqlx)")
    parser.add_argument("--out", metavar="DIR",
                        help="generated package directory (default: [paths] generated, else ./db)")
    add_source_option(parser)
    parser.add_argument("--check", action="store_true",
                        help="write nothing; exit 1 when the generated files are out of date")
    parser.set_defaults(handler=_handler)


def _handler(args: argparse.Namespace, settings: Settings) -> int:
    settings = settings.with_paths(queries=args.queries, sqlx_dir=args.sqlx_dir,
                                   generated=args.out, migrations=args.source)
    result = generate(settings)
    for warning in result.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    if args.check:
        stale = [p for p, text in sorted(result.files.items()) if _read(p) != text]
        if stale:
            raise CodegenError(
                "generated code is out of date: " + ", ".join(str(p) for p in stale),
                hint="run `python -m repo generate` and commit the result")
        print(f"generated code is up to date ({len(result.files)} files)")
        return 0
    changed = write_files(result.files)
    write_stamp(settings, result.files)
    for path in changed:
        print(f"wrote {path}")
    if not changed:
        print(f"generated code is up to date ({len(result.files)} files)")
    return 0


def _read(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8")
    except (FileNotFoundError, UnicodeDecodeError):
        return None
