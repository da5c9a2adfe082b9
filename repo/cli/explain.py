"""``python -m repo explain FILE``: each parameter and column, its type, nullability and why."""

from __future__ import annotations

import argparse
from pathlib import Path

from ..config import Settings


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser(
        "explain", help="show the inferred types and nullability of one query",
        description="Print each parameter and result column of a query file with its type and "
        "nullability and the reason for each (static analysis; no database).")
    parser.add_argument("file", metavar="FILE", help="queries/<repo>/<method>.sql")
    parser.set_defaults(handler=_handler)


def _handler(args: argparse.Namespace, settings: Settings) -> int:
    from ..explain import explain

    print(explain(Path(args.file), settings), end="")
    return 0
