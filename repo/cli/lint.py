"""``python -m repo lint [--json] [FILES...]``: offline migration safety checks."""

from __future__ import annotations

import argparse
import json

from ..config import Settings


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser(
        "lint", help="check migrations for locks, rewrites and breaking changes (offline)",
        description="Offline: checks the migrations newer than [lint] since (config.toml) for "
        "statements that lock or rewrite a live table, fail at deploy, or break the queries "
        "that use a renamed or dropped object. Exit 1 when any error is found.")
    parser.add_argument("files", nargs="*", metavar="FILE",
                        help="lint only these migration files (default: all newer than the "
                        "baseline)")
    parser.add_argument("--json", action="store_true", help="print the findings as JSON")
    parser.add_argument("--source", metavar="DIR",
                        help="migrations directory (default: ./migrations)")
    parser.set_defaults(handler=_handler)


def _handler(args: argparse.Namespace, settings: Settings) -> int:
    from ..lint import lint

    if args.source:
        settings = settings.with_paths(migrations=args.source)
    report = lint(settings, args.files)
    if args.json:
        print(json.dumps(report.as_json(), indent=2))
    else:
        for f in report.findings:
            print(f.render())
        counts = {s: sum(str(f.severity) == s for f in report.findings)
                  for s in ("error", "warning", "note", "acknowledged")}
        summary = ", ".join(f"{n} {s}{'' if n == 1 or s == 'acknowledged' else 's'}"
                            for s, n in counts.items())
        print(f"lint: {report.migrations} migration(s) checked; {summary}")
    return 1 if report.errors else 0
